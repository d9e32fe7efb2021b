"""Constants of the Bobby Camera integration; topic names follow docs/mqtt.md.

The integration is installed alone (HACS copies only this folder), so it keeps its own copy of the
MQTT contract. Each copy names its twin in edge_agent; tests/ha/test_contract.py checks they agree.
"""

from __future__ import annotations

import logging
import re
from typing import Final

DOMAIN: Final = "bobby_camera"
LOGGER = logging.getLogger(__package__)

MANUFACTURER: Final = "Bobby Camera"

CONF_CAMERA_ID: Final = "camera_id"
CONF_BASE_TOPIC: Final = "base_topic"
CONF_TOKEN: Final = "token"

# Options: the ROI set, the source of truth that is published (docs/mqtt.md "ROI set").
OPT_VERSION: Final = "version"
OPT_ROIS: Final = "rois"
OPT_DETECTION: Final = "detection"

CONF_ORIGIN: Final = "http_origin"
# A Bobby camera fed from a Home Assistant camera entity (ha_source.py): the entity and the rate.
CONF_SOURCE_ENTITY: Final = "source_entity"
CONF_SOURCE_FPS: Final = "source_fps"

# Twin: edge_agent/mqtt/topics.py DEFAULT_BASE.
DEFAULT_BASE_TOPIC: Final = "bobby"
# The manifest's `mqtt` key can only name a fixed topic, so discovery works for the default base.
DISCOVERY_TOPIC: Final = f"{DEFAULT_BASE_TOPIC}/+/announce"

# Twin: edge_agent/ids.py (CAMERA_ID_RE, ROI_ID_RE, INSTANCE_RE, BASE_TOPIC_RE, MAX_ROIS).
# Always used with fullmatch: with match and `$`, a trailing newline would pass.
CAMERA_ID_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
ROI_ID_RE: Final = re.compile(r"[a-z0-9_-]{1,32}")
INSTANCE_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Topic levels separated by '/': none empty, no wildcard, white space or NUL, not a '$' topic.
BASE_TOPIC_RE: Final = re.compile(r"(?!\$)[^/+#\s\x00]+(?:/[^/+#\s\x00]+)*")
BASE_TOPIC_MAX: Final = 128
# The most regions an ROI set may have: each becomes entities in HA.
MAX_ROIS: Final = 32


def valid_camera_id(value: object) -> bool:
    """A camera id (a topic level): twin of edge_agent.ids.valid_camera_id."""
    return isinstance(value, str) and CAMERA_ID_RE.fullmatch(value) is not None


def valid_roi_id(value: object) -> bool:
    """A region id: twin of edge_agent.ids.valid_roi_id."""
    return isinstance(value, str) and ROI_ID_RE.fullmatch(value) is not None


def valid_instance(value: object) -> bool:
    """A listen_frame instance name: twin of edge_agent.ids.valid_instance."""
    return isinstance(value, str) and INSTANCE_RE.fullmatch(value) is not None


def valid_base_topic(value: object) -> bool:
    """A base topic: twin of edge_agent.ids.valid_base_topic."""
    return (
        isinstance(value, str) and len(value) <= BASE_TOPIC_MAX and BASE_TOPIC_RE.fullmatch(value) is not None
    )


# Twin: the announce's `mode` (edge_agent/camera/cli.py) and ONLINE/OFFLINE (edge_agent/mqtt/topics.py).
MODE_DUMB: Final = "dumb"
MODE_SMART: Final = "smart"

ONLINE: Final = "online"
OFFLINE: Final = "offline"

# Twin: edge_agent/detect/rois.py (DetectionSettings defaults, the region's default labels).
DEFAULT_LABELS: Final = ["person"]
DETECTION_DEFAULTS: Final = {
    "labels": ["person"],
    "threshold": 0.5,
    "min_area": 0.0,
    "max_area": 1.0,
    "frames_needed": 2,
    "frames_window": 3,
    "clear_after": 10.0,
    "motion": True,
    "motion_sensitivity": 5,
    "motion_keepalive": 2.0,
}
# Twin: edge_agent/detect/rois.py (points per region).
MIN_POINTS: Final = 3
MAX_POINTS: Final = 64

