"""The ROI editor: a menu over regions and detection settings; saving publishes the whole set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bobby_camera.const import OPT_DETECTION, OPT_ROIS, OPT_VERSION

from .conftest import fire, published

ROIS_TOPIC = "bobby/garden/rois"
DRIVEWAY = {
    "id": "driveway",
    "name": "Driveway",
    "points": [[0.05, 0.4], [0.6, 0.4], [0.6, 1.0], [0.05, 1.0]],
    "labels": ["person"],
    "min_score": 0.6,
}
DOOR = {
    "id": "front_door",
    "name": "Front door",
    "points": [[0.1, 0.1], [0.3, 0.1], [0.4, 0.25], [0.3, 0.4], [0.1, 0.4]],
    "labels": ["dog", "person"],
}
DEFAULT_DETECTION = {
    "labels": ["person"],
    "threshold": 0.5,
    "min_area": 0.0,
    "max_area": 1.0,
    "frames_needed": 2,
    "frames_window": 3,
    "clear_after": 10.0,
    "motion": True,
    "motion_sensitivity": 5,
    "motion_keepalive": 2.0,
}


async def _menu(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    return result


async def _step(hass: HomeAssistant, result: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return await hass.config_entries.options.async_configure(result["flow_id"], data)


async def test_add_regions_and_save_publishes_whole_set(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry
) -> None:
    """A rectangle, a polygon and detection settings; save publishes exactly this, retained."""
    result = await _menu(hass, loaded_entry)
    assert result["menu_options"] == ["add_region", "detection", "save"]
    # No regions: no list (the description says what a region does), no lone "-" that markdown
    # would turn into an empty heading.
    assert result["description_placeholders"] == {"count": "0", "max": "32", "regions": ""}

    result = await _step(hass, result, {"next_step_id": "add_region"})
    assert result["step_id"] == "region"
    result = await _step(
        hass, result, {"name": "Driveway", "shape": "rectangle", "labels": ["person"], "min_score": 60}
    )
    assert result["step_id"] == "rectangle"
    result = await _step(hass, result, {"left": 5, "top": 40, "right": 60, "bottom": 100})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["add_region", "edit_region", "remove_region", "detection", "save"]
    assert result["description_placeholders"] == {
        "count": "1",
        "max": "32",
        "regions": "- Driveway: 5, 40 → 60, 100 %; person",
    }

    result = await _step(hass, result, {"next_step_id": "add_region"})
    result = await _step(
        hass, result, {"name": "Front door", "shape": "polygon", "labels": ["person", "dog"]}
    )
    assert result["step_id"] == "polygon"
    result = await _step(hass, result, {"points": "10,10; 30,10; 40,25\n30,40; 10,40"})
    assert result["type"] is FlowResultType.MENU
    assert "Front door: 5 points; dog, person" in result["description_placeholders"]["regions"]

    result = await _step(hass, result, {"next_step_id": "detection"})
    assert result["step_id"] == "detection"
    result = await _step(
        hass,
        result,
        {
            "threshold": 55,
            "min_area": 0.5,
            "max_area": 80,
            "frames_needed": 3,
            "frames_window": 5,
            "clear_after": 15,
        },
    )
    assert result["type"] is FlowResultType.MENU

    mqtt_mock.async_publish.reset_mock()
    result = await _step(hass, result, {"next_step_id": "save"})
    assert result["type"] is FlowResultType.CREATE_ENTRY

    detection = {
        "labels": ["person"],
        "threshold": 0.55,
        "min_area": 0.005,
        "max_area": 0.8,
        "frames_needed": 3,
        "frames_window": 5,
        "clear_after": 15.0,
        "motion": True,
        "motion_sensitivity": 5,
        "motion_keepalive": 2.0,
    }
    expected = {"version": 1, "rois": [DRIVEWAY, DOOR], "detection": detection}
    sent = published(mqtt_mock, ROIS_TOPIC)
    assert len(sent) == 1
    payload, qos, retain = sent[0]
    assert json.loads(payload) == expected
    assert (qos, retain) == (1, True)
    # The entry is the source of truth: it holds exactly what was sent.
    assert dict(loaded_entry.options) == {
        OPT_VERSION: 1,
        OPT_ROIS: [DRIVEWAY, DOOR],
        OPT_DETECTION: detection,
    }
    # The acknowledgement is awaited in the background.
    assert loaded_entry.runtime_data.health.pending_ack[0] == 1


@pytest.fixture
async def stored_entry(hass: HomeAssistant, mqtt_mock: Any, config_entry: MockConfigEntry) -> MockConfigEntry:
    """A loaded entry that already holds a set (version 4) with a rectangle and a polygon."""
    entry = MockConfigEntry(
        domain=config_entry.domain,
        title=config_entry.title,
        unique_id=config_entry.unique_id,
        entry_id=config_entry.entry_id,
        data=dict(config_entry.data),
        options={OPT_VERSION: 4, OPT_ROIS: [DRIVEWAY, DOOR], OPT_DETECTION: DEFAULT_DETECTION},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_edit_rename_remove_and_version_above_broker(
    hass: HomeAssistant, mqtt_mock: Any, stored_entry: MockConfigEntry
) -> None:
    """Edits start from the stored set; the new version goes above every version seen."""
    # A hand-published set on the broker holds version 9.
    fire(hass, ROIS_TOPIC, {"version": 9, "rois": []}, retain=True)
    await hass.async_block_till_done()

    result = await _menu(hass, stored_entry)
    result = await _step(hass, result, {"next_step_id": "edit_region"})
    options = result["data_schema"].schema["region"].config["options"]
    assert options == [
        {"value": "driveway", "label": "Driveway"},
        {"value": "front_door", "label": "Front door"},
    ]
    # A rectangle opens as a rectangle, with its edges.
    result = await _step(hass, result, {"region": "driveway"})
    assert result["step_id"] == "region"
    suggested = {str(k): k.description["suggested_value"] for k in result["data_schema"].schema}
    assert suggested == {"name": "Driveway", "shape": "rectangle", "labels": ["person"], "min_score": 60}
    result = await _step(hass, result, {"name": "Drive", "shape": "rectangle", "labels": ["car"]})
    suggested = {str(k): k.description["suggested_value"] for k in result["data_schema"].schema}
    assert suggested == {"left": 5, "top": 40, "right": 60, "bottom": 100}
    result = await _step(hass, result, {"left": 0, "top": 50, "right": 100, "bottom": 100})
    assert result["type"] is FlowResultType.MENU

    # A polygon opens as a polygon, with its points in percent.
    result = await _step(hass, result, {"next_step_id": "edit_region"})
    result = await _step(hass, result, {"region": "front_door"})
    result = await _step(hass, result, {"name": "Front door", "shape": "polygon", "labels": ["person"]})
    suggested = {str(k): k.description["suggested_value"] for k in result["data_schema"].schema}
    assert suggested == {"points": "10,10; 30,10; 40,25; 30,40; 10,40"}
    result = await _step(hass, result, {"points": "(10,10),(30,10),(20,30)"})
    assert result["type"] is FlowResultType.MENU

    result = await _step(hass, result, {"next_step_id": "remove_region"})
    result = await _step(hass, result, {"regions": ["front_door"]})
    assert result["menu_options"] == ["add_region", "edit_region", "remove_region", "detection", "save"]

    mqtt_mock.async_publish.reset_mock()
    result = await _step(hass, result, {"next_step_id": "save"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    payload = json.loads(published(mqtt_mock, ROIS_TOPIC)[0][0])
    assert payload == {
        "version": 10,
        "rois": [
            {
                "id": "drive",
                "name": "Drive",
                "points": [[0.0, 0.5], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0]],
                "labels": ["car"],
            }
        ],
        "detection": DEFAULT_DETECTION,
    }
    assert stored_entry.options[OPT_VERSION] == 10


async def test_remove_every_region_sends_empty_set(
    hass: HomeAssistant, mqtt_mock: Any, stored_entry: MockConfigEntry
) -> None:
    """No regions left: an empty list, "the whole frame", is sent."""
    result = await _menu(hass, stored_entry)
    result = await _step(hass, result, {"next_step_id": "remove_region"})
    result = await _step(hass, result, {"regions": ["driveway", "front_door"]})
    assert result["menu_options"] == ["add_region", "detection", "save"]
    mqtt_mock.async_publish.reset_mock()
    await _step(hass, result, {"next_step_id": "save"})
    assert json.loads(published(mqtt_mock, ROIS_TOPIC)[0][0])["rois"] == []


@pytest.mark.parametrize(
    ("points", "error"),
    [
        ("10,10; 20,20", "too_few_points"),
        ("10,10; 120,10; 50,50", "point_out_of_range"),
        ("0,0; 100,100; 100,0; 0,100", "self_intersecting"),
        ("10,10; 50,10; 50,50; 30,5", "self_intersecting"),
        ("10,10; 20,20; 30,30", "degenerate_polygon"),
        ("ten,ten; 1,2; 3,4", "invalid_points"),
        ("; ".join(f"{i},{i % 2 * 50}" for i in range(65)), "too_many_points"),
    ],
)
async def test_invalid_polygon(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, points: str, error: str
) -> None:
    """Bad polygons get a translated error on the points field and can be corrected."""
    result = await _menu(hass, loaded_entry)
    result = await _step(hass, result, {"next_step_id": "add_region"})
    result = await _step(hass, result, {"name": "Shed", "shape": "polygon", "labels": ["person"]})
    result = await _step(hass, result, {"points": points})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"points": error}
    result = await _step(hass, result, {"points": "10,10; 20,10; 20,20"})
    assert result["type"] is FlowResultType.MENU


async def test_invalid_rectangle_and_names(
    hass: HomeAssistant, mqtt_mock: Any, stored_entry: MockConfigEntry
) -> None:
    """Inverted rectangles, duplicate and unusable names, no labels."""
    result = await _menu(hass, stored_entry)
    result = await _step(hass, result, {"next_step_id": "add_region"})
    result = await _step(hass, result, {"name": "driveway!", "shape": "rectangle", "labels": ["person"]})
    assert result["errors"] == {"name": "duplicate_name"}
    result = await _step(hass, result, {"name": "!!!", "shape": "rectangle", "labels": []})
    assert result["errors"] == {"name": "invalid_name", "labels": "invalid_labels"}
    result = await _step(hass, result, {"name": "Lawn", "shape": "rectangle", "labels": ["person"]})
    result = await _step(hass, result, {"left": 60, "top": 10, "right": 20, "bottom": 50})
    assert result["errors"] == {"base": "invalid_rectangle"}
    result = await _step(hass, result, {"left": 20, "top": 10, "right": 60, "bottom": 50})
    assert result["type"] is FlowResultType.MENU


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"frames_needed": 4, "frames_window": 3}, "invalid_frames"),
        ({"min_area": 50, "max_area": 40}, "invalid_area"),
    ],
)
async def test_invalid_detection(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    changes: dict[str, Any],
    error: str,
) -> None:
    """Inconsistent detection settings are refused with a translated error."""
    result = await _menu(hass, loaded_entry)
    result = await _step(hass, result, {"next_step_id": "detection"})
    good = {
        "threshold": 50,
        "min_area": 0,
        "max_area": 100,
        "frames_needed": 2,
        "frames_window": 3,
        "clear_after": 10,
    }
    result = await _step(hass, result, {**good, **changes})
    assert result["errors"] == {"base": error}
    result = await _step(hass, result, good)
    assert result["type"] is FlowResultType.MENU


async def test_not_loaded(hass: HomeAssistant, mqtt_mock: Any, config_entry: MockConfigEntry) -> None:
    """The editor needs the loaded camera (it publishes through it)."""
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"


async def test_publish_failure(hass: HomeAssistant, mqtt_mock: Any, stored_entry: MockConfigEntry) -> None:
    """When MQTT refuses the publish, the flow says so; the set is stored (HA is the source of
    truth: the retained-set check sends it once MQTT is back, tests/ha/test_save_path.py)."""
    from unittest.mock import patch

    from homeassistant.exceptions import HomeAssistantError

    result = await _menu(hass, stored_entry)
    with patch(
        "homeassistant.components.mqtt.async_publish",
        side_effect=HomeAssistantError("MQTT is not enabled"),
    ):
        result = await _step(hass, result, {"next_step_id": "save"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "publish_failed"
    assert result["description_placeholders"] == {"error": "MQTT is not enabled"}
    assert stored_entry.options[OPT_VERSION] == 5


async def test_save_refuses_invalid_stored_set(
    hass: HomeAssistant, mqtt_mock: Any, config_entry: MockConfigEntry
) -> None:
    """A stored set that is not valid (edited by hand in .storage) is not sent on save."""
    entry = MockConfigEntry(
        domain=config_entry.domain,
        unique_id=config_entry.unique_id,
        data=dict(config_entry.data),
        options={OPT_VERSION: 2, OPT_ROIS: [{**DRIVEWAY, "points": [[0, 0], [1, 1], [1, 0], [0, 1]]}]},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    mqtt_mock.async_publish.reset_mock()
    result = await _menu(hass, entry)
    result = await _step(hass, result, {"next_step_id": "save"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_rois"
    assert result["description_placeholders"] == {"error": 'region "Driveway": self intersecting'}
    assert published(mqtt_mock, ROIS_TOPIC) == []


def test_menu_text_without_regions_says_what_a_region_does() -> None:
    """The menu's description, filled in as the frontend does, for a camera without regions."""
    strings = json.loads(
        (Path(__file__).parents[2] / "custom_components/bobby_camera/strings.json").read_text()
    )
    text = strings["options"]["step"]["init"]["description"].format(count="0", max="32", regions="")
    assert "Regions: **0**" in text
    assert "Regions now:" not in text
    assert "people outside every region no longer count for the camera-wide person sensor" in text
    region = strings["options"]["step"]["region"]["description"]
    assert "people outside every region do not count for the camera-wide person sensor" in region


