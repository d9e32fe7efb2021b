"""The one save path of an ROI set (runtime.py async_save_set): the ROI editor, the card's
websocket command and the set_rois action all validate, store, publish and wait for the
acknowledgement, in that order, and answer with what the service said."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.bobby_camera.const import DOMAIN, OPT_ROIS, OPT_VERSION

from .conftest import published

ROIS_TOPIC = "bobby/garden/rois"
APPLIED_TOPIC = "bobby/garden/rois/applied"
DOOR = {"name": "Door", "points": [[0.1, 0.1], [0.4, 0.1], [0.4, 0.9], [0.1, 0.9]]}
BAD = {"name": "Bow tie", "points": [[0, 0], [1, 1], [1, 0], [0, 1]]}

type Save = Callable[[HomeAssistant, MockConfigEntry, list[dict[str, Any]]], Awaitable[dict[str, Any]]]


async def _by_options_flow(
    hass: HomeAssistant, entry: MockConfigEntry, rois: list[dict[str, Any]]
) -> dict[str, Any]:
    """The ROI editor: DOOR drawn as a rectangle through its steps, then Save; any other set is
    put in its working copy as a hand-edited stored set would be (the steps refuse it earlier)."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    configure = hass.config_entries.options.async_configure
    if rois == [DOOR]:
        result = await configure(result["flow_id"], {"next_step_id": "add_region"})
        result = await configure(
            result["flow_id"], {"name": "Door", "shape": "rectangle", "labels": ["person"]}
        )
        result = await configure(result["flow_id"], {"left": 10, "top": 10, "right": 40, "bottom": 90})
        assert result["type"] is FlowResultType.MENU, result
    else:
        hass.config_entries.options._progress[result["flow_id"]]._rois = [dict(r) for r in rois]
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"next_step_id": "save"})
    if result["type"] is FlowResultType.CREATE_ENTRY:
        return {"ok": True}
    return {"ok": False, "reason": result["reason"], "placeholders": result["description_placeholders"]}


def _by_websocket(hass_ws_client: WebSocketGenerator) -> Save:
    async def save(hass: HomeAssistant, entry: MockConfigEntry, rois: list[dict[str, Any]]) -> dict[str, Any]:
        client = await hass_ws_client(hass)
        entity_id = er.async_get(hass).async_get_entity_id("camera", DOMAIN, "bobby_garden_live")
        await client.send_json_auto_id(
            {"type": "bobby_camera/save_rois", "entity_id": entity_id, "rois": rois}
        )
        msg = await client.receive_json()
        if msg["success"]:
            return {"ok": True, "ack": msg["result"]["ack"]}
        return {"ok": False, "reason": msg["error"]["code"]}

    return save


async def _by_action(
    hass: HomeAssistant, entry: MockConfigEntry, rois: list[dict[str, Any]]
) -> dict[str, Any]:
    device = dr.async_get(hass).async_get_device(identifiers={("mqtt", "bobby_garden")})
    assert device is not None
    try:
        response = await hass.services.async_call(
            DOMAIN,
            "set_rois",
            {"rois": rois},
            target={"device_id": device.id},
            blocking=True,
            return_response=True,
        )
    except HomeAssistantError as err:
        return {"ok": False, "reason": type(err).__name__}
    assert response is not None
    return {"ok": True, "ack": response["acks"]["garden"]}


@pytest.fixture(params=["options_flow", "websocket", "action"])
def save(request: pytest.FixtureRequest, hass_ws_client: WebSocketGenerator) -> Save:
    """Each of the three ways to save a set."""
    if request.param == "options_flow":
        return _by_options_flow
    if request.param == "websocket":
        return _by_websocket(hass_ws_client)
    return _by_action


def _service_answers(hass: HomeAssistant, mqtt_mock: Any, order: list[str], ok: bool = True) -> None:
    """The detection service, as the broker shows it to HA: every published set is acknowledged at
    once (before the publish call even returns). Records the order of store and publish."""
    real_update = hass.config_entries.async_update_entry

    def update(entry: Any, **changes: Any) -> bool:
        if "options" in changes and changes["options"].get(OPT_VERSION) not in order:
            order.append("store")
            order.append(changes["options"][OPT_VERSION])
        return real_update(entry, **changes)

    async def publish(topic: str, payload: Any, qos: int = 0, retain: bool = False) -> None:
        if topic == ROIS_TOPIC:
            order.append("publish")
            version = json.loads(payload)["version"]
            ack = {"version": version, "ok": ok, "active_version": version, "service": "listen_frame/pi4"}
            if not ok:
                ack.update(error="too many regions", active_version=version - 1)
            async_fire_mqtt_message(hass, APPLIED_TOPIC, json.dumps(ack))

    mqtt_mock.async_publish.side_effect = publish
    hass.config_entries.async_update_entry = update  # type: ignore[method-assign]


