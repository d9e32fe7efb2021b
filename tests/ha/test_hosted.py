"""IP cameras listen_frame runs (the add-on's `cameras`): a repair issue for one that fails,
raised and cleared from listen_frame's service stats as they arrive over MQTT (HA's MQTT client,
its paho side mocked), and their state in diagnostics (custom_components/bobby_camera/hosted.py).
"""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.bobby_camera.const import DOMAIN
from custom_components.bobby_camera.hosted import MAX_HOSTED, MAX_INSTANCES, hosted_cameras
from custom_components.bobby_camera.untrusted import integration_refusals

from .conftest import camera_entry, fire, real_mqtt_client, set_up

STATS = "bobby/listen_frame/ha-addon/stats"
ISSUE = "hosted_camera_failed_bobby_garage"
LOGIN = "the camera refused the login (401 Unauthorized): check the user and password in the URL"


def stats(**hosted: dict[str, Any]) -> dict[str, Any]:
    """listen_frame's service stats as docs/mqtt.md shows them (the parts read here)."""
    return {"service": "listen_frame/ha-addon", "at": 1763730010.0, "frames_in": 10, "hosted": hosted}


def cam(state: str, restarts: int = 0, last_error: str | None = None) -> dict[str, Any]:
    return {"state": state, "restarts": restarts, "last_error": last_error}


def issue(registry: ir.IssueRegistry, issue_id: str = ISSUE) -> ir.IssueEntry | None:
    return registry.async_get_issue(DOMAIN, issue_id)


async def send(hass: HomeAssistant, topic: str, payload: Any) -> None:
    """A live message (the retain flag is only set on what a new subscription gets first)."""
    fire(hass, topic, payload)
    await hass.async_block_till_done()


