"""The Home Assistant add-on (addon/) and its entry point `bobby-edge addon` (edge_agent/deploy/addon.py).

There is no Docker engine here: the add-on's files are checked for what the Supervisor and the
build need, the option mapping is checked through real options.json files and a real HTTP fake
of the Supervisor, and listen_frame is started through the entry point against a real broker.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import voluptuous as vol
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from edge_agent import __version__, cli
from edge_agent.deploy import addon
from edge_agent.deploy.addon import AddonError, AddonOptions, SupervisorBroker
from edge_agent.mqtt.broker import BrokerSettings
from scripts import release
from tests.support.mosquitto import Mosquitto, free_port
from tests.support.supervisor import TOKEN, FakeSupervisor, mqtt_ok

ROOT = Path(__file__).resolve().parents[2]
ADDON = ROOT / "addon"
BUNDLED = "/opt/bobby/models/test.tflite"


def load_yaml(name: str):
    return yaml.safe_load((ADDON / name).read_text())


def write_options(tmp_path: Path, options) -> Path:
    path = tmp_path / "options.json"
    path.write_text(json.dumps(options))
    return path


SERVICE = SupervisorBroker(host="core-mosquitto", port=1883, username="addons", password="s3cret:/@%pw")


# --- options -----------------------------------------------------------------------------------


def test_defaults_from_config_yaml_give_the_default_command(tmp_path):
    # The Supervisor writes the options of config.yaml as they are when the user changed nothing.
    options = addon.load_options(write_options(tmp_path, load_yaml("config.yaml")["options"]))
    assert options == AddonOptions()
    plain = SupervisorBroker(host="core-mosquitto", port=1883)
    assert addon.build_command(options, plain, model=BUNDLED) == [
        "--log-level", "info",
        "listen-frame",
        "--broker", "mqtt://core-mosquitto:1883",
        "--base-topic", "bobby",
        "--workers", "0",
        "--threshold", "0.5",
        "--model", BUNDLED,
        "--instance", "ha-addon",
        "--discovery-prefix", "homeassistant",
        "--max-payload", str(2048 * 1024),
        "--stats-interval", "10",
        "--snapshot-interval", "30",
        "--record-dir", "/media/bobby_camera",
        "--record-days", "7",
        "--record-max-mb", "2048",
        "--record-min-free-mb", "1024",
    ]  # fmt: skip


def test_an_empty_options_file_means_the_defaults(tmp_path):
    assert addon.load_options(write_options(tmp_path, {})) == AddonOptions()


def test_every_option_set(tmp_path):
    options = addon.load_options(
        write_options(
            tmp_path,
            {
                "workers": 3,
                "threshold": 0.65,
                "base_topic": "home/cams",
                "model": "/share/bobby/../bobby/custom.tflite",
                "log_level": "debug",
                "share_group": "bobby_lf",
                "max_payload_kb": 512,
                "stats_interval": 30,
                "snapshot_interval": 60,
                "mqtt_ca_file": "/ssl/ca.pem",
                "recording": True,
                "recording_days": 30,
                "recording_max_mb": 500,
                "recording_min_free_mb": 0,
            },
        )
    )
    assert options == AddonOptions(
        3,
        0.65,
        "home/cams",
        "/share/bobby/custom.tflite",
        "debug",
        "bobby_lf",
        512,
        30,
        60,
        True,
        "/ssl/ca.pem",
        recording_days=30,
        recording_max_mb=500,
        recording_min_free_mb=0,
    )
    service = SupervisorBroker(
        host="192.168.1.5", port=8883, ssl=True, username="bob", password="p@ss w:rd/%"
    )
    assert addon.build_command(options, service, model=BUNDLED) == [
        "--log-level", "debug",
        "listen-frame",
        "--broker", "mqtts://bob:p%40ss%20w%3Ard%2F%25@192.168.1.5:8883",
        "--base-topic", "home/cams",
        "--workers", "3",
        "--threshold", "0.65",
        "--model", "/share/bobby/custom.tflite",
        "--share-group", "bobby_lf",
        "--instance", "ha-addon",
        "--discovery-prefix", "homeassistant",
        "--max-payload", str(512 * 1024),
        "--stats-interval", "30",
        "--snapshot-interval", "60",
        "--ca-file", "/ssl/ca.pem",
        "--record-dir", "/media/bobby_camera",
        "--record-days", "30",
        "--record-max-mb", "500",
        "--record-min-free-mb", "0",
    ]  # fmt: skip


def test_a_model_in_the_addon_config_folder_and_the_bundled_model_from_the_environment(tmp_path, monkeypatch):
    options = addon.load_options(write_options(tmp_path, {"model": "/config/models/mine.tflite"}))
    assert options.model == "/config/models/mine.tflite"
    argv = addon.build_command(options, SERVICE)
    assert argv[argv.index("--model") + 1] == "/config/models/mine.tflite"
    # With the option empty, the image's $BOBBY_MODEL is the model, else the Dockerfile's path.
    monkeypatch.setenv("BOBBY_MODEL", "/somewhere/else.tflite")
    argv = addon.build_command(AddonOptions(), SERVICE)
    assert argv[argv.index("--model") + 1] == "/somewhere/else.tflite"
    monkeypatch.delenv("BOBBY_MODEL")
    argv = addon.build_command(AddonOptions(), SERVICE)
    assert argv[argv.index("--model") + 1] == addon.DEFAULT_MODEL_PATH


@pytest.mark.parametrize(
    ("options", "key", "expected"),
    [
        ({"workers": 17}, "workers", "integer from 0 to 16"),
        ({"workers": -1}, "workers", "integer from 0 to 16"),
        ({"workers": "4"}, "workers", "integer from 0 to 16"),
        ({"workers": True}, "workers", "integer from 0 to 16"),
        ({"threshold": 1.5}, "threshold", "number from 0.05 to 0.99"),
        ({"threshold": 0.01}, "threshold", "number from 0.05 to 0.99"),
        ({"threshold": "high"}, "threshold", "number from 0.05 to 0.99"),
        ({"base_topic": ""}, "base_topic", "without '+', '#'"),
        ({"base_topic": "bobby/#"}, "base_topic", "without '+', '#'"),
        ({"base_topic": "a//b"}, "base_topic", "empty levels"),
        ({"base_topic": "bobby/"}, "base_topic", "empty levels"),
        ({"base_topic": "$SYS"}, "base_topic", "leading '$'"),
        ({"model": "/etc/detect.tflite"}, "model", "under /share or /config"),
        ({"model": "/share/../etc/detect.tflite"}, "model", "under /share or /config"),
        ({"model": "share/detect.tflite"}, "model", "under /share or /config"),
        ({"model": "/share/detect.onnx"}, "model", "a .tflite file"),
        ({"log_level": "verbose"}, "log_level", "one of debug, info, warning, error"),
        ({"share_group": "a/b"}, "share_group", "1 to 64 characters"),
        ({"share_group": "x" * 65}, "share_group", "1 to 64 characters"),
        ({"max_payload_kb": 10}, "max_payload_kb", "integer from 64 to 16384"),
        ({"max_payload_kb": 2048.5}, "max_payload_kb", "integer from 64 to 16384"),
        ({"stats_interval": 0}, "stats_interval", "integer from 1 to 3600"),
    ],
)
def test_invalid_options_name_the_key_and_what_was_expected(tmp_path, options, key, expected):
    path = write_options(tmp_path, options)
    with pytest.raises(AddonError) as info:
        addon.load_options(path)
    message = str(info.value)
    assert f"{path}: {key}: expected" in message
    assert expected in message


def test_options_file_missing_not_json_or_not_an_object(tmp_path):
    with pytest.raises(AddonError, match=r"does not exist: the Supervisor writes it"):
        addon.load_options(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{workers: 2")
    with pytest.raises(AddonError, match=r"bad.json is not valid JSON"):
        addon.load_options(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(AddonError, match=r"expected a JSON object"):
        addon.load_options(bad)


def test_an_option_left_from_an_older_version_is_ignored_with_a_warning(tmp_path, caplog):
    options = addon.load_options(write_options(tmp_path, {"workers": 2, "old_option": True}))
    assert options == AddonOptions(workers=2)
    assert "ignoring unknown option(s) old_option" in caplog.text


# --- broker URL and redaction ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "url"),
    [
        (SupervisorBroker("core-mosquitto", 1883), "mqtt://core-mosquitto:1883"),
        (SupervisorBroker("core-mosquitto", 1883, username="user"), "mqtt://user@core-mosquitto:1883"),
        (
            SupervisorBroker("broker.lan", 8883, ssl=True, username="u", password="pw"),
            "mqtts://u:pw@broker.lan:8883",
        ),
        (SupervisorBroker("fd00::5", 1883), "mqtt://[fd00::5]:1883"),
        (
            SupervisorBroker("core-mosquitto", 1883, username="a:b@c", password="p@ss/w:rd%20 #?"),
            "mqtt://a%3Ab%40c:p%40ss%2Fw%3Ard%2520%20%23%3F@core-mosquitto:1883",
        ),
    ],
)
def test_broker_url_round_trips_through_the_broker_settings(service, url):
    assert addon.broker_url(service) == url
    # broker.py is what listen_frame parses --broker with: it must get the same values back.
    parsed = BrokerSettings.from_url(url)
    assert (parsed.host, parsed.port, parsed.tls) == (service.host, service.port, service.ssl)
    assert (parsed.username, parsed.password) == (service.username, service.password)


def test_redaction_hides_the_password_and_nothing_else():
    argv = addon.build_command(AddonOptions(), SERVICE, model=BUNDLED)
    shown = addon.redact(argv, SERVICE)
    joined = " ".join(shown)
    assert "s3cret" not in joined and "%40pw" not in joined
    assert shown[shown.index("--broker") + 1] == "mqtt://addons:%2A%2A%2A@core-mosquitto:1883"
    assert [a for a in shown if "core-mosquitto" not in a] == [a for a in argv if "core-mosquitto" not in a]
    assert "s3cret" not in repr(SERVICE)
    plain = SupervisorBroker("core-mosquitto", 1883, username="addons")
    assert addon.redact(addon.build_command(AddonOptions(), plain), plain) == addon.build_command(
        AddonOptions(), plain
    )


# --- the Supervisor's MQTT service -------------------------------------------------------------


def test_fetch_mqtt_service_sends_the_token_and_reads_the_answer():
    answer = mqtt_ok(
        host="core-mosquitto",
        port=1883,
        ssl=False,
        username="addons",
        password="pw",
        protocol="3.1.1",
        addon="core_mosquitto",
    )
    with FakeSupervisor(body=answer) as sup:
        service = addon.fetch_supervisor_broker(sup.url + "/", TOKEN, timeout=5)
    assert service == SupervisorBroker("core-mosquitto", 1883, False, "addons", "pw", "3.1.1")
    assert sup.requests == [("/services/mqtt", f"Bearer {TOKEN}")]


def test_fetch_mqtt_service_defaults_for_keys_the_supervisor_leaves_out():
    with FakeSupervisor(body=mqtt_ok(host="core-mosquitto", port="1884")) as sup:
        service = addon.fetch_supervisor_broker(sup.url, TOKEN, timeout=5)
    assert service == SupervisorBroker("core-mosquitto", 1884, False, None, None, "3.1.1")


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        # What the Supervisor answers when no add-on provides MQTT.
        (
            400,
            {"result": "error", "message": "Service not enabled"},
            r"no MQTT service \(Service not enabled\): install and start the Mosquitto broker add-on",
        ),
        (
            404,
            {"result": "error", "message": "Service does not exist"},
            r"no MQTT service .*Mosquitto broker add-on",
        ),
        (
            403,
            {"result": "error", "message": "No access to mqtt service!"},
            r"refused access .*HTTP 403.*services: \[mqtt:need\]",
        ),
        (500, b"boom", r"answered HTTP 500 for .*/services/mqtt \(boom\)"),
        (200, {"result": "ok", "data": {}}, r"empty MQTT service: install and start the Mosquitto"),
        (200, {"result": "error", "message": "nope"}, r"did not give the MQTT service \(nope\)"),
        (200, b"<html>", r"is not JSON"),
        (200, mqtt_ok(port=1883), r"MQTT service from the Supervisor: host: required key not provided"),
        (200, mqtt_ok(host="h", port=70000), r"MQTT service from the Supervisor: port: "),
    ],
)
def test_fetch_mqtt_service_errors_say_what_to_do(status, body, expected):
    with FakeSupervisor(status=status, body=body) as sup, pytest.raises(AddonError, match=expected):
        addon.fetch_supervisor_broker(sup.url, TOKEN, timeout=5)


def test_a_wrong_token_is_refused():
    with (
        FakeSupervisor(body=mqtt_ok(host="h", port=1883)) as sup,
        pytest.raises(AddonError, match="HTTP 401"),
    ):
        addon.fetch_supervisor_broker(sup.url, "wrong", timeout=5)


def test_supervisor_unreachable_or_too_slow():
    port = free_port()  # nothing listens there: connection refused
    with pytest.raises(
        AddonError, match=rf"cannot reach the Supervisor at http://127.0.0.1:{port}/services/mqtt"
    ):
        addon.fetch_supervisor_broker(f"http://127.0.0.1:{port}", TOKEN, timeout=2)
    with FakeSupervisor(body=mqtt_ok(host="h", port=1883), delay=2.0) as sup:
        started = time.monotonic()
        with pytest.raises(AddonError, match="cannot reach the Supervisor.*timed out"):
            addon.fetch_supervisor_broker(sup.url, TOKEN, timeout=0.3)
        assert time.monotonic() - started < 1.5


# --- the command -------------------------------------------------------------------------------


def run_addon_command(capsys, argv, env_token: str | None, monkeypatch) -> tuple[int, str, str]:
    if env_token is None:
        monkeypatch.delenv("SUPERVISOR_TOKEN", raising=False)
    else:
        monkeypatch.setenv("SUPERVISOR_TOKEN", env_token)
    rc = cli.main(["addon", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_dry_run_in_a_real_process_prints_the_redacted_command_and_config(tmp_path):
    options = {
        "workers": 2,
        "threshold": 0.7,
        "base_topic": "house",
        "share_group": "g1",
        "stats_interval": 5,
        "recording": False,  # no --record-* flags
    }
    path = write_options(tmp_path, options)
    service = {
        "host": "core-mosquitto",
        "port": 1883,
        "ssl": False,
        "username": "addons",
        "password": "Sup3r:s3cret@",
        "protocol": "3.1.1",
    }
    env = {**os.environ, "SUPERVISOR_TOKEN": TOKEN, "BOBBY_MODEL": BUNDLED}
    with FakeSupervisor(body=mqtt_ok(**service)) as sup:
        proc = subprocess.run(
            [sys.executable, "-m", "edge_agent", "addon", "--options", str(path), "--supervisor-url", sup.url, "--dry-run"],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "s3cret" not in proc.stdout + proc.stderr
    first, _, rest = proc.stdout.partition("\n")
    expected = [
        "--log-level", "info", "listen-frame",
        "--broker", "mqtt://addons:%2A%2A%2A@core-mosquitto:1883",
        "--base-topic", "house", "--workers", "2", "--threshold", "0.7", "--model", BUNDLED,
        "--share-group", "g1", "--instance", "ha-addon", "--discovery-prefix", "homeassistant",
        "--max-payload", str(2048 * 1024), "--stats-interval", "5", "--snapshot-interval", "30",
    ]  # fmt: skip
    assert first == shlex.join(["bobby-edge", *expected])
    config = json.loads(rest)
    assert config["argv"] == expected
    assert config["options"] == {**AddonOptions().__dict__, "cameras": [], **options}
    assert config["mqtt_service"] == {
        "host": "core-mosquitto", "port": 1883, "ssl": False, "username": "addons", "protocol": "3.1.1", "password_set": True,
    }  # fmt: skip
    assert config["broker"] == "mqtt://addons:%2A%2A%2A@core-mosquitto:1883"
    assert (config["model"], config["instance"]) == (BUNDLED, "ha-addon")


def test_the_command_fails_clearly_without_a_token(tmp_path, capsys, caplog, monkeypatch):
    rc, out, _ = run_addon_command(
        capsys, ["--options", str(write_options(tmp_path, {})), "--dry-run"], None, monkeypatch
    )
    assert (rc, out) == (1, "")
    assert "$SUPERVISOR_TOKEN is not set" in caplog.text


def test_the_command_fails_clearly_on_bad_options(tmp_path, capsys, caplog, monkeypatch):
    path = write_options(tmp_path, {"threshold": 2})
    rc, out, _ = run_addon_command(capsys, ["--options", str(path), "--dry-run"], TOKEN, monkeypatch)
    assert (rc, out) == (1, "")
    assert f"{path}: threshold: expected a number from 0.05 to 0.99, got 2" in caplog.text


def test_the_command_fails_clearly_without_the_mosquitto_addon(tmp_path, capsys, caplog, monkeypatch):
    path = write_options(tmp_path, {})
    with FakeSupervisor(status=400, body={"result": "error", "message": "Service not enabled"}) as sup:
        rc, out, _ = run_addon_command(
            capsys, ["--options", str(path), "--supervisor-url", sup.url, "--dry-run"], TOKEN, monkeypatch
        )
    assert (rc, out) == (1, "")
    assert "install and start the Mosquitto broker add-on" in caplog.text


def test_a_custom_model_that_is_not_there_stops_the_addon_before_listen_frame(
    tmp_path, capsys, caplog, monkeypatch
):
    path = write_options(tmp_path, {"model": "/share/bobby/nowhere.tflite"})
    started = []
    monkeypatch.setattr(cli, "main", lambda argv: started.append(argv) or 0)
    with FakeSupervisor(body=mqtt_ok(host="127.0.0.1", port=1883)) as sup:
        monkeypatch.setenv("SUPERVISOR_TOKEN", TOKEN)
        args = cli.build_parser().parse_args(["addon", "--options", str(path), "--supervisor-url", sup.url])
        rc = args.func(args)
    assert (rc, started) == (1, [])
    assert "model /share/bobby/nowhere.tflite does not exist" in caplog.text


def test_without_dry_run_the_command_runs_listen_frame_in_process_with_the_options_log_level(
    tmp_path, caplog, monkeypatch, model_path
):
    path = write_options(tmp_path, {"log_level": "warning"})
    monkeypatch.setattr(logging.getLogger(), "level", logging.getLogger().level)  # restored after
    started = []
    monkeypatch.setattr(cli, "main", lambda argv: started.append(argv) or 7)
    monkeypatch.setenv("BOBBY_MODEL", str(model_path))
    monkeypatch.setenv("SUPERVISOR_TOKEN", TOKEN)
    service = mqtt_ok(host="127.0.0.1", port=1883, username="u", password="hidden-pw")
    with FakeSupervisor(body=service) as sup, caplog.at_level("INFO"):
        args = cli.build_parser().parse_args(["addon", "--options", str(path), "--supervisor-url", sup.url])
        rc = args.func(args)
        # The option's level reaches the logging the cli set up before.
        assert logging.getLogger().level == logging.WARNING
    assert rc == 7  # listen_frame's exit code is the add-on's
    assert started == [
        addon.build_command(
            AddonOptions(log_level="warning"),
            SupervisorBroker("127.0.0.1", 1883, username="u", password="hidden-pw"),
            model=str(model_path),
            media=addon.media_folder(),  # this machine's /media is no mapped folder: no recording
        )
    ]
    if addon.media_folder() is None:
        assert "visits are published without clips" in caplog.text
    assert (
        "starting: bobby-edge --log-level warning listen-frame --broker mqtt://u:%2A%2A%2A@127.0.0.1:1883"
        in caplog.text
    )
    assert "hidden-pw" not in caplog.text


# --- the add-on's files ------------------------------------------------------------------------

# The Supervisor's option types (supervisor/addons/options.py, RE_SCHEMA_ELEMENT), for the ones we use.
SUPERVISOR_TYPE = re.compile(
    r"^(?:(?P<kind>int|float)(?:\((?P<min>[\d.]+)?,(?P<max>[\d.]+)?\))?|(?P<str>str)|(?P<bool>bool)|list\((?P<list>.+)\))(?P<optional>\?)?$"
)


def supervisor_validate(typ: str, value):
    """What the Supervisor does with one option value (its coercion and ranges)."""
    m = SUPERVISOR_TYPE.match(typ)
    assert m, f"type {typ!r} is not one the Supervisor knows (or this test reads)"
    if m["str"]:
        return str(value)
    if m["bool"]:
        return vol.Boolean()(value)
    if m["list"]:
        return vol.In(m["list"].split("|"))(str(value))
    rng = {k: float(m[k]) for k in ("min", "max") if m[k]}
    return vol.All(vol.Coerce(int if m["kind"] == "int" else float), vol.Range(**rng))(value)


def test_config_yaml_is_an_addon_for_aarch64_and_amd64_that_needs_mqtt():
    config = load_yaml("config.yaml")
    for key in ("name", "version", "slug", "description", "arch"):
        assert config.get(key), f"config.yaml lacks {key}"
    assert config["slug"] == addon.SLUG
    assert str(config["version"]) == __version__
    assert set(config["arch"]) == {"aarch64", "amd64"}
    assert "mqtt:need" in config["services"]
    # s6-overlay v3 in HA's base images is the init; Docker's own must be off.
    assert config["init"] is False
    # The Supervisor pulls the release workflow's image of this version for its architecture
    # (tests/edge/test_addon_schema.py checks it against the Supervisor's rules).
    assert config["image"] == "ghcr.io/bobby-camera/{arch}-bobby-listen-frame"
    maps = {m["type"]: m for m in config["map"]}
    assert set(maps) == {"share", "addon_config", "ssl", "media"}  # ssl: a TLS broker's CA (mqtt_ca_file)
    # Only HA's media folder is written (visits' clips and snapshots, under /media/bobby_camera).
    assert maps.pop("media") == {"type": "media", "read_only": False}
    assert all(m.get("read_only", True) is True for m in maps.values())
    assert config.get("apparmor", True) is True
    assert not config.get("host_network") and not config.get("full_access") and not config.get("privileged")


def test_config_yaml_options_match_the_python_schema_and_the_translations():
    config = load_yaml("config.yaml")
    options, schema = config["options"], config["schema"]
    python_keys = {str(k) for k in addon.OPTIONS_SCHEMA.schema}
    assert set(schema) == python_keys
    assert set(options) <= set(schema)
    translations = yaml.safe_load((ADDON / "translations" / "en.yaml").read_text())["configuration"]
    assert set(translations) == set(schema)
    for key, entry in translations.items():
        assert entry.get("name") and entry.get("description"), f"translation of {key}"
    defaults = AddonOptions()
    check_cameras_schema(schema.pop("cameras"), options.pop("cameras"))
    for key, typ in schema.items():
        optional = typ.endswith("?")
        # A required option needs a default; a truly optional one must have none but ''.
        assert optional or key in options, f"required option {key} has no default"
        if key in options:
            # The default passes the Supervisor's check and means the Python default.
            supervisor_value = supervisor_validate(typ, options[key])
            assert addon.OPTIONS_SCHEMA({key: supervisor_value})[key] == getattr(defaults, key), key
        else:
            assert getattr(defaults, key) is None
    # Range and choice boundaries: both schemas accept and refuse the same values.
    for key, typ in schema.items():
        m = SUPERVISOR_TYPE.match(typ)
        if m["kind"]:
            for value, ok in _range_ends(m):
                sup_ok = _accepts(lambda v: supervisor_validate(typ, v), value)
                py_ok = _accepts(addon.OPTIONS_SCHEMA, {key: value})
                assert sup_ok == py_ok == ok, (key, value)
        if m["bool"]:
            for value in (True, False):
                assert addon.OPTIONS_SCHEMA({key: value})[key] is value
            assert not _accepts(addon.OPTIONS_SCHEMA, {key: "yes"})  # the Supervisor writes booleans
        if m["list"]:
            for value in m["list"].split("|"):
                assert addon.OPTIONS_SCHEMA({key: value})[key] == value
            assert set(m["list"].split("|")) == set(addon.LOG_LEVELS)


def _range_ends(m: re.Match) -> list[tuple[float, bool]]:
    """A Supervisor range type's (SUPERVISOR_TYPE) ends, accepted, and one step beyond each, refused."""
    step = 1 if m["kind"] == "int" else 0.01
    low, high = float(m["min"]), float(m["max"])
    cast = int if m["kind"] == "int" else float
    return [(cast(low), True), (cast(high), True), (cast(low - step), False), (cast(high + step), False)]