# Health: a problem such as "offline" becomes a repair issue only when it lasts this long, so a
# restart of the service (seconds) turns the sensor off without a repair issue.
ISSUE_DELAY: Final = 30.0
# Health: how long a service may take to answer before the integration says it does not.
ACK_TIMEOUT: Final = 30.0
# How long saving an ROI set (editor, card, action) waits for the service's acknowledgement
# before answering without it (the health check still expects it for ACK_TIMEOUT).
SAVE_ACK_WAIT: Final = 10.0
DEFAULT_STATS_INTERVAL: Final = 10.0
# Stats may be late by a few intervals (a busy Pi) before they count as stopped.
STATS_MISSED_INTERVALS: Final = 3
MIN_STATS_TIMEOUT: Final = 30.0
# Retained messages arrive right after subscribing; wait this long before judging them.
RETAINED_WAIT: Final = 3.0
# How long the service may stay unheard of after start-up before it counts as offline.
STARTUP_GRACE: Final = 60.0
HEALTH_CHECK_INTERVAL: Final = 5.0

# Dumb camera: how old the latest frame may be to serve as the still, how long to wait for one.
FRAME_MAX_AGE: Final = 5.0
FRAME_WAIT: Final = 5.0
STREAM_IDLE_TIMEOUT: Final = 30.0
HTTP_TIMEOUT: Final = 10
# What a smart camera's HTTP server may send through HA (docs/home-assistant.md "Live view"):
# anything larger or of another type is refused, logged and counted in diagnostics.
MAX_SNAPSHOT_BYTES: Final = 8 * 1024 * 1024
MAX_STREAM_PART_BYTES: Final = 8 * 1024 * 1024
SNAPSHOT_CONTENT_TYPE: Final = "image/jpeg"
STREAM_CONTENT_TYPE: Final = "multipart/x-mixed-replace"
# A dumb camera's MQTT frame (the same bound: it is shown as a snapshot and a stream part).
MAX_FRAME_BYTES: Final = MAX_SNAPSHOT_BYTES
JPEG_MAGIC: Final = b"\xff\xd8"

# A Home Assistant camera as a source (ha_source.py, docs/home-assistant.md): the caps on how many
# and how fast (each fetch is a still image from the camera's integration), the default rate.
MAX_SOURCE_CAMERAS: Final = 8
MIN_SOURCE_FPS: Final = 0.1
MAX_SOURCE_FPS: Final = 5.0
DEFAULT_SOURCE_FPS: Final = 1.0
# How long one still may take (camera.async_get_image's timeout), in whole seconds.
SOURCE_FETCH_TIMEOUT: Final = 10
# A frame larger than listen_frame's default `max_payload` (2 MiB) would be dropped there:
# re-encoded smaller first. Twin: edge_agent/listen_frame/state.py ListenFrameConfig.max_payload.
MAX_SOURCE_FRAME_BYTES: Final = 2 * 1024 * 1024
# Failures back off from the frame interval up to this many seconds between tries.
SOURCE_BACKOFF_MAX: Final = 60.0

# The user flow listens this long for retained announces of cameras on the broker.
SCAN_SECONDS: Final = 2.0

SERVICE_SET_ROIS: Final = "set_rois"


class Topics:
    """Topic names for one camera under one base topic (docs/mqtt.md).

    Twin: edge_agent/mqtt/topics.py Topics.
    """

    def __init__(self, base: str, cam: str) -> None:
        """Remember the base topic and the camera id."""
        self.base = base
        self.cam = cam

    def _t(self, *parts: str) -> str:
        return "/".join((self.base, self.cam, *parts))

    @property
    def availability(self) -> str:
        return self._t("availability")

    @property
    def announce(self) -> str:
        return self._t("announce")

    @property
    def forget(self) -> str:
        """Retained: the camera was removed here; the services forget it (docs/mqtt.md, forget)."""
        return self._t("forget")

    @property
    def frame(self) -> str:
        return self._t("frame")

    @property
    def stream_set(self) -> str:
        return self._t("stream", "set")

    @property
    def stream_state(self) -> str:
        return self._t("stream", "state")

    @property
    def rois(self) -> str:
        return self._t("rois")

    @property
    def rois_applied(self) -> str:
        return self._t("rois", "applied")

    @property
    def detection_set(self) -> str:
        return self._t("detection", "set")

    @property
    def detection_state(self) -> str:
        return self._t("detection", "state")

    @property
    def stats(self) -> str:
        return self._t("stats")

    @property
    def service_availability(self) -> str:
        """Every listen_frame instance's availability (`<base>/listen_frame/<instance>/availability`)."""
        return f"{self.base}/listen_frame/+/availability"


def announce_topic_filter(base: str) -> str:
    """Announces of every camera under a base topic."""
    return f"{base}/+/announce"
