"""Home Assistant MQTT discovery for a camera served by a detection service (docs/mqtt.md).

One HA device per camera (`bobby_<cam>`); the same entities whoever does the detection
(listen_frame for a dumb camera, the camera itself in smart mode), so HA cannot tell them apart.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edge_agent import __version__
from edge_agent.detect.rois import RoiSet
from edge_agent.mqtt.topics import OFF, ON, Topics

if TYPE_CHECKING:
    from edge_agent.mqtt.publisher import Publisher

log = logging.getLogger(__name__)

ORIGIN = {
    "name": "bobby-edge",
    "sw_version": __version__,
    "support_url": "https://github.com/bobby-camera/bobby-camera",
}


@dataclass(frozen=True)
class StatsSensor:
    """A diagnostic sensor that reads `value_json.<field>` from `bobby/<cam>/stats`."""

    object_id: str
    name: str
    field: str
    # More HA keys: unit_of_measurement, icon, … (dataclasses.field: `field` is an attribute here)
    config: dict[str, Any] = dataclasses.field(default_factory=dict)


# What only a smart camera knows: its capture rate and the state of its recording.
SMART_CAMERA_SENSORS = (
    StatsSensor(
        "capture_fps",
        "Capture frames per second",
        "capture_fps",
        {"unit_of_measurement": "fps", "state_class": "measurement"},
    ),
    StatsSensor("recording", "Recording", "recording_state", {"icon": "mdi:record-rec"}),
)


# The "Person visit" event entity (docs/mqtt.md, events): `start` and `end` fire `started` and
# `ended` with the message's fields as attributes; `update` renders empty, which HA's MQTT event
# ignores without a warning (homeassistant/components/mqtt/event.py: an empty rendered payload).
VISIT_EVENT_TYPES = {"start": "started", "end": "ended"}
VISIT_TEMPLATE = (
    "{% set types = " + json.dumps(VISIT_EVENT_TYPES).replace('"', "'") + " %}"
    "{% if value_json is defined and value_json is mapping and value_json.type in types %}"
    "{{ combine(value_json, {'event_type': types[value_json.type]}) | to_json }}"
    "{% endif %}"
)


def device_id(cam: str) -> str:
    return f"bobby_{cam}"


def config_topic(prefix: str, component: str, cam: str, object_id: str) -> str:
    return f"{prefix}/{component}/{device_id(cam)}/{object_id}/config"


def roi_object_ids(roi_id: str) -> tuple[tuple[str, str], ...]:
    """The (component, object id) pairs that exist once per ROI."""
    return (("binary_sensor", f"person_{roi_id}"), ("device_automation", f"person_detected_{roi_id}"))


def camera_discovery(
    topics: Topics,
    cam: str,
    name: str | None,
    roi_set: RoiSet,
    availability_topics: Iterable[str],
    *,
    prefix: str = "homeassistant",
    model: str = "camera with listen_frame",
    sw_version: str | None = None,
    extra_sensors: Iterable[StatsSensor] = (),
    own_availability: str | None = None,
    person_expire_after: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Every discovery config of one camera: {config topic: payload}.

    `person_expire_after` (seconds): the person sensors expire (HA's `expire_after`) that long
    after their state was last confirmed (the publisher republishes it more often) instead of
    following `own_availability`, the publisher's own availability topic. A restart of the
    publisher then leaves them on or off, not `unavailable` in between: HA's core "occupied"
    trigger fires on unavailable -> on (docs/home-assistant.md, the trigger to use).

    `extra_sensors`: diagnostic sensors on `stats` that only this publisher has (the smart
    camera's capture rate and recording state).
    """
    availability_topics = list(availability_topics)
    device = {
        "identifiers": [device_id(cam)],
        "name": name or cam,
        "manufacturer": "Bobby Camera",
        "model": model,
    }
    if sw_version:
        device["sw_version"] = sw_version
    base = {
        "device": device,
        "origin": ORIGIN,
        "availability": [{"topic": t} for t in availability_topics],
        "availability_mode": "all",
    }
    stats = topics.stats(cam)

    def entity(component: str, object_id: str, **config: Any) -> None:
        payload = {
            **base,
            "unique_id": f"{device_id(cam)}_{object_id}",
            "object_id": f"{cam}_{object_id}",
            **config,
        }
        # A key given as None is left out.
        configs[config_topic(prefix, component, cam, object_id)] = {
            k: v for k, v in payload.items() if v is not None
        }

    def person(roi_id: str | None, name: str, trigger: str) -> None:
        """The occupancy sensor and the "person detected" trigger of the camera or one region."""
        suffix = f"_{roi_id}" if roi_id else ""
        entity(
            "binary_sensor",
            f"person{suffix}",
            name=name,
            state_topic=topics.person(cam, roi_id),
            payload_on=ON,
            payload_off=OFF,
            device_class="occupancy",
            # A person, not the house the occupancy class would show.
            icon="mdi:account",
            **person_extra,
        )
        # The trigger listens to the non-retained arrival topic: one message per real OFF -> ON,
        # so it never fires on a retained copy (a new subscription, an HA or broker restart).
        # HA's editor shows `type` as it is when `subtype` is empty: "Person detected in Driveway".
        configs[config_topic(prefix, "device_automation", cam, f"person_detected{suffix}")] = {
            "automation_type": "trigger",
            "topic": topics.arrival(cam, roi_id),
            "type": trigger,
            "subtype": "",
            "device": device,
            "origin": ORIGIN,
        }

    def diagnostic(object_id: str, name: str, field: str, **config: Any) -> None:
        entity(
            "sensor",
            object_id,
            name=name,
            state_topic=stats,
            value_template=f"{{{{ value_json.{field} }}}}",
            entity_category="diagnostic",
            **config,
        )

    person_extra: dict[str, Any] = {}
    if person_expire_after:
        person_extra["expire_after"] = person_expire_after
        wanted = [t for t in availability_topics if t != own_availability]
        person_extra["availability"] = [{"topic": t} for t in wanted]
        if not wanted:  # none (a smart camera: the service is the camera): no availability at all
            person_extra["availability"] = person_extra["availability_mode"] = None

    configs: dict[str, dict[str, Any]] = {}
    person(None, "Person", "Person detected")
    for roi in roi_set.rois:
        person(roi.id, f"Person in {roi.name}", f"Person detected in {roi.name}")
    entity(
        "sensor",
        "person_count",
        name="Person count",
        # Not `detections` (every analysed frame): the held count, quiet while people stay.
        state_topic=topics.person_count(cam),
        state_class="measurement",
        icon="mdi:account-group",
    )
    entity(
        "switch",
        "detection",
        name="Detection",
        command_topic=topics.detection_set(cam),
        state_topic=topics.detection_state(cam),
        value_template="{{ value_json.state }}",
        payload_on=ON,
        payload_off=OFF,
        state_on=ON,
        state_off=OFF,
        qos=1,
        icon="mdi:cctv",
    )
    entity(
        "image",
        "last_person",
        # Short enough not to be cut on HA's device page ("Last pers…"); the entity id keeps last_person.
        name="Snapshot",
        image_topic=topics.snapshot(cam),
        content_type="image/jpeg",
    )
    entity(
        "event",
        "visit",
        name="Person visit",
        state_topic=topics.event(cam),
        event_types=list(VISIT_EVENT_TYPES.values()),
        value_template=VISIT_TEMPLATE,
        icon="mdi:walk",
    )
    diagnostic(
        "analysed_fps",
        "Analysed frames per second",
        "analysed_fps",
        unit_of_measurement="fps",
        state_class="measurement",
        icon="mdi:speedometer",
    )
    diagnostic(
        "inference_ms",
        "Inference time",
        "inference_ms",
        unit_of_measurement="ms",
        device_class="duration",
        state_class="measurement",
    )
    diagnostic(
        "dropped_frames", "Dropped frames", "dropped", state_class="total_increasing", icon="mdi:image-off"
    )
    for sensor in extra_sensors:
        diagnostic(sensor.object_id, sensor.name, sensor.field, **sensor.config)
    return configs