async def test_every_path_validates_stores_publishes_and_waits(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, save: Save
) -> None:
    """Stored before it is published, and the service's acknowledgement is waited for."""
    order: list[str] = []
    _service_answers(hass, mqtt_mock, order)
    with patch("custom_components.bobby_camera.runtime.SAVE_ACK_WAIT", 30):
        answer = await save(hass, loaded_entry, [DOOR])
    assert answer["ok"] is True, answer
    assert order == ["store", 1, "publish"]
    assert loaded_entry.options[OPT_VERSION] == 1
    assert [r["id"] for r in loaded_entry.options[OPT_ROIS]] == ["door"]
    if "ack" in answer:
        assert answer["ack"]["ok"] is True
    assert loaded_entry.runtime_data.data.ack is not None
    assert loaded_entry.runtime_data.health.pending_ack is None


async def test_every_path_refuses_an_invalid_set_before_storing(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, save: Save
) -> None:
    """A set that is not valid is neither stored nor published, whichever way it comes."""
    order: list[str] = []
    _service_answers(hass, mqtt_mock, order)
    answer = await save(hass, loaded_entry, [BAD])
    assert answer["ok"] is False
    assert answer["reason"] in ("invalid_rois", "ServiceValidationError")
    assert order == []
    assert OPT_VERSION not in loaded_entry.options


async def test_a_refusal_is_answered(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, save: Save
) -> None:
    """The service's refusal comes back to whoever saved: the editor shows it, the card and the
    action get it in their answer."""
    order: list[str] = []
    _service_answers(hass, mqtt_mock, order, ok=False)
    with patch("custom_components.bobby_camera.runtime.SAVE_ACK_WAIT", 30):
        answer = await save(hass, loaded_entry, [DOOR])
    assert order == ["store", 1, "publish"]
    if "reason" in answer:  # the ROI editor
        assert answer["reason"] == "rois_refused"
        assert answer["placeholders"] == {"service": "listen_frame/pi4", "error": "too many regions"}
    else:
        assert answer["ack"]["ok"] is False
        assert answer["ack"]["error"] == "too many regions"


async def test_a_set_not_published_is_sent_when_mqtt_is_back(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry
) -> None:
    """MQTT away at save time: the set is stored, the save says it was not sent, and the
    retained-set check publishes it once HA's MQTT client connects again."""
    runtime = loaded_entry.runtime_data
    with (
        patch("homeassistant.components.mqtt.async_publish", side_effect=HomeAssistantError("not connected")),
        pytest.raises(HomeAssistantError),
    ):
        await runtime.async_save_set([DOOR], None)
    assert loaded_entry.options[OPT_VERSION] == 1
    assert published(mqtt_mock, ROIS_TOPIC) == []
    # HA's MQTT client reconnects: the stored set goes out after RETAINED_WAIT.
    with patch("custom_components.bobby_camera.runtime.RETAINED_WAIT", 0.01):
        runtime._on_connection(True)
        await _wait_until(lambda: published(mqtt_mock, ROIS_TOPIC))
    sent = published(mqtt_mock, ROIS_TOPIC)
    assert json.loads(sent[0][0])["version"] == 1
    assert sent[0][1:] == (1, True)


async def _wait_until(condition: Callable[[], Any], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_unloading_ends_a_save_that_waits(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry
) -> None:
    """A save waiting for its acknowledgement when the camera unloads answers at once, without one."""
    runtime = loaded_entry.runtime_data
    save = hass.async_create_task(runtime.async_save_set([DOOR], None, ack_wait=60))
    await _wait_until(lambda: published(mqtt_mock, ROIS_TOPIC))
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    saved = await asyncio.wait_for(save, 10)
    assert (saved.version, saved.ack) == (1, None)
