"""The card's websocket commands, through HA's own websocket harness (hass_ws_client)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.bobby_camera import websocket_api as ws
from custom_components.bobby_camera.const import (
    DETECTION_DEFAULTS,
    DOMAIN,
    OPT_DETECTION,
    OPT_ROIS,
    OPT_VERSION,
)

from .conftest import announce_payload, fire, published

ROIS_TOPIC = "bobby/garden/rois"
APPLIED_TOPIC = "bobby/garden/rois/applied"
DETECTIONS_TOPIC = "bobby/garden/detections"
DOOR = {"name": "Door", "points": [[0.1, 0.1], [0.4, 0.1], [0.4, 0.9]]}
STORED_DOOR = {
    "id": "door",
    "name": "Door",
    "points": [[0.1, 0.1], [0.4, 0.1], [0.4, 0.9]],
    "labels": ["person"],
}
DETECTIONS = {
    "camera": "garden",
    "service": "listen_frame/pi4",
    "captured_at": 1763730000.01,
    "analysed_at": 1763730000.031,
    "inference_ms": 13.9,
    "size": [640, 480],
    "rois_version": 7,
    "persons": 1,
    "objects": [{"label": "person", "score": 0.87, "box": [0.41, 0.22, 0.52, 0.71], "rois": ["door"]}],
}


def _camera_entity(hass: HomeAssistant) -> str:
    entity_id = er.async_get(hass).async_get_entity_id("camera", DOMAIN, "bobby_garden_live")
    assert entity_id
    return entity_id


async def _wait_for(condition: Any, timeout: float = 5.0) -> None:
    """Let the websocket handler (a background task) run until `condition()` holds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.01)


async def test_get_config(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    entity_registry: er.EntityRegistry,
) -> None:
    """The stored set, the discovery entities of the camera and its regions, the last ack."""
    hass.config_entries.async_update_entry(
        loaded_entry, options={OPT_VERSION: 7, OPT_ROIS: [STORED_DOOR], OPT_DETECTION: {"threshold": 0.6}}
    )
    # What MQTT discovery registers (unique ids of docs/mqtt.md).
    person = entity_registry.async_get_or_create("binary_sensor", "mqtt", "bobby_garden_person")
    region = entity_registry.async_get_or_create("binary_sensor", "mqtt", "bobby_garden_person_door")
    count = entity_registry.async_get_or_create("sensor", "mqtt", "bobby_garden_person_count")
    fire(hass, "bobby/garden/announce", announce_payload(resolution=[1280, 720]))
    ack = {
        "version": 7,
        "ok": True,
        "error": None,
        "active_version": 7,
        "service": "listen_frame/pi4",
        "at": 1.0,
    }
    fire(hass, APPLIED_TOPIC, ack)
    await hass.async_block_till_done()

    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "bobby_camera/get_config", "entity_id": _camera_entity(hass)})
    msg = await client.receive_json()
    assert msg["success"], msg
    result = msg["result"]
    assert result == {
        "entry_id": loaded_entry.entry_id,
        "camera_id": "garden",
        "name": "Garden",
        "camera_entity": _camera_entity(hass),
        "person_entity": person.entity_id,
        "count_entity": count.entity_id,
        "region_entities": {"door": region.entity_id},
        "version": 7,
        "rois": [STORED_DOOR],
        # The stored settings over the integration's defaults.
        "detection": {**DETECTION_DEFAULTS, "threshold": 0.6},
        "resolution": [1280, 720],
        "last_ack": ack,
        "bad_detections": 0,
    }


async def test_get_config_without_announce_or_entities(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """Before discovery and the announce: no entities, no resolution (the card uses the picture's)."""
    fire(hass, "bobby/garden/announce", announce_payload(resolution=[640, "x"]))
    await hass.async_block_till_done()
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "bobby_camera/get_config", "entity_id": _camera_entity(hass)})
    result = (await client.receive_json())["result"]
    assert result["person_entity"] is None
    assert result["count_entity"] is None
    assert result["region_entities"] == {}
    assert result["resolution"] is None
    assert result["rois"] == []
    assert result["version"] == 0
    assert result["last_ack"] is None


