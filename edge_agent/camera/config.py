"""The camera agent's settings: one voluptuous schema for the config file and the flags.

Keys are the flag names with `_` for `-` (`--camera-id` is `camera_id:`); `settings.resolve`
merges defaults < YAML file < environment < flags and validates here, so every error names the key.
What the agent then reads is a `CameraConfig` (a frozen dataclass built from the validated dict).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import voluptuous as vol

from edge_agent.ids import BASE_TOPIC_RULE, CAMERA_ID_RULE, valid_base_topic, valid_camera_id
from edge_agent.mqtt.broker import BrokerSettings
from edge_agent.mqtt.topics import DEFAULT_BASE
from edge_agent.settings import SettingsError, broker_url, resolve
from edge_agent.settings import broker_settings as login_settings

if TYPE_CHECKING:
    from edge_agent.camera.http import HttpSettings
    from edge_agent.camera.recording.recorder import RecordSettings
    from edge_agent.detect.motion import MotionSettings

_T = TypeVar("_T")


def camera_id(value: Any) -> str:
    value = str(value)
    if not valid_camera_id(value):
        raise vol.Invalid(f"expected {CAMERA_ID_RULE}")
    return value


def base_topic(value: Any) -> str:
    value = str(value)
    if not valid_base_topic(value):
        raise vol.Invalid(f"expected {BASE_TOPIC_RULE}")
    return value


def positive_number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise vol.Invalid(f"expected a number, got {value!r}") from None
    if not number > 0:
        raise vol.Invalid(f"expected a number above 0, got {value!r}")
    return number


def int_range(lo: int, hi: int) -> vol.All:
    return vol.All(
        vol.Coerce(int, msg=f"expected an integer from {lo} to {hi}"),
        vol.Range(min=lo, max=hi, msg=f"expected an integer from {lo} to {hi}"),
    )


def readable_file(value: Any) -> str:
    path = Path(str(value)).expanduser()
    if not path.is_file():
        raise vol.Invalid(f"expected a readable file, {str(path)!r} does not exist")
    return str(path)


def optional(validator: Callable[[Any], _T]) -> Callable[[Any], _T | None]:
    """None, or what `validator` accepts (unlike vol.Any, keeps the validator's own message)."""

    def check(value: Any) -> _T | None:
        return None if value is None else validator(value)

    return check


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise vol.Invalid(f"expected true or false, got {value!r}")


COMMON = {
    vol.Required("mode", default="dumb"): vol.In(("dumb", "smart"), msg="expected 'dumb' or 'smart'"),
    vol.Required(
        "source", msg="required: picamera2[:N], a V4L2 device (0, /dev/video0), a video file or a URL"
    ): vol.All(str, vol.Length(min=1, msg="expected a non-empty source")),
    vol.Required("camera_id", msg="required: the camera id (a-z A-Z 0-9 _ -)"): camera_id,
    vol.Optional("name"): vol.Any(None, str),
    vol.Optional("broker"): broker_url,
    vol.Required("base_topic", default=DEFAULT_BASE): base_topic,
    vol.Required("fps", default=2.0): vol.All(
        positive_number, vol.Range(max=60, msg="expected at most 60 fps")
    ),
    # Unset: the source's own aspect (camera/sources/frame_size.py, docs/camera.md "Frame size").
    vol.Optional("width"): optional(int_range(16, 4096)),
    vol.Optional("height"): optional(int_range(16, 4096)),
    vol.Required("quality", default=80): int_range(1, 100),
    vol.Required("loop", default=True): boolean,
    vol.Required("stats_interval", default=10.0): positive_number,
    # How long to wait after connecting for our own retained state (stream/detection) to arrive.
    # MQTT credentials and TLS beyond the URL; secrets may come from a file or the environment.
    vol.Optional("mqtt_username"): vol.Any(None, str),
    vol.Optional("mqtt_password"): vol.Any(None, str),
    vol.Optional("mqtt_password_file"): optional(readable_file),
    vol.Optional("mqtt_tls"): boolean,
    vol.Optional("mqtt_ca_certs"): optional(readable_file),
    vol.Optional("mqtt_tls_insecure"): boolean,
    # Smart mode: detection.
    vol.Optional("model"): vol.Any(None, str),
    vol.Required("threads", default=1): int_range(1, 16),
    vol.Required("threshold", default=0.5): vol.All(
        vol.Coerce(float, msg="expected a number from 0 to 1"),
        vol.Range(min=0, max=1, msg="expected a number from 0 to 1"),
    ),
    vol.Required("discovery", default=True): boolean,
    vol.Required("discovery_prefix", default="homeassistant"): base_topic,
    # Motion gate.
    vol.Required("motion_gate", default=False): boolean,
    vol.Required("motion_pixel_threshold", default=25): int_range(1, 255),
    vol.Required("motion_area", default=0.002): vol.All(
        vol.Coerce(float, msg="expected a fraction from 0 to 1"),
        vol.Range(min=0, max=1, msg="expected a fraction from 0 to 1"),
    ),
    vol.Required("motion_max_skip", default=5.0): positive_number,
    # Live view.
    vol.Optional("http_port"): optional(int_range(0, 65535)),
    vol.Required("http_bind", default="127.0.0.1"): vol.All(str, vol.Length(min=1)),
    vol.Optional("http_token"): optional(
        vol.All(str, vol.Length(min=8, msg="expected at least 8 characters"))
    ),
    vol.Optional("http_token_file"): optional(readable_file),
    vol.Optional("http_username"): vol.Any(None, str),
    vol.Optional("http_password"): vol.Any(None, str),
    vol.Optional("http_password_file"): optional(readable_file),
    vol.Required("view_quality", default=75): int_range(1, 100),
    # Recording.
    vol.Required("record", default=False): boolean,
    vol.Optional("record_dir"): vol.Any(None, str),
    vol.Required("chunk_seconds", default=60.0): vol.All(
        positive_number, vol.Range(min=1, msg="expected at least 1 second")
    ),
    vol.Required("retention_days", default=7.0): optional(
        vol.All(
            vol.Coerce(float, msg="expected a number of days"),
            vol.Range(min=0, msg="expected 0 or more days"),
        )
    ),
    # null: no size cap (then only retention_days and the free-space floor limit it).
    vol.Required("retention_max_mb", default=2048.0): optional(
        vol.All(
            vol.Coerce(float, msg="expected a number of MB"), vol.Range(min=1, msg="expected at least 1 MB")
        )
    ),
    # Free space kept on the recording file system: the smaller of the two (0 in either: none).
    vol.Required("min_free_percent", default=10.0): vol.All(
        vol.Coerce(float, msg="expected a percentage"),
        vol.Range(min=0, max=90, msg="expected 0 to 90 (%)"),
    ),
    vol.Required("min_free_mb", default=1024.0): vol.All(
        vol.Coerce(float, msg="expected a number of MB"), vol.Range(min=0, msg="expected 0 or more MB")
    ),
    vol.Required("retention_check_seconds", default=60.0): vol.All(
        positive_number, vol.Range(min=1, max=3600, msg="expected 1 to 3600 seconds")
    ),
    vol.Required("continuous", default=True): boolean,
    vol.Required("event_clips", default=True): boolean,
    vol.Required("pre_roll", default=5.0): vol.All(
        vol.Coerce(float), vol.Range(min=0, max=60, msg="expected 0 to 60 seconds")
    ),
    vol.Required("post_roll", default=5.0): vol.All(
        vol.Coerce(float), vol.Range(min=0, max=600, msg="expected 0 to 600 seconds")
    ),
    vol.Required("state_wait", default=1.0): vol.All(vol.Coerce(float), vol.Range(min=0, max=30)),
    # Smart mode: during a visit, at most one last-person snapshot this often (the first at once).
    vol.Required("snapshot_interval", default=30.0): vol.All(
        vol.Coerce(float), vol.Range(min=1, max=3600, msg="expected 1 to 3600 seconds")
    ),
    # Smart mode: where the last good ROI set is kept across restarts (default: default_state_dir()).
    vol.Optional("state_dir"): vol.Any(None, str),
}

CAMERA_SCHEMA = vol.Schema(COMMON, extra=vol.PREVENT_EXTRA)


# Secrets from the environment, when neither the file nor a flag gives them.
# (The broker password has the same sources as in every command: settings.broker_settings.)
SECRET_ENV = {
    "http_token": "BOBBY_HTTP_TOKEN",
    "http_password": "BOBBY_HTTP_PASSWORD",
}


def add_smart_args(parser: argparse.ArgumentParser) -> None:
    """Flags of the smart mode (detection, motion gate, HTTP, recording)."""
    g = parser.add_argument_group("smart mode")
    g.add_argument("--model", help="the .tflite model (default $BOBBY_MODEL or the downloaded one)")
    g.add_argument("--threads", type=int, help="inference threads (default 1)")
    g.add_argument("--threshold", type=float, help="minimum score until HA sends an ROI set (default 0.5)")
    g.add_argument(
        "--motion-gate",
        dest="motion_gate",
        action="store_const",
        const=True,
        help="skip inference on frames without motion",
    )
    g.add_argument("--motion-area", type=float, help="fraction of pixels that must change (default 0.002)")
    g.add_argument(
        "--http-port", type=int, help="serve the live view and status page on this port (0: any free port)"
    )
    g.add_argument(
        "--http-bind", help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0: the network)"
    )
    g.add_argument(
        "--http-token-file", help="file holding the token viewers must give (also $BOBBY_HTTP_TOKEN)"
    )
    g.add_argument(
        "--record", dest="record", action="store_const", const=True, help="record chunks and event clips"
    )
    g.add_argument("--record-dir", help="where recordings go")
    g.add_argument("--chunk-seconds", type=float, help="length of a continuous-recording chunk (default 60)")
    g.add_argument("--retention-days", type=float, help="delete recordings older than this (default 7)")
    g.add_argument(
        "--retention-max-mb", type=float, help="keep this camera's recordings under this total size"
    )
    g.add_argument(
        "--pre-roll", type=float, help="seconds before a person appears in an event clip (default 5)"
    )
    g.add_argument("--post-roll", type=float, help="seconds after the person left (default 5)")
    g.add_argument(
        "--no-discovery", dest="discovery", action="store_const", const=False, help="publish no HA discovery"
    )
    g.add_argument(
        "--state-dir", help="where the last good ROI set is kept (default $XDG_STATE_HOME/bobby-edge)"
    )


