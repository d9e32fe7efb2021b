"""Removing a camera leaves no empty device behind (removal.py async_detach_from_device).

The camera's device holds the discovery entities of HA's MQTT integration (listen_frame's) and
this integration's entities. HA's MQTT removes the device with the discovery's last entity only
when no other entity is left on it; listen_frame empties the discovery as soon as it reads the
forget. Here listen_frame is played as it behaves on the broker: the emptied discovery config
arrives when the forget is published, before the broker echoes the emptied announce (so while
async_remove_entry still runs). Without the detach, the entry's delete left the device with no
entity and MQTT's config entry (seen once in a real Home Assistant, tests/e2e/test_remove_camera.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.bobby_camera.const import DOMAIN
from custom_components.bobby_camera.entity import device_identifier

from .conftest import CAM, fire, published

FORGET = f"bobby/{CAM}/forget"
ANNOUNCE = f"bobby/{CAM}/announce"
PERSON_CONFIG = f"homeassistant/binary_sensor/bobby_{CAM}/person/config"


def _discover_person_sensor(hass: HomeAssistant) -> None:
    """listen_frame's discovery of the camera's person sensor (edge_agent/mqtt/discovery.py)."""
    fire(
        hass,
        PERSON_CONFIG,
        {
            "name": "Person",
            "unique_id": f"bobby_{CAM}_person",
            "state_topic": f"bobby/{CAM}/person",
            "payload_on": "ON",
            "payload_off": "OFF",
            "device": {"identifiers": [f"bobby_{CAM}"], "name": "Garden", "manufacturer": "Bobby"},
        },
        retain=True,
    )


async def _listen_frame_follows_the_forget(hass: HomeAssistant, mqtt_mock: Any) -> None:
    """On the forget: the discovery config emptied, then the broker's echo of the emptied announce
    (live messages, so not flagged retained: HA's MQTT ignores a retained empty config)."""
    for _ in range(500):
        if published(mqtt_mock, FORGET) and ("", 1, True) in published(mqtt_mock, ANNOUNCE):
            fire(hass, PERSON_CONFIG, "")
            await hass.async_block_till_done()
            fire(hass, ANNOUNCE, "")
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the camera was not forgotten")


async def _camera_device(hass: HomeAssistant, entry: MockConfigEntry) -> dr.DeviceEntry:
    _discover_person_sensor(hass)
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device(identifiers={device_identifier(CAM)})
    assert device is not None
    mqtt_entry = hass.config_entries.async_entries("mqtt")[0]
    assert device.config_entries == {entry.entry_id, mqtt_entry.entry_id}, device.config_entries
    owners = {e.platform for e in er.async_entries_for_device(er.async_get(hass), device.id)}
    assert owners == {"mqtt", DOMAIN}, owners
    return device


def _assert_no_device_left(hass: HomeAssistant, device: dr.DeviceEntry) -> None:
    assert dr.async_get(hass).async_get(device.id) is None, dr.async_get(hass).async_get(device.id)
    assert er.async_entries_for_device(er.async_get(hass), device.id, include_disabled_entities=True) == []


async def test_deleting_the_entry_leaves_no_empty_device(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry
) -> None:
    device = await _camera_device(hass, loaded_entry)
    listen_frame = hass.async_create_task(_listen_frame_follows_the_forget(hass, mqtt_mock))
    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await listen_frame
    await hass.async_block_till_done()
    _assert_no_device_left(hass, device)


async def test_deleting_the_device_for_our_entry_only_leaves_no_empty_device(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The device's Delete button sends remove_config_entry for each of the device's entries;
    ours alone is enough: listen_frame's emptied discovery takes the device with it."""
    device = await _camera_device(hass, loaded_entry)
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    listen_frame = hass.async_create_task(_listen_frame_follows_the_forget(hass, mqtt_mock))
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": loaded_entry.entry_id,
            "device_id": device.id,
        }
    )
    await listen_frame
    response = await client.receive_json()
    assert response["success"], response
    await hass.async_block_till_done()
    _assert_no_device_left(hass, device)
    assert hass.config_entries.async_get_entry(loaded_entry.entry_id) is None


async def test_a_device_whose_discovery_went_first_is_removed_with_the_entry(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry
) -> None:
    """The discovery emptied while the entry still had its entities (the camera forgotten by a
    service): MQTT kept the device for them; deleting the entry then removes it."""
    device = await _camera_device(hass, loaded_entry)
    fire(hass, PERSON_CONFIG, "")
    await hass.async_block_till_done()
    assert dr.async_get(hass).async_get(device.id) is not None  # our entities hold it
    remove = hass.async_create_task(hass.config_entries.async_remove(loaded_entry.entry_id))
    for _ in range(500):
        if ("", 1, True) in published(mqtt_mock, ANNOUNCE):
            break
        await asyncio.sleep(0.01)
    fire(hass, ANNOUNCE, "")
    await remove
    await hass.async_block_till_done()
    _assert_no_device_left(hass, device)
