"""Every path of the set-up flow: MQTT discovery, user (scan and by id), duplicates, no MQTT,
reconfigure."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_MQTT, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bobby_camera.config_flow import async_scan_cameras
from custom_components.bobby_camera.const import (
    CONF_BASE_TOPIC,
    CONF_CAMERA_ID,
    CONF_ORIGIN,
    CONF_TOKEN,
    DOMAIN,
)

from .conftest import BASE, CAM, announce_payload, fire


def _discovery(topic: str, payload: Any) -> MqttServiceInfo:
    return MqttServiceInfo(
        topic=topic,
        payload=json.dumps(payload) if isinstance(payload, dict) else payload,
        qos=1,
        retain=True,
        subscribed_topic="bobby/+/announce",
        timestamp=0.0,
    )


async def test_discovery_confirm_creates_entry(hass: HomeAssistant, mqtt_mock: Any) -> None:
    """An announce offers the camera; confirming creates one entry per camera."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_MQTT},
        data=_discovery(
            "bobby/garden/announce",
            announce_payload(
                mode="smart",
                stream_url="http://192.168.1.20:8080/stream.mjpg",
                snapshot_url="http://192.168.1.20:8080/snapshot.jpg",
            ),
        ),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"
    # The HTTP origin the token will be sent to is shown before the user adds the camera.
    assert result["description_placeholders"] == {
        "name": "Garden",
        "camera_id": CAM,
        "base_topic": BASE,
        "origin": "http://192.168.1.20:8080",
    }
    flows = hass.config_entries.flow.async_progress()
    assert flows[0]["context"]["title_placeholders"] == {"name": "Garden"}

    with patch("custom_components.bobby_camera.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Garden"
    assert result["data"] == {
        CONF_CAMERA_ID: CAM,
        CONF_BASE_TOPIC: BASE,
        CONF_ORIGIN: "http://192.168.1.20:8080",
    }
    assert result["result"].unique_id == CAM


@pytest.mark.parametrize(
    ("announce", "step_id", "origin"),
    [
        # A dumb camera: its pictures and live view come over MQTT; no origin, no token, even
        # when it serves its own HTTP live view (Home Assistant does not use it).
        (announce_payload(), "confirm_dumb", ""),
        (
            announce_payload(stream_url="http://192.168.1.30:8081/video"),
            "confirm_dumb",
            "http://192.168.1.30:8081",
        ),
        # A smart camera without an HTTP server: no live view, nothing to accept.
        (announce_payload(mode="smart"), "confirm_smart_no_http", ""),
    ],
)
async def test_confirm_says_what_applies_to_the_camera(
    hass: HomeAssistant, mqtt_mock: Any, announce: dict[str, Any], step_id: str, origin: str
) -> None:
    """Each kind of camera gets its own confirm text (strings.json), with only its placeholders."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=_discovery("bobby/garden/announce", announce)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step_id
    assert result["description_placeholders"] == {"name": "Garden", "camera_id": CAM, "base_topic": BASE}
    with patch("custom_components.bobby_camera.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_CAMERA_ID: CAM, CONF_BASE_TOPIC: BASE, CONF_ORIGIN: origin}


def test_confirm_texts_fit_their_camera() -> None:
    """The dumb and no-HTTP texts speak of no origin or token; the smart one of both."""
    steps = json.loads(
        (Path(__file__).resolve().parents[2] / "custom_components/bobby_camera/strings.json").read_text()
    )["config"]["step"]
    confirm = steps["confirm"]["description"]
    assert (
        "{origin}" in confirm and "token" in confirm and "smart camera" in confirm and "{mode}" not in confirm
    )
    for step in ("confirm_dumb", "confirm_smart_no_http", "confirm_unannounced"):
        text = steps[step]["description"]
        assert "{origin}" not in text and "{mode}" not in text, step
    assert "dumb camera" in steps["confirm_dumb"]["description"]
    assert "smart camera" in steps["confirm_smart_no_http"]["description"]


async def test_manifest_discovery_topic_starts_flow(hass: HomeAssistant, mqtt_mock: Any) -> None:
    """The manifest's `mqtt` key: an announce on the broker starts the flow by itself."""
    fire(hass, "bobby/porch/announce", announce_payload("porch"), retain=True)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_MQTT
    assert flows[0]["context"]["unique_id"] == "porch"
    assert flows[0]["context"]["title_placeholders"] == {"name": "Porch"}


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("bobby/garden/announce", ""),
        ("bobby/garden/announce", "not json"),
        ("bobby/garden/announce", "[1, 2]"),
        ("bobby/garden/announce", {"id": "other", "mode": "dumb"}),
        ("bobby/bad id!/announce", {"id": "bad id!"}),
        ("bobby/garden/other", {"id": "garden"}),
        ("announce", {"id": "garden"}),
        ("bobby/garden\n/announce", {"id": "garden\n"}),
        ("/bobby/garden/announce", {"id": "garden"}),
        ("bobby/garden/announce", {"id": "garden", "name": "x" * 20000}),
    ],
)
async def test_discovery_invalid(hass: HomeAssistant, mqtt_mock: Any, topic: str, payload: Any) -> None:
    """A retained announce that was cleared, or one that is not an announce, is refused."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=_discovery(topic, payload)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"


async def test_discovery_already_configured_is_not_moved(hass: HomeAssistant, mqtt_mock: Any) -> None:
    """A configured camera is not offered again, nor moved by an announce under another base topic
    (anyone on the broker can publish one); the user moves it with reconfigure."""
    entry = MockConfigEntry(domain=DOMAIN, unique_id=CAM, data={CONF_CAMERA_ID: CAM, CONF_BASE_TOPIC: "old"})
    entry.add_to_hass(hass)
    with patch("custom_components.bobby_camera.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_MQTT},
            data=_discovery("bobby/garden/announce", announce_payload()),
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_BASE_TOPIC] == "old"


async def _broker_form(hass: HomeAssistant) -> Any:
    """The user step's menu, then its first entry: a camera on the broker."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["broker", "ha_camera"]
    return await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "broker"})


