"""Every discovery payload the detection services publish, checked by Home Assistant itself:
its platform schemas (strictly: no key HA would silently drop) and its MQTT discovery, which must
make the entities on one device per camera."""

from __future__ import annotations

import importlib
import json
from datetime import timedelta
from typing import Any

import pytest
import voluptuous as vol
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.mqtt.schemas import MQTT_ORIGIN_INFO_SCHEMA
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import async_fire_mqtt_message, async_fire_time_changed

from edge_agent.detect.rois import RoiSet, parse_roi_set
from edge_agent.mqtt.channel import PERSON_EXPIRES_AFTER, ChannelSettings
from edge_agent.mqtt.discovery import SMART_CAMERA_SENSORS, camera_discovery, stale_roi_config
from edge_agent.mqtt.topics import Topics

CAM = "garden"
# As the services publish it (edge_agent/mqtt/channel.py): 3 heartbeats of 20 s.
EXPIRE_AFTER = round(ChannelSettings(Topics(), "x").state_heartbeat * PERSON_EXPIRES_AFTER)
ROIS = parse_roi_set(
    {
        "version": 2,
        "rois": [
            {"id": "driveway", "name": "Driveway", "points": [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]},
            {"id": "door", "name": "Front door", "points": [[0.1, 0.1], [0.3, 0.1], [0.2, 0.4]]},
        ],
    }
)


def payloads(roi_set: RoiSet = ROIS) -> dict[str, dict[str, Any]]:
    """What listen_frame publishes for a dumb camera."""
    topics = Topics("bobby")
    return camera_discovery(
        topics,
        CAM,
        "Garden",
        roi_set,
        [topics.availability(CAM), topics.service_availability("listen_frame", "pi4")],
        sw_version="0.1.0",
        own_availability=topics.service_availability("listen_frame", "pi4"),
        person_expire_after=EXPIRE_AFTER,
    )


def smart_payloads(roi_set: RoiSet = ROIS) -> dict[str, dict[str, Any]]:
    """What a smart camera publishes for itself (as edge_agent/camera/smart.py calls it)."""
    topics = Topics("bobby")
    return camera_discovery(
        topics,
        CAM,
        "Garden",
        roi_set,
        [topics.availability(CAM)],
        model="smart camera",
        sw_version="0.1.0",
        extra_sensors=SMART_CAMERA_SENSORS,
        own_availability=topics.availability(CAM),
        person_expire_after=EXPIRE_AFTER,
    )


ALL_PAYLOADS = {("listen_frame", t): p for t, p in payloads().items()} | {
    ("smart", t): p for t, p in smart_payloads().items()
}


def component(topic: str) -> str:
    return topic.split("/")[1]


@pytest.mark.parametrize("publisher, topic", sorted(ALL_PAYLOADS))
def test_payload_passes_home_assistant_schema(publisher: str, topic: str) -> None:
    payload = json.loads(json.dumps(ALL_PAYLOADS[publisher, topic]))  # exactly what goes on the wire
    kind = component(topic)
    MQTT_ORIGIN_INFO_SCHEMA(payload.pop("origin"))
    if kind == "device_automation":
        from homeassistant.components.mqtt import device_automation, device_trigger

        device_automation.DISCOVERY_SCHEMA(payload)
        validated = device_trigger.TRIGGER_DISCOVERY_SCHEMA(payload)
    else:
        module = importlib.import_module(f"homeassistant.components.mqtt.{kind}")
        validated = module.DISCOVERY_SCHEMA(payload)
        # DISCOVERY_SCHEMA drops unknown keys silently; the strict schema catches a misspelt one.
        strict = module.PLATFORM_SCHEMA_MODERN
        strict(payload)
    dropped = set(payload) - set(validated)
    assert not dropped, f"HA would ignore {dropped}"


