"""Repair issues: raised and cleared in repairs.py only, and the fix flow of "the camera announces
another HTTP server" (confirm the new origin), run through HA's repairs API as the frontend does."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bobby_camera import repairs
from custom_components.bobby_camera.const import CONF_ORIGIN, CONF_TOKEN, DOMAIN

from .conftest import ENTRY_ID, ORIGIN, announce_payload, fire

PACKAGE = Path(__file__).resolve().parents[2] / "custom_components" / "bobby_camera"
ISSUE = f"origin_changed_{ENTRY_ID}"
NEW_ORIGIN = "http://garden-new.local:8080"
NEW_SNAPSHOT = f"{NEW_ORIGIN}/snapshot.jpg"


async def _announce_elsewhere(hass: HomeAssistant) -> None:
    fire(hass, "bobby/garden/availability", "online")
    fire(hass, "bobby/garden/announce", announce_payload(mode="smart", snapshot_url=NEW_SNAPSHOT))
    await hass.async_block_till_done()


async def _start_fix(hass: HomeAssistant, hass_client: Any, issue_id: str) -> dict[str, Any]:
    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    response = await client.post("/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id})
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def test_origin_changed_is_fixed_by_confirming_the_new_origin(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    hass_client: Any,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The issue is fixable; its flow shows both origins, and submitting makes the announced
    origin the accepted one: the entry's data, then the reloaded camera follows its URLs."""
    hass.config_entries.async_update_entry(loaded_entry, data={**loaded_entry.data, CONF_TOKEN: "s3cret"})
    await _announce_elsewhere(hass)
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE)
    assert issue is not None and issue.is_fixable
    assert issue.data == {"entry_id": ENTRY_ID, "origin": NEW_ORIGIN}
    assert loaded_entry.runtime_data.url("snapshot_url") is None

    result = await _start_fix(hass, hass_client, ISSUE)
    assert result["type"] == "form"
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"]["asked"] == NEW_ORIGIN
    assert result["description_placeholders"]["accepted"] == ORIGIN
    assert result["description_placeholders"]["camera_id"] == "garden"

    client = await hass_client()
    response = await client.post(f"/api/repairs/issues/fix/{result['flow_id']}", json={})
    assert response.status == 200, await response.text()
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done()

    assert loaded_entry.data[CONF_ORIGIN] == NEW_ORIGIN
    assert loaded_entry.data[CONF_TOKEN] == "s3cret"
    assert issue_registry.async_get_issue(DOMAIN, ISSUE) is None
    # The reloaded camera reads the (retained) announce again and follows it on the new origin.
    runtime = loaded_entry.runtime_data
    assert runtime.origin == NEW_ORIGIN
    fire(hass, "bobby/garden/announce", announce_payload(mode="smart", snapshot_url=NEW_SNAPSHOT))
    await hass.async_block_till_done()
    assert runtime.url("snapshot_url") == NEW_SNAPSHOT
    assert issue_registry.async_get_issue(DOMAIN, ISSUE) is None


async def test_fix_flow_of_a_removed_camera_aborts(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    hass_client: Any,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A camera removed while its issue was open: the flow says so and changes nothing."""
    await _announce_elsewhere(hass)
    result = await _start_fix(hass, hass_client, ISSUE)
    assert await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client()
    response = await client.post(f"/api/repairs/issues/fix/{result['flow_id']}", json={})
    body = await response.json()
    assert body["type"] == "abort"
    assert body["reason"] == "entry_gone"


async def test_other_issues_are_not_fixable(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    """A refused ROI set is a warning whose fix is in the regions: no fix flow."""
    fire(
        hass,
        "bobby/garden/rois/applied",
        {"version": 1, "ok": False, "error": "bad", "service": "listen_frame/pi4"},
    )
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue(DOMAIN, f"rois_refused_{ENTRY_ID}")
    assert issue is not None and not issue.is_fixable
    with pytest.raises(ValueError, match="No fix flow"):
        await repairs.async_create_fix_flow(hass, f"rois_refused_{ENTRY_ID}", None)
    with pytest.raises(ValueError, match="No fix flow"):
        await repairs.async_create_fix_flow(hass, ISSUE, {"entry_id": ENTRY_ID})


def test_issues_are_raised_and_cleared_in_repairs_only() -> None:
    """No other module calls the issue registry: one place says which issues exist."""
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        calls = {
            node.func.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("async_create_issue", "async_delete_issue", "create_issue", "delete_issue")
        }
        assert not calls or path.name == "repairs.py", (path.name, calls)
