"""ManagedClient against a real Mosquitto: client ids, secrets kept out of messages, what happens to
messages while the broker is away, the order after a reconnection, and the v5 Maximum Packet Size."""

from __future__ import annotations

import logging
import threading
import time

import paho.mqtt.client as mqtt
import pytest

from edge_agent.mqtt.broker import (
    PASSWORD_ENV,
    BrokerSettings,
    BrokerURLError,
    redact_url,
    warn_password_on_command_line,
)
from edge_agent.mqtt.client import ManagedClient, client_id, packet_size_for_payload
from tests.support.mqtt import Collector

# ---- client ids ---------------------------------------------------------------------------


def test_client_id_is_stable_safe_and_bounded():
    assert client_id("listen-frame", "garage") == "bobby-listen-frame-garage"
    assert client_id("camera", "front_door") == client_id("camera", "front_door")  # no PID, no random
    odd = client_id("camera", "a b/c+#é")
    assert odd == "bobby-camera-a-b-c"
    long_a = client_id("listen-frame", "x" * 64 + "a")
    long_b = client_id("listen-frame", "x" * 64 + "b")
    assert len(long_a) == len(long_b) == 64 and long_a != long_b
    for cid in (odd, long_a, client_id("camera", "c" * 64)):
        assert len(cid) <= 64 and all(c.isalnum() or c in "-_" for c in cid)


def test_a_restarted_service_takes_its_old_session_over(own_mosquitto):
    """Same id: the broker closes the half-open old session and publishes its Will before the new
    one connects, so the new `online` is the last word (with a PID in the id the old Will could
    come whenever the broker noticed the dead session, overwriting `online`)."""
    avail = "takeover/availability"
    watch = Collector(own_mosquitto, avail)
    cid = client_id("test", "takeover")
    settings = BrokerSettings(own_mosquitto.host, own_mosquitto.port)

    def service() -> ManagedClient:
        return ManagedClient(
            settings,
            cid,
            will=(avail, "offline"),
            on_connected=lambda mc: mc.publish(avail, "online", qos=1, retain=True),
        )

    old = service()
    old.start()
    watch.wait_first(avail, lambda p: p == b"online")
    # The old process "dies" without a word: its socket stays open as a half-open session would.
    old.client.loop_stop()
    new = service()
    try:
        new.start()
        watch.wait_for(lambda: watch.payloads(avail)[-2:] == [b"offline", b"online"], 10, "Will then online")
        time.sleep(0.5)
        assert watch.last(avail) == b"online"
        fresh = Collector(own_mosquitto, avail)
        fresh.wait_first(avail, lambda p: p == b"online", timeout=5)  # the retained value
        fresh.close()
    finally:
        new.stop()
        old.client.disconnect()
        watch.close()


# ---- secrets ------------------------------------------------------------------------------


def test_broker_url_errors_and_reprs_never_show_the_password():
    for bad in (
        "ftp://bob:s3cr3t-pw@host",
        "mqtt://bob:s3cr3t-pw@",
        "mqtt://bob:s3cr3t-pw@host:notaport",
        "mqtt://bob:s3cr3t-pw@host:99999",
        "mqtt://bob:s3cr3t-pw@[::1",
    ):
        with pytest.raises(BrokerURLError) as err:
            BrokerSettings.from_url(bad)
        assert "s3cr3t-pw" not in str(err.value) and "***" in str(err.value), str(err.value)
    s = BrokerSettings.from_url("mqtt://bob:s3cr3t-pw@host")
    assert s.password == "s3cr3t-pw"
    assert "s3cr3t-pw" not in repr(s) and "s3cr3t-pw" not in s.redacted()
    assert (
        redact_url("rtsp://u:p@cam/x and mqtts://bob:pw@h:8883")
        == "rtsp://u:***@cam/x and mqtts://bob:***@h:8883"
    )


def test_password_from_file_environment_or_url(tmp_path):
    pw_file = tmp_path / "pw"
    pw_file.write_text("from-file\n")
    env = {PASSWORD_ENV: "from-env"}
    assert BrokerSettings.resolve("mqtt://bob@h", env=env).password == "from-env"
    assert BrokerSettings.resolve("mqtt://bob@h", str(pw_file), env=env).password == "from-file"
    assert BrokerSettings.resolve("mqtt://bob:url@h", env=env).password == "url"
    assert BrokerSettings.resolve("mqtt://bob@h", env={}).password is None
    empty = tmp_path / "empty"
    empty.write_text("")
    with pytest.raises(BrokerURLError, match="empty"):
        BrokerSettings.resolve("mqtt://bob@h", str(empty), env={})
    with pytest.raises(BrokerURLError, match="missing"):
        BrokerSettings.resolve("mqtt://bob@h", str(tmp_path / "missing"), env={})


def test_password_on_the_command_line_is_warned_about(caplog):
    with caplog.at_level(logging.WARNING):
        warn_password_on_command_line("mqtt://bob@h", argv=["x", "--broker", "mqtt://bob@h"])
        # Handed over in-process (the add-on runs listen-frame that way): not in `ps`, no warning.
        warn_password_on_command_line("mqtt://bob:hunter2@h", argv=["bobby-edge", "addon"])
        assert not caplog.records
        warn_password_on_command_line("mqtt://bob:hunter2@h", argv=["x", "--broker", "mqtt://bob:hunter2@h"])
    assert "process list" in caplog.text and "hunter2" not in caplog.text


def test_tls_without_verification_is_warned_about(caplog):
    with caplog.at_level(logging.WARNING):
        ManagedClient(BrokerSettings("h", 8883, tls=True), "t-secure")
        assert "verification is OFF" not in caplog.text
        ManagedClient(BrokerSettings("h", 8883, tls=True, insecure=True), "t-insecure")
    assert "verification is OFF" in caplog.text


