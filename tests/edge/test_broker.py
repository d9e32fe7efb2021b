"""ManagedClient against a real Mosquitto: a broker that is down at boot, and the v5 -> 3.1.1 fallback."""

from __future__ import annotations

import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from edge_agent.mqtt.broker import BrokerSettings
from edge_agent.mqtt.client import ManagedClient
from tests.support.mosquitto import Mosquitto, free_port


def test_broker_down_at_boot_is_connected_when_it_appears():
    port = free_port()
    hooks = []
    client = ManagedClient(
        BrokerSettings("127.0.0.1", port),
        "test-late",
        on_connected=lambda mc: hooks.append(mc.is_v5),
        min_backoff=0.2,
        max_backoff=1.0,
    )
    client.start(timeout=None)  # nothing listens yet: must not raise, keeps trying
    broker = None
    try:
        time.sleep(1.0)
        assert not client.connected.is_set()
        broker = Mosquitto(port=port).start()
        assert client.connected.wait(10), "no connection after the broker appeared"
        assert hooks == [True]  # the hook ran, over MQTT v5 (Mosquitto speaks it)
        assert client.publish("late/x", b"1", qos=1).rc == mqtt.MQTT_ERR_SUCCESS
    finally:
        client.stop()
        if broker is not None:
            broker.stop()


def test_a_broker_refusing_v5_gets_311_also_when_it_appears_late(own_mosquitto):
    # Mosquitto (2.0) always speaks v5 and has no setting to refuse it, so no real broker here can
    # send the refusal. A 3.1.1 broker answers a v5 CONNECT with return code 1, which paho decodes
    # as the reason code below (paho/mqtt/_packet.py, decode_connack); we hand our on-connect
    # handler exactly that, as paho's network thread would, on a client started before the broker
    # was reachable (timeout=None), and check it then connects to the real broker with 3.1.1.
    connected_as = []
    client = ManagedClient(
        BrokerSettings(own_mosquitto.host, own_mosquitto.port),
        "test-fallback",
        on_connected=lambda mc: connected_as.append(mc.protocol),
        min_backoff=0.2,
        max_backoff=1.0,
    )
    try:
        client.start(timeout=None)
        assert client.connected.wait(10)
        first = client.client
        client.connected.clear()
        refused = ReasonCode(PacketTypes.CONNACK, aName="Unsupported protocol version")
        client._on_connect(first, None, None, refused, None)
        deadline = time.monotonic() + 10
        while (client.client is first or not client.connected.is_set()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.client is not first and client.connected.is_set()
        assert not client.is_v5 and client.protocol == mqtt.MQTTv311
        assert connected_as[-1] == mqtt.MQTTv311
        # The new session works: a message round trip over 3.1.1.
        got = threading.Event()
        client.client.on_message = lambda *a: got.set()
        client.subscribe("fallback/x", 1)
        time.sleep(0.2)
        client.publish("fallback/x", b"1", qos=1)
        assert got.wait(5)
    finally:
        client.stop()
    # A refusal for another reason (bad credentials) is not a protocol question: no switch.
    other = ManagedClient(BrokerSettings(own_mosquitto.host, own_mosquitto.port), "test-no-fallback")
    other._on_connect(other.client, None, None, ReasonCode(PacketTypes.CONNACK, identifier=135), None)
    time.sleep(0.3)
    assert other.is_v5
