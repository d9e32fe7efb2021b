"""Fixtures of the integration's tests: HA's test harness with a mocked (or, for the real-parts
test, a real) MQTT client, a camera entry, and helpers that speak the MQTT contract."""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)

from custom_components.bobby_camera.const import CONF_BASE_TOPIC, CONF_CAMERA_ID, CONF_ORIGIN, DOMAIN
from tests.support.mosquitto import Mosquitto

CAM = "garden"
BASE = "bobby"
ENTRY_ID = "01JBOBBYGARDEN000000000000"
JPEG_1 = b"\xff\xd8\xff\xe0frame-one\xff\xd9"
JPEG_2 = b"\xff\xd8\xff\xe0frame-two\xff\xd9"
# The HTTP server the camera announced when it was added (what the confirm step showed).
ORIGIN = "http://garden.local:8080"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let HA load custom_components/bobby_camera."""


def real_mqtt_client(hass: HomeAssistant) -> Any:
    """HA's MQTT client behind the harness's MagicMock (which wraps it)."""
    client = hass.data["mqtt"].client
    return getattr(client, "_mock_wraps", None) or client


@pytest.fixture
async def mqtt_mock(hass: HomeAssistant, mqtt_mock: Any) -> Any:
    """HA's mocked MQTT client, without the timer it leaves behind.

    With the mocked paho client the socket never closes, so HA's MQTT keeps its 1 s "misc" timer
    after the test; cancelling it (instead of allowing lingering timers for every test) keeps the
    harness's check of our own timers and tasks.
    """
    yield mqtt_mock
    client = real_mqtt_client(hass)
    if client._misc_timer is not None:
        client._misc_timer.cancel()
        client._misc_timer = None


@pytest.fixture(autouse=True)
def short_save_ack_wait() -> Generator[None]:
    """Saving an ROI set waits SAVE_ACK_WAIT (10 s) for the service's acknowledgement; with the
    mocked broker no service answers, so the tests wait a tenth of a second (those that test the
    wait answer in time or set their own)."""
    with patch("custom_components.bobby_camera.runtime.SAVE_ACK_WAIT", 0.1):
        yield


@pytest.fixture
def config_entry() -> MockConfigEntry:
    """The entry of the camera `garden` under the default base topic, its HTTP origin accepted."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Garden",
        unique_id=CAM,
        entry_id=ENTRY_ID,
        data={CONF_CAMERA_ID: CAM, CONF_BASE_TOPIC: BASE, CONF_ORIGIN: ORIGIN},
    )


@pytest.fixture
async def loaded_entry(hass: HomeAssistant, mqtt_mock: Any, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The camera entry, set up with HA's mocked MQTT client."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


def camera_entry(cam: str, base: str = BASE) -> MockConfigEntry:
    """The entry of a camera `cam` under `base` (titled after it, no HTTP origin)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=cam.capitalize(),
        unique_id=cam,
        data={CONF_CAMERA_ID: cam, CONF_BASE_TOPIC: base},
    )


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """`entry` added and set up (it must load)."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def announce_payload(cam: str = CAM, mode: str = "dumb", **extra: Any) -> dict[str, Any]:
    """An announce as docs/mqtt.md shows it."""
    return {
        "id": cam,
        "name": cam.capitalize(),
        "mode": mode,
        "resolution": [640, 480],
        "fps": 2.0,
        "sw_version": "0.1.0",
        "platform": "test",
        "stream_url": None,
        "snapshot_url": None,
        **extra,
    }


def fire(hass: HomeAssistant, topic: str, payload: Any, retain: bool = False) -> None:
    """A message from the broker; dicts are sent as JSON."""
    if isinstance(payload, dict):
        payload = json.dumps(payload)
    async_fire_mqtt_message(hass, topic, payload, retain=retain)


def published(mqtt_mock: Any, topic: str) -> list[tuple[Any, int, bool]]:
    """(payload, qos, retain) of every publish on a topic through HA's MQTT client."""
    return [
        (c.args[1], c.args[2], c.args[3])
        for c in mqtt_mock.async_publish.call_args_list
        if c.args[0] == topic
    ]


@pytest.fixture
def real_broker(socket_enabled: None) -> Generator[Mosquitto]:
    """A real Mosquitto on loopback (HA's harness blocks sockets until socket_enabled)."""
    broker = Mosquitto().start()
    yield broker
    broker.stop()
