"""In-process seams: a recording publisher in place of the broker, and messages as paho builds them.

The channel (edge_agent/mqtt/channel.py), the router (mqtt/routing.py) and listen_frame's cluster
(listen_frame/cluster.py) publish through a `publish(topic, payload, qos, retain)` callable or an
object with `publish`/`subscribe`; `RecordingPublisher` is that object, and keeps what was
published, in order. What arrives is a real `paho.mqtt.client.MQTTMessage` (`message`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import paho.mqtt.client as mqtt


@dataclass(frozen=True)
class Published:
    topic: str
    payload: bytes
    qos: int
    retain: bool

    def json(self):
        return json.loads(self.payload)


class RecordingPublisher:
    """What was published (payloads as bytes, as the broker would carry them), in order."""

    def __init__(self) -> None:
        self.published: list[Published] = []
        self.subscribed: list[tuple[str, int]] = []

    def publish(self, topic: str, payload=b"", qos: int = 0, retain: bool = False) -> None:
        if isinstance(payload, str):
            payload = payload.encode()
        self.published.append(Published(topic, bytes(payload or b""), qos, retain))

    def subscribe(self, topic: str, qos: int = 0) -> None:
        self.subscribed.append((topic, qos))

    def on(self, topic: str) -> list[bytes]:
        """The payloads published on `topic`, in order."""
        return [p.payload for p in self.published if p.topic == topic]

    def last(self, topic: str) -> Published | None:
        return next((p for p in reversed(self.published) if p.topic == topic), None)

    def topics(self) -> list[str]:
        return [p.topic for p in self.published]

    def take(self) -> list[Published]:
        """Everything published since the last take (and forget it)."""
        out, self.published = self.published, []
        return out


def message(topic: str, payload: bytes | str = b"", retain: bool = False) -> mqtt.MQTTMessage:
    """A message as paho hands it to on_message."""
    msg = mqtt.MQTTMessage(topic=topic.encode())
    msg.payload = payload.encode() if isinstance(payload, str) else payload
    msg.retain = retain
    return msg
