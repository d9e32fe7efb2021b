"""Reliability: listen_frame under load keeps its retained state across broker restarts.

A real listen_frame (2 workers, the real model) serves two cameras sending real frames; the broker
(no persistence: every retained message is lost) is killed and started again on the same port,
five times in a row. Each time, a fresh subscriber must find listen_frame's retained `online`,
a camera's detection state and its discovery config within 5 s of the broker being up.
Figures: docs/reliability.md, "Broker restart" (`pytest tests/edge/test_mqtt_broker_restart.py -s`).
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.conftest import PERSON_STILLS
from tests.support.frames import still_jpeg
from tests.support.mqtt import Collector
from tests.support.procs import listen_frame

RUNS = 5
WITHIN = 5.0


class Cameras:
    """Two dumb cameras as the broker sees them: announce on every connection, frames at ~16 fps."""

    def __init__(self, broker, base: str, jpegs: list[bytes]) -> None:
        self.base, self.jpegs, self.stop = base, jpegs, threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"cams-{uuid.uuid4().hex[:6]}")
        self.client.on_connect = self._announce
        self.client.reconnect_delay_set(0.1, 0.5)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _announce(self, client, *args) -> None:
        for cam in ("cam1", "cam2"):
            announce = {"id": cam, "name": cam, "mode": "dumb", "resolution": [640, 480], "fps": 8.0}
            client.publish(f"{self.base}/{cam}/announce", json.dumps(announce), qos=1, retain=True)
            client.publish(f"{self.base}/{cam}/availability", "online", qos=1, retain=True)

    def _run(self) -> None:
        i = 0
        while not self.stop.is_set():
            if self.client.is_connected():
                cam = "cam1" if i % 2 else "cam2"
                self.client.publish(f"{self.base}/{cam}/frame", self.jpegs[i % len(self.jpegs)], qos=0)
            i += 1
            time.sleep(1 / 16)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.client.loop_stop()
        self.client.disconnect()


@pytest.mark.slow  # over 30 s: scheduled first (tests/edge/conftest.py)
def test_retained_state_back_within_5_s_after_each_of_5_broker_restarts(own_mosquitto, model_path, media_dir):
    broker = own_mosquitto
    base = f"rs{uuid.uuid4().hex[:6]}"
    avail = f"{base}/listen_frame/main/availability"
    state = f"{base}/cam1/detection/state"
    service = listen_frame(broker, model_path, base, "main", "--workers", "2")
    cams = None
    figures: list[tuple[float, float, float]] = []
    try:
        first = Collector(broker, [avail, f"{base}/cam1/detections"])
        try:
            first.wait_first(avail, lambda p: p == b"online", timeout=60)
        except AssertionError:
            raise AssertionError(service.output()[-3000:]) from None
        cams = Cameras(broker, base, [still_jpeg(media_dir / p) for p in PERSON_STILLS])
        first.wait_topic(f"{base}/cam1/detections", timeout=30)  # frames are flowing and answered
        first.close()
        for run in range(RUNS):
            time.sleep(4)  # a busy stretch: detections, snapshots, person states
            broker.proc.kill()  # no goodbye, no persistence
            broker.proc.wait()
            time.sleep(2)
            broker.start()
            up = time.monotonic()
            watch = Collector(broker, [avail, state, "homeassistant/#", f"{base}/cam1/detections"])
            online = watch.wait_first(avail, lambda p: p == b"online", timeout=20).at - up
            st = watch.wait_topic(state, timeout=20).at - up
            disc = (
                watch.wait_for(
                    lambda: next(
                        (m for m in watch.messages if "cam1" in m.topic and m.topic.endswith("/config")), None
                    ),
                    20,
                    "cam1's discovery config",
                ).at
                - up
            )
            watch.wait_topic(f"{base}/cam1/detections", after=up, timeout=20)  # answering again
            figures.append((online, st, disc))
            print(
                f"restart {run + 1}: online {online:.2f} s, detection state {st:.2f} s, discovery {disc:.2f} s"
            )
            watch.close()
    finally:
        if cams is not None:
            cams.close()
        service.stop()
    assert len(figures) == RUNS
    assert all(max(f) < WITHIN for f in figures), (figures, service.output()[-3000:])
    assert service.output().count("connected to") == RUNS + 1
