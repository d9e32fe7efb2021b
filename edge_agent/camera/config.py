"""The camera agent's settings: one voluptuous schema for the config file and the flags.

Keys are the flag names with `_` for `-` (`--camera-id` is `camera_id:`); `settings.resolve`
merges defaults < YAML file < environment < flags and validates here, so every error names the key.
"""

from __future__ import annotations

from typing import Any

import voluptuous as vol

from edge_agent.broker import BrokerSettings
from edge_agent.settings import broker_url
from edge_agent.topics import CAMERA_ID_RE, DEFAULT_BASE


def camera_id(value: Any) -> str:
    value = str(value)
    if not CAMERA_ID_RE.match(value):
        raise vol.Invalid("expected 1 to 64 characters of a-z A-Z 0-9 _ - (it is a topic level)")
    return value


def base_topic(value: Any) -> str:
    value = str(value)
    if not value or any(c in value for c in "#+") or value.startswith("/") or value.endswith("/"):
        raise vol.Invalid("expected a topic prefix without wildcards or leading/trailing '/'")
    return value


def positive_number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise vol.Invalid(f"expected a number, got {value!r}") from None
    if not number > 0:
        raise vol.Invalid(f"expected a number above 0, got {value!r}")
    return number


def int_range(lo: int, hi: int):
    return vol.All(vol.Coerce(int, msg=f"expected an integer from {lo} to {hi}"),
                   vol.Range(min=lo, max=hi, msg=f"expected an integer from {lo} to {hi}"))


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
    vol.Required("source", msg="required: picamera2[:N], a V4L2 device (0, /dev/video0), a video file or a URL"): vol.All(
        str, vol.Length(min=1, msg="expected a non-empty source")
    ),
    vol.Required("camera_id", msg="required: the camera id (a-z A-Z 0-9 _ -)"): camera_id,
    vol.Optional("name"): vol.Any(None, str),
    vol.Optional("broker"): broker_url,
    vol.Required("base_topic", default=DEFAULT_BASE): base_topic,
    vol.Required("fps", default=2.0): vol.All(positive_number, vol.Range(max=60, msg="expected at most 60 fps")),
    vol.Required("width", default=640): int_range(16, 4096),
    vol.Required("height", default=480): int_range(16, 4096),
    vol.Required("quality", default=80): int_range(1, 100),
    vol.Required("loop", default=True): boolean,
    vol.Required("stats_interval", default=10.0): positive_number,
    # How long to wait after connecting for our own retained state (stream/detection) to arrive.
    vol.Optional("http_port"): vol.Any(None, int_range(0, 65535)),
    vol.Required("state_wait", default=1.0): vol.All(vol.Coerce(float), vol.Range(min=0, max=30)),
}

CAMERA_SCHEMA = vol.Schema(COMMON, extra=vol.PREVENT_EXTRA)


def add_smart_args(parser) -> None:
    """Flags of the smart mode (detection, HTTP, recording)."""
    parser.add_argument("--http-port", type=int, help="serve the live view and status page on this port (smart mode)")


def finish(cfg: dict) -> dict:
    """Cross-key checks and derived values after validation."""
    cfg.setdefault("name", None)
    return cfg


def broker_settings(cfg: dict) -> BrokerSettings:
    return BrokerSettings.resolve(cfg.get("broker"))