async def test_unknown_and_unloaded_cameras(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    entity_registry: er.EntityRegistry,
) -> None:
    """Another integration's entity is not found; a camera whose entry is unloaded is not loaded."""
    other = entity_registry.async_get_or_create("camera", "demo", "someone_else")
    client = await hass_ws_client(hass)
    for entity_id in (other.entity_id, "camera.nothing_here"):
        await client.send_json_auto_id({"type": "bobby_camera/get_config", "entity_id": entity_id})
        msg = await client.receive_json()
        assert not msg["success"]
        assert msg["error"]["code"] == "not_found"

    camera = _camera_entity(hass)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    for command in (
        {"type": "bobby_camera/get_config", "entity_id": camera},
        {"type": "bobby_camera/subscribe_detections", "entity_id": camera},
        {"type": "bobby_camera/save_rois", "entity_id": camera, "rois": []},
    ):
        await client.send_json_auto_id(command)
        msg = await client.receive_json()
        assert msg["error"]["code"] == "not_loaded", command


async def test_subscribe_detections(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Boxes and acks are forwarded; malformed messages are dropped, counted and logged once."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "bobby_camera/subscribe_detections", "entity_id": _camera_entity(hass)}
    )
    msg = await client.receive_json()
    assert msg["success"], msg
    sub_id = msg["id"]

    fire(hass, DETECTIONS_TOPIC, DETECTIONS)
    event = await client.receive_json()
    assert event["id"] == sub_id
    assert event["event"] == {
        "detections": {
            "persons": 1,
            "objects": [
                {"label": "person", "score": 0.87, "box": [0.41, 0.22, 0.52, 0.71], "rois": ["door"]}
            ],
            "size": [640, 480],
            "analysed_at": 1763730000.031,
            "rois_version": 7,
        }
    }

    caplog.set_level(logging.WARNING)
    bad = [
        b"not json",
        b"[1, 2]",
        b"x" * (ws.MAX_DETECTIONS_BYTES + 1),
        json.dumps({**DETECTIONS, "persons": -1}),
        json.dumps({**DETECTIONS, "objects": {"a": 1}}),
        json.dumps({**DETECTIONS, "objects": [{"label": "person", "score": 2, "box": [0, 0, 1, 1]}]}),
        json.dumps({**DETECTIONS, "objects": [{"label": "person", "score": 0.5, "box": [0.5, 0, 0.2, 1]}]}),
        json.dumps({**DETECTIONS, "objects": [{"label": "person", "score": 0.5, "box": [0, 0, 1]}]}),
        json.dumps({**DETECTIONS, "objects": [{"label": "", "score": 0.5, "box": [0, 0, 1, 1]}]}),
        json.dumps(
            {**DETECTIONS, "objects": [{"label": "p", "score": 0.5, "box": [0, 0, 1, 1], "rois": ["A/B"]}]}
        ),
        json.dumps({**DETECTIONS, "objects": ["person"]}),
        json.dumps({**DETECTIONS, "objects": [{"label": "p", "score": 0.5, "box": [0, 0, "1", 1]}]}),
        # Through the one reader: nested deeper than its bound, or numbers JSON does not have.
        b"[" * 5000 + b"]" * 5000,
        b'{"persons": NaN, "objects": []}',
        b'{"persons": 1' + b"0" * 40 + b', "objects": []}',
    ]
    for payload in bad:
        fire(hass, DETECTIONS_TOPIC, payload)
    await hass.async_block_till_done()
    assert caplog.text.count("Ignoring a malformed detections message") == 1
    assert loaded_entry.runtime_data.refused[ws.BAD_DETECTIONS] == len(bad)

    # A valid message after the bad ones: no size, no times, no objects.
    fire(hass, DETECTIONS_TOPIC, {"persons": 0, "size": [0, 480], "analysed_at": True})
    event = await client.receive_json()
    assert event["event"]["detections"] == {
        "persons": 0,
        "objects": [],
        "size": None,
        "analysed_at": None,
        "rois_version": None,
    }

    # An acknowledgement reaches the card as it comes; a malformed one does not.
    fire(hass, APPLIED_TOPIC, b"{broken")
    ack = {
        "version": 8,
        "ok": False,
        "error": "roi 'door': polygon is self-intersecting",
        "service": "listen_frame/pi4",
    }
    fire(hass, APPLIED_TOPIC, ack)
    event = await client.receive_json()
    assert event["event"] == {"ack": ack}

    # The counter shows in get_config.
    await client.send_json_auto_id({"type": "bobby_camera/get_config", "entity_id": _camera_entity(hass)})
    assert (await client.receive_json())["result"]["bad_detections"] == len(bad)

    # Unsubscribed: HA's MQTT client drops our subscriptions.
    await client.send_json_auto_id({"type": "unsubscribe_events", "subscription": sub_id})
    assert (await client.receive_json())["success"]
    await hass.async_block_till_done()
    fire(hass, DETECTIONS_TOPIC, DETECTIONS)
    await client.send_json_auto_id({"type": "ping"})
    assert (await client.receive_json())["type"] == "pong"


