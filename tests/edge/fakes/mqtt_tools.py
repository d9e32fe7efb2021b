"""Test helpers for the camera tests: an MQTT recorder and a camera subprocess runner.

(Not a fake: it lives here so that the camera tests share it without a conftest of their own.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parents[3]
FAKES = Path(__file__).resolve().parent


@dataclass
class Received:
    topic: str
    payload: bytes
    retain: bool
    at: float
    properties: dict


class Recorder:
    """Subscribes to topics and keeps every message with its arrival time."""

    def __init__(self, broker, topics: list[str], protocol=mqtt.MQTTv5) -> None:
        self.messages: list[Received] = []
        self.cond = threading.Condition()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"rec-{uuid.uuid4().hex[:8]}", protocol=protocol)
        self.topics = topics
        self.subscribed = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a, **k: self.subscribed.set()
        self.client.reconnect_delay_set(0.2, 1)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert self.subscribed.wait(5), "recorder did not subscribe"

    def _on_connect(self, client, userdata, flags, rc, props=None):
        client.subscribe([(t, 1) for t in self.topics])

    def _on_message(self, client, userdata, msg):
        props = {}
        if msg.properties is not None and getattr(msg.properties, "UserProperty", None):
            props = dict(msg.properties.UserProperty)
        with self.cond:
            self.messages.append(Received(msg.topic, msg.payload, bool(msg.retain), time.monotonic(), props))
            self.cond.notify_all()

    def on(self, topic: str) -> list[Received]:
        with self.cond:
            return [m for m in self.messages if m.topic == topic]

    def wait_for(self, predicate, timeout: float = 10.0):
        """Wait until predicate(messages) is truthy; return its value."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = predicate(list(self.messages))
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out; topics seen: {sorted({m.topic for m in self.messages})}")
                self.cond.wait(min(left, 0.2))

    def wait_topic(self, topic: str, where=lambda m: True, timeout: float = 10.0, after: float = 0.0) -> Received:
        return self.wait_for(
            lambda ms: next((m for m in reversed(ms) if m.topic == topic and m.at >= after and where(m)), None), timeout
        )

    def publish(self, topic: str, payload, qos: int = 1, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=qos, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def camera_env(fake_picamera2: bool = False, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(ROOT)]
    if fake_picamera2:
        paths.insert(0, str(FAKES))
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("BOBBY_BROKER", None)
    env.update(extra)
    return env


class CameraProcess:
    """`python -m edge_agent camera …` as a subprocess, its log kept in a file."""

    def __init__(self, args: list[str], log_path: Path, env: dict[str, str] | None = None) -> None:
        self.log_path = log_path
        self.log_file = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge_agent", "camera", *args],
            cwd=ROOT,
            env=env or camera_env(),
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )

    @property
    def log(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.log_file.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.log_file.close()