async def test_user_no_mqtt(hass: HomeAssistant) -> None:
    """Without HA's MQTT integration the flow says so."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"


async def test_user_mqtt_not_connected(hass: HomeAssistant) -> None:
    """MQTT configured but its client does not come up: a clear abort too."""
    MockConfigEntry(domain="mqtt", data={"broker": "mock-broker"}).add_to_hass(hass)
    with patch("homeassistant.components.mqtt.async_wait_for_mqtt_client", return_value=False):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_connected"


async def test_user_by_camera_id(hass: HomeAssistant, mqtt_mock: Any) -> None:
    """A camera id and a base topic: its announce (if any) is looked for, then confirmed."""
    result = await _broker_form(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "broker"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_BASE_TOPIC: "home/cams", CONF_CAMERA_ID: "bad id"}
    )
    assert result["errors"] == {CONF_CAMERA_ID: "invalid_camera_id"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_BASE_TOPIC: "home/+", CONF_CAMERA_ID: "porch"}
    )
    assert result["errors"] == {CONF_BASE_TOPIC: "invalid_base_topic"}

    with patch("custom_components.bobby_camera.config_flow.SCAN_SECONDS", 0.05):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_BASE_TOPIC: " home/cams ", CONF_CAMERA_ID: "porch"}
        )
    # Nothing announced: the confirm step says its kind is not known yet (and shows no origin).
    assert result["step_id"] == "confirm_unannounced"
    assert "origin" not in result["description_placeholders"]
    with patch("custom_components.bobby_camera.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "porch"
    assert result["data"] == {CONF_CAMERA_ID: "porch", CONF_BASE_TOPIC: "home/cams", CONF_ORIGIN: ""}


@pytest.mark.parametrize(
    "base", ["", "/bobby", "bobby/", "a/#", "a\u0000b", "a//b", "bob by", "$SYS", "x" * 200]
)
async def test_user_invalid_base(hass: HomeAssistant, mqtt_mock: Any, base: str) -> None:
    """Base topics that cannot carry the contract's topics are refused."""
    result = await _broker_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_BASE_TOPIC: base, CONF_CAMERA_ID: "porch"}
    )
    assert result["errors"] == {CONF_BASE_TOPIC: "invalid_base_topic"}


async def test_user_by_camera_id_duplicate(
    hass: HomeAssistant, mqtt_mock: Any, config_entry: MockConfigEntry
) -> None:
    """The same camera id twice is refused."""
    config_entry.add_to_hass(hass)
    result = await _broker_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_BASE_TOPIC: BASE, CONF_CAMERA_ID: CAM}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def _scan_with(hass: HomeAssistant, flow_id: str, messages: list[tuple[str, Any]]) -> Any:
    """Submit the user form without an id while the broker delivers the retained announces.

    The base topic is `home`, not `bobby`: announces under `bobby` would also start discovery
    flows (the manifest's `mqtt` key), which is tested on its own.
    """
    with patch("custom_components.bobby_camera.config_flow.SCAN_SECONDS", 0.05):
        task = hass.async_create_task(
            hass.config_entries.flow.async_configure(flow_id, {CONF_BASE_TOPIC: "home"})
        )
        await asyncio.sleep(0)
        for topic, payload in messages:
            fire(hass, topic, payload, retain=True)
        return await task


