"""The integration's one reader for untrusted JSON (untrusted.py), and every MQTT reader using it:
bounded before parsing, bounded in depth, JSON numbers only, a ValueError, counted and logged at
most once a minute per reason."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_MQTT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry

from custom_components.bobby_camera import websocket_api as ws
from custom_components.bobby_camera.const import DOMAIN
from custom_components.bobby_camera.untrusted import (
    MAX_MESSAGE_BYTES,
    REFUSAL_LOG_INTERVAL,
    Refusals,
    UntrustedJSONError,
    integration_refusals,
    read_json,
    read_object,
)

from .conftest import announce_payload, fire

DEEP = b"[" * 8192 + b"]" * 8192


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"x" * 101, "more than the 100 allowed"),
        (DEEP[:100], "not valid JSON"),
        (b"[" * 17 + b"]" * 17, "nested too deeply"),
        ("{" + '"a":{' * 20 + "}" * 21, "nested too deeply"),
        (b'{"a": NaN}', "NaN is not a number"),
        (b'{"a": -Infinity}', "-Infinity is not a number"),
        (b"[1e999]", "not a finite number"),
        (b"1" + b"0" * 40, "more than 32 digits"),
        (b"\xff\xfe", "not valid JSON"),
        (b"", "not valid JSON"),
    ],
)
def test_read_json_refuses(payload: bytes | str, message: str) -> None:
    """Each bound gives a ValueError that says which one, never RecursionError or a traceback."""
    with pytest.raises(UntrustedJSONError, match=message) as err:
        read_json(payload, max_bytes=100 if len(payload) <= 101 else 64 * 1024)
    assert isinstance(err.value, ValueError)


def test_read_json_deep_nesting_at_any_size() -> None:
    """16 KiB of `[`, and 400 KB where Python's parser itself raises RecursionError, are both a
    ValueError here; brackets inside a string are no nesting."""
    with pytest.raises(UntrustedJSONError, match="nested too deeply"):
        read_json(DEEP, max_bytes=64 * 1024)
    with pytest.raises(UntrustedJSONError, match="nested too deeply"):
        read_json(b"[" * 200_000 + b"]" * 200_000, max_bytes=1_000_000)
    assert read_json(b'"' + b"[" * 40 + b'"') == "[" * 40


async def test_detection_state_may_be_a_bare_word(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry
) -> None:
    """An older agent's bare ON on detection/state is a state (not a malformed message)."""
    fire(hass, "bobby/garden/detection/state", "ON")
    await hass.async_block_till_done()
    detection = loaded_entry.runtime_data.data.detection
    assert detection is not None and detection.state == "ON"
    assert loaded_entry.runtime_data.refused == {}


def test_websocket_ack_needs_a_version() -> None:
    """The card gets only acknowledgements that name the version they answer."""
    assert ws._ack(b'{"version": "3", "ok": true}') is None
    assert ws._ack(b"[[[[") is None
    assert ws._ack(b'{"version": 3, "ok": true}') == {"version": 3, "ok": True}


