"""Topic names of the MQTT contract (docs/mqtt.md), in one place for the whole package."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BASE = "bobby"
DEFAULT_DISCOVERY_PREFIX = "homeassistant"

ON = "ON"
OFF = "OFF"
ONLINE = "online"
OFFLINE = "offline"


@dataclass(frozen=True)
class Topics:
    """Topic builder for one base topic."""

    base: str = DEFAULT_BASE

    def cam(self, cam: str, *parts: str) -> str:
        return "/".join((self.base, cam, *parts))

    def availability(self, cam: str) -> str:
        return self.cam(cam, "availability")

    def announce(self, cam: str) -> str:
        return self.cam(cam, "announce")

    def forget(self, cam: str) -> str:
        """Retained: the camera was removed in Home Assistant; services forget it (docs/mqtt.md)."""
        return self.cam(cam, "forget")

    def frame(self, cam: str) -> str:
        return self.cam(cam, "frame")

    def rois(self, cam: str) -> str:
        return self.cam(cam, "rois")

    def rois_applied(self, cam: str) -> str:
        return self.cam(cam, "rois", "applied")

    def stream_set(self, cam: str) -> str:
        return self.cam(cam, "stream", "set")

    def stream_state(self, cam: str) -> str:
        return self.cam(cam, "stream", "state")

    def detection_set(self, cam: str) -> str:
        return self.cam(cam, "detection", "set")

    def detection_state(self, cam: str) -> str:
        return self.cam(cam, "detection", "state")

    def detections(self, cam: str) -> str:
        return self.cam(cam, "detections")

    def person(self, cam: str, roi: str | None = None) -> str:
        return self.cam(cam, "person", roi) if roi else self.cam(cam, "person")

    def person_count(self, cam: str) -> str:
        """Retained: the person count Home Assistant shows (detect/person_state.PersonCount)."""
        return self.cam(cam, "person_count")

    def arrival(self, cam: str, roi: str | None = None) -> str:
        """Non-retained: one message per OFF -> ON, what "person detected" triggers listen to."""
        return self.cam(cam, "arrival", roi) if roi else self.cam(cam, "arrival")

    def snapshot(self, cam: str) -> str:
        return self.cam(cam, "snapshot")

    def stats(self, cam: str) -> str:
        return self.cam(cam, "stats")

    def event(self, cam: str) -> str:
        return self.cam(cam, "event")

    def service_availability(self, kind: str, instance: str) -> str:
        return f"{self.base}/{kind}/{instance}/availability"

    def service_stats(self, kind: str, instance: str) -> str:
        return f"{self.base}/{kind}/{instance}/stats"

    # Wildcards a service subscribes to.
    def all(self, *parts: str) -> str:
        return "/".join((self.base, "+", *parts))

    def split(self, topic: str) -> tuple[str, str] | None:
        """`bobby/<cam>/rest` -> (cam, rest); None when the topic is not under the base."""
        prefix = self.base + "/"
        if not topic.startswith(prefix):
            return None
        cam, _, rest = topic[len(prefix) :].partition("/")
        return cam, rest