def check_cameras_schema(schema, default) -> None:
    """The `cameras` option: a list of dicts (the Supervisor's nested schema), the keys and
    bounds of edge_agent/camera/hosted.py's CAMERA_ENTRY (its `stall_timeout` is for config
    files only), empty by default."""
    from edge_agent.camera.hosted import CAMERA_ENTRY

    assert default == [] and addon.OPTIONS_SCHEMA({"cameras": default})["cameras"] == ()
    assert isinstance(schema, list) and len(schema) == 1 and isinstance(schema[0], dict)
    fields = schema[0]
    assert set(fields) == {str(k) for k in CAMERA_ENTRY.schema} - {"stall_timeout"}
    # Required in the Supervisor's form exactly where required in ours.
    required = {str(k) for k in CAMERA_ENTRY.schema if isinstance(k, vol.Required)}
    assert {k for k, t in fields.items() if not t.endswith("?")} == required == {"id", "source"}
    assert fields["source"] == "password"  # shown masked in the add-on's form
    good = {"id": "door", "source": "rtsp://u:p@h/x"}
    pattern = re.fullmatch(r"match\((.+)\)", fields["id"])[1]
    for value in ("door", "a" * 64, "Front_door-2", "a b", "", "a" * 65, "door/x"):
        sup_ok = re.fullmatch(pattern, value) is not None
        assert sup_ok == _accepts(CAMERA_ENTRY, {**good, "id": value}), value
    for key, typ in fields.items():
        m = SUPERVISOR_TYPE.match(typ)
        if m and m["kind"]:
            for value, ok in _range_ends(m):
                assert _accepts(CAMERA_ENTRY, {**good, key: value}) == ok, (key, value)


