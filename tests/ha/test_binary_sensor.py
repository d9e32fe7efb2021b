"""The "Detection service" connectivity sensor and its repair issue, as time passes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, EntityCategory
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.bobby_camera.const import DOMAIN

from .conftest import ENTRY_ID, announce_payload, fire

SENSOR = "binary_sensor.garden_detection_service"
ISSUE = f"service_problem_{ENTRY_ID}"
SERVICE = "bobby/listen_frame/pi4/availability"
STATS = {
    "camera": "garden",
    "service": "listen_frame/pi4",
    "interval": 10.0,
    "frames_in": 10,
    "analysed": 10,
    "dropped": 0,
    "detection": "ON",
    "rois_version": 0,
}


async def _advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def _issue(issue_registry: ir.IssueRegistry) -> ir.IssueEntry | None:
    return issue_registry.async_get_issue(DOMAIN, ISSUE)


@pytest.fixture
async def healthy(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> MockConfigEntry:
    """Camera and service online, stats arriving."""
    fire(hass, "bobby/garden/availability", "online", retain=True)
    fire(hass, SERVICE, "online", retain=True)
    fire(hass, "bobby/garden/stats", STATS)
    await hass.async_block_till_done()
    assert hass.states.get(SENSOR).state == STATE_ON
    return loaded_entry


async def test_sensor_is_diagnostic_connectivity(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """A diagnostic connectivity sensor named after its translation key; off until heard of."""
    state = hass.states.get(SENSOR)
    assert state.state == STATE_OFF
    assert state.attributes["device_class"] == "connectivity"
    assert state.attributes["friendly_name"] == "Garden Detection service"
    assert entity_registry.async_get(SENSOR).entity_category is EntityCategory.DIAGNOSTIC


async def test_stats_stop_and_resume(
    hass: HomeAssistant,
    healthy: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """No stats for three intervals (at least 30 s) while the camera is online: off + issue."""
    await _advance(hass, freezer, 25)
    assert hass.states.get(SENSOR).state == STATE_ON
    assert _issue(issue_registry) is None
    await _advance(hass, freezer, 10)
    assert hass.states.get(SENSOR).state == STATE_OFF
    issue = _issue(issue_registry)
    assert issue.translation_key == "stats_stopped"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders["service"] == "listen_frame/pi4"
    assert issue.translation_placeholders["stats_timeout"] == "30"

    fire(hass, "bobby/garden/stats", STATS)
    await hass.async_block_till_done()
    assert hass.states.get(SENSOR).state == STATE_ON
    assert _issue(issue_registry) is None


async def test_camera_offline_does_not_blame_service(
    hass: HomeAssistant, healthy: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Stats come only while frames do: an offline camera is not the service's fault."""
    fire(hass, "bobby/garden/availability", "offline")
    await _advance(hass, freezer, 120)
    assert hass.states.get(SENSOR).state == STATE_ON


