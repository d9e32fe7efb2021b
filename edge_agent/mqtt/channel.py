"""One camera's MQTT channel: everything a detection service says and hears about a camera.

listen_frame (one channel per dumb camera it serves) and the smart camera (one channel for
itself) differ only in where frames come from and how detection runs; what they publish and
how they answer commands lives here, once:

- the ROI set: parse, refuse (older versions included, with the reason), apply, acknowledge;
- the detection switch: command with request id, retained state adopted at start and
  published from the moment the camera is served;
- debounced person states (retained; republished unchanged only to confirm them every
  `state_heartbeat` seconds for HA's `expire_after`, and after a reconnect, when the broker may
  have lost them) and `arrival` events, one per real OFF -> ON;
- the person count HA shows (`PersonCount`: held, quiet while people stay);
- the last-person snapshot: at the start of a visit, then at most every `snapshot_interval`;
- Home Assistant discovery (stale region entities removed, republished on HA's birth);
- forgetting: the camera removed in HA (docs/mqtt.md, forget): every retained topic emptied,
  nothing published any more; the camera-wide trigger's discovery config emptied by someone else
  (HA deleting the MQTT device) is reported to the service (`ChannelHooks.removed_in_ha`).

A service routes its topics to these handlers with a `TopicRouter` table (mqtt/routing.py).

Several listen_frame instances (docs/listen_frame.md): all keep the debounced state, only the
owner (`ChannelHooks.owner`) publishes; a new owner publishes only what differs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import paho.mqtt.client as mqtt

from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.person_state import PersonCount, PersonTracker
from edge_agent.detect.rois import RoiError, RoiSet, parse_roi_set
from edge_agent.ids import MAX_ROIS
from edge_agent.mqtt.discovery import DiscoveryPublisher, StatsSensor, camera_discovery
from edge_agent.mqtt.messages import SwitchState, arrival_json, claimed_version, older_set_error, rois_ack
from edge_agent.mqtt.publisher import Publisher
from edge_agent.mqtt.switch import Switch
from edge_agent.mqtt.topics import OFF, ON, Topics
from edge_agent.ratelimit import RateLimitedLog

log = logging.getLogger(__name__)

# A snapshot taken just before the state went ON still shows the visit's start; an older one not.
CANDIDATE_MAX_AGE = 10.0


@dataclass(frozen=True)
class ChannelSettings:
    """What a service decides for all its channels."""

    topics: Topics
    service_id: str  # "listen_frame/<instance>" or "camera/<cam>": who answers
    discovery_prefix: str | None = "homeassistant"  # None: no HA discovery
    snapshot_interval: float = 30.0
    max_rois: int = MAX_ROIS  # regions an ROI set may have (each becomes entities in HA)
    discovery_model: str = "camera with listen_frame"
    discovery_sw_version: str | None = None
    discovery_extra_sensors: tuple[StatsSensor, ...] = ()
    # The service's own availability topic (listen_frame's, or the smart camera's): the person
    # sensors do not follow it. They expire instead, PERSON_EXPIRES_AFTER heartbeats after the last
    # confirmation of their state, so that a restart of the service does not take them through
    # `unavailable` (HA's core "occupied" trigger fires on unavailable -> on).
    own_availability: str | None = None
    state_heartbeat: float = 20.0  # person states republished (retained, unchanged) this often


# A person sensor expires (HA's `expire_after`) after this many heartbeats without its state.
PERSON_EXPIRES_AFTER = 3


@dataclass
class ChannelHooks:
    """What the service does beside the channel's own work (all optional).

    `apply_rois(roi_set)` returns True when the set is in force now (acknowledged at once), False
    when the service acknowledges it later with `ack_rois` (the smart camera's detector process).
    """

    apply_rois: Callable[[RoiSet], bool] | None = None
    on_detection: Callable[[bool], None] | None = None
    on_person: Callable[[str | None, bool, float], None] | None = None
    availability_topics: Callable[[], list[str]] | None = None
    name: Callable[[], str | None] | None = None
    sw_version: Callable[[], str | None] | None = None
    # Several instances: whether this one speaks for the camera now (None: always), and who
    # publishes the acknowledgement `ack(version, ok, error, active_version)` (None: the channel).
    owner: Callable[[], bool] | None = None
    ack: Callable[[int | None, bool, str | None, int], None] | None = None
    # HA emptied the discovery config of the camera-wide trigger that this channel published:
    # its device was deleted there (the service then publishes a `forget`).
    removed_in_ha: Callable[[], object] | None = None
    # Whether this service answers the camera's commands (None: always). listen_frame does not
    # for a smart camera, which answers its own detection switch and ROI sets: it follows them
    # quietly (for a camera turning dumb again), so a retained state topic has one publisher.
    answers: Callable[[], bool] | None = None


class CameraChannel:
    # `<base>/<cam>/<rest>` -> the method that answers it, for the topics every detection
    # service hears the same way (a service adds its own: frames, the stream switch …).
    ROUTES: ClassVar[dict[str, str]] = {
        "rois": "on_rois",
        "detection/set": "on_detection_set",
        "detection/state": "on_detection_state",
        "person": "on_person_state",
        "person/+": "on_person_state",
    }

    def __init__(
        self,
        mqtt_client: Publisher,
        cam: str,
        settings: ChannelSettings,
        roi_set: RoiSet,
        hooks: ChannelHooks | None = None,
        bad: RateLimitedLog | None = None,
    ) -> None:
        self.mqtt = mqtt_client
        self.cam = cam
        self.settings = settings
        self.topics = settings.topics
        self.hooks = hooks or ChannelHooks()
        self.bad = bad or RateLimitedLog(log, interval=10.0)
        self.lock = threading.RLock()
        self.roi_set = roi_set
        self.tracker = PersonTracker(roi_set.detection, [r.id for r in roi_set.rois])
        self.counters: Counter[str] = Counter()
        self.detection_switch = Switch(
            "detection",
            mqtt_client,
            self.topics.detection_state(cam),
            on_change=self._detection_changed,
            extra={"service": settings.service_id},
            bad=self.bad,
            counters=self.counters,
            label=cam,
        )
        self.settled = False  # the retained state was read and ours published
        self.forgotten = False  # removed in Home Assistant: nothing is published any more
        self.published: dict[str | None, bool] = {}  # person states as the broker has them
        self.count = PersonCount()  # the person count HA shows (quiet while people stay)
        self.heartbeat_at: float | None = None  # the person states last confirmed (None: due)
        self.published_count: int | None = None  # as the broker has it (None: not known)
        self.last_snapshot = 0.0  # when the current visit's last snapshot was published
        self.visit_snapshot = False  # the current visit has its snapshot
        self._candidate: tuple[bytes, float] | None = None
        self.discovery = (
            DiscoveryPublisher(settings.discovery_prefix, cam) if settings.discovery_prefix else None
        )

    # ---- ROI sets --------------------------------------------------------------------------

    def on_rois(self, msg: mqtt.MQTTMessage) -> None:
        payload = msg.payload
        if not payload:
            log.info(
                "%s: the retained ROI set was cleared; keeping version %d", self.cam, self.roi_set.version
            )
            return
        try:
            new = parse_roi_set(payload, max_rois=self.settings.max_rois)
        except RoiError as err:
            self.counters["bad_rois"] += 1
            self.bad.warning(
                f"rois:{self.cam}",
                "%s: refused the ROI set: %s (keeping version %d)",
                self.cam,
                err,
                self.roi_set.version,
            )
            self.ack_rois(claimed_version(payload), ok=False, error=str(err))
            return
        if new.version < self.roi_set.version:
            # Said, not just ignored: HA then shows why its set is not in force.
            error = older_set_error(new.version, self.roi_set.version)
            log.info("%s: refused the ROI set: %s", self.cam, error)
            self.ack_rois(new.version, ok=False, error=error)
            return
        unchanged = new.to_json() == self.roi_set.to_json()
        with self.lock:
            self.roi_set = new
            self.tracker.reconfigure(new.detection, [r.id for r in new.rois])
            states = self.tracker.states()
        in_force = self.hooks.apply_rois(new) if self.hooks.apply_rois else True
        if not unchanged:
            log.info("%s: ROI set version %d (%d region(s))", self.cam, new.version, len(new.rois))
        if in_force:
            self.ack_rois(new.version, ok=True)
        with self.lock:  # regions that are gone are forgotten
            for key in [k for k in self.published if k is not None and k not in states]:
                del self.published[key]
        if self.settled:  # before that, settle() publishes whatever our retained state lacks
            # Regions that are new get a state at once; unchanged ones are not republished.
            self._publish_states({k: v for k, v in states.items() if k not in self.published}, arrivals=False)
            self.publish_discovery()

    def ack_rois(self, version: int | None, ok: bool, error: str | None = None) -> None:
        if self.forgotten or not self.answers():
            return
        if self.hooks.ack:
            self.hooks.ack(version, ok, error, self.roi_set.version)
            return
        payload = rois_ack(version, ok, error, self.roi_set.version, self.settings.service_id)
        self.mqtt.publish(self.topics.rois_applied(self.cam), payload, qos=1, retain=True)

    # ---- the detection switch --------------------------------------------------------------

    @property
    def detection(self) -> SwitchState:
        return self.detection_switch.state

    def on_detection_set(self, msg: mqtt.MQTTMessage) -> None:
        self.detection_switch.on_set(msg, answer=self.answers())

    def on_detection_state(self, msg: mqtt.MQTTMessage) -> None:
        self.detection_switch.on_state(msg)

    def on_person_state(self, msg: mqtt.MQTTMessage) -> None:
        """A person state on the broker: ours from before a restart, or the owner's.

        A person still in view after a restart keeps the state ON (no second arrival); one who
        left is cleared `clear_after` later, as if the service had never stopped. While another
        instance owns the camera, `published` follows what it publishes and the debouncer is
        brought to the same state, so that taking over publishes only real differences.
        """
        owner = self.is_owner()
        if owner and (not msg.retain or self.settled):
            return  # our own messages coming back, or a copy from before we settled
        rest = self.topics.split(msg.topic)
        if rest is None:
            return
        roi = rest[1].partition("/")[2] or None
        state = msg.payload.strip().upper()
        if state not in (ON.encode(), OFF.encode()):
            return
        with self.lock:
            if roi is not None and roi not in self.tracker.roi_ids:
                return
            on = state == ON.encode()
            self.published[roi] = on
            if on:
                self.tracker.seed(roi, time.time())
            elif not owner:
                self.tracker.clear(roi)

    def _detection_changed(self, state: SwitchState) -> None:
        changes: dict[str | None, bool] = {}
        if not state.on:  # nobody is watching any more: every person sensor goes off now
            with self.lock:
                changes = {k: False for k, v in self.tracker.states().items() if v}
                self.tracker = PersonTracker(self.roi_set.detection, [r.id for r in self.roi_set.rois])
                self.count.reset()
        if self.hooks.on_detection:
            self.hooks.on_detection(state.on)
        self._publish_states(changes)
        self._publish_count()

    # ---- life cycle ------------------------------------------------------------------------

    def is_owner(self) -> bool:
        return self.hooks.owner() if self.hooks.owner else True

    def answers(self) -> bool:
        return self.hooks.answers() if self.hooks.answers else True

    def settle(self) -> None:
        """The retained state has been read: from now on, the camera's state is ours to publish."""
        with self.lock:
            if self.settled:
                return
            self.settled = True
        self.detection_switch.settle()
        self._publish_differences()
        self.publish_discovery()

    def take_over(self) -> None:
        """Just became the camera's owner: what differs (the debouncer had every instance's
        detections and follows the published states: no second ON, no OFF), and discovery."""
        if not self.settled:
            return  # settle() will do it
        self._publish_differences()
        self.publish_discovery()

    def _publish_differences(self) -> None:
        """States the broker does not have: never published (no arrival), or different."""
        with self.lock:
            states = self.tracker.states()
            self.count.decide(bool(states.get(None)), time.time())
            new = {k: v for k, v in states.items() if k not in self.published}
            changed = {k: v for k, v in states.items() if k in self.published and self.published[k] != v}
        self._publish_states(new, arrivals=False)
        self._publish_states(changed)
        self._publish_count()
        self.heartbeat_at = None  # and what was already there confirmed at the next tick

    def reconnected(self, resync: bool = False) -> None:
        """A new connection: the broker may have lost our retained state, so all of it again.
        `resync` (other instances live, our debouncer missed their detections): read the states
        back first, as at start; settle() (called by the service) publishes only what differs."""
        if not self.settled or self.forgotten:
            return
        with self.lock:
            states = self.tracker.states()
            self.published.clear()
            self.published_count = None
            self.heartbeat_at = None
            if resync:
                self.settled = False
        if self.discovery is not None:
            self.discovery.reconnected()
        if resync:
            return
        self.detection_switch.publish()
        self._publish_states(states, arrivals=False)
        self._publish_count()
        self.publish_discovery()

    # ---- detections and person states ------------------------------------------------------

    def update(self, objects: Sequence[DetectedObject], now: float) -> None:
        """One analysed frame's filtered objects."""
        if not self.detection.on:
            return  # switched off while the frame was analysed
        persons = sum(1 for o in objects if o.label == "person")
        with self.lock:
            changes = self.tracker.update(objects, now)
            self.count.update(persons, bool(self.tracker.states().get(None)), now)
        if changes:
            self._publish_states(changes, persons=persons, now=now)
        self._publish_count()

    def tick(self, now: float) -> None:
        """Time passing: states whose person left `clear_after` ago go off; the count's period."""
        with self.lock:
            changes = self.tracker.tick(now)
            self.count.decide(bool(self.tracker.states().get(None)), now)
        self._publish_states(changes, now=now)
        self._publish_count()
        self._heartbeat(now)

    def _heartbeat(self, now: float) -> None:
        """The person states as the broker has them, again every `state_heartbeat` seconds (and
        right after settling): their HA sensors expire without it (`expire_after`)."""
        interval = self.settings.state_heartbeat
        if interval <= 0 or (self.heartbeat_at is not None and now - self.heartbeat_at < interval):
            return
        with self.lock:
            if not self.settled or self.forgotten or not self.is_owner():
                return
            self.heartbeat_at = now
            states = dict(self.published)
        for roi, on in states.items():
            self.mqtt.publish(self.topics.person(self.cam, roi), ON if on else OFF, qos=1, retain=True)

    def person_on(self, roi: str | None = None) -> bool:
        with self.lock:
            return bool(self.tracker.states().get(roi))

    def _publish_count(self) -> None:
        """The person count (`PersonCount`), retained, when the broker's copy differs; by whoever
        publishes the person states (the owner, once settled)."""
        with self.lock:
            value = self.count.value
            if value is None or value == self.published_count or not self.settled or self.forgotten:
                return
            if not self.is_owner():
                return
            self.published_count = value
        self.mqtt.publish(self.topics.person_count(self.cam), str(value), qos=1, retain=True)

    def _publish_states(
        self,
        changes: dict[str | None, bool],
        arrivals: bool = True,
        persons: int = 0,
        now: float | None = None,
    ) -> None:
        now = time.time() if now is None else now
        if self.forgotten:
            return
        if changes and self.hooks.owner is not None and not (self.settled and self.hooks.owner()):
            # listen_frame: the owner publishes, once it has read the broker's state (settle());
            # the others keep `published` up to date in on_person_state()
            return
        for roi, on in changes.items():
            with self.lock:
                if self.published.get(roi) == on:
                    continue  # unchanged: a retained copy is there already
                self.published[roi] = on
            self.mqtt.publish(self.topics.person(self.cam, roi), ON if on else OFF, qos=1, retain=True)
            if arrivals and on:  # OFF (or never published) -> ON: a real arrival
                self.mqtt.publish(
                    self.topics.arrival(self.cam, roi),
                    arrival_json(self.cam, roi, persons, self.settings.service_id, now),
                    qos=1,
                )
                self.counters["arrivals"] += 1
            if roi is None:
                self._visit_changed(on, now)
            if self.hooks.on_person:
                self.hooks.on_person(roi, on, now)

    # ---- snapshots -------------------------------------------------------------------------

    def want_snapshot(self, now: float) -> bool:
        """Whether a frame analysed now should come back with a drawn snapshot."""
        if not self.is_owner():
            return False  # only the owner publishes snapshots: no drawing for nothing
        with self.lock:
            if not self.tracker.states().get(None):
                return True  # a visit may be starting: its first picture is the one to keep
            return not self.visit_snapshot or now - self.last_snapshot >= self.settings.snapshot_interval

    def offer_snapshot(self, jpeg: bytes, now: float) -> None:
        """A drawn frame with a person: published at a visit's start and every snapshot_interval."""
        with self.lock:
            on = bool(self.tracker.states().get(None))
            if not on:
                self._candidate = (jpeg, now)
                return
            due = not self.visit_snapshot or now - self.last_snapshot >= self.settings.snapshot_interval
            if due:
                self.visit_snapshot, self.last_snapshot = True, now
        if due:
            self._publish_snapshot(jpeg)

    def _visit_changed(self, on: bool, now: float) -> None:
        with self.lock:
            candidate, self._candidate = self._candidate, None
            self.visit_snapshot = False
            if not on or candidate is None or now - candidate[1] > CANDIDATE_MAX_AGE:
                return
            self.visit_snapshot, self.last_snapshot = True, now
        self._publish_snapshot(candidate[0])

    def _publish_snapshot(self, jpeg: bytes) -> None:
        if self.forgotten:
            return
        self.counters["snapshots"] += 1
        self.mqtt.publish(self.topics.snapshot(self.cam), jpeg, qos=1, retain=True)

    # ---- discovery -------------------------------------------------------------------------

    def publish_discovery(self) -> None:
        if self.discovery is None or not self.settled or self.forgotten or not self.is_owner():
            return
        self.discovery.publish(self.mqtt, self._discovery_configs())

    def _discovery_configs(self) -> dict[str, dict[str, Any]]:
        s = self.settings
        with self.lock:
            roi_set = self.roi_set
        availability = (
            self.hooks.availability_topics()
            if self.hooks.availability_topics
            else [self.topics.availability(self.cam)]
        )
        expire_after = None
        if s.state_heartbeat > 0:
            expire_after = max(1, round(s.state_heartbeat * PERSON_EXPIRES_AFTER))
        return camera_discovery(
            self.topics,
            self.cam,
            self.hooks.name() if self.hooks.name else None,
            roi_set,
            availability,
            prefix=s.discovery_prefix or "homeassistant",
            model=s.discovery_model,
            sw_version=self.hooks.sw_version() if self.hooks.sw_version else s.discovery_sw_version,
            extra_sensors=s.discovery_extra_sensors,
            own_availability=s.own_availability,
            person_expire_after=expire_after,
        )

    def remove_discovery(self) -> None:
        """The camera is gone for good: every discovery config it has (or had) is emptied."""
        if self.discovery is None or not self.is_owner():
            return  # the owner removes them (every instance forgets the camera at about the same time)
        self.discovery.publish(self.mqtt, {})  # empties what this run published
        for topic in self._discovery_configs():  # and what an earlier run may have left
            self.mqtt.publish(topic, b"", qos=1, retain=True)

    def forget(self, extra_topics: Sequence[str] = ()) -> None:
        """Removed in Home Assistant (docs/mqtt.md, forget): every retained topic of the camera
        this channel publishes is emptied (`extra_topics` too), and nothing is published any more.

        Whoever owns the camera: every instance forgets, and emptying a topic twice is harmless.
        """
        with self.lock:
            if self.forgotten:
                return
            self.forgotten = True
            rois = {r.id for r in self.roi_set.rois} | {k for k in self.published if k is not None}
        t, cam = self.topics, self.cam
        topics = [t.person(cam), *(t.person(cam, roi) for roi in sorted(rois)), t.person_count(cam)]
        topics += [t.detection_state(cam), t.snapshot(cam), t.rois_applied(cam), *extra_topics]
        if self.discovery is not None:
            # What this run published, and what an earlier run may have left for the regions in force.
            topics += sorted(self.discovery.forget() | set(self._discovery_configs()))
        for topic in topics:
            self.mqtt.publish(topic, b"", qos=1, retain=True)
        log.info("%s: forgotten: %d retained topics emptied", cam, len(topics))

    def on_discovery_config(self, msg: mqtt.MQTTMessage) -> None:
        """A discovery config of this camera: a retained one whose region is gone is removed; the
        camera-wide trigger's, emptied by someone else, means HA deleted the device."""
        if self.discovery is None or self.forgotten:
            return
        if not msg.payload:
            # Not retained (an empty retained message is never stored, so it is live), and a
            # config we publish: emptied by HA's MQTT integration when the user deleted the
            # device (homeassistant/components/mqtt/entity.py, _async_device_removed). We never
            # empty it ourselves except when forgetting (then it is no longer ours).
            if (
                not msg.retain
                and self.hooks.removed_in_ha is not None
                and msg.topic == self.discovery.trigger_config
                and self.discovery.has(msg.topic)
                and self.is_owner()  # an earlier owner may see the owner forget it after `forget_after`
            ):
                log.warning("%s: its device was deleted in Home Assistant: forgetting the camera", self.cam)
                self.hooks.removed_in_ha()
            return
        if not self.is_owner():
            return
        with self.lock:
            roi_ids = [r.id for r in self.roi_set.rois]
        self.discovery.on_config(self.mqtt, msg.topic, msg.payload, roi_ids)