async def test_detections_are_throttled_keeping_the_latest(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """Messages faster than MIN_FORWARD_INTERVAL are held; the newest is sent when it is over."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "bobby_camera/subscribe_detections", "entity_id": _camera_entity(hass)}
    )
    assert (await client.receive_json())["success"]
    for persons in (1, 2, 3):
        fire(hass, DETECTIONS_TOPIC, {**DETECTIONS, "persons": persons})
    await hass.async_block_till_done()
    first = await client.receive_json()
    assert first["event"]["detections"]["persons"] == 1
    # 2 was superseded by 3 before the interval was over.
    second = await asyncio.wait_for(client.receive_json(), 5)
    assert second["event"]["detections"]["persons"] == 3


async def test_unsubscribe_cancels_a_held_message(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """A held message is not sent after the card unsubscribed (no timer left behind)."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "bobby_camera/subscribe_detections", "entity_id": _camera_entity(hass)}
    )
    sub_id = (await client.receive_json())["id"]
    fire(hass, DETECTIONS_TOPIC, DETECTIONS)
    fire(hass, DETECTIONS_TOPIC, {**DETECTIONS, "persons": 5})
    await hass.async_block_till_done()
    assert (await client.receive_json())["event"]["detections"]["persons"] == 1
    await client.send_json_auto_id({"type": "unsubscribe_events", "subscription": sub_id})
    assert (await client.receive_json())["success"]
    await asyncio.sleep(ws.MIN_FORWARD_INTERVAL * 2)
    await client.send_json_auto_id({"type": "ping"})
    assert (await client.receive_json())["type"] == "pong"


async def test_save_rois_returns_the_acknowledgement(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """The whole set is validated, stored and published as the options flow does; the ack is returned."""
    hass.config_entries.async_update_entry(
        loaded_entry, options={OPT_VERSION: 6, OPT_DETECTION: {"clear_after": 30.0}}
    )
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "bobby_camera/save_rois",
            "entity_id": _camera_entity(hass),
            "rois": [{**DOOR, "min_score": 0.7}],
            "detection": {"threshold": 0.55},
        }
    )
    await _wait_for(lambda: published(mqtt_mock, ROIS_TOPIC))
    payload, qos, retain = published(mqtt_mock, ROIS_TOPIC)[0]
    assert (qos, retain) == (1, True)
    sent = json.loads(payload)
    assert sent["version"] == 7
    assert sent["rois"] == [{**STORED_DOOR, "min_score": 0.7}]
    # Detection keys not given keep their stored values.
    assert sent["detection"]["threshold"] == 0.55
    assert sent["detection"]["clear_after"] == 30.0
    assert loaded_entry.options[OPT_VERSION] == 7

    # An older retained ack is not the answer; the service's ack of version 7 is.
    fire(hass, APPLIED_TOPIC, {"version": 6, "ok": True, "service": "listen_frame/pi4"})
    fire(hass, APPLIED_TOPIC, b"[]")
    ack = {
        "version": 7,
        "ok": True,
        "error": None,
        "active_version": 7,
        "service": "listen_frame/pi4",
        "at": 2.0,
    }
    fire(hass, APPLIED_TOPIC, ack)
    msg = await client.receive_json()
    assert msg["success"], msg
    assert msg["result"] == {"version": 7, "ack": ack}