def _accepts(validator, value) -> bool:
    try:
        validator(value)
    except vol.Invalid:
        return False
    return True


def test_the_base_image_is_homeassistants_multi_arch_debian_in_the_dockerfile():
    # HA's builder actions and the Supervisor read the base from the Dockerfile; build.yaml is
    # deprecated (the Supervisor warns, the actions ignore it), so there is none.
    assert not (ADDON / "build.yaml").exists()
    steps = dockerfile_instructions()
    word, rest = steps[0]
    assert word == "ARG" and rest.startswith("BUILD_FROM=")
    image = rest.partition("=")[2]
    # Debian for the glibc-only TFLite wheels; one multi-arch name for aarch64 and amd64.
    assert re.fullmatch(r"ghcr\.io/home-assistant/base-debian:[a-z]+", image), image
    assert "alpine" not in image


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ADDON / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_installs_the_release_of_its_version_or_the_local_wheel_and_the_checked_model():
    steps = dockerfile_instructions()
    assert steps[0][0] == "ARG" and steps[0][1].startswith("BUILD_FROM=")
    assert steps[1][0] == "FROM" and steps[1][1] in ("$BUILD_FROM", "${BUILD_FROM}")
    runs = " ".join(rest for word, rest in steps if word == "RUN")
    assert "apk " not in runs and "apt-get install" in runs and "python3-venv" in runs
    # The version comes from the build (HA's builder actions, the Supervisor): no default.
    assert ("ARG", "BUILD_VERSION") in steps
    install = next(rest for word, rest in steps if word == "RUN" and "pip install" in rest)
    # build-context.sh's wheel when the context has one, else the release on PyPI; and the
    # installed command must say that version.
    assert "--mount=type=bind,source=.,target=/mnt/context" in install
    assert "/mnt/context/wheels/bobby_edge-${BUILD_VERSION}-py3-none-any.whl" in install
    assert 'package="bobby-edge==${BUILD_VERSION}"' in install
    assert 'test "$(/opt/bobby/venv/bin/bobby-edge --version)" = "bobby-edge ${BUILD_VERSION}"' in install
    assert not [rest for word, rest in steps if word in ("COPY", "ADD") and "wheels" in rest]
    dest = re.search(r"bobby-edge model download --dest (\S+)", runs)
    assert dest and Path(dest.group(1)) == Path(addon.DEFAULT_MODEL_PATH).parent
    env = " ".join(rest for word, rest in steps if word == "ENV")
    assert f"BOBBY_MODEL={addon.DEFAULT_MODEL_PATH}" in env
    assert ("CMD", '[ "/run.sh" ]') in steps
    assert not any(word == "ENTRYPOINT" for word, _ in steps)  # s6-overlay's /init stays


