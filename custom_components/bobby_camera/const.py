"""Constants of the Bobby Camera integration; topic names follow docs/mqtt.md."""

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

DEFAULT_BASE_TOPIC: Final = "bobby"
# The manifest's `mqtt` key can only name a fixed topic, so discovery works for the default base.
DISCOVERY_TOPIC: Final = f"{DEFAULT_BASE_TOPIC}/+/announce"

CAMERA_ID_RE: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ROI_ID_RE: Final = re.compile(r"^[a-z0-9_-]{1,32}$")

MODE_DUMB: Final = "dumb"
MODE_SMART: Final = "smart"

ONLINE: Final = "online"
OFFLINE: Final = "offline"

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
MIN_POINTS: Final = 3
MAX_POINTS: Final = 64

# Health: how long a service may take to answer before the integration says it does not.
ACK_TIMEOUT: Final = 30.0
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

# The user flow listens this long for retained announces of cameras on the broker.
SCAN_SECONDS: Final = 2.0

SERVICE_SET_ROIS: Final = "set_rois"


class Topics:
    """Topic names for one camera under one base topic (docs/mqtt.md)."""

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
    def frame(self) -> str:
        return self._t("frame")

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