def test_read_json_accepts_what_the_contract_sends() -> None:
    """Our payloads (4 levels at most), bytes, bytearray or str, and exactly 16 levels."""
    assert read_json(b'{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert read_json(bytearray(b"[1]")) == [1]
    assert read_json("[" * 16 + "]" * 16) == [[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]
    assert read_object(b'{"ok": true}') == {"ok": True}
    with pytest.raises(UntrustedJSONError, match="not a JSON object"):
        read_object(b"[1]")


def test_read_json_bound_is_inclusive() -> None:
    """Exactly max_bytes is read; one more byte is refused unread."""
    payload = b'"' + b"a" * 98 + b'"'
    assert read_json(payload, max_bytes=100) == "a" * 98
    with pytest.raises(UntrustedJSONError, match="101 bytes"):
        read_json(payload + b" ", max_bytes=100)


async def test_refusals_count_every_one_and_log_once_a_minute(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """A flood is a counter and one line per reason and minute (HA's clock drives the minute)."""
    refusals = Refusals("Camera garden")
    for _ in range(50):
        refusals.refuse("stats_malformed", "ignoring %s", "stats")
    refusals.refuse("ack_malformed", "ignoring %s", "an ack")
    assert refusals.counts == {"stats_malformed": 50, "ack_malformed": 1}
    assert caplog.text.count("Camera garden: ignoring stats (refused so far: 1)") == 1
    assert caplog.text.count("ignoring an ack") == 1
    later = dt_util.utcnow() + timedelta(seconds=REFUSAL_LOG_INTERVAL + 1)
    with patch("homeassistant.util.dt.utcnow", return_value=later):
        refusals.refuse("stats_malformed", "ignoring %s", "stats")
    assert "refused so far: 51" in caplog.text


@pytest.mark.parametrize(
    ("topic", "reason"),
    [
        ("bobby/garden/announce", "announce_malformed"),
        ("bobby/garden/stats", "stats_malformed"),
        ("bobby/garden/rois/applied", "ack_malformed"),
        ("bobby/garden/rois", "rois_malformed"),
    ],
)
async def test_every_camera_topic_reads_through_the_reader(
    hass: HomeAssistant,
    mqtt_mock: Any,
    loaded_entry: MockConfigEntry,
    hass_client: Any,
    caplog: pytest.LogCaptureFixture,
    topic: str,
    reason: str,
) -> None:
    """16 KiB of `[[[[`, NaN, a huge message and a list on each topic: counted, logged, harmless;
    the state the entities show is unchanged and a good message still reads after them."""
    runtime = loaded_entry.runtime_data
    for payload in (DEEP, b'{"version": NaN}', b"{" + b" " * (MAX_MESSAGE_BYTES + 1) + b"}", b"[1]"):
        fire(hass, topic, payload)
    await hass.async_block_till_done()
    assert runtime.refused == {reason: 4}
    assert caplog.text.count(f"Camera garden: ignoring a malformed {reason.split('_')[0]}") == 1
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded_entry)
    assert diagnostics["refused"] == {reason: 4}
    # An emptied retained message is no message: not counted.
    fire(hass, topic, b"")
    await hass.async_block_till_done()
    assert runtime.refused == {reason: 4}
    fire(hass, "bobby/garden/announce", announce_payload(name="Lawn"))
    await hass.async_block_till_done()
    assert runtime.name == "Lawn"


async def test_discovery_counts_a_malformed_announce(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, hass_client: Any
) -> None:
    """An announce that discovery cannot read is refused, counted for the integration as a whole
    (no camera to count it under) and shown in every camera's diagnostics."""
    for payload in (DEEP, b'{"id": "yard", "fps": Infinity}'):
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_MQTT},
            data=MqttServiceInfo(
                topic="bobby/yard/announce",
                payload=payload.decode(),
                qos=1,
                retain=True,
                subscribed_topic="bobby/+/announce",
                timestamp=0,
            ),
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "invalid_discovery_info"
    assert integration_refusals(hass).counts == {"announce_malformed": 2}
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded_entry)
    assert diagnostics["refused_by_integration"] == {"announce_malformed": 2}
    # A good one still goes through.
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_MQTT},
        data=MqttServiceInfo(
            topic="bobby/yard/announce",
            payload=json.dumps(announce_payload("yard")),
            qos=1,
            retain=True,
            subscribed_topic="bobby/+/announce",
            timestamp=0,
        ),
    )
    assert result["type"] is FlowResultType.FORM


async def test_discovery_of_an_emptied_announce_with_no_camera_id(
    hass: HomeAssistant, mqtt_mock: Any
) -> None:
    """An emptied announce on a topic whose camera level is no camera id aborts nothing else and
    offers nothing."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_MQTT},
        data=MqttServiceInfo(
            topic="bobby/not a camera!/announce",
            payload="",
            qos=1,
            retain=True,
            subscribed_topic="bobby/+/announce",
            timestamp=0,
        ),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"


@pytest.mark.parametrize(
    "payload",
    [
        b'{"a": [1, 2.5, "x", null, true]}',
        b"[" * 16 + b"]" * 16,
        b"[" * 17 + b"]" * 17,
        DEEP,
        b'{"a": NaN}',
        b"[1e999]",
        b"1" + b"0" * 31,
        b"1" + b"0" * 32,
        b"\xff",
        b'"[[[["',
        b"x" * 70_000,
    ],
)
def test_same_rules_as_the_edge_side(payload: bytes) -> None:
    """Twin of edge_agent/untrusted.py read_json: both sides accept and refuse the same payloads."""
    from edge_agent import untrusted as edge

    def outcome(read: Callable[[], Any]) -> Any:
        try:
            return ("ok", read())
        except ValueError:
            return ("refused", None)

    ours = outcome(lambda: read_json(payload, max_bytes=MAX_MESSAGE_BYTES))
    theirs = outcome(lambda: edge.read_json(payload, max_bytes=MAX_MESSAGE_BYTES))
    assert ours == theirs