def test_one_entity_set_per_roi_and_stale_regions_recognised() -> None:
    topics = set(payloads())
    assert "homeassistant/binary_sensor/bobby_garden/person_driveway/config" in topics
    assert "homeassistant/device_automation/bobby_garden/person_detected_door/config" in topics
    fewer = set(payloads(parse_roi_set({"version": 3, "rois": []})))
    assert topics - fewer == {
        "homeassistant/binary_sensor/bobby_garden/person_driveway/config",
        "homeassistant/binary_sensor/bobby_garden/person_door/config",
        "homeassistant/device_automation/bobby_garden/person_detected_driveway/config",
        "homeassistant/device_automation/bobby_garden/person_detected_door/config",
    }
    for topic in topics - fewer:
        assert stale_roi_config(topic, "homeassistant", CAM, [])
        assert not stale_roi_config(topic, "homeassistant", CAM, ["driveway", "door"])
    assert not stale_roi_config(
        "homeassistant/binary_sensor/bobby_garden/person/config", "homeassistant", CAM, []
    )
    assert not stale_roi_config(
        "homeassistant/sensor/bobby_garden/person_count/config", "homeassistant", CAM, []
    )


# The automation's MQTT trigger unsubscribes at teardown, which starts MQTT's subscription debouncer.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_home_assistant_discovers_one_device_per_camera(
    hass: HomeAssistant, mqtt_mock, freezer: FrozenDateTimeFactory
) -> None:
    for topic, payload in payloads().items():
        async_fire_mqtt_message(hass, topic, json.dumps(payload), retain=True)
    await hass.async_block_till_done()

    devices = dr.async_get(hass)
    device = devices.async_get_device(identifiers={("mqtt", "bobby_garden")})
    assert device is not None and device.name == "Garden" and device.manufacturer == "Bobby Camera"
    entities = er.async_entries_for_device(er.async_get(hass), device.id)
    by_unique = {e.unique_id: e for e in entities}
    assert set(by_unique) == {
        "bobby_garden_person",
        "bobby_garden_person_driveway",
        "bobby_garden_person_door",
        "bobby_garden_person_count",
        "bobby_garden_detection",
        "bobby_garden_last_person",
        "bobby_garden_analysed_fps",
        "bobby_garden_inference_ms",
        "bobby_garden_dropped_frames",
        "bobby_garden_visit",
    }
    assert by_unique["bobby_garden_person"].entity_id == "binary_sensor.garden_person"
    assert by_unique["bobby_garden_inference_ms"].entity_category == "diagnostic"

    # availability is the camera's and the service's
    async_fire_mqtt_message(hass, "bobby/garden/availability", "online", retain=True)
    async_fire_mqtt_message(hass, "bobby/listen_frame/pi4/availability", "online", retain=True)
    async_fire_mqtt_message(hass, "bobby/garden/person", "ON", retain=True)
    async_fire_mqtt_message(
        hass, "bobby/garden/detection/state", json.dumps({"state": "OFF", "request_id": None})
    )
    async_fire_mqtt_message(hass, "bobby/garden/person_count", "3", retain=True)
    # a frame's detections do not move the count: it is the held one (detect/person_state.py)
    async_fire_mqtt_message(hass, "bobby/garden/detections", json.dumps({"persons": 5, "objects": []}))
    async_fire_mqtt_message(
        hass, "bobby/garden/stats", json.dumps({"analysed_fps": 4.5, "inference_ms": 14.2, "dropped": 7})
    )
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.garden_person").state == "on"
    assert hass.states.get("switch.garden_detection").state == "off"
    assert hass.states.get("sensor.garden_person_count").state == "3"
    assert hass.states.get("sensor.garden_inference_ms").state == "14.2"
    # live (not retained): HA ignores a second retained copy on a topic, as after a re-subscribe
    async_fire_mqtt_message(hass, "bobby/listen_frame/pi4/availability", "offline")
    await hass.async_block_till_done()
    assert hass.states.get("sensor.garden_person_count").state == "unavailable"
    # The person sensors do not follow the service's availability (a restart of it must not take
    # them through unavailable -> on): they expire when their state is not confirmed in time.
    assert hass.states.get("binary_sensor.garden_person").state == "on"
    freezer.tick(timedelta(seconds=EXPIRE_AFTER / 2))
    async_fire_time_changed(hass)
    # The heartbeat (retained, so the broker delivers it live to those already subscribed).
    async_fire_mqtt_message(hass, "bobby/garden/person", "ON")
    await hass.async_block_till_done()
    freezer.tick(timedelta(seconds=EXPIRE_AFTER * 0.9))  # past the first message's expiry
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.garden_person").state == "on"  # confirmed in time
    freezer.tick(timedelta(seconds=EXPIRE_AFTER * 0.2))  # past the heartbeat's
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.garden_person").state == "unavailable"
    # the camera's own availability still counts (a camera that is off sees nobody)
    async_fire_mqtt_message(hass, "bobby/garden/person", "ON")
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.garden_person").state == "on"
    async_fire_mqtt_message(hass, "bobby/garden/availability", "offline")
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.garden_person").state == "unavailable"

    # the device triggers exist for the camera and each region
    from homeassistant.components.device_automation import DeviceAutomationType, async_get_device_automations

    triggers = (await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, [device.id]))[
        device.id
    ]
    # HA's editor shows `type` itself when `subtype` is empty: the names users read
    assert sorted(t["type"] for t in triggers if t["domain"] == "mqtt" and t["subtype"] == "") == [
        "Person detected",
        "Person detected in Driveway",
        "Person detected in Front door",
    ]

    # "Person detected" fires on an arrival, not on the retained person state (HA delivers
    # retained copies to every new subscription: that made automations run when nobody came)
    from homeassistant.setup import async_setup_component

    camera_trigger = next(t for t in triggers if t["domain"] == "mqtt" and t["type"] == "Person detected")
    runs: list[str] = []
    hass.bus.async_listen("bobby_test_run", lambda event: runs.append(event.data["n"]))
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": [camera_trigger],
                "actions": [{"event": "bobby_test_run", "event_data": {"n": "1"}}],
            }
        },
    )
    async_fire_mqtt_message(hass, "bobby/garden/person", "ON", retain=True)
    async_fire_mqtt_message(hass, "bobby/garden/person", "OFF")
    await hass.async_block_till_done()
    assert runs == []
    async_fire_mqtt_message(hass, "bobby/garden/arrival", json.dumps({"camera": "garden", "roi": None}))
    await hass.async_block_till_done()
    assert runs == ["1"]

    # a removed region's entity goes away when its config is emptied
    assert hass.states.get("binary_sensor.garden_person_door") is not None
    async_fire_mqtt_message(hass, "homeassistant/binary_sensor/bobby_garden/person_door/config", "")
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.garden_person_door") is None
    with pytest.raises(vol.Invalid):  # and the schema check above is not a rubber stamp
        importlib.import_module("homeassistant.components.mqtt.binary_sensor").PLATFORM_SCHEMA_MODERN(
            {"state_topic": "x", "stat_topic": "typo"}
        )


