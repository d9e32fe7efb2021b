"""Set-up, the stored ROI set republished at start-up, unload and reload."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.bobby_camera.const import (
    DOMAIN,
    OPT_DETECTION,
    OPT_ROIS,
    OPT_VERSION,
    RETAINED_WAIT,
)

from .conftest import CAM, announce_payload, fire, published, real_mqtt_client

ROIS_TOPIC = "bobby/garden/rois"
STORED = {
    OPT_VERSION: 3,
    OPT_ROIS: [
        {"id": "lawn", "name": "Lawn", "points": [[0, 0.5], [1, 0.5], [1, 1], [0, 1]], "labels": ["person"]}
    ],
    OPT_DETECTION: {"threshold": 0.6},
}


def _stored_entry() -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Garden",
        unique_id=CAM,
        data={"camera_id": CAM, "base_topic": "bobby"},
        options=STORED,
    )


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _after_retained_wait(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.tick(timedelta(seconds=RETAINED_WAIT + 0.1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_setup_entities_on_discovery_device(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The camera and the service sensor sit on the device ("mqtt", "bobby_<cam>")."""
    assert loaded_entry.state is ConfigEntryState.LOADED
    device = device_registry.async_get_device(identifiers={("mqtt", "bobby_garden")})
    assert device is not None
    assert device.name == "Garden"
    entities = er.async_entries_for_device(entity_registry, device.id)
    assert sorted(e.entity_id for e in entities) == [
        "binary_sensor.garden_detection_service",
        "camera.garden_live_view",
    ]
    assert {e.unique_id for e in entities} == {"bobby_garden_detection_service", "bobby_garden_live"}


async def test_setup_without_mqtt_client_is_retried(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """MQTT not available yet: the entry waits (ConfigEntryNotReady) instead of failing."""
    config_entry.add_to_hass(hass)
    with patch("homeassistant.components.mqtt.async_wait_for_mqtt_client", return_value=False):
        await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_stored_set_republished_when_broker_has_none(
    hass: HomeAssistant, mqtt_mock: Any, freezer: FrozenDateTimeFactory
) -> None:
    """The entry is the source of truth: with no retained copy it is published again."""
    await _setup(hass, _stored_entry())
    assert published(mqtt_mock, ROIS_TOPIC) == []
    await _after_retained_wait(hass, freezer)
    sent = published(mqtt_mock, ROIS_TOPIC)
    assert len(sent) == 1
    payload = json.loads(sent[0][0])
    assert payload["version"] == 3
    assert payload["rois"] == STORED[OPT_ROIS]
    assert payload["detection"]["threshold"] == 0.6
    assert payload["detection"]["frames_needed"] == 2
    assert sent[0][1:] == (1, True)


async def test_stored_set_republished_when_broker_has_older(
    hass: HomeAssistant, mqtt_mock: Any, freezer: FrozenDateTimeFactory
) -> None:
    """An older retained copy (a broker restored from an old backup) is replaced."""
    await _setup(hass, _stored_entry())
    fire(hass, ROIS_TOPIC, {"version": 2, "rois": []}, retain=True)
    await _after_retained_wait(hass, freezer)
    assert json.loads(published(mqtt_mock, ROIS_TOPIC)[0][0])["version"] == 3


async def test_stored_set_not_republished_when_current_or_newer(
    hass: HomeAssistant, mqtt_mock: Any, freezer: FrozenDateTimeFactory
) -> None:
    """A retained copy as new (or newer, published by hand) is left alone."""
    entry = _stored_entry()
    await _setup(hass, entry)
    fire(hass, ROIS_TOPIC, {"version": 5, "rois": []}, retain=True)
    await _after_retained_wait(hass, freezer)
    assert published(mqtt_mock, ROIS_TOPIC) == []
    assert entry.runtime_data.next_version == 6


async def test_fresh_entry_publishes_nothing(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """An entry that never saved a set does not invent one."""
    await _after_retained_wait(hass, freezer)
    assert published(mqtt_mock, ROIS_TOPIC) == []


async def test_announce_updates_name_and_mode(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """The announce gives the camera's name and kind; garbage is ignored."""
    runtime = loaded_entry.runtime_data
    assert (runtime.name, runtime.mode) == ("Garden", "dumb")
    fire(hass, "bobby/garden/announce", announce_payload(mode="smart", name="Back garden"))
    assert (runtime.name, runtime.mode) == ("Back garden", "smart")
    fire(hass, "bobby/garden/announce", "{broken")
    fire(hass, "bobby/garden/announce", "")
    assert runtime.name == "Back garden"


async def test_unload_and_reload_leave_nothing_behind(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry
) -> None:
    """Unload drops every subscription and timer; reload starts cleanly again."""
    runtime = loaded_entry.runtime_data
    assert runtime._unsubs
    client = real_mqtt_client(hass)
    ours = {s.topic for s in client.subscriptions if s.topic.startswith("bobby/")}
    assert ours == {
        "bobby/garden/announce",
        "bobby/garden/availability",
        "bobby/listen_frame/+/availability",
        "bobby/garden/stats",
        "bobby/garden/rois",
        "bobby/garden/rois/applied",
        "bobby/garden/detection/set",
        "bobby/garden/detection/state",
        "bobby/+/announce",
        "bobby/+/event",  # the visits (events.py), one subscription per base topic
        "bobby/listen_frame/+/stats",  # the cameras listen_frame runs (hosted.py), one per base too
    }
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert runtime._unsubs == []
    assert runtime._retained_check is None
    # The entities are gone, and with them every listener of the coordinator.
    assert not runtime.coordinator._listeners
    assert {s.topic for s in client.subscriptions if s.topic.startswith("bobby/")} == {
        "bobby/+/announce"  # HA's MQTT discovery of the manifest's topic, not ours
    }
    # Messages after the unload reach nothing.
    fire(hass, "bobby/garden/announce", announce_payload(name="Late"))
    assert runtime.data.announce is None

    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data is not runtime
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)


async def test_republish_waits_for_the_broker_connection(
    hass: HomeAssistant, mqtt_mock: Any, freezer: FrozenDateTimeFactory
) -> None:
    """HA started before the broker: the retained copy is judged only after the connection."""
    from homeassistant.components.mqtt import MQTT_CONNECTION_STATE
    from homeassistant.helpers.dispatcher import async_dispatcher_send

    with patch("homeassistant.components.mqtt.is_connected", return_value=False):
        await _setup(hass, _stored_entry())
    await _after_retained_wait(hass, freezer)
    assert published(mqtt_mock, ROIS_TOPIC) == []

    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, False)
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, True)
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, True)  # a second connect restarts the wait
    await _after_retained_wait(hass, freezer)
    assert json.loads(published(mqtt_mock, ROIS_TOPIC)[0][0])["version"] == 3

    # Checked once: later reconnections do not republish.
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, True)
    await _after_retained_wait(hass, freezer)
    assert len(published(mqtt_mock, ROIS_TOPIC)) == 1
