"""`bobby-edge addon`: the Home Assistant add-on's entry point (addon/ holds the add-on itself).

The add-on is a thin wrapper: this module reads the options the Supervisor wrote to
`/data/options.json`, asks the Supervisor which broker the MQTT service (the Mosquitto add-on)
offers, turns both into a `listen-frame` command line and runs it in this process. The
`cameras` option (IP cameras, camera/hosted.py) goes to listen_frame in a private config file
(`write_cameras_file`), never on the command line: their sources may hold passwords. All the
mapping lives here, in plain functions, so that tests can check it without Docker.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import posixpath
import shlex
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import voluptuous as vol
import yaml

from edge_agent.camera.hosted import CAMERAS, HostedCamera
from edge_agent.detect.model import MODEL_ENV, MODEL_FILE
from edge_agent.ids import BASE_TOPIC_RULE, INSTANCE_RULE, valid_base_topic, valid_instance
from edge_agent.mqtt.topics import DEFAULT_BASE, DEFAULT_DISCOVERY_PREFIX
from edge_agent.settings import humanize
from edge_agent.untrusted import read_json, read_object

log = logging.getLogger(__name__)

SLUG = "bobby_listen_frame"
DEFAULT_OPTIONS_PATH = Path("/data/options.json")
DEFAULT_SUPERVISOR_URL = "http://supervisor"
TOKEN_ENV = "SUPERVISOR_TOKEN"
# Where the Dockerfile downloads the model (`bobby-edge model download --dest /opt/bobby/models`);
# the image also exports it as $BOBBY_MODEL.
DEFAULT_MODEL_PATH = f"/opt/bobby/models/{MODEL_FILE}"
# Folders config.yaml maps into the container (share and the add-on's own config folder).
MODEL_ROOTS = ("/share", "/config")
# Visits' clips and snapshots (option `recording`): HA's /media, mapped read-write (config.yaml).
MEDIA_DIR = "/media/bobby_camera"
# One add-on per Home Assistant: a fixed id keeps the retained availability topic stable.
INSTANCE = "ha-addon"
LOG_LEVELS = ("debug", "info", "warning", "error")
REDACTED = "***"


class AddonError(RuntimeError):
    """A problem the user can fix; the message says what and how."""


# --- options ---------------------------------------------------------------------------------


def _integer(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        # bool is an int in Python; the Supervisor writes real integers.
        if isinstance(value, bool) or not isinstance(value, int):
            raise vol.Invalid(f"expected an integer from {low} to {high}, got {value!r}")
        if not low <= value <= high:
            raise vol.Invalid(f"expected an integer from {low} to {high}, got {value}")
        return value

    return check


def _number(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise vol.Invalid(f"expected a number from {low} to {high}, got {value!r}")
        if not low <= value <= high:
            raise vol.Invalid(f"expected a number from {low} to {high}, got {value}")
        return float(value)

    return check


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise vol.Invalid(f"expected true or false, got {value!r}")
    return value


def _base_topic(value: Any) -> str:
    if not valid_base_topic(value):
        raise vol.Invalid(f"expected {BASE_TOPIC_RULE}, got {value!r}")
    return value


def _model(value: Any) -> str:
    """'' (the bundled model) or a .tflite file under /share or /config."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise vol.Invalid(f"expected a path such as /share/bobby/model.tflite, got {value!r}")
    path = posixpath.normpath(value)
    if not any(path.startswith(root + "/") for root in MODEL_ROOTS):
        raise vol.Invalid(
            f"expected empty (the bundled model) or an absolute path under /share or /config, got {value!r}"
        )
    if not path.endswith(".tflite"):
        raise vol.Invalid(f"expected a .tflite file, got {value!r}")
    return path