async def test_service_offline_and_back(
    hass: HomeAssistant,
    healthy: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The service's Last Will turns the sensor off at once; the issue comes once it lasts 30 s."""
    fire(hass, SERVICE, "offline")
    await hass.async_block_till_done()
    assert hass.states.get(SENSOR).state == STATE_OFF
    await _advance(hass, freezer, 25)
    assert _issue(issue_registry) is None
    await _advance(hass, freezer, 10)
    assert _issue(issue_registry).translation_key == "service_offline"
    fire(hass, SERVICE, "garbage")
    assert hass.states.get(SENSOR).state == STATE_OFF
    fire(hass, SERVICE, "online")
    await hass.async_block_till_done()
    assert hass.states.get(SENSOR).state == STATE_ON
    assert _issue(issue_registry) is None


async def test_service_restart_is_no_problem(
    hass: HomeAssistant,
    healthy: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Issue 9: a listen_frame restart (offline, online, first stats one interval later) turns
    the sensor off only while the service is offline, and raises no issue, "stats stopped" least."""
    raised: list[str] = []

    @callback
    def on_issue(event: Event) -> None:
        if (issue := _issue(issue_registry)) is not None:
            raised.append(issue.translation_key)

    unsub = hass.bus.async_listen(ir.EVENT_REPAIRS_ISSUE_REGISTRY_UPDATED, on_issue)
    # The last stats came 9 s before the service stopped; it is away 5 s (loading its model).
    await _advance(hass, freezer, 9)
    fire(hass, SERVICE, "offline")
    await hass.async_block_till_done()
    assert hass.states.get(SENSOR).state == STATE_OFF
    await _advance(hass, freezer, 5)
    fire(hass, SERVICE, "online")
    await hass.async_block_till_done()
    # Online: on at once, although the last stats are 14 s old and the next come in 10 s.
    assert hass.states.get(SENSOR).state == STATE_ON
    for _ in range(4):
        # 20 s without stats after the restart: 34 s since the stats before it, more than the
        # 30 s timeout, which counts from the restart.
        await _advance(hass, freezer, 5)
        assert hass.states.get(SENSOR).state == STATE_ON
    fire(hass, "bobby/garden/stats", STATS)
    await _advance(hass, freezer, 5)
    assert hass.states.get(SENSOR).state == STATE_ON
    assert raised == []
    assert _issue(issue_registry) is None
    # The timeout still holds after a restart: no stats for 30 s from the restart is a problem.
    fire(hass, SERVICE, "offline")
    fire(hass, SERVICE, "online")
    await _advance(hass, freezer, 31)
    assert hass.states.get(SENSOR).state == STATE_OFF
    assert _issue(issue_registry).translation_key == "stats_stopped"
    unsub()


async def test_never_heard_of_service(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """No service at all: a grace period after start-up, then the issue."""
    await _advance(hass, freezer, 55)
    assert _issue(issue_registry) is None
    await _advance(hass, freezer, 10)
    assert _issue(issue_registry).translation_key == "service_offline"
    assert _issue(issue_registry).translation_placeholders["service"] == "listen_frame"


async def test_rois_not_acknowledged_then_acknowledged(
    hass: HomeAssistant,
    healthy: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A saved set without an acknowledgement within 30 s: off + issue, until the ack."""
    runtime = healthy.runtime_data
    # HA's test clock is frozen here: the save does not wait for the acknowledgement.
    version = (await runtime.async_save_set([], None, ack_wait=0)).version
    await _advance(hass, freezer, 20)
    fire(hass, "bobby/garden/stats", STATS)
    await _advance(hass, freezer, 11)
    assert hass.states.get(SENSOR).state == STATE_OFF
    assert _issue(issue_registry).translation_key == "rois_not_acknowledged"
    # An ack for an older version does not count.
    fire(hass, "bobby/garden/rois/applied", {"version": version - 1, "ok": True})
    fire(hass, "bobby/garden/rois/applied", "not json")
    await hass.async_block_till_done()
    assert hass.states.get(SENSOR).state == STATE_OFF
    fire(
        hass,
        "bobby/garden/rois/applied",
        {
            "version": version,
            "ok": True,
            "error": None,
            "active_version": version,
            "service": "listen_frame/pi4",
            "at": 1.0,
        },
    )
    await hass.async_block_till_done()
    assert hass.states.get(SENSOR).state == STATE_ON
    assert _issue(issue_registry) is None


async def test_refused_set_raises_its_own_issue(
    hass: HomeAssistant, healthy: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    """A refusal is an answer (the sensor stays on) but the user must know why."""
    refused = f"rois_refused_{ENTRY_ID}"
    fire(
        hass,
        "bobby/garden/rois/applied",
        {
            "version": 8,
            "ok": False,
            "error": "roi 'door': polygon is self-intersecting",
            "active_version": 7,
            "service": "listen_frame/pi4",
        },
    )
    await hass.async_block_till_done()
    assert hass.states.get(SENSOR).state == STATE_ON
    issue = issue_registry.async_get_issue(DOMAIN, refused)
    assert issue.translation_placeholders == {
        "camera": "Garden",
        "service": "listen_frame/pi4",
        "version": "8",
        "error": "roi 'door': polygon is self-intersecting",
    }
    fire(hass, "bobby/garden/rois/applied", {"version": 9, "ok": True, "active_version": 9})
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, refused) is None


async def test_command_not_answered(
    hass: HomeAssistant,
    healthy: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A detection on/off command (from the discovery switch) needs its state answer."""
    fire(hass, "bobby/garden/detection/set", "OFF")
    await _advance(hass, freezer, 20)
    fire(hass, "bobby/garden/stats", STATS)
    await _advance(hass, freezer, 11)
    assert hass.states.get(SENSOR).state == STATE_OFF
    assert _issue(issue_registry).translation_key == "command_not_acknowledged"
    fire(
        hass,
        "bobby/garden/detection/state",
        {"state": "OFF", "request_id": None, "service": "listen_frame/pi4"},
    )
    await hass.async_block_till_done()
    assert hass.states.get(SENSOR).state == STATE_ON
    assert _issue(issue_registry) is None


async def test_named_service_and_custom_interval(
    hass: HomeAssistant, healthy: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """The service named in the stats is the one that counts; its interval sets the timeout."""
    fire(hass, "bobby/listen_frame/other/availability", "online")
    fire(hass, SERVICE, "offline")
    await hass.async_block_till_done()
    assert hass.states.get(SENSOR).state == STATE_OFF
    fire(hass, SERVICE, "online")
    fire(hass, "bobby/garden/stats", {**STATS, "interval": 20})
    fire(hass, "bobby/garden/stats", "[]")
    await _advance(hass, freezer, 55)
    assert hass.states.get(SENSOR).state == STATE_ON
    await _advance(hass, freezer, 10)
    assert hass.states.get(SENSOR).state == STATE_OFF


async def test_smart_camera_is_its_own_service(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A smart camera detects by itself: its availability is the service's."""
    fire(hass, "bobby/garden/announce", announce_payload(mode="smart"))
    fire(hass, "bobby/garden/availability", "online")
    fire(hass, "bobby/garden/stats", {**STATS, "service": "camera/garden"})
    await hass.async_block_till_done()
    assert hass.states.get(SENSOR).state == STATE_ON
    fire(hass, "bobby/garden/availability", "offline")
    await hass.async_block_till_done()
    assert hass.states.get(SENSOR).state == STATE_OFF
    await _advance(hass, freezer, 31)
    assert _issue(issue_registry).translation_key == "service_offline"


async def test_camera_turning_smart_under_listen_frame_is_reported(
    hass: HomeAssistant,
    healthy: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 10: an announce that flips to "smart" while listen_frame detects for the camera
    (its stats say so) raises a repair issue instead of going unnoticed; the sensor then
    follows the stats (which stop) to off."""
    turned = f"turned_smart_{ENTRY_ID}"
    fire(hass, "bobby/garden/announce", announce_payload())
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, turned) is None
    fire(hass, "bobby/garden/announce", announce_payload(mode="smart"))
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue(DOMAIN, turned)
    assert issue.translation_key == "turned_smart"
    assert issue.translation_placeholders["service"] == "listen_frame/pi4"
    assert "now announces itself as smart" in caplog.text
    # listen_frame stops serving it: no stats, so the sensor goes off (not green and silent).
    await _advance(hass, freezer, 35)
    assert hass.states.get(SENSOR).state == STATE_OFF
    assert _issue(issue_registry).translation_key == "stats_stopped"
    # The camera announces itself as dumb again: the report clears.
    fire(hass, "bobby/garden/announce", announce_payload())
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, turned) is None


async def test_camera_really_turning_smart(
    hass: HomeAssistant, healthy: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    """A camera that was switched to smart mode on purpose sends its own stats: the report clears."""
    turned = f"turned_smart_{ENTRY_ID}"
    fire(hass, "bobby/garden/announce", announce_payload(mode="smart"))
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, turned) is not None
    fire(hass, "bobby/garden/stats", {**STATS, "service": "listen_frame/pi4"})
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, turned) is not None
    fire(hass, "bobby/garden/stats", {**STATS, "service": "camera/garden"})
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, turned) is None
    assert hass.states.get(SENSOR).state == STATE_ON


async def test_smart_announce_without_listen_frame_is_no_report(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    """A smart camera from the start (no listen_frame stats): nothing to report."""
    fire(hass, "bobby/garden/announce", announce_payload(mode="smart"))
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, f"turned_smart_{ENTRY_ID}") is None
