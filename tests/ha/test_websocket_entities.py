"""The card learns of its entities as they appear (issue 18: a newly saved region stayed unfilled
although its sensor was on, because its person sensor is registered by MQTT discovery after the
card had read get_config)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.bobby_camera.const import DOMAIN, OPT_ROIS, OPT_VERSION

DOOR = {"id": "door", "name": "Door", "points": [[0.1, 0.1], [0.4, 0.1], [0.4, 0.9]], "labels": ["person"]}


def _camera_entity(hass: HomeAssistant) -> str:
    entity_id = er.async_get(hass).async_get_entity_id("camera", DOMAIN, "bobby_garden_live")
    assert entity_id
    return entity_id


async def test_entities_registered_later_reach_the_card(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    entity_registry: er.EntityRegistry,
) -> None:
    """A region saved before its sensor exists: the sensor's registration is pushed to the card."""
    client = await hass_ws_client(hass)
    camera = _camera_entity(hass)
    await client.send_json_auto_id({"type": "bobby_camera/subscribe_detections", "entity_id": camera})
    msg = await client.receive_json()
    assert msg["success"], msg
    sub_id = msg["id"]

    # The set is stored (as save_rois does); the card reads get_config: no sensor yet.
    hass.config_entries.async_update_entry(loaded_entry, options={OPT_VERSION: 1, OPT_ROIS: [DOOR]})
    await client.send_json_auto_id({"type": "bobby_camera/get_config", "entity_id": camera})
    assert (await client.receive_json())["result"]["region_entities"] == {}

    # Another integration's entity: nothing for the card.
    entity_registry.async_get_or_create("binary_sensor", "demo", "someone_else")
    # MQTT discovery registers the region's sensor: the card gets its entities at once.
    region = entity_registry.async_get_or_create("binary_sensor", "mqtt", "bobby_garden_person_door")
    await hass.async_block_till_done()
    event = await client.receive_json()
    assert event["id"] == sub_id
    assert event["event"] == {
        "entities": {
            "camera_entity": camera,
            "person_entity": None,
            "count_entity": None,
            "region_entities": {"door": region.entity_id},
        }
    }

    # Renamed by the user: the new entity id follows.
    entity_registry.async_update_entity(region.entity_id, new_entity_id="binary_sensor.front_door_person")
    await hass.async_block_till_done()
    event = await client.receive_json()
    assert event["event"]["entities"]["region_entities"] == {"door": "binary_sensor.front_door_person"}

    # Removed: gone from the card's map too; an unrelated change sends nothing (the ping answers first).
    entity_registry.async_remove("binary_sensor.front_door_person")
    await hass.async_block_till_done()
    event = await client.receive_json()
    assert event["event"]["entities"]["region_entities"] == {}
    entity_registry.async_get_or_create("sensor", "demo", "another")
    await hass.async_block_till_done()
    await client.send_json_auto_id({"type": "ping"})
    assert (await client.receive_json())["type"] == "pong"

    # After unsubscribing, no more events (the listener is gone).
    await client.send_json_auto_id({"type": "unsubscribe_events", "subscription": sub_id})
    assert (await client.receive_json())["success"]
    entity_registry.async_get_or_create("binary_sensor", "mqtt", "bobby_garden_person_door")
    await hass.async_block_till_done()
    await client.send_json_auto_id({"type": "ping"})
    assert (await client.receive_json())["type"] == "pong"