def test_run_script_execs_the_tested_entry_point_with_flags_it_has(tmp_path):
    script = ADDON / "run.sh"
    assert os.access(script, os.X_OK)
    lines = script.read_text().splitlines()
    assert lines[0] == "#!/usr/bin/with-contenv bashio"
    execs = [line for line in lines if line.startswith("exec ")]
    assert len(execs) == 1
    words = shlex.split(execs[0])
    assert words[:3] == ["exec", "bobby-edge", "addon"]
    args = cli.build_parser().parse_args(words[2:])
    assert args.func is addon.run
    assert (args.options, args.supervisor_url) == (addon.DEFAULT_OPTIONS_PATH, addon.DEFAULT_SUPERVISOR_URL)


def test_apparmor_profile_is_named_after_the_slug():
    text = (ADDON / "apparmor.txt").read_text()
    assert re.search(rf"^profile {addon.SLUG} flags=\(attach_disconnected,mediate_deleted\) \{{$", text, re.M)
    assert text.count("{") == text.count("}")


def apparmor_rules() -> list[str]:
    """The profile's rules (comments and includes left out), one string each."""
    text = (ADDON / "apparmor.txt").read_text()
    body = text[text.index("{") + 1 : text.rindex("}")]
    rules = []
    for line in body.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            assert line.endswith(","), f"not a rule: {line!r}"
            rules.append(line[:-1].strip())
    return rules


