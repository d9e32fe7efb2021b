"""Test helpers: a firmware "board" run in a thread, and an MQTT observer (paho) for the far side."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def base_config(broker, **top) -> dict:
    """A config.json for the fake board and the test broker, with unique camera id and base topic."""
    cfg = {
        "wifi": {"ssid": "bobby-test", "password": "secret-test"},
        "broker": {"host": broker.host, "port": broker.port, "keepalive": 30},
        "camera_id": unique("cam"),
        "name": "Test camera",
        "base_topic": unique("fw"),
        "fps": 5,
        "framesize": "VGA",
        "quality": 12,
        "diagnostics_interval": 5,
        "ntp_host": None,
    }
    cfg.update(top)
    return cfg


class Board:
    """The firmware's App on fake hardware, in a thread, with its flash in a directory."""

    def __init__(self, flash: Path, config: dict) -> None:
        self.flash = flash
        self.flash.mkdir(parents=True, exist_ok=True)
        self.config = config
        (flash / "config.json").write_text(json.dumps(config))
        self.app = None
        self.wdt = None
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    @property
    def cam(self) -> str:
        return self.config["camera_id"]

    @property
    def base(self) -> str:
        return self.config["base_topic"]

    def topic(self, *parts: str) -> str:
        return "/".join((self.base, self.cam, *parts))

    def start(self) -> Board:
        import bobby_cam
        import machine
        import settings

        cfg = settings.load_config(str(self.flash / "config.json"))
        self.wdt = machine.WDT(timeout=bobby_cam.WDT_TIMEOUT_MS)
        self.app = bobby_cam.App(cfg, state_path=str(self.flash / "state.json"), wdt=self.wdt)
        self.thread = threading.Thread(target=self._run, name=f"board-{self.cam}", daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            self.app.run()
        except BaseException as e:  # noqa: BLE001 - reported by stop()
            self.error = e

    def stop(self) -> None:
        if self.thread is None:
            return
        self.app.stop()
        self.thread.join(15)
        assert not self.thread.is_alive(), "the firmware loop did not stop"
        self.thread = None
        if self.error:
            raise self.error


class Observer:
    """A paho client on the test broker that records what it receives."""

    def __init__(self, broker, *topics: str, username: str | None = None, password: str | None = None) -> None:
        self.messages: list[tuple[float, str, bytes, bool]] = []
        self._cond = threading.Condition()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=unique("obs-"))
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port, keepalive=30)
        for t in topics:
            self.client.subscribe(t, qos=1)
        self.client.loop_start()
        time.sleep(0.2)  # the subscriptions are in place before the test goes on

    def _on_message(self, client, userdata, msg) -> None:
        with self._cond:
            self.messages.append((time.monotonic(), msg.topic, bytes(msg.payload), bool(msg.retain)))
            self._cond.notify_all()

    def on(self, topic: str) -> list[tuple[float, str, bytes, bool]]:
        with self._cond:
            return [m for m in self.messages if m[1] == topic]

    def wait(self, topic: str, predicate=lambda payload: True, timeout: float = 10.0, after: float = 0.0):
        """The first message on topic (received after `after`, monotonic) whose payload passes."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for m in self.messages:
                    if m[1] == topic and m[0] >= after and predicate(m[2]):
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"nothing on {topic} within {timeout} s (got {len(self.on(topic))} others)")
                self._cond.wait(left)

    def wait_json(self, topic: str, predicate=lambda obj: True, timeout: float = 10.0, after: float = 0.0) -> dict:
        def ok(payload: bytes) -> bool:
            try:
                return predicate(json.loads(payload))
            except ValueError:
                return False

        return json.loads(self.wait(topic, ok, timeout, after)[2])

    def count(self, topic: str, after: float = 0.0) -> int:
        return sum(1 for m in self.on(topic) if m[0] >= after)

    def publish(self, topic: str, payload, qos: int = 1, retain: bool = False) -> None:
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        self.client.publish(topic, payload, qos=qos, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