def _share_group(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not valid_instance(value):
        raise vol.Invalid(f"expected {INSTANCE_RULE}, got {value!r}")
    return value


def _log_level(value: Any) -> str:
    if value not in LOG_LEVELS:
        raise vol.Invalid(f"expected one of {', '.join(LOG_LEVELS)}, got {value!r}")
    level: str = value  # one of LOG_LEVELS
    return level


# The add-on's options; addon/config.yaml declares the same keys, defaults and ranges (a test
# compares them), the Supervisor validates with that copy before it writes options.json.
OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Optional("workers", default=0): _integer(0, 16),
        vol.Optional("threshold", default=0.5): _number(0.05, 0.99),
        vol.Optional("base_topic", default=DEFAULT_BASE): _base_topic,
        vol.Optional("model", default=""): _model,
        vol.Optional("log_level", default="info"): _log_level,
        vol.Optional("share_group", default=None): _share_group,
        vol.Optional("max_payload_kb", default=2048): _integer(64, 16384),
        vol.Optional("stats_interval", default=10): _integer(1, 3600),
        vol.Optional("snapshot_interval", default=30): _integer(1, 3600),
        vol.Optional("motion_gate", default=True): _boolean,
        # A broker with TLS (the Mosquitto add-on's `ssl`) whose certificate the system CAs do not
        # vouch for: its CA file, e.g. under /ssl (mapped read-only).
        vol.Optional("mqtt_ca_file", default=None): vol.Any(None, vol.All(str, vol.Length(max=4096))),
        # IP cameras run in the add-on as dumb cameras (camera/hosted.py): {id, name, source, fps,
        # width, height, quality}; `source` is a `password` field in config.yaml (it may hold one).
        vol.Optional("cameras", default=list): vol.All(
            CAMERAS, lambda cams: tuple(HostedCamera(**cam) for cam in cams)
        ),
        # Visits recorded under MEDIA_DIR (docs/listen_frame.md, "Recording") and kept this long.
        vol.Optional("recording", default=True): _boolean,
        vol.Optional("recording_days", default=7): _integer(0, 3650),
        vol.Optional("recording_max_mb", default=2048): _integer(0, 1_000_000),
        vol.Optional("recording_min_free_mb", default=1024): _integer(0, 1_000_000),
    },
    # An option left over from an older add-on version must not stop the add-on.
    extra=vol.REMOVE_EXTRA,
)


@dataclass(frozen=True)
class AddonOptions:
    workers: int = 0
    threshold: float = 0.5
    base_topic: str = DEFAULT_BASE
    model: str = ""
    log_level: str = "info"
    share_group: str | None = None
    max_payload_kb: int = 2048
    stats_interval: int = 10
    snapshot_interval: int = 30
    motion_gate: bool = True
    mqtt_ca_file: str | None = None
    cameras: tuple[HostedCamera, ...] = ()
    recording: bool = True
    recording_days: int = 7
    recording_max_mb: int = 2048
    recording_min_free_mb: int = 1024


def parse_options(data: Any, source: str = "options") -> AddonOptions:
    if not isinstance(data, dict):
        raise AddonError(f"{source}: expected a JSON object of option names to values")
    unknown = sorted(set(data) - {str(k) for k in OPTIONS_SCHEMA.schema})
    if unknown:
        log.warning("%s: ignoring unknown option(s) %s", source, ", ".join(unknown))
    try:
        return AddonOptions(**OPTIONS_SCHEMA(data))
    except vol.Invalid as err:
        raise AddonError(humanize(err, source)) from None


