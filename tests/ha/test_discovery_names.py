"""Icons and names of the discovery entities as Home Assistant shows them (issue 18): the person
sensors show a person, not the house of the occupancy device class, and the snapshot's name is
short enough not to be cut on the device page ("Last pers…")."""

from __future__ import annotations

import json

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import async_fire_mqtt_message

from .test_discovery_schemas import payloads, smart_payloads

# HA's device page cut "Last person" to "Last pers…": the names shown there stay at most this long.
MAX_SHOWN_NAME = 9


@pytest.mark.parametrize("make", [payloads, smart_payloads], ids=["listen_frame", "smart"])
async def test_person_icon_and_short_names(hass: HomeAssistant, mqtt_mock, make) -> None:  # type: ignore[no-untyped-def]
    for topic, payload in make().items():
        async_fire_mqtt_message(hass, topic, json.dumps(payload), retain=True)
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device(identifiers={("mqtt", "bobby_garden")})
    assert device is not None
    by_unique = {e.unique_id: e for e in er.async_entries_for_device(er.async_get(hass), device.id)}

    # Every person sensor (camera-wide and per region) has the person icon, whatever its state.
    people = [
        e for u, e in by_unique.items() if u == "bobby_garden_person" or u.startswith("bobby_garden_person_")
    ]
    people = [e for e in people if e.domain == "binary_sensor"]
    assert len(people) == 3
    for entry in people:
        assert entry.original_icon == "mdi:account", entry.entity_id
        assert entry.original_device_class == "occupancy"

    # The snapshot: a short name, the same entity id as before (automations keep working).
    image = by_unique["bobby_garden_last_person"]
    assert image.entity_id == "image.garden_last_person"
    assert image.original_name == "Snapshot"
    assert len(image.original_name) <= MAX_SHOWN_NAME
    async_fire_mqtt_message(hass, "bobby/garden/availability", "online", retain=True)
    await hass.async_block_till_done()
    assert hass.states.get("image.garden_last_person").attributes["friendly_name"] == "Garden Snapshot"
