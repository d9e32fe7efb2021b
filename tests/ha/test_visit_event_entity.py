"""The "Person visit" MQTT event entity (edge_agent/mqtt/discovery.py) in Home Assistant's own
MQTT integration: `start` fires `started`, `end` fires `ended` with the message's fields as
attributes, and `update`, a payload that is not JSON or has no known type fire nothing and log
no warning (docs/mqtt.md, events). The payloads are built by the edge's `VisitTracker`."""

from __future__ import annotations

import json
import logging

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_mqtt_message

from edge_agent.detect.rois import RoiSet
from edge_agent.events.visit import VisitTracker
from edge_agent.mqtt.discovery import camera_discovery
from edge_agent.mqtt.topics import Topics

T0 = 1764696612.4
ENTITY = "event.garden_visit"


async def test_person_visit_event_entity(
    hass: HomeAssistant, mqtt_mock, caplog: pytest.LogCaptureFixture
) -> None:
    topics = Topics("bobby")
    configs = camera_discovery(topics, "garden", "Garden", RoiSet(), [topics.availability("garden")])
    for topic, payload in configs.items():
        async_fire_mqtt_message(hass, topic, json.dumps(payload), retain=True)
    await hass.async_block_till_done()
    async_fire_mqtt_message(hass, "bobby/garden/availability", "online")
    await hass.async_block_till_done()
    state = hass.states.get(ENTITY)
    assert state is not None and state.state == "unknown"
    assert state.attributes["event_types"] == ["started", "ended"]
    assert state.attributes["friendly_name"] == "Garden Person visit"

    tracker = VisitTracker("garden", "listen_frame/pi4")
    visit = tracker.person_changed(None, True, T0)
    assert visit is not None
    tracker.frame(0.7, 1, [], T0)
    (start,) = tracker.messages(T0)
    tracker.person_changed("door", True, T0 + 1)
    (update,) = tracker.messages(T0 + 6)

    async def fire(payload: object) -> None:
        raw = payload if isinstance(payload, str) else json.dumps(payload)
        async_fire_mqtt_message(hass, "bobby/garden/event", raw, qos=1)
        await hass.async_block_till_done()

    await fire(start)
    state = hass.states.get(ENTITY)
    assert state.attributes["event_type"] == "started"
    assert state.attributes["id"] == visit.id and state.attributes["clip"] == "recording"
    assert state.attributes["snapshot"] is True and state.attributes["store"] == "media"
    started_at = state.state

    caplog.clear()
    caplog.set_level(logging.DEBUG)
    for ignored in (update, "not json", {"type": "nonsense"}, [1, 2], {"id": "x"}):
        await fire(ignored)
        assert hass.states.get(ENTITY).state == started_at  # nothing fired
    warnings = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("homeassistant.components.mqtt")
    ]
    assert not warnings, [r.getMessage() for r in warnings]

    tracker.person_changed(None, False, T0 + 30)
    tracker.clip_closed(visit.id, True, 34.5)
    (end,) = tracker.messages(T0 + 35)
    await fire(end)
    state = hass.states.get(ENTITY)
    assert state.attributes["event_type"] == "ended"
    assert state.attributes["clip"] == "ready" and state.attributes["duration"] == 34.5
    assert state.attributes["regions"] == ["door"] and state.attributes["end"] == T0 + 30
    assert state.state != started_at