async def test_home_assistant_discovers_a_smart_camera_with_its_own_sensors(
    hass: HomeAssistant, mqtt_mock
) -> None:
    for topic, payload in smart_payloads().items():
        async_fire_mqtt_message(hass, topic, json.dumps(payload), retain=True)
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device(identifiers={("mqtt", "bobby_garden")})
    assert device is not None and device.model == "smart camera"
    unique_ids = {e.unique_id for e in er.async_entries_for_device(er.async_get(hass), device.id)}
    assert {
        "bobby_garden_person",
        "bobby_garden_detection",
        "bobby_garden_capture_fps",
        "bobby_garden_recording",
    } <= unique_ids
    assert set(smart_payloads()) - set(payloads()) == {
        "homeassistant/sensor/bobby_garden/capture_fps/config",
        "homeassistant/sensor/bobby_garden/recording/config",
    }
    async_fire_mqtt_message(hass, "bobby/garden/availability", "online", retain=True)
    async_fire_mqtt_message(
        hass, "bobby/garden/stats", json.dumps({"capture_fps": 7.9, "recording_state": "error: disk full"})
    )
    await hass.async_block_till_done()
    assert hass.states.get("sensor.garden_capture_fps").state == "7.9"
    assert hass.states.get("sensor.garden_recording").state == "error: disk full"