# ---- while the broker is away, and after ----------------------------------------------------


def test_outage_keeps_only_what_is_still_true_and_availability_leads(own_mosquitto):
    avail = "outage/availability"
    client = ManagedClient(
        BrokerSettings(own_mosquitto.host, own_mosquitto.port),
        client_id("test", "outage"),
        will=(avail, "offline"),
        on_connected=lambda mc: mc.publish(avail, "online", qos=1, retain=True),
        min_backoff=0.1,
        # Not 1 s: the fresh event below waits for the broker's start and the next reconnection
        # attempt (up to RECONNECT_MAX, 2 s, apart), which a busy machine can push past 1 s.
        stale_after=5.0,
        pending_max_messages=10,
    )
    client.start()
    try:
        own_mosquitto.stop()
        assert _wait(lambda: not client.connected.is_set(), 5)
        # paho's own backlog (a message handed to it just as the connection died) joins ours.
        client.client.publish("outage/state", "state from paho", qos=1, retain=True)
        for i in range(12):  # more than the store keeps: the oldest make room
            client.publish(f"outage/many/{i}", str(i), qos=1, retain=True)
        for i in range(100):
            assert client.publish("outage/frame", b"jpeg", qos=0).rc == mqtt.MQTT_ERR_NO_CONN
            client.publish("outage/state", f"state {i}", qos=1, retain=True)
        client.publish("outage/event", "old event", qos=1)
        time.sleep(5.2)  # the old event is now stale
        client.publish("outage/event", "fresh event", qos=1)
        assert client.pending() == 10
        own_mosquitto.start()
        up = time.monotonic()
        watch = Collector(own_mosquitto, "outage/#")
        assert client.connected.wait(5), "no reconnection within 5 s of the broker being up"
        watch.wait_for(lambda: watch.payloads("outage/event"), 5, "the replay")
        time.sleep(0.3)
        order = [m.topic for m in watch.messages]
        assert order.index(avail) < order.index("outage/state") < order.index("outage/event"), order
        assert watch.wait_first(avail, lambda p: p == b"online").at - up < 5
        assert watch.payloads("outage/event") == [b"fresh event"]
        assert watch.payloads("outage/frame") == []
        assert watch.payloads("outage/state") == [b"state 99"]
        assert [i for i in range(12) if watch.payloads(f"outage/many/{i}")] == list(range(5, 12))
        c = client.counters
        assert c["dropped_offline"] == 100
        assert c["superseded"] == 100  # 99 states replaced by a newer one, paho's by ours
        assert c["dropped_pending_full"] == 5
        assert c["stale"] == 1
        assert c["replayed"] == 9
        watch.close()
    finally:
        client.stop()


def test_broker_restart_brings_availability_back_fast_with_a_backlog(own_mosquitto):
    """A backlog of 500 snapshot-sized QoS 1 messages during the outage: `online` first, in < 5 s."""
    avail = "restart/availability"
    client = ManagedClient(
        BrokerSettings(own_mosquitto.host, own_mosquitto.port),
        client_id("test", "restart"),
        will=(avail, "offline"),
        on_connected=lambda mc: mc.publish(avail, "online", qos=1, retain=True),
    )
    client.start()
    stop = threading.Event()

    def busy() -> None:  # a service that keeps publishing results all along
        i = 0
        while not stop.is_set():
            client.publish(f"restart/snapshot/{i % 700}", b"x" * 40_000, qos=1, retain=True)
            i += 1
            time.sleep(0.001)

    pump = threading.Thread(target=busy, daemon=True)
    pump.start()
    try:
        time.sleep(1)
        own_mosquitto.proc.kill()
        own_mosquitto.proc.wait()
        time.sleep(3)  # long enough for paho's backoff to have grown
        own_mosquitto.start()
        up = time.monotonic()
        watch = Collector(own_mosquitto, avail)
        back = watch.wait_first(avail, lambda p: p == b"online", timeout=10).at - up
        print(f"online back {back:.2f} s after the broker was up")
        assert back < 5.0
    finally:
        stop.set()
        pump.join(2)
        client.stop()


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


# ---- Maximum Packet Size ------------------------------------------------------------------


def test_maximum_packet_size_makes_the_broker_drop_oversized_messages(own_mosquitto):
    got: list[bytes] = []
    limit = packet_size_for_payload(20_000)
    client = ManagedClient(
        BrokerSettings(own_mosquitto.host, own_mosquitto.port),
        client_id("test", "maxpacket"),
        on_connected=lambda mc: mc.subscribe("mps/#", 0),
        on_message=lambda msg: got.append(msg.payload),
        max_packet_size=limit,
    )
    # A retained marker (this broker is the test's own): its arrival says the subscription is in
    # place, where a fixed 0.3 s may not be on a busy machine.
    sender = Collector(own_mosquitto, "unused/#")
    sender.publish("mps/ready", b"ready", qos=1, retain=True)
    client.start()
    try:
        assert _wait(lambda: b"ready" in got, 30), "the subscription is not in place"
        got.clear()
        sender.publish("mps/frame", b"a" * (limit + 1), qos=0)  # over the limit, never sent to us
        sender.publish("mps/frame", b"b" * 1000, qos=0)
        sender.publish("mps/frame", b"c" * (limit * 4), qos=1)
        sender.publish("mps/frame", b"d" * 20_000, qos=1)
        assert _wait(lambda: len(got) >= 2, 30)
        time.sleep(0.5)
        assert [p[:1] for p in got] == [b"b", b"d"]
        assert client.connected.is_set() and client.connect_count == 1  # still the same connection
    finally:
        sender.close()
        client.stop()
