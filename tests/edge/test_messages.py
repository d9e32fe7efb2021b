"""The pieces both detection services share: switch commands, ROI acknowledgements, discovery."""

from __future__ import annotations

import json

import pytest

from edge_agent.mqtt.discovery import DiscoveryPublisher
from edge_agent.mqtt.messages import CommandError, claimed_version, parse_switch, rois_ack


@pytest.mark.parametrize(
    "payload, expected",
    [
        (b"ON", (True, None)),
        (b" off\n", (False, None)),  # listen_frame always took any case
        (b'{"state": "OFF", "request_id": "r-1"}', (False, "r-1")),
        (b'{"state": "on"}', (True, None)),
    ],
)
def test_switch_commands(payload, expected):
    assert parse_switch(payload) == expected


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"maybe", "expected ON, OFF or JSON"),
        (b"\xff", "not UTF-8"),
        (b"{nope", "invalid JSON"),
        (b'{"state": "PAUSE"}', "'state' must be"),
        (b'{"state": "ON", "request_id": 7}', "'request_id' must be a string"),
        (b"[1]", "expected ON, OFF or JSON"),
    ],
)
def test_bad_switch_commands_say_why(payload, message):
    with pytest.raises(CommandError, match=message):
        parse_switch(payload)


def test_rois_ack_and_claimed_version():
    ack = json.loads(rois_ack(8, False, "roi 'door': polygon is self-intersecting", 7, "camera/garden"))
    assert (
        ack["version"] == 8
        and ack["ok"] is False
        and ack["active_version"] == 7
        and ack["service"] == "camera/garden"
    )
    assert claimed_version(b'{"version": 8, "rois": 3}') == 8
    assert claimed_version(b'{"version": true}') is None and claimed_version(b"not json") is None


class FakeClient:
    """Records what a DiscoveryPublisher sends (the broker side is tested end to end elsewhere)."""

    def __init__(self):
        self.published, self.subscribed = [], []

    def publish(self, topic, payload, qos=0, retain=False):
        self.published.append((topic, payload, retain))

    def subscribe(self, topic, qos=0):
        self.subscribed.append(topic)


def test_discovery_publisher_removes_what_a_camera_no_longer_has():
    client = FakeClient()
    pub = DiscoveryPublisher("homeassistant", "garden")
    a = "homeassistant/binary_sensor/bobby_garden/person_door/config"
    b = "homeassistant/binary_sensor/bobby_garden/person/config"
    pub.publish(client, {a: {"x": 1}, b: {"x": 2}})
    assert len(client.subscribed) == 2 and pub.published
    client.published.clear()
    pub.publish(client, {b: {"x": 2}})
    assert (a, b"", True) in client.published and len(client.subscribed) == 2  # subscribed once
    # A retained config of a region that is gone comes back from the broker: emptied.
    stale = "homeassistant/device_automation/bobby_garden/person_detected_shed/config"
    assert pub.on_config(client, stale, b"{}", ["door"]) and client.published[-1] == (stale, b"", True)
    assert not pub.on_config(client, stale, b"{}", ["shed"])
    assert not pub.on_config(client, b, b"{}", [])  # ours, in force
    pub.reconnected()
    pub.publish(client, {b: {"x": 2}})
    assert len(client.subscribed) == 4


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b'{"state": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "at most 1024"),
        (b'{"state": ' + b"[" * 500 + b"]" * 500 + b"}", "nested too deeply"),  # read_json's depth
        (b'{"state": ["ON"]}', "'state' must be"),
        (b'{"state": "ON", "request_id": "' + b"x" * 65 + b'"}', "at most 64 characters"),
    ],
)
def test_hostile_switch_commands_are_refused_with_a_reason(payload, why):
    # The first one raised RecursionError (not a CommandError) in the handler: found by the fuzzer.
    with pytest.raises(CommandError, match=why):
        parse_switch(payload)