async def test_region_cap_hides_add_region(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry
) -> None:
    """With MAX_ROIS regions the menu offers no "Add a region"."""
    square = [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]
    rois = [{"id": f"r{i}", "name": f"R{i}", "points": square, "labels": ["person"]} for i in range(32)]
    hass.config_entries.async_update_entry(loaded_entry, options={OPT_VERSION: 1, OPT_ROIS: rois})
    result = await _menu(hass, loaded_entry)
    assert result["menu_options"] == ["edit_region", "remove_region", "detection", "save"]
    assert result["description_placeholders"]["count"] == "32"


async def _regions_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry, detection: dict[str, Any]
) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=config_entry.domain,
        title=config_entry.title,
        unique_id=config_entry.unique_id,
        entry_id=config_entry.entry_id,
        data=dict(config_entry.data),
        options={OPT_VERSION: 4, OPT_ROIS: [DRIVEWAY], OPT_DETECTION: detection},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


GOOD_DETECTION_FORM = {
    "threshold": 50,
    "min_area": 0,
    "max_area": 100,
    "frames_needed": 2,
    "frames_window": 3,
    "clear_after": 10,
}


async def test_saving_detection_settings_keeps_regions_and_max_regions(
    hass: HomeAssistant, mqtt_mock: Any, config_entry: MockConfigEntry
) -> None:
    """A set with regions off and at most 2 regions per frame (issue 20): saving the detection
    form without those fields (a client that does not know them) keeps both, in the entry and
    in the published set; the form suggests the set's values."""
    stored = {**DEFAULT_DETECTION, "regions": False, "max_regions": 2}
    entry = await _regions_entry(hass, config_entry, stored)
    result = await _menu(hass, entry)
    result = await _step(hass, result, {"next_step_id": "detection"})
    assert result["step_id"] == "detection"
    suggested = {str(k): k.description["suggested_value"] for k in result["data_schema"].schema}
    assert suggested["regions"] is False and suggested["max_regions"] == 2
    result = await _step(hass, result, {**GOOD_DETECTION_FORM, "threshold": 60})
    assert result["type"] is FlowResultType.MENU
    mqtt_mock.async_publish.reset_mock()
    result = await _step(hass, result, {"next_step_id": "save"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    expected = {**stored, "threshold": 0.6}
    assert entry.options[OPT_DETECTION] == expected
    sent = published(mqtt_mock, ROIS_TOPIC)
    assert len(sent) == 1
    assert json.loads(sent[0][0])["detection"] == expected


async def test_regions_fields_set_regions_and_max_regions(
    hass: HomeAssistant, mqtt_mock: Any, config_entry: MockConfigEntry
) -> None:
    """The form's two fields: "Look closer at what moves" and "Most regions per frame" (1-8).
    A set that never had them gets them only when the user changes them from the services'
    defaults (on, 4): a set saved with the defaults stays as it was, readable by a service that
    does not know the keys."""
    entry = await _regions_entry(hass, config_entry, DEFAULT_DETECTION)
    result = await _menu(hass, entry)
    result = await _step(hass, result, {"next_step_id": "detection"})
    suggested = {str(k): k.description["suggested_value"] for k in result["data_schema"].schema}
    assert suggested["regions"] is True and suggested["max_regions"] == 4
    # The defaults, as the frontend submits the suggested values: nothing added.
    result = await _step(hass, result, {**GOOD_DETECTION_FORM, "regions": True, "max_regions": 4})
    assert result["type"] is FlowResultType.MENU
    result = await _step(hass, result, {"next_step_id": "save"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[OPT_DETECTION] == DEFAULT_DETECTION

    result = await _menu(hass, entry)
    result = await _step(hass, result, {"next_step_id": "detection"})
    result = await _step(hass, result, {**GOOD_DETECTION_FORM, "regions": True, "max_regions": 6})
    assert result["type"] is FlowResultType.MENU
    result = await _step(hass, result, {"next_step_id": "detection"})
    # Out of range: refused by the form's schema.
    with pytest.raises(InvalidData):
        await _step(hass, result, {**GOOD_DETECTION_FORM, "max_regions": 9})
    result = await _step(hass, result, {**GOOD_DETECTION_FORM, "regions": False, "max_regions": 6})
    mqtt_mock.async_publish.reset_mock()
    result = await _step(hass, result, {"next_step_id": "save"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    expected = {**DEFAULT_DETECTION, "regions": False, "max_regions": 6}
    assert entry.options[OPT_DETECTION] == expected
    assert json.loads(published(mqtt_mock, ROIS_TOPIC)[0][0])["detection"] == expected
