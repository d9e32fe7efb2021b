"""The one MQTT test client: keeps every message (with its arrival time) and waits for conditions."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


@dataclass
class Received:
    topic: str
    payload: bytes
    retain: bool
    at: float  # time.monotonic() on arrival
    properties: dict  # MQTT v5 user properties


class Collector:
    """Subscribes to `topics` (again after a reconnect) and keeps what arrives, in order."""

    def __init__(
        self,
        broker,
        topics: list[str] | str = "#",
        protocol: int = mqtt.MQTTv5,
        username: str | None = None,
        password: str | None = None,
        announce_cameras: bool = False,
    ) -> None:
        self.messages: list[Received] = []
        # listen_frame serves only cameras that announced themselves: with this, the first frame
        # this client publishes for a camera is preceded by the camera's announce.
        self.announce_cameras = announce_cameras
        self.announced: set[str] = set()
        self.cond = threading.Condition()
        self.topics = [topics] if isinstance(topics, str) else list(topics)
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}", protocol=protocol
        )
        self.subscribed = threading.Event()
        self.client.on_connect = lambda client, *a: client.subscribe([(t, 1) for t in self.topics])
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.2, 1)
        if username:
            self.client.username_pw_set(username, password)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        # 30 s: a local broker answers in milliseconds, but a busy machine (make test runs suites
        # and files in parallel on two cores) may not schedule the client's network thread for a while.
        assert self.subscribed.wait(30), "test client could not connect and subscribe"

    def _on_message(self, client, userdata, msg: mqtt.MQTTMessage) -> None:
        props = {}
        if msg.properties is not None and getattr(msg.properties, "UserProperty", None):
            props = dict(msg.properties.UserProperty)
        with self.cond:
            self.messages.append(Received(msg.topic, msg.payload, bool(msg.retain), time.monotonic(), props))
            self.cond.notify_all()

    def on(self, topic: str) -> list[Received]:
        with self.cond:
            return [m for m in self.messages if m.topic == topic]

    def payloads(self, topic: str) -> list[bytes]:
        return [m.payload for m in self.on(topic)]

    def last(self, topic: str) -> bytes | None:
        p = self.payloads(topic)
        return p[-1] if p else None

    def wait_for(self, predicate: Callable[[], object], timeout: float = 60.0, what: str = "condition"):
        """Wait until predicate() is truthy; return its value. The default deadlines (60 s here, 30 s
        for one message below) are generous on purpose: `make test` runs suites and test files in
        parallel on two cores, so a message can come late; a passing test is as fast as before."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = sorted({m.topic for m in self.messages})
                    raise AssertionError(
                        f"timed out after {timeout} s waiting for {what}; topics seen: {seen}"
                    )
                self.cond.wait(min(remaining, 0.2))

    def wait_topic(
        self, topic: str, where=lambda m: True, timeout: float = 30.0, after: float = 0.0
    ) -> Received:
        """The newest message on `topic` that arrived at or after `after` and satisfies `where`."""
        return self.wait_for(
            lambda: next(
                (m for m in reversed(self.messages) if m.topic == topic and m.at >= after and where(m)), None
            ),
            timeout,
            f"a message on {topic}",
        )

    def wait_first(
        self,
        topic: str,
        matches: Callable[[bytes], object] = lambda payload: True,
        timeout: float = 30.0,
        after: float = 0.0,
    ) -> Received:
        """The oldest message on `topic` that arrived at or after `after` and whose payload `matches`."""
        return self.wait_for(
            lambda: next(
                (m for m in self.messages if m.topic == topic and m.at >= after and matches(m.payload)), None
            ),
            timeout,
            f"a matching message on {topic}",
        )

    def wait_json(
        self,
        topic: str,
        predicate: Callable[[object], object] = lambda obj: True,
        timeout: float = 30.0,
        after: float = 0.0,
    ):
        """The payload, decoded, of the oldest JSON message on `topic` (arrived at or after `after`) that passes."""

        def ok(payload: bytes) -> bool:
            try:
                return predicate(json.loads(payload))
            except ValueError:
                return False

        return json.loads(self.wait_first(topic, ok, timeout, after).payload)

    def count(self, topic: str, after: float = 0.0) -> int:
        """How many messages on `topic` arrived at or after `after`."""
        return sum(1 for m in self.on(topic) if m.at >= after)

    def wait_payload(self, topic: str, payload: bytes | None = None, timeout: float = 30.0) -> bytes:
        def check():
            for p in reversed(self.payloads(topic)):
                if payload is None or p == payload:
                    return p or b"<empty>"
            return None

        return self.wait_for(check, timeout, f"{payload!r} on {topic}")

    def announce(self, cam_topic: str, mode: str = "dumb", name: str | None = None) -> None:
        """`<base>/<cam>`'s retained announce, as a camera publishes it (docs/mqtt.md, announce)."""
        cam = cam_topic.rsplit("/", 1)[-1]
        body = {"id": cam, "name": name or cam, "mode": mode, "sw_version": "test"}
        self.publish(f"{cam_topic}/announce", json.dumps(body), qos=1, retain=True)
        self.announced.add(cam_topic)

    def publish(self, topic: str, payload, qos: int = 1, retain: bool = False, properties=None) -> None:
        """Publish and wait until it is out; a dict goes as JSON."""
        if self.announce_cameras and topic.endswith("/frame"):
            cam_topic = topic[: -len("/frame")]
            if cam_topic not in self.announced:
                self.announce(cam_topic)
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties).wait_for_publish(5)

    def clear(self, topic: str | None = None) -> None:
        with self.cond:
            self.messages = [m for m in self.messages if topic is not None and m.topic != topic]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