# The only places the add-on may write, lock or link: its state, temporary files, s6's /run,
# multiprocessing's shared memory, the terminal; and its own oom_score_adj.
WRITABLE = (
    "/data/",
    "/tmp/",
    "/run/",
    "/dev/shm/",
    "/dev/tty",
    "@{PROC}/@{pids}/oom_score_adj",
    "/media/bobby_camera/",  # visits' clips and snapshots (option recording), nothing else of /media
)


def path_rules(rules: list[str]) -> list[tuple[str, str, str]]:
    """(qualifier, path, permissions) of the file rules."""
    found = []
    for rule in rules:
        m = re.fullmatch(r"((?:deny|owner|audit)\s+)?(/\S*|@\{PROC\}\S*)\s+([rwklmixaUuP]+)", rule)
        if m:
            found.append(((m[1] or "").strip(), m[2], m[3]))
    return found


def test_apparmor_profile_grants_no_blanket_file_access():
    rules = apparmor_rules()
    assert not [r for r in rules if re.fullmatch(r"(audit\s+)?(allow\s+)?file(\s+\S+)?", r)]  # no `file,`
    paths = path_rules(rules)
    allowed = [(q, path, perms) for q, path, perms in paths if q != "deny"]
    # Nothing from the root down: "/**", "/{,**}", "/*/**" and the like.
    assert not [p for _, p, _ in allowed if re.match(r"^/(\*|\{)", p)], allowed
    for _, path, perms in allowed:
        if set(perms) & set("wakl"):
            assert path.startswith(WRITABLE) or path == "/run/{,**}", f"{path} {perms}"
    # Programs run only from the image's own directories.
    for _, path, perms in allowed:
        if "x" in perms:
            assert path.startswith(
                ("/init", "/bin/", "/sbin/", "/usr/", "/run/", "/package/", "/command/", "/etc/s6-overlay/")
            ) or path in ("/run.sh", "/opt/bobby/venv/bin/*"), f"{path} {perms}"
    denied = {(p, perms) for q, p, perms in paths if q == "deny"}
    assert ("/share/**", "wl") in denied and ("/config/**", "wl") in denied  # models are only read
    # What the add-on needs is there: Python and its libraries, the venv, its options, /tmp, /proc.
    have = {p: perms for _, p, perms in allowed}
    for path, perms in {
        "/usr/lib/**": "rm",
        "/opt/bobby/**": "rm",
        "/opt/bobby/venv/bin/*": "ix",
        "/data/**": "rw",
        "/share/**": "r",
        "/config/**": "r",
        "/ssl/**": "r",
        "/tmp/**": "rw",
        "/dev/shm/**": "rw",
        "/etc/**": "r",
    }.items():
        assert path in have and set(perms) <= set(have[path]), path
    assert have["/etc/**"] == "r"  # the container's configuration is read, never written
    assert any(p.startswith("@{PROC}/@{pids}/") and "status" in p for p in have)
    for net in ("network inet stream", "network inet6 stream", "network inet dgram", "network unix"):
        assert net in rules


