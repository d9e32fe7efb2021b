"""Which cameras a listen_frame instance serves (docs/listen_frame.md, "Which cameras are served").

Anything on the broker can publish under `<base>/<cam>/`: a buggy client or a hostile one must not
make listen_frame create devices in Home Assistant, nor fill its memory. So a camera is served
only once it has announced itself (`<base>/<cam>/announce`, retained) or is named by the
allow-list, and at most `max_cameras` of them. Until then, what arrives for it is not analysed;
its retained state (ROI set, detection switch, person states) is held, bounded, and handed over
when it announces (the broker may deliver those before the announce). A camera that has been
offline, without a frame, for `forget_after` is forgotten: its discovery configs are removed.

A camera removed in Home Assistant (`<base>/<cam>/forget`, docs/mqtt.md) is forgotten at once and
stays so: its retained announce is not followed any more (the marker is read before the announces)
until the camera announces itself again, live.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import paho.mqtt.client as mqtt

from edge_agent.mqtt.topics import OFFLINE, ONLINE
from edge_agent.ratelimit import RateLimitedLog
from edge_agent.untrusted import read_object

log = logging.getLogger(__name__)

# What a camera keeps retained that a service must read before it serves the camera.
RETAINED_STATE = ("rois", "detection/state", "person", "person/+")
MAX_ANNOUNCE_BYTES = 4096
MAX_PENDING_BYTES = 4 * 1024 * 1024  # retained state held for cameras that have not announced
MODES = ("dumb", "smart")
MAX_FORGOTTEN = 1024  # cameras remembered as removed in HA (the oldest go first)
# The announce `platform` of a Home Assistant camera that the integration publishes through HA's
# own MQTT client (custom_components/bobby_camera/ha_source.py): it has no Last Will of its own.
HOME_ASSISTANT_PLATFORM = "home_assistant"
MAX_PLATFORM_CHARS = 32


@dataclass(frozen=True)
class Announce:
    """What a camera says about itself, checked (docs/mqtt.md, announce)."""

    name: str | None
    mode: str
    sw_version: str | None
    platform: str | None = None  # where its frames come from; one not a short string is None

    @classmethod
    def parse(cls, cam: str, payload: bytes | bytearray) -> Announce:
        """ValueError with the reason when the announce is not one we accept."""
        data = read_object(payload, max_bytes=MAX_ANNOUNCE_BYTES)
        if data.get("id", cam) != cam:
            raise ValueError(f"its id {str(data.get('id'))[:70]!r} is not the topic's {cam!r}")
        mode = data.get("mode", "dumb")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {str(mode)[:20]!r}")
        name = data.get("name")
        if name is not None and (not isinstance(name, str) or not 0 < len(name) <= 64):
            raise ValueError("name must be a string of 1 to 64 characters")
        sw = data.get("sw_version")
        if sw is not None and (not isinstance(sw, str) or len(sw) > 32):
            raise ValueError("sw_version must be a string of at most 32 characters")
        platform = data.get("platform")
        if not isinstance(platform, str) or not 0 < len(platform) <= MAX_PLATFORM_CHARS:
            platform = None
        return cls(name, mode, sw, platform)


S = TypeVar("S")


class CameraRegistry(Generic[S]):
    """The served cameras (`S`: the service's per-camera state) and what waits for the others."""

    def __init__(
        self,
        make: Callable[[str], S],
        max_cameras: int = 64,
        allow: frozenset[str] | None = None,
        forget_after: float = 7 * 24 * 3600.0,
        counters: Counter[str] | None = None,
        bad: RateLimitedLog | None = None,
    ) -> None:
        self.make = make
        self.max_cameras = max_cameras
        self.allow = allow
        self.forget_after = forget_after
        self.counters = counters if counters is not None else Counter()
        self.bad = bad or RateLimitedLog(log, interval=10.0)
        self.cameras: dict[str, S] = {}
        self._pending: OrderedDict[str, dict[str, mqtt.MQTTMessage]] = OrderedDict()
        self._pending_bytes = 0
        self.offline_since: dict[str, float] = {}
        self.last_frame: dict[str, float] = {}
        # Removed in Home Assistant (a `forget`): not served again until they announce live.
        self.forgotten: OrderedDict[str, float] = OrderedDict()

    def get(self, cam: str) -> S | None:
        return self.cameras.get(cam)

    def values(self) -> list[S]:
        return list(self.cameras.values())

    def admit(self, cam: str) -> tuple[S | None, list[mqtt.MQTTMessage]]:
        """Serve `cam` (announced or allowed): its state, and the retained messages held for it."""
        state = self.cameras.get(cam)
        if state is not None:
            return state, []
        if self.allow is not None and cam not in self.allow:
            self.counters["not_allowed"] += 1
            self.bad.warning(f"allow:{cam}", "%s: not in the allowed cameras; not served", cam)
            return None, []
        if len(self.cameras) >= self.max_cameras:
            self.counters["camera_cap"] += 1
            self.bad.warning(
                "camera_cap",
                "%s: not served: this instance serves %d cameras already (max_cameras)",
                cam,
                self.max_cameras,
            )
            return None, []
        state = self.cameras[cam] = self.make(cam)
        held = self._pending.pop(cam, {})
        self._pending_bytes -= sum(len(m.payload) for m in held.values())
        log.info("%s: served from now on (%d camera(s))", cam, len(self.cameras))
        return state, list(held.values())

    def allowed(self, cam: str) -> bool:
        """Named by the allow-list: served without an announce."""
        return self.allow is not None and cam in self.allow

    def hold(self, cam: str, rest: str, msg: mqtt.MQTTMessage) -> None:
        """Retained state of a camera that has not announced (yet): kept, within bounds."""
        if cam in self.forgotten:
            if rest == "frame":
                self.counters["unannounced"] += 1
                self.bad.warning(
                    "forgotten_frame",
                    "ignoring frames of %r: it was removed in Home Assistant; restart the camera to offer it again",
                    cam,
                )
            return  # what is left of a removed camera (the forget empties it): not kept
        key = "person/+" if rest.startswith("person/") else rest
        if key not in RETAINED_STATE or not msg.retain:
            self.unannounced(cam, rest)
            return
        held = self._pending.setdefault(cam, {})
        self._pending.move_to_end(cam)
        old = held.pop(rest, None)
        self._pending_bytes += len(msg.payload) - (len(old.payload) if old is not None else 0)
        held[rest] = msg
        while self._pending_bytes > MAX_PENDING_BYTES and self._pending:
            _, dropped = self._pending.popitem(last=False)
            self._pending_bytes -= sum(len(m.payload) for m in dropped.values())
            self.counters["pending_dropped"] += 1

    def unannounced(self, cam: str, rest: str) -> None:
        self.counters["unannounced"] += 1
        self.bad.warning(
            "unannounced",
            "ignoring %s for %r: the camera has not announced itself (docs/mqtt.md, announce)",
            rest,
            cam,
        )

    def availability(self, cam: str, payload: bytes | bytearray) -> None:
        if cam not in self.cameras:
            return
        state = payload.strip().decode("ascii", "replace")
        if state == OFFLINE:
            self.offline_since.setdefault(cam, time.time())
        elif state == ONLINE:
            self.offline_since.pop(cam, None)

    def frame(self, cam: str, now: float) -> None:
        self.last_frame[cam] = now
        self.offline_since.pop(cam, None)  # sending frames: whatever its will said, it is there

    def gone(self, now: float) -> list[str]:
        """Cameras offline, without a frame, for `forget_after`."""
        return [
            cam
            for cam, since in self.offline_since.items()
            if now - max(since, self.last_frame.get(cam, 0.0)) >= self.forget_after
        ]

    def removed(self, cam: str) -> None:
        """Removed in Home Assistant: remembered (bounded), what was held for it dropped."""
        self.forgotten[cam] = time.time()
        self.forgotten.move_to_end(cam)
        while len(self.forgotten) > MAX_FORGOTTEN:
            self.forgotten.popitem(last=False)
        held = self._pending.pop(cam, {})
        self._pending_bytes -= sum(len(m.payload) for m in held.values())

    def is_removed(self, cam: str) -> bool:
        return cam in self.forgotten

    def unremove(self, cam: str) -> bool:
        """It announced itself again (or its marker was cleared): True when it had been removed."""
        return self.forgotten.pop(cam, None) is not None

    def forget(self, cam: str) -> S | None:
        self.offline_since.pop(cam, None)
        self.last_frame.pop(cam, None)
        return self.cameras.pop(cam, None)
