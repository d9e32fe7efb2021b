"""Removing a camera for good: the device's Delete button and the entry's Delete publish the
camera's forget (docs/mqtt.md, forget) and empty its announce and ROI set (removal.py).

The services' side is in tests/edge/test_forget.py; all of it with a real Home Assistant in
tests/e2e/test_remove_camera.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_MQTT
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.bobby_camera import async_remove_config_entry_device
from custom_components.bobby_camera.const import DOMAIN
from custom_components.bobby_camera.entity import device_identifier

from .conftest import CAM, announce_payload, fire, published

FORGET = "bobby/garden/forget"
ANNOUNCE = "bobby/garden/announce"
ROIS = "bobby/garden/rois"


async def _echo_emptied_announce(hass: HomeAssistant, mqtt_mock: Any) -> None:
    """The broker sends the emptied announce back (HA's mocked client does not)."""
    for _ in range(1000):  # 10 s and more: the entry's unload comes first, slow on a busy machine
        if ("", 1, True) in published(mqtt_mock, ANNOUNCE):
            fire(hass, ANNOUNCE, "")
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the announce was not emptied")


def _assert_forgotten(mqtt_mock: Any, reason: str) -> None:
    forgets = published(mqtt_mock, FORGET)
    assert len(forgets) == 1, forgets
    payload, qos, retain = forgets[0]
    assert (qos, retain) == (1, True)
    data = json.loads(payload)
    assert data["by"] == "home_assistant" and data["reason"] == reason and data["at"] > 0
    assert published(mqtt_mock, ANNOUNCE) == [("", 1, True)]
    assert published(mqtt_mock, ROIS) == [("", 1, True)]
    # The forget goes first: a service that sees the announce go knows why.
    topics = [c.args[0] for c in mqtt_mock.async_publish.call_args_list]
    assert topics.index(FORGET) < topics.index(ANNOUNCE)


async def test_removing_the_entry_makes_the_services_forget_the_camera(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry
) -> None:
    mqtt_mock.async_publish.reset_mock()
    remove = hass.async_create_task(hass.config_entries.async_remove(loaded_entry.entry_id))
    await _echo_emptied_announce(hass, mqtt_mock)
    await remove
    await hass.async_block_till_done()
    _assert_forgotten(mqtt_mock, "removed in Home Assistant")
    assert hass.config_entries.async_get_entry(loaded_entry.entry_id) is None


async def test_deleting_the_device_forgets_the_camera_and_removes_the_entry(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    device = device_registry.async_get_device(identifiers={device_identifier(CAM)})
    assert device is not None and loaded_entry.entry_id in device.config_entries
    assert await async_setup_component(hass, "config", {})
    mqtt_mock.async_publish.reset_mock()
    client = await hass_ws_client(hass)
    # What the device page's Delete button sends, for our entry of the device.
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": loaded_entry.entry_id,
            "device_id": device.id,
        }
    )
    await _echo_emptied_announce(hass, mqtt_mock)
    response = await client.receive_json()
    assert response["success"], response
    await hass.async_block_till_done()
    _assert_forgotten(mqtt_mock, "device deleted in Home Assistant")
    # The entry went with its device (it would bring the device back at its next reload) …
    assert hass.config_entries.async_get_entry(loaded_entry.entry_id) is None
    assert device_registry.async_get_device(identifiers={device_identifier(CAM)}) is None
    # … and its removal did not publish the forget a second time.
    assert len(published(mqtt_mock, FORGET)) == 1


async def test_another_device_is_removed_without_forgetting(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    other = device_registry.async_get_or_create(
        config_entry_id=loaded_entry.entry_id, identifiers={("mqtt", "someone_else")}
    )
    mqtt_mock.async_publish.reset_mock()
    assert await async_remove_config_entry_device(hass, loaded_entry, other)
    await hass.async_block_till_done()
    assert published(mqtt_mock, FORGET) == []
    assert hass.config_entries.async_get_entry(loaded_entry.entry_id) is not None


async def test_removed_while_mqtt_is_down_says_how_to_forget_by_hand(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    mqtt_mock.async_publish.reset_mock()
    mqtt_mock.connected = False
    hass.data["mqtt"].client.connected = False
    with caplog.at_level(logging.WARNING):
        await hass.config_entries.async_remove(loaded_entry.entry_id)
        await hass.async_block_till_done()
    assert published(mqtt_mock, FORGET) == []
    assert "publish {} retained on bobby/garden/forget" in caplog.text


async def test_an_emptied_announce_takes_the_discovered_card_away(
    hass: HomeAssistant, mqtt_mock: Any
) -> None:
    """A camera removed (its announce emptied by a service or the camera): no "Discovered" card
    left that would offer a camera that is gone; another camera's card stays."""
    fire(hass, "bobby/porch/announce", announce_payload("porch"), retain=True)
    fire(hass, "bobby/shed/announce", announce_payload("shed"), retain=True)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert sorted(f["context"]["unique_id"] for f in flows) == ["porch", "shed"]
    fire(hass, "bobby/porch/announce", "")
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [(f["context"]["unique_id"], f["context"]["source"]) for f in flows] == [("shed", SOURCE_MQTT)]


async def test_a_camera_added_again_is_forgotten_again(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry
) -> None:
    remove = hass.async_create_task(hass.config_entries.async_remove(loaded_entry.entry_id))
    await _echo_emptied_announce(hass, mqtt_mock)
    await remove
    again = MockConfigEntry(domain=DOMAIN, title="Garden", unique_id=CAM, data=dict(loaded_entry.data))
    again.add_to_hass(hass)
    assert await hass.config_entries.async_setup(again.entry_id)
    await hass.async_block_till_done()
    mqtt_mock.async_publish.reset_mock()
    remove = hass.async_create_task(hass.config_entries.async_remove(again.entry_id))
    await _echo_emptied_announce(hass, mqtt_mock)
    await remove
    await hass.async_block_till_done()
    _assert_forgotten(mqtt_mock, "removed in Home Assistant")