def _secret(data: dict[str, Any], key: str, env: Mapping[str, str]) -> str | None:
    if data.get(key):
        secret: str = data[key]  # validated by CAMERA_SCHEMA
        return secret
    path = data.get(f"{key}_file")
    if path:
        return Path(path).read_text().strip() or None
    return env.get(SECRET_ENV[key]) or None


def _secret_field() -> str | None:
    return dataclasses.field(default=None, repr=False)  # never in a log line


@dataclasses.dataclass(frozen=True, kw_only=True)
class CameraConfig:
    """The camera agent's settings once validated: one field per CAMERA_SCHEMA key.

    Built only by `CameraConfig.from_validated` (or `load`), so the schema stays the one place of
    defaults and error messages; optional keys left out of the file are None (False for flags).
    """

    mode: str
    source: str
    camera_id: str
    name: str | None = None
    broker: str | None = None
    base_topic: str
    fps: float
    width: int | None = None  # None: from the source's aspect (sources/frame_size.py)
    height: int | None = None
    quality: int
    loop: bool
    stats_interval: float
    mqtt_username: str | None = None
    mqtt_password: str | None = _secret_field()
    mqtt_password_file: str | None = None
    mqtt_tls: bool = False
    mqtt_ca_certs: str | None = None
    mqtt_tls_insecure: bool = False
    # Smart mode: detection.
    model: str | None = None
    threads: int
    threshold: float
    discovery: bool
    discovery_prefix: str
    # Motion gate.
    motion_gate: bool
    motion_pixel_threshold: int
    motion_area: float
    motion_max_skip: float
    # Live view.
    http_port: int | None = None
    http_bind: str
    http_token: str | None = _secret_field()
    http_token_file: str | None = None
    http_username: str | None = None
    http_password: str | None = _secret_field()
    http_password_file: str | None = None
    view_quality: int
    # Recording.
    record: bool
    record_dir: str | None = None
    chunk_seconds: float
    retention_days: float | None
    retention_max_mb: float | None
    min_free_percent: float
    min_free_mb: float
    retention_check_seconds: float
    continuous: bool
    event_clips: bool
    pre_roll: float
    post_roll: float
    state_wait: float
    snapshot_interval: float
    state_dir: str | None = None

    @classmethod
    def from_validated(cls, data: dict[str, Any], env: Mapping[str, str] | None = None) -> CameraConfig:
        """From what CAMERA_SCHEMA returned: secrets from files or the environment, and the
        cross-key checks (errors name the keys)."""
        env = dict(os.environ if env is None else env)
        data = dict(data)
        for key in SECRET_ENV:
            data[key] = _secret(data, key, env)
        # The broker password as every command finds it (file, URL, key, $BOBBY_BROKER_PASSWORD).
        data["mqtt_password"] = login_settings(data, env).password
        if data.get("http_username") and not data.get("http_password"):
            raise SettingsError(
                "settings: http_password: required with http_username "
                "(or http_password_file, $BOBBY_HTTP_PASSWORD)"
            )
        if data["record"] and not data.get("record_dir"):
            raise SettingsError("settings: record_dir: required when record is on")
        if data["record"] and data["mode"] != "smart":
            raise SettingsError("settings: record: recording needs mode: smart")
        if data["record"] and not (data["continuous"] or data["event_clips"]):
            raise SettingsError(
                "settings: continuous, event_clips: with record on, at least one must be true"
            )
        return cls(**data)

    @property
    def display_name(self) -> str:
        return self.name or self.camera_id

    @property
    def size(self) -> tuple[int | None, int | None]:
        """The frame size asked; the frames' own comes from the source (sources/frame_size.py)."""
        return (self.width, self.height)

    def broker_settings(self) -> BrokerSettings:
        """The broker and login (settings.broker_settings; the password was resolved at load)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return login_settings({**fields, "mqtt_password_file": None}, env={})

    def motion_settings(self) -> MotionSettings | None:
        from edge_agent.detect.motion import MotionSettings

        if not self.motion_gate:
            return None
        return MotionSettings(self.motion_pixel_threshold, self.motion_area, self.motion_max_skip)

    def record_settings(self, size: tuple[int, int] | None = None) -> RecordSettings | None:
        """`size`: the frames' size; None: the box asked, until the source is open (the smart
        camera's pipeline replaces it with its source's size: sources/frame_size.py)."""
        from edge_agent.camera.recording.recorder import RecordSettings
        from edge_agent.camera.sources.frame_size import probe_size

        if not self.record:
            return None
        days = self.retention_days
        mb = self.retention_max_mb
        assert self.record_dir is not None  # from_validated: required when record is on
        return RecordSettings(
            directory=str(Path(self.record_dir).expanduser()),
            camera_id=self.camera_id,
            fps=self.fps,
            size=size or probe_size(self.size),
            continuous=self.continuous,
            chunk_seconds=self.chunk_seconds,
            max_age=days * 86400.0 if days else None,
            max_bytes=int(mb * 1024 * 1024) if mb else None,
            min_free_fraction=self.min_free_percent / 100.0,
            min_free_bytes=int(self.min_free_mb * 1024 * 1024),
            retention_interval=self.retention_check_seconds,
            clips=self.event_clips,
            pre_roll=self.pre_roll,
            post_roll=self.post_roll,
        )

    def http_settings(self) -> HttpSettings | None:
        """None without http_port (then aiohttp is never imported)."""
        if self.http_port is None:
            return None
        from edge_agent.camera.http import HttpSettings

        return HttpSettings(
            self.http_port, self.http_bind, self.http_token, self.http_username, self.http_password
        )

    def state_path(self) -> Path:
        """Where the last good ROI set is kept: state_dir, else default_state_dir()."""
        return Path(self.state_dir).expanduser() if self.state_dir else default_state_dir()


def load(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> CameraConfig:
    """Config file < environment < flags (`args`), validated; raises SettingsError naming the key."""
    return CameraConfig.from_validated(resolve(args, CAMERA_SCHEMA, env), env)


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """$XDG_STATE_HOME/bobby-edge, else ~/.local/state/bobby-edge (the systemd unit's user's)."""
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "bobby-edge"