def test_apparmor_profile_parses():
    parser = shutil.which("apparmor_parser") or next(
        (p for p in ("/usr/sbin/apparmor_parser", "/sbin/apparmor_parser") if os.path.exists(p)), None
    )
    # scripts/setup.sh installs it (Debian's apparmor package).
    assert parser is not None, "apparmor_parser is not installed (Debian: apt install apparmor)"
    # -Q: parse and compile without loading into a kernel; -K: no cache; -T: no cache read.
    done = subprocess.run(
        [parser, "-Q", "-K", "-T", str(ADDON / "apparmor.txt")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_docs_changelog_and_repository_file():
    version = str(load_yaml("config.yaml")["version"])
    assert f"## {version}" in (ADDON / "CHANGELOG.md").read_text()
    docs = (ADDON / "DOCS.md").read_text()
    for key in load_yaml("config.yaml")["schema"]:
        assert f"`{key}`" in docs, f"DOCS.md does not document {key}"
    repository = yaml.safe_load((ROOT / "repository.yaml").read_text())
    assert repository["name"]


def test_build_context_script_assembles_a_local_addon_that_installs_the_checkout(tmp_path):
    dest = tmp_path / "bobby_listen_frame"
    proc = subprocess.run(
        [str(ADDON / "build-context.sh"), str(dest)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    for name in ("Dockerfile", "run.sh", "apparmor.txt", "DOCS.md", "CHANGELOG.md", "translations/en.yaml"):
        assert (dest / name).read_bytes() == (ADDON / name).read_bytes(), name
    assert os.access(dest / "run.sh", os.X_OK)
    assert not (dest / "build-context.sh").exists()
    # config.yaml without `image:`: the Supervisor builds the Dockerfile instead of pulling.
    local = yaml.safe_load((dest / "config.yaml").read_text())
    released = load_yaml("config.yaml")
    assert "image" not in local and local == {k: v for k, v in released.items() if k != "image"}
    # The wheel of this checkout, named as the Dockerfile looks for it, with all of edge_agent.
    wheels = list((dest / "wheels").iterdir())
    assert [w.name for w in wheels] == [f"bobby_edge-{__version__}-py3-none-any.whl"]
    assert release.wheel_problems(wheels[0]) == []
    assert f"bobby-edge {__version__} from this checkout" in proc.stdout
    # Every COPY source of the Dockerfile is in the assembled context.
    for word, rest in dockerfile_instructions():
        if word == "COPY":
            assert (dest / rest.split()[0]).exists(), rest
    # Assembling again replaces the wheel rather than adding one.
    (dest / "wheels" / "bobby_edge-0.0.1-py3-none-any.whl").write_bytes(b"old")
    subprocess.run([str(ADDON / "build-context.sh"), str(dest)], check=True, capture_output=True, timeout=300)
    assert [w.name for w in (dest / "wheels").iterdir()] == [wheels[0].name]
    # Nothing is left in the checkout by the build.
    assert not (ROOT / "build").exists() and not (ROOT / "edge_agent" / "build").exists()
    inside = subprocess.run(
        [str(ADDON / "build-context.sh"), str(ADDON / "ctx")], capture_output=True, text=True
    )
    assert inside.returncode == 2 and "outside" in inside.stderr
    assert not (ADDON / "ctx").exists()


# --- listen_frame, as the add-on starts it -----------------------------------------------------


def test_the_command_line_resolves_to_the_listen_frame_config_the_options_asked_for(model_path):
    from edge_agent.listen_frame.cli import config_from_args
    from edge_agent.listen_frame.cli import run as listen_frame_run

    options = AddonOptions(3, 0.65, "home/cams", "", "debug", "bobby_lf", 512, 30)
    service = SupervisorBroker(
        host="core-mosquitto", port=8883, ssl=True, username="bob", password="p@ss w:rd/%"
    )
    args = cli.build_parser().parse_args(addon.build_command(options, service, model=str(model_path)))
    assert args.func is listen_frame_run and args.log_level == "debug"
    config = config_from_args(args)
    broker = config.broker
    assert (broker.host, broker.port, broker.tls, broker.username, broker.password) == (
        "core-mosquitto", 8883, True, "bob", "p@ss w:rd/%",
    )  # fmt: skip
    assert (config.base_topic, config.share_group, config.workers, config.threshold) == (
        "home/cams",
        "bobby_lf",
        3,
        0.65,
    )
    assert (config.max_payload, config.stats_interval, config.instance) == (512 * 1024, 30.0, "ha-addon")
    assert (config.discovery, config.discovery_prefix, config.model_path) == (
        True,
        "homeassistant",
        str(model_path),
    )


class Watcher:
    """Records the payloads of one retained topic, in order."""

    def __init__(self, broker: Mosquitto, topic: str, credentials: tuple[str, str] | None = None) -> None:
        self.payloads: list[str] = []
        self.changed = threading.Condition()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-addon-watch-{os.getpid()}")
        if credentials:
            self.client.username_pw_set(*credentials)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def _on_message(self, client, userdata, msg) -> None:
        with self.changed:
            self.payloads.append(msg.payload.decode())
            self.changed.notify_all()

    def wait_for(self, payload: str, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.payloads and self.payloads[-1] == payload, timeout)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def start_addon(
    tmp_path: Path, options: dict, supervisor: FakeSupervisor, model_path: Path
) -> subprocess.Popen:
    env = {**os.environ, "SUPERVISOR_TOKEN": TOKEN, "BOBBY_MODEL": str(model_path)}
    env.pop("BOBBY_BROKER", None)
    return subprocess.Popen(
        [sys.executable, "-m", "edge_agent", "addon", "--options", str(write_options(tmp_path, options)),
         "--supervisor-url", supervisor.url],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def stop_addon(proc: subprocess.Popen) -> tuple[int, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return proc.returncode, err


def test_the_addon_entry_point_runs_listen_frame_against_a_real_broker(tmp_path, mosquitto, model_path):
    base = f"addon{os.getpid()}"
    availability = f"{base}/listen_frame/ha-addon/availability"
    watcher = Watcher(mosquitto, availability)
    proc = None
    try:
        service = mqtt_ok(host=mosquitto.host, port=mosquitto.port, ssl=False, protocol="3.1.1")
        with FakeSupervisor(body=service) as sup:
            proc = start_addon(
                tmp_path, {"base_topic": base, "workers": 1, "stats_interval": 1}, sup, model_path
            )
            assert watcher.wait_for("online", 60), (
                f"no 'online' on {availability}: {stop_addon(proc)[1][-3000:]}"
            )
            assert sup.requests == [("/services/mqtt", f"Bearer {TOKEN}")]
            assert proc.poll() is None
            proc.send_signal(signal.SIGTERM)
            assert watcher.wait_for("offline", 30), (
                f"no 'offline' after SIGTERM: {stop_addon(proc)[1][-3000:]}"
            )
            rc, err = stop_addon(proc)
        assert rc == 0, err[-3000:]
        assert f"starting: bobby-edge --log-level info listen-frame --broker {mosquitto.url}" in err
    finally:
        if proc is not None and proc.poll() is None:
            stop_addon(proc)
        watcher.close()


def anonymous_refused(broker: Mosquitto) -> bool:
    answer: list = []
    done = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-addon-anon-{os.getpid()}")
    client.on_connect = lambda c, u, f, rc, p: (answer.append(rc), done.set())
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        assert done.wait(10), "no CONNACK"
        return answer[0].is_failure
    finally:
        client.loop_stop()
        client.disconnect()


def test_the_broker_credentials_from_the_supervisor_get_through(tmp_path, model_path):
    # A broker that refuses anonymous clients, with a password that needs percent-encoding.
    user, password = "addons", "p@ss w:rd/%#"
    pwfile = tmp_path / "passwd"
    pwfile.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(pwfile), user, password], check=True, capture_output=True)
    pwfile.chmod(0o600)
    # `user root`: a broker started as root would switch to `mosquitto`, who cannot read tmp_path.
    broker = Mosquitto(extra_conf=f"allow_anonymous false\npassword_file {pwfile}\nuser root").start()
    watcher = None
    proc = None
    try:
        base = f"addonauth{os.getpid()}"
        availability = f"{base}/listen_frame/ha-addon/availability"
        assert anonymous_refused(broker), "the test broker must refuse clients without the password"
        watcher = Watcher(broker, availability, credentials=(user, password))
        service = mqtt_ok(host=broker.host, port=broker.port, username=user, password=password)
        with FakeSupervisor(body=service) as sup:
            proc = start_addon(tmp_path, {"base_topic": base, "workers": 1}, sup, model_path)
            assert watcher.wait_for("online", 60), (
                f"no 'online' with credentials: {stop_addon(proc)[1][-3000:]}"
            )
            rc, err = stop_addon(proc)
        assert rc == 0, err[-3000:]
        assert watcher.wait_for("offline", 10)
        assert password not in err and "p%40ss" not in err
    finally:
        if proc is not None and proc.poll() is None:
            stop_addon(proc)
        if watcher is not None:
            watcher.close()
        broker.stop()


def test_motion_gate_off_reaches_listen_frame(tmp_path):
    options = addon.load_options(write_options(tmp_path, {"motion_gate": False}))
    assert options.motion_gate is False
    assert "--no-motion-gate" in addon.build_command(options, SERVICE, model=BUNDLED)
    assert "--no-motion-gate" not in addon.build_command(AddonOptions(), SERVICE, model=BUNDLED)


def test_visits_are_recorded_only_into_a_mapped_media_folder(tmp_path):
    """`map: media` makes /media a mount point in the container; a plain folder (a machine
    running the entry point by hand, these tests, an add-on without the mapping) is not written."""
    assert addon.media_folder(str(tmp_path)) is None
    assert addon.media_folder("/") == addon.MEDIA_DIR  # a mount point, as the mapped /media is
    argv = addon.build_command(AddonOptions(), SERVICE, model=BUNDLED, media=None)
    assert not [a for a in argv if a.startswith("--record")]
    argv = addon.build_command(AddonOptions(recording=False), SERVICE, model=BUNDLED)
    assert not [a for a in argv if a.startswith("--record")]
