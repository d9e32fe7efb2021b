"""A small MQTT test client: collects messages per topic and waits for conditions."""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


class Collector:
    def __init__(self, broker, topics: list[str] | str = "#", protocol: int = mqtt.MQTTv5) -> None:
        self.messages: dict[str, list[mqtt.MQTTMessage]] = defaultdict(list)
        self.cond = threading.Condition()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}", protocol=protocol)
        self.client.on_message = self._on_message
        self.topics = [topics] if isinstance(topics, str) else topics
        connected = threading.Event()
        self.client.on_connect = lambda *a: connected.set()
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert connected.wait(5), "test client could not connect"
        for t in self.topics:
            self.client.subscribe(t, 1)
        time.sleep(0.1)

    def _on_message(self, client, userdata, msg: mqtt.MQTTMessage) -> None:
        with self.cond:
            self.messages[msg.topic].append(msg)
            self.cond.notify_all()

    def payloads(self, topic: str) -> list[bytes]:
        with self.cond:
            return [m.payload for m in self.messages.get(topic, [])]

    def last(self, topic: str) -> bytes | None:
        p = self.payloads(topic)
        return p[-1] if p else None

    def wait_for(self, predicate: Callable[[], object], timeout: float = 20.0, what: str = "condition"):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
                self.cond.wait(min(remaining, 0.2))

    def wait_payload(self, topic: str, payload: bytes | None = None, timeout: float = 20.0) -> bytes:
        def check():
            for p in reversed(self.payloads(topic)):
                if payload is None or p == payload:
                    return p or b"<empty>"
            return None

        return self.wait_for(check, timeout, f"{payload!r} on {topic}")

    def publish(self, topic: str, payload, qos: int = 1, retain: bool = False, properties=None) -> None:
        self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties).wait_for_publish(5)

    def clear(self, topic: str | None = None) -> None:
        with self.cond:
            if topic is None:
                self.messages.clear()
            else:
                self.messages.pop(topic, None)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