def stale_roi_config(topic: str, prefix: str, cam: str, roi_ids: Iterable[str]) -> bool:
    """True when `topic` is the discovery config of an ROI entity of `cam` not in `roi_ids`."""
    parts = topic.split("/")
    if len(parts) != prefix.count("/") + 5 or not topic.startswith(
        prefix + "/"
    ):  # prefix/comp/dev/obj/config
        return False
    component, dev, object_id = parts[-4], parts[-3], parts[-2]
    if dev != device_id(cam):
        return False
    for prefix_of in ("person_detected_", "person_"):
        if object_id.startswith(prefix_of):
            roi = object_id[len(prefix_of) :]
            if dict(roi_object_ids(roi)).get(component) == object_id:
                return roi not in set(roi_ids)
    return False


def roi_config_subscriptions(prefix: str, cam: str) -> list[str]:
    """Where the retained ROI entity configs of `cam` live (to find ones left by an older set)."""
    return [
        f"{prefix}/{component}/{device_id(cam)}/+/config"
        for component in ("binary_sensor", "device_automation")
    ]


def encode(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"))


class DiscoveryPublisher:
    """HA discovery of one camera: which configs are out there, and stale ROI entities removed.

    `publish(client, configs)` publishes every config, empties the ones the last call had and this
    one has not, and (once per connection) subscribes to the camera's ROI entity configs, whose
    retained copies come back to `on_config()`, which removes those of regions no longer in force.
    `client` is anything with `publish(topic, payload, qos, retain)` and `subscribe(topic, qos)`.
    """

    def __init__(self, prefix: str, cam: str) -> None:
        self.prefix = prefix
        self.cam = cam
        self.topics: set[str] = set()
        self.subscribed = False
        self._lock = threading.Lock()

    @property
    def published(self) -> bool:
        return bool(self.topics)

    @property
    def trigger_config(self) -> str:
        """The camera-wide "person detected" trigger's config. HA's MQTT integration empties a
        trigger's config only when its device is deleted (an entity's also when the user deletes
        that one entity): the sign that the user removed the camera in HA."""
        return config_topic(self.prefix, "device_automation", self.cam, "person_detected")

    def has(self, topic: str) -> bool:
        with self._lock:
            return topic in self.topics

    def forget(self) -> set[str]:
        """The camera is forgotten: the topics published so far (to be emptied), none from now on."""
        with self._lock:
            topics, self.topics = self.topics, set()
            return topics

    def reconnected(self) -> None:
        """The broker may have lost our subscriptions: subscribe again at the next publish."""
        self.subscribed = False

    def publish(self, client: Publisher, configs: dict[str, dict[str, Any]]) -> None:
        with self._lock:
            removed = self.topics - set(configs)
            self.topics = set(configs)
            subscribe, self.subscribed = not self.subscribed, True
        for topic, payload in configs.items():
            client.publish(topic, encode(payload), qos=1, retain=True)
        for topic in removed:
            client.publish(topic, b"", qos=1, retain=True)
        if subscribe:
            for topic in roi_config_subscriptions(self.prefix, self.cam):
                client.subscribe(topic, 1)

    def on_config(
        self, client: Publisher, topic: str, payload: bytes | bytearray, roi_ids: Iterable[str]
    ) -> bool:
        """A retained config of ours came back: empty it if its region is gone. True when removed."""
        if not payload or topic in self.topics:
            return False
        if not stale_roi_config(topic, self.prefix, self.cam, roi_ids):
            return False
        log.info("%s: removing the discovery of a region that no longer exists: %s", self.cam, topic)
        client.publish(topic, b"", qos=1, retain=True)
        return True