async def test_user_scan_lists_cameras(
    hass: HomeAssistant, mqtt_mock: Any, config_entry: MockConfigEntry
) -> None:
    """Without an id, the announced cameras not yet configured are listed."""
    config_entry.add_to_hass(hass)
    result = await _broker_form(hass)
    result = await _scan_with(
        hass,
        result["flow_id"],
        [
            ("home/garden/announce", announce_payload()),
            (
                "home/porch/announce",
                announce_payload("porch", mode="smart", snapshot_url="http://porch.local:8080/snap.jpg"),
            ),
            ("home/attic/announce", "garbage"),
        ],
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pick"
    options = result["data_schema"].schema[CONF_CAMERA_ID].config["options"]
    assert options == [{"value": "porch", "label": "Porch (porch, smart)"}]

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_CAMERA_ID: "porch"})
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"]["origin"] == "http://porch.local:8080"
    with patch("custom_components.bobby_camera.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Porch"
    assert result["data"] == {
        CONF_CAMERA_ID: "porch",
        CONF_BASE_TOPIC: "home",
        CONF_ORIGIN: "http://porch.local:8080",
    }
    assert result["result"].unique_id == "porch"


async def test_user_scan_nothing_found(hass: HomeAssistant, mqtt_mock: Any) -> None:
    """An empty broker: the form says no camera announced itself."""
    result = await _broker_form(hass)
    result = await _scan_with(hass, result["flow_id"], [])
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_cameras_found"}


async def test_user_scan_all_configured(
    hass: HomeAssistant, mqtt_mock: Any, config_entry: MockConfigEntry
) -> None:
    """Every announced camera is set up already: the form says so."""
    config_entry.add_to_hass(hass)
    result = await _broker_form(hass)
    result = await _scan_with(hass, result["flow_id"], [("home/garden/announce", announce_payload())])
    assert result["errors"] == {"base": "all_configured"}


async def test_scan_unsubscribes(hass: HomeAssistant, mqtt_mock: Any) -> None:
    """The scan collects announces while it runs and unsubscribes after."""
    from homeassistant.components import mqtt

    real_subscribe = mqtt.async_subscribe
    calls: list[str] = []

    async def spy(hass: HomeAssistant, topic: str, *args: Any, **kwargs: Any) -> Any:
        unsubscribe = await real_subscribe(hass, topic, *args, **kwargs)

        def wrapped() -> None:
            calls.append(f"unsubscribe {topic}")
            unsubscribe()

        calls.append(f"subscribe {topic}")
        return wrapped

    with (
        patch("custom_components.bobby_camera.config_flow.SCAN_SECONDS", 0.05),
        patch("homeassistant.components.mqtt.async_subscribe", spy),
    ):
        task = hass.async_create_task(async_scan_cameras(hass, "elsewhere"))
        await asyncio.sleep(0)
        fire(hass, "elsewhere/x/announce", announce_payload("x"))
        assert await task == {"x": announce_payload("x")}
    assert calls == ["subscribe elsewhere/+/announce", "unsubscribe elsewhere/+/announce"]


async def test_reconfigure(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """The base topic, a smart camera's token and its HTTP origin can be changed; the entry reloads."""
    fire(
        hass,
        "bobby/garden/announce",
        announce_payload(mode="smart", stream_url="https://cam.lan/stream.mjpg"),
    )
    await hass.async_block_till_done()
    result = await loaded_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    # What the camera announces now, for the user to compare with the accepted origin.
    assert result["description_placeholders"] == {"camera_id": CAM, "announced": "https://cam.lan:443"}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_BASE_TOPIC: "bad/#"})
    assert result["errors"] == {CONF_BASE_TOPIC: "invalid_base_topic"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_BASE_TOPIC: "home/cams", CONF_ORIGIN: "ftp://cam.lan"}
    )
    assert result["errors"] == {CONF_ORIGIN: "invalid_origin"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_BASE_TOPIC: "home/cams", CONF_TOKEN: " s3cret ", CONF_ORIGIN: "https://cam.lan/"},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert loaded_entry.data == {
        CONF_CAMERA_ID: CAM,
        CONF_BASE_TOPIC: "home/cams",
        CONF_TOKEN: "s3cret",
        CONF_ORIGIN: "https://cam.lan:443",
    }
    runtime = loaded_entry.runtime_data
    assert runtime.topics.rois == "home/cams/garden/rois"
    assert runtime.token == "s3cret"
    assert runtime.origin == "https://cam.lan:443"


async def test_reconfigure_unloaded_entry(
    hass: HomeAssistant, mqtt_mock: Any, config_entry: MockConfigEntry
) -> None:
    """An entry that is not loaded knows no announce: the form says none."""
    config_entry.add_to_hass(hass)
    with patch("custom_components.bobby_camera.async_setup_entry", return_value=False):
        await hass.config_entries.async_setup(config_entry.entry_id)
    result = await config_entry.start_reconfigure_flow(hass)
    assert result["description_placeholders"]["announced"] == "none"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_BASE_TOPIC: BASE, CONF_ORIGIN: ""}
    )
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data[CONF_ORIGIN] == ""
