"""The `bobby_camera.set_rois` action: same validation and publish as the ROI editor."""

from __future__ import annotations

import json
from typing import Any

import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized, UnknownUser
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.bobby_camera.const import DOMAIN, OPT_DETECTION, OPT_VERSION

from .conftest import published

ROIS_TOPIC = "bobby/garden/rois"
DOOR = {"name": "Door", "points": [[0.1, 0.1], [0.4, 0.1], [0.4, 0.9]], "min_score": 0.7}


def _device_id(device_registry: dr.DeviceRegistry) -> str:
    return device_registry.async_get_device(identifiers={("mqtt", "bobby_garden")}).id


async def test_set_rois_publishes_and_stores(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The whole set goes out retained with a new version; detection keys not given are kept."""
    hass.config_entries.async_update_entry(
        loaded_entry, options={OPT_VERSION: 2, OPT_DETECTION: {"threshold": 0.7, "clear_after": 30.0}}
    )
    response = await hass.services.async_call(
        DOMAIN,
        "set_rois",
        {"rois": [DOOR], "detection": {"threshold": 0.55}},
        target={"device_id": _device_id(device_registry)},
        blocking=True,
        return_response=True,
    )
    # No service answers here: the action waited SAVE_ACK_WAIT for the acknowledgement in vain.
    assert response == {"versions": {"garden": 3}, "acks": {"garden": None}}
    sent = published(mqtt_mock, ROIS_TOPIC)
    assert len(sent) == 1
    assert sent[0][1:] == (1, True)
    assert json.loads(sent[0][0]) == {
        "version": 3,
        "rois": [
            {
                "id": "door",
                "name": "Door",
                "points": [[0.1, 0.1], [0.4, 0.1], [0.4, 0.9]],
                "labels": ["person"],
                "min_score": 0.7,
            }
        ],
        "detection": {
            "labels": ["person"],
            "threshold": 0.55,
            "min_area": 0.0,
            "max_area": 1.0,
            "frames_needed": 2,
            "frames_window": 3,
            "clear_after": 30.0,
            "motion": True,
            "motion_sensitivity": 5,
            "motion_keepalive": 2.0,
        },
    }
    assert loaded_entry.options[OPT_VERSION] == 3
    assert loaded_entry.runtime_data.health.pending_ack[0] == 3

    # Without asking for a response, the action still works and returns nothing.
    assert (
        await hass.services.async_call(
            DOMAIN,
            "set_rois",
            {"rois": []},
            target={"device_id": _device_id(device_registry)},
            blocking=True,
        )
        is None
    )
    assert json.loads(published(mqtt_mock, ROIS_TOPIC)[-1][0])["version"] == 4


@pytest.mark.parametrize(
    ("rois", "detection", "key", "message"),
    [
        (
            [{"name": "Bow", "points": [[0, 0], [1, 1], [1, 0], [0, 1]]}],
            None,
            "self_intersecting",
            'Region "Bow": the polygon is self-intersecting',
        ),
        (
            [{"name": "Tiny", "points": [[0, 0], [1, 1]]}],
            None,
            "too_few_points",
            'Region "Tiny": a polygon needs at least 3 points',
        ),
        (
            [{"name": "Out", "points": [[0, 0], [1.5, 0], [1, 1]]}],
            None,
            "point_out_of_range",
            'Region "Out": every point must be between 0 and 1',
        ),
        (
            [DOOR, {**DOOR, "name": "door"}],
            None,
            "duplicate_name",
            'Region "door": two regions have this name (or names that give the same id)',
        ),
        ([DOOR], {"frames_needed": 5}, "invalid_frames", None),
        ([DOOR], {"colour": "red"}, "invalid_detection", None),
    ],
)
async def test_set_rois_invalid(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    rois: list[dict[str, Any]],
    detection: dict[str, Any] | None,
    key: str,
    message: str | None,
) -> None:
    """A bad set is refused with a clear, translated error; nothing is sent or stored."""
    data: dict[str, Any] = {"rois": rois}
    if detection is not None:
        data["detection"] = detection
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "set_rois", data, target={"device_id": _device_id(device_registry)}, blocking=True
        )
    assert err.value.translation_key == key
    if message is not None:
        assert str(err.value) == message
    assert published(mqtt_mock, ROIS_TOPIC) == []
    assert OPT_VERSION not in loaded_entry.options


async def test_set_rois_unknown_device(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    """A device id that is not a Bobby camera (or no device at all) is refused."""
    other_entry = MockConfigEntry(domain="mqtt_other")
    other_entry.add_to_hass(hass)
    other = device_registry.async_get_or_create(
        config_entry_id=other_entry.entry_id, identifiers={("other", "x")}
    )
    for device_id, text in ((other.id, other.id), ("nope", "nope")):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN, "set_rois", {"rois": []}, target={"device_id": device_id}, blocking=True
            )
        assert err.value.translation_key == "device_not_found"
        assert str(err.value) == f"Device {text} is not a Bobby camera"


async def test_set_rois_entry_not_loaded(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    """The camera's entry is unloaded: the action says so instead of failing obscurely."""
    device_id = _device_id(device_registry)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "set_rois", {"rois": []}, target={"device_id": device_id}, blocking=True
        )
    assert err.value.translation_key == "entry_not_loaded"
    assert str(err.value) == "The Bobby camera Garden is not loaded"


async def test_set_rois_is_admin_only(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    hass_admin_user: MockUser,
    hass_read_only_user: MockUser,
) -> None:
    """A non-admin user may not change what the cameras watch; an admin may (with a response)."""
    target = {"device_id": _device_id(device_registry)}
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "set_rois",
            {"rois": [DOOR]},
            target=target,
            blocking=True,
            context=Context(user_id=hass_read_only_user.id),
        )
    with pytest.raises(UnknownUser):
        await hass.services.async_call(
            DOMAIN,
            "set_rois",
            {"rois": [DOOR]},
            target=target,
            blocking=True,
            context=Context(user_id="gone"),
        )
    assert published(mqtt_mock, ROIS_TOPIC) == []
    response = await hass.services.async_call(
        DOMAIN,
        "set_rois",
        {"rois": [DOOR]},
        target=target,
        blocking=True,
        return_response=True,
        context=Context(user_id=hass_admin_user.id),
    )
    assert response == {"versions": {"garden": 1}, "acks": {"garden": None}}


async def test_set_rois_region_cap(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """At most 32 regions: more is refused with an error that says how many, and nothing is sent."""
    square = [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]
    rois = [{"name": f"Zone {i}", "points": square} for i in range(33)]
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "set_rois",
            {"rois": rois},
            target={"device_id": _device_id(device_registry)},
            blocking=True,
        )
    assert err.value.translation_key == "too_many_regions"
    assert err.value.translation_placeholders == {"region": "", "count": "33", "max": "32"}
    assert str(err.value) == "33 regions given: a camera can have at most 32 regions"
    assert published(mqtt_mock, ROIS_TOPIC) == []
    await hass.services.async_call(
        DOMAIN,
        "set_rois",
        {"rois": rois[:32]},
        target={"device_id": _device_id(device_registry)},
        blocking=True,
    )
    assert len(json.loads(published(mqtt_mock, ROIS_TOPIC)[0][0])["rois"]) == 32