async def test_a_camera_that_does_not_open_gets_an_issue_cleared_when_it_runs(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    hass_client: Any,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The wrong password from day one: the camera never announced (no entry of its own), yet
    the issue says which camera, what failed and where to fix it; it goes once the camera runs."""
    await send(hass, STATS, stats(garage=cam("failed", 3, LOGIN), garden=cam("running")))
    found = issue(issue_registry)
    assert found is not None and not found.is_fixable
    assert found.severity is ir.IssueSeverity.WARNING
    assert found.translation_key == "hosted_camera_failed"
    assert found.translation_placeholders == {
        "camera": "garage",
        "camera_id": "garage",
        "service": "listen_frame/ha-addon",
        "error": LOGIN,
        "restarts": "3",
    }
    assert issue(issue_registry, "hosted_camera_failed_bobby_garden") is None  # it runs
    # The camera with an entry: its state in the entry's diagnostics.
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded_entry)
    assert diagnostics["hosted"] == {
        "listen_frame/ha-addon": {"state": "running", "restarts": 0, "last_error": None}
    }

    # Tried again (backoff), still failing: the same issue, updated.
    await send(hass, STATS, stats(garage=cam("failed", 4, "no answer within 10 s"), garden=cam("running")))
    assert issue(issue_registry).translation_placeholders["error"] == "no answer within 10 s"
    # The password fixed in the option, the add-on restarted: the camera starts, then runs.
    await send(hass, STATS, stats(garage=cam("starting", 0), garden=cam("running")))
    assert issue(issue_registry) is None  # a new start (the add-on restarted): not failing now
    await send(hass, STATS, stats(garage=cam("running", 0), garden=cam("running")))
    assert issue(issue_registry) is None


async def test_the_issue_names_the_entry_and_clears_when_nobody_runs_the_camera(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    """A camera that ran (it has an entry) and whose restarts keep failing: the issue uses the
    entry's name; it goes when the instance goes offline, when the camera leaves the `cameras`
    option, and when no entry follows the base topic any more."""
    garden = "hosted_camera_failed_bobby_garden"
    failing = stats(garden=cam("failed", 7, "no frame for 20 s (connection refused)"))
    await send(hass, STATS, failing)
    assert issue(issue_registry, garden).translation_placeholders["camera"] == "Garden"
    # The add-on stopped: its availability says so (its stats stay retained).
    await send(hass, "bobby/listen_frame/ha-addon/availability", "offline")
    assert issue(issue_registry, garden) is None
    await send(hass, STATS, failing)
    assert issue(issue_registry, garden) is not None
    # The camera removed from the option: the add-on's next stats do not have it.
    await send(hass, STATS, stats())
    assert issue(issue_registry, garden) is None
    await send(hass, STATS, failing)
    # The retained stats cleared: no instance there any more.
    await send(hass, STATS, "")
    assert issue(issue_registry, garden) is None
    await send(hass, STATS, failing)
    # A listen_frame from before `hosted`: it runs no camera.
    await send(hass, STATS, {"service": "listen_frame/ha-addon", "frames_in": 3})
    assert issue(issue_registry, garden) is None
    await send(hass, STATS, failing)
    assert issue(issue_registry, garden) is not None
    # The last entry under `bobby` unloaded: nobody follows it, nothing is known.
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert issue(issue_registry, garden) is None
    assert hosted_cameras(hass).instances == {}
    await send(hass, STATS, failing)
    assert issue(issue_registry, garden) is None  # no longer subscribed


async def test_a_camera_running_on_another_instance_and_a_short_restart_raise_nothing(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    await send(hass, STATS, stats(garage=cam("restarting", 1, "no frame for 20 s (the stream ended)")))
    assert issue(issue_registry) is None  # a stream that dropped, being restarted
    await send(hass, STATS, stats(garage=cam("failed", 2, LOGIN)))
    await send(hass, "bobby/listen_frame/pi4/stats", stats(garage=cam("running")))
    assert issue(issue_registry) is None  # another instance runs it


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        "[1, 2]",
        {"hosted": [1]},
        {"hosted": {"garage": cam("exploded")}},
        {"hosted": {"garage": {"state": "failed", "restarts": -1, "last_error": None}}},
        {"hosted": {"garage": {"state": "failed", "restarts": True, "last_error": None}}},
        {"hosted": {"garage": {"state": "failed", "restarts": 1, "last_error": 5}}},
        {"hosted": {"no such/id": cam("failed")}},
        {"hosted": {"garage": "failed"}},
        {"hosted": {f"c{i}": cam("running") for i in range(MAX_HOSTED + 1)}},
        "x" * (256 * 1024 + 1),
    ],
    ids=lambda payload: str(payload)[:40],
)
async def test_malformed_stats_are_refused_and_counted_and_change_nothing(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    payload: Any,
) -> None:
    await send(hass, STATS, stats(garage=cam("failed", 1, LOGIN)))
    await send(hass, STATS, payload)
    assert integration_refusals(hass).counts["hosted_malformed"] == 1
    assert issue(issue_registry) is not None  # the last good state stands
    # A topic that is not an instance's is not read at all.
    await send(hass, "bobby/listen_frame/bad instance/stats", stats(garage=cam("running")))
    assert issue(issue_registry) is not None


async def test_instances_are_bounded(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    """Anyone can publish an instance's stats: at most MAX_INSTANCES per base topic are kept."""
    for i in range(MAX_INSTANCES):
        await send(hass, f"bobby/listen_frame/i{i}/stats", stats(**{f"c{i}": cam("running")}))
    await send(hass, "bobby/listen_frame/one-more/stats", stats(garage=cam("failed", 1, LOGIN)))
    assert integration_refusals(hass).counts["hosted_instances"] == 1
    assert issue(issue_registry) is None and len(hosted_cameras(hass).instances) == MAX_INSTANCES
    # One that is known already is still followed; one that leaves makes room.
    await send(hass, "bobby/listen_frame/i0/stats", stats(garage=cam("failed", 1, LOGIN)))
    assert issue(issue_registry) is not None
    await send(hass, "bobby/listen_frame/i1/stats", stats())
    await send(hass, "bobby/listen_frame/one-more/stats", stats(yard=cam("running")))
    assert integration_refusals(hass).counts["hosted_instances"] == 1


async def test_an_error_text_shows_no_markup(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    """Anyone on the broker can publish: the text in the issue has no URL, link, HTML or
    placeholder."""
    text = "see [here](http://evil.example) <img src=x> {camera}\n`code`" + "y" * 400
    await send(hass, STATS, stats(garage=cam("failed", 1, text)))
    error = issue(issue_registry).translation_placeholders["error"]
    assert not set(error) & set("[]<>{}`\n") and len(error) == 160
    assert error.startswith("see (a URL) img src=x camera code yyy")


async def test_two_base_topics_followed_apart(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    other = await set_up(hass, camera_entry("shed", "home/bobby"))
    await send(hass, "home/bobby/listen_frame/ha-addon/stats", stats(garage=cam("failed", 1, LOGIN)))
    assert issue(issue_registry, "hosted_camera_failed_home_bobby_garage") is not None
    assert issue(issue_registry) is None
    assert await hass.config_entries.async_unload(other.entry_id)
    await hass.async_block_till_done()
    assert issue(issue_registry, "hosted_camera_failed_home_bobby_garage") is None


async def test_a_failed_subscription_leaves_nothing_behind(hass: HomeAssistant, mqtt_mock: Any) -> None:
    """The broker refuses the second subscription: the first is dropped, a later follow starts over."""
    from homeassistant.components import mqtt
    from homeassistant.exceptions import HomeAssistantError

    subscribe = mqtt.async_subscribe

    async def refuse_availability(hass: HomeAssistant, topic: str, *args: Any, **kwargs: Any) -> Any:
        if topic.endswith("/availability"):
            raise HomeAssistantError("refused")
        return await subscribe(hass, topic, *args, **kwargs)

    hosted = hosted_cameras(hass)
    with patch.object(mqtt, "async_subscribe", refuse_availability), pytest.raises(HomeAssistantError):
        await hosted.async_follow("bobby")
    await hass.async_block_till_done()
    client = real_mqtt_client(hass)
    assert not [s for s in client.subscriptions if s.topic.startswith("bobby/listen_frame/")]
    release = await hosted.async_follow("bobby")
    await hass.async_block_till_done()
    assert {s.topic for s in client.subscriptions if s.topic.startswith("bobby/listen_frame/")} == {
        "bobby/listen_frame/+/stats",
        "bobby/listen_frame/+/availability",
    }
    release()