def load_options(path: Path | str) -> AddonOptions:
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise AddonError(
            f"{path} does not exist: the Supervisor writes it when the add-on starts "
            "(outside Home Assistant, pass --options FILE)"
        ) from None
    except OSError as err:
        raise AddonError(f"cannot read {path}: {err}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise AddonError(f"{path} is not valid JSON: {err}") from None
    return parse_options(data, str(path))


# --- the broker the Supervisor offers (its "MQTT service") ---------------------------------


@dataclass(frozen=True)
class SupervisorBroker:
    host: str
    port: int
    ssl: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    protocol: str = "3.1.1"


# What the Supervisor answers (its SCHEMA_SERVICE_MQTT); unknown keys are a newer Supervisor's.
MQTT_SERVICE_SCHEMA = vol.Schema(
    {
        vol.Required("host"): vol.All(str, vol.Length(min=1)),
        vol.Required("port"): vol.All(vol.Coerce(int), vol.Range(min=1, max=65535)),
        vol.Optional("ssl", default=False): vol.Boolean(),
        vol.Optional("username", default=None): vol.Any(None, str),
        vol.Optional("password", default=None): vol.Any(None, str),
        vol.Optional("protocol", default="3.1.1"): str,
    },
    extra=vol.REMOVE_EXTRA,
)

MAX_SUPERVISOR_ANSWER = 64 * 1024  # its /services/mqtt answer is a few hundred bytes

NO_MQTT_HINT = (
    "install and start the Mosquitto broker add-on (Settings > Add-ons > Add-on store > Mosquitto broker), "
    "then restart this add-on"
)


def _supervisor_message(body: bytes) -> str:
    try:
        return str(read_object(body, max_bytes=MAX_SUPERVISOR_ANSWER).get("message") or "").strip()[:200]
    except ValueError:
        return body.decode("utf-8", "replace").strip()[:200]


def fetch_supervisor_broker(url: str, token: str, timeout: float = 10.0) -> SupervisorBroker:
    """GET {url}/services/mqtt with the add-on's token; the broker the Supervisor offers."""
    endpoint = url.rstrip("/") + "/services/mqtt"
    request = urllib.request.Request(endpoint, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_SUPERVISOR_ANSWER + 1)  # more is refused by read_json
    except urllib.error.HTTPError as err:
        message = _supervisor_message(err.read(MAX_SUPERVISOR_ANSWER + 1))
        detail = f" ({message})" if message else ""
        if err.code in (400, 404):
            # 400 "Service not enabled": no add-on provides MQTT (yet).
            raise AddonError(f"the Supervisor has no MQTT service{detail}: {NO_MQTT_HINT}") from None
        if err.code in (401, 403):
            raise AddonError(
                f"the Supervisor refused access to the MQTT service (HTTP {err.code}){detail}: "
                "the add-on's config.yaml must declare `services: [mqtt:need]`"
            ) from None
        raise AddonError(f"the Supervisor answered HTTP {err.code} for {endpoint}{detail}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise AddonError(f"cannot reach the Supervisor at {endpoint}: {reason}") from None
    try:
        answer = read_json(body, max_bytes=MAX_SUPERVISOR_ANSWER)
    except ValueError as err:
        raise AddonError(f"the Supervisor's answer from {endpoint} is not JSON we read: {err}") from None
    if not isinstance(answer, dict) or answer.get("result") != "ok":
        said = answer.get("message") if isinstance(answer, dict) else None
        raise AddonError(
            f"the Supervisor did not give the MQTT service ({said or 'no message'}): {NO_MQTT_HINT}"
        )
    data = answer.get("data")
    if not isinstance(data, dict) or not data:
        raise AddonError(f"the Supervisor gave an empty MQTT service: {NO_MQTT_HINT}")
    try:
        return SupervisorBroker(**MQTT_SERVICE_SCHEMA(data))
    except vol.Invalid as err:
        raise AddonError(humanize(err, "MQTT service from the Supervisor")) from None


# --- the command line ---------------------------------------------------------------------------


def broker_url(broker: SupervisorBroker) -> str:
    """mqtt[s]://user:password@host:port with the credentials percent-encoded."""
    scheme = "mqtts" if broker.ssl else "mqtt"
    credentials = ""
    if broker.username:
        credentials = quote(broker.username, safe="")
        if broker.password:
            credentials += ":" + quote(broker.password, safe="")
        credentials += "@"
    host = f"[{broker.host}]" if ":" in broker.host else broker.host
    return f"{scheme}://{credentials}{host}:{broker.port}"


def bundled_model() -> str:
    return os.environ.get(MODEL_ENV) or DEFAULT_MODEL_PATH


def build_command(
    options: AddonOptions,
    broker: SupervisorBroker,
    *,
    model: str | None = None,
    cameras_file: str | None = None,
    media: str | None = MEDIA_DIR,
) -> list[str]:
    """The `bobby-edge` argv (without the program name) that runs listen_frame.

    `media`: where visits are recorded with the `recording` option (None: not recorded,
    `media_folder()` found HA's media folder not mapped).

    `model` overrides the bundled model's path (default: $BOBBY_MODEL, else the image's path);
    it is used only when the `model` option is empty. `cameras_file`: the config file holding
    the `cameras` option (`write_cameras_file`): their sources may hold passwords, which never
    go on a command line.
    """
    argv = [
        "--log-level", options.log_level,
        "listen-frame",
        "--broker", broker_url(broker),
        "--base-topic", options.base_topic,
        "--workers", str(options.workers),
        "--threshold", str(options.threshold),
        "--model", options.model or model or bundled_model(),
    ]  # fmt: skip
    if options.share_group:
        argv += ["--share-group", options.share_group]
    argv += [
        "--instance", INSTANCE,
        "--discovery-prefix", DEFAULT_DISCOVERY_PREFIX,
        "--max-payload", str(options.max_payload_kb * 1024),
        "--stats-interval", str(options.stats_interval),
        "--snapshot-interval", str(options.snapshot_interval),
    ]  # fmt: skip
    if not options.motion_gate:
        argv.append("--no-motion-gate")
    if options.mqtt_ca_file:
        argv += ["--ca-file", options.mqtt_ca_file]
    if options.recording and media:
        argv += [
            "--record-dir", media,
            "--record-days", str(options.recording_days),
            "--record-max-mb", str(options.recording_max_mb),
            "--record-min-free-mb", str(options.recording_min_free_mb),
        ]  # fmt: skip
    if cameras_file:
        argv += ["--config", cameras_file]
    return argv


def write_cameras_file(cameras: tuple[HostedCamera, ...], directory: str | None = None) -> str:
    """listen_frame's config file with only `cameras:`, readable by this user alone (0600).

    The sources' passwords are already in the Supervisor's /data/options.json; this copy lives
    in the container's temporary folder while the add-on runs, and is deleted when it stops.
    """
    entries = [{k: v for k, v in dataclasses.asdict(cam).items() if v is not None} for cam in cameras]
    fd, path = tempfile.mkstemp(prefix="bobby-cameras-", suffix=".yaml", dir=directory)
    with os.fdopen(fd, "w") as f:  # mkstemp made it 0600
        yaml.safe_dump({"cameras": entries}, f, sort_keys=False)
    return path


def redact(argv: list[str], broker: SupervisorBroker) -> list[str]:
    """The argv with the broker password replaced by ***, for logs and --dry-run."""
    if not broker.password:
        return list(argv)
    secret = broker_url(broker)
    shown = broker_url(SupervisorBroker(**{**asdict(broker), "password": REDACTED}))
    return [shown if arg == secret else arg for arg in argv]


def describe(options: AddonOptions, broker: SupervisorBroker, argv: list[str]) -> dict[str, Any]:
    """The resolved configuration, without the password, as --dry-run prints it."""
    public = {k: v for k, v in asdict(broker).items() if k != "password"}
    public["password_set"] = bool(broker.password)
    return {
        "options": {**asdict(options), "cameras": [cam.public() for cam in options.cameras]},
        "mqtt_service": public,
        "broker": redact([broker_url(broker)], broker)[0],
        "model": argv[argv.index("--model") + 1],
        "instance": INSTANCE,
        "argv": redact(argv, broker),
    }


# --- the command --------------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "addon",
        help="run listen_frame as the Home Assistant add-on (reads /data/options.json and the Supervisor's MQTT service)",
    )
    parser.add_argument(
        "--options",
        type=Path,
        default=DEFAULT_OPTIONS_PATH,
        help=f"add-on options (default {DEFAULT_OPTIONS_PATH})",
    )
    parser.add_argument(
        "--supervisor-url",
        default=DEFAULT_SUPERVISOR_URL,
        help=f"Supervisor API (default {DEFAULT_SUPERVISOR_URL})",
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for the Supervisor (default 10)"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the listen-frame command (password hidden) and the config, then exit",
    )
    parser.set_defaults(func=run)


def media_folder(root: str = "/media") -> str | None:
    """MEDIA_DIR when the Supervisor mapped HA's media folder into the container (config.yaml
    `map: media`: a mount point), else None: on a machine where the entry point runs by hand (and
    in the tests) /media is the host's own folder, and in a container without the mapping it is
    the image's, lost at the next update; neither is written."""
    return MEDIA_DIR if os.path.ismount(root) else None


def prepare(args: argparse.Namespace) -> tuple[AddonOptions, SupervisorBroker, list[str]]:
    options = load_options(args.options)
    token = os.environ.get(TOKEN_ENV)
    if not token:
        raise AddonError(
            f"${TOKEN_ENV} is not set: the Supervisor gives it to the add-on; outside Home Assistant "
            "run `bobby-edge listen-frame` directly"
        )
    broker = fetch_supervisor_broker(args.supervisor_url, token, args.timeout)
    media = media_folder()
    if options.recording and media is None:
        log.warning(
            "recording: /media is not Home Assistant's media folder here (not mapped into the "
            "add-on): visits are published without clips or snapshots"
        )
    return options, broker, build_command(options, broker, media=media)


def run(args: argparse.Namespace) -> int:
    try:
        options, broker, argv = prepare(args)
        model = argv[argv.index("--model") + 1]
        if not args.dry_run and not Path(model).is_file():
            if options.model:
                raise AddonError(
                    f"model {model} does not exist: put the .tflite file there or empty the option"
                )
            raise AddonError(f"the bundled model {model} is missing from the image: rebuild the add-on")
    except AddonError as err:
        log.error("%s", err)
        return 1
    shown = redact(argv, broker)
    if args.dry_run:
        print(shlex.join(["bobby-edge", *shown]))
        print(json.dumps(describe(options, broker, argv), indent=2))
        return 0
    log.info("MQTT broker from the Supervisor: %s", shown[shown.index("--broker") + 1])
    cameras_file = None
    if options.cameras:
        cameras_file = write_cameras_file(options.cameras)
        media = MEDIA_DIR if "--record-dir" in argv else None  # as prepare() found it
        argv = build_command(options, broker, model=model, cameras_file=cameras_file, media=media)
        shown = redact(argv, broker)
        for cam in options.cameras:
            log.info("camera %s: %s", cam.id, cam.shown_source)
    log.info("starting: %s", shlex.join(["bobby-edge", *shown]))
    # The cli's logging is already set up by this command; apply the add-on's level to it.
    logging.getLogger().setLevel(options.log_level.upper())
    from edge_agent import cli

    try:
        return cli.main(argv)
    finally:
        if cameras_file:
            Path(cameras_file).unlink(missing_ok=True)