async def test_save_rois_returns_a_refusal(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """A set the service refuses comes back with its reason."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "bobby_camera/save_rois", "entity_id": _camera_entity(hass), "rois": [DOOR]}
    )
    await _wait_for(lambda: published(mqtt_mock, ROIS_TOPIC))
    refusal = {
        "version": 1,
        "ok": False,
        "error": "too many regions",
        "active_version": 0,
        "service": "cam/garden",
    }
    fire(hass, APPLIED_TOPIC, refusal)
    msg = await client.receive_json()
    assert msg["result"] == {"version": 1, "ack": refusal}


async def test_save_rois_without_an_answer(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """No service answers in time: saved and published all the same, ack None."""
    client = await hass_ws_client(hass)
    with patch.object(ws, "ACK_WAIT", 0.2):
        await client.send_json_auto_id(
            {"type": "bobby_camera/save_rois", "entity_id": _camera_entity(hass), "rois": []}
        )
        msg = await client.receive_json()
    assert msg["result"] == {"version": 1, "ack": None}
    assert json.loads(published(mqtt_mock, ROIS_TOPIC)[0][0])["rois"] == []


async def test_save_rois_refuses_an_invalid_set(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """The options flow's validation: a bow tie is refused with its translation key, nothing is sent."""
    client = await hass_ws_client(hass)
    bow = {"name": "Bow", "points": [[0, 0], [1, 1], [1, 0], [0, 1]]}
    await client.send_json_auto_id(
        {"type": "bobby_camera/save_rois", "entity_id": _camera_entity(hass), "rois": [bow]}
    )
    msg = await client.receive_json()
    assert not msg["success"]
    assert msg["error"]["code"] == "invalid_rois"
    assert msg["error"]["translation_key"] == "self_intersecting"
    assert msg["error"]["translation_placeholders"] == {"region": "Bow"}
    assert published(mqtt_mock, ROIS_TOPIC) == []
    assert OPT_VERSION not in loaded_entry.options


async def test_save_rois_reports_a_failed_publish(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """A publish HA's MQTT client refuses is an error of the command."""
    from homeassistant.exceptions import HomeAssistantError

    client = await hass_ws_client(hass)
    with patch.object(
        loaded_entry.runtime_data, "async_publish_set", side_effect=HomeAssistantError("broker gone")
    ):
        await client.send_json_auto_id(
            {"type": "bobby_camera/save_rois", "entity_id": _camera_entity(hass), "rois": []}
        )
        msg = await client.receive_json()
    assert msg["error"]["code"] == "publish_failed"
    assert "broker gone" in msg["error"]["message"]


async def test_save_rois_is_for_admins_only(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    """A non-admin user may look (get_config, detections) but not save."""
    client = await hass_ws_client(hass, hass_read_only_access_token)
    await client.send_json_auto_id(
        {"type": "bobby_camera/save_rois", "entity_id": _camera_entity(hass), "rois": [DOOR]}
    )
    msg = await client.receive_json()
    assert not msg["success"]
    assert msg["error"]["code"] == "unauthorized"
    await hass.async_block_till_done()
    assert published(mqtt_mock, ROIS_TOPIC) == []

    await client.send_json_auto_id({"type": "bobby_camera/get_config", "entity_id": _camera_entity(hass)})
    assert (await client.receive_json())["success"]
