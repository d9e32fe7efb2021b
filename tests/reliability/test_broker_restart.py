"""The broker stopped and started again (no persistence: every retained message is gone), 3 times
in a row: listen_frame's `online`, and for each camera every discovery config, the detection state
and the person states it had are back within 5 s of the broker listening again.

It complements tests/edge/test_mqtt_broker_restart.py (SIGKILL, cameras that re-announce, one
config looked at): here Mosquitto stops cleanly (SIGTERM: it closes every connection), the cameras
have regions (so more configs and person states), and the second camera stays silent after the
restart (no announce, no frame): all of its retained state must come from listen_frame's memory.
Figures: docs/reliability.md, "Broker restart".
"""

from __future__ import annotations

import json
import threading
import time

from tests.reliability.conftest import Cameras, Service
from tests.support.frames import video_jpegs
from tests.support.mqtt import Collector

RUNS = 3
WITHIN = 5.0
ROIS = {
    "version": 1,
    "rois": [
        {"id": "left", "name": "Left", "points": [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]},
        {"id": "right", "name": "Right", "points": [[0.5, 0], [1, 0], [1, 1], [0.5, 1]]},
    ],
    "detection": {"motion": False},
}


class Camera(threading.Thread):
    """cam1: announces on every connection and sends frames at 8 fps (reconnecting on its own)."""

    def __init__(self, broker, base: str, frames) -> None:
        super().__init__(daemon=True)
        self.base, self.frames = base, frames
        self.stop = threading.Event()
        self.client = Collector(broker, f"{base}/cam1/detection/set")
        self.client.client.on_connect = self._connected
        self._connected(self.client.client)

    def _connected(self, client, *args) -> None:
        client.subscribe(f"{self.base}/cam1/detection/set", 1)
        announce = {"id": "cam1", "name": "Cam 1", "mode": "dumb", "resolution": [640, 480], "fps": 8.0}
        client.publish(f"{self.base}/cam1/announce", json.dumps(announce), qos=1, retain=True)
        client.publish(f"{self.base}/cam1/availability", "online", qos=1, retain=True)

    def run(self) -> None:
        i = 0
        while not self.stop.wait(1 / 8):
            if self.client.client.is_connected():
                self.client.client.publish(
                    f"{self.base}/cam1/frame", self.frames[i % len(self.frames)], qos=0
                )
            i += 1

    def close(self) -> None:
        self.stop.set()
        self.join(2)
        self.client.close()


def retained_state(c: Collector, base: str, cams: list[str]) -> dict[str, set[str]]:
    """What each camera has retained on the broker that listen_frame publishes."""
    out = {}
    for cam in cams:
        out[cam] = {
            m.topic
            for m in c.messages
            if m.payload
            and (
                (m.topic.startswith("homeassistant/") and f"/bobby_{cam}/" in m.topic)
                or m.topic == f"{base}/{cam}/detection/state"
                or m.topic.startswith(f"{base}/{cam}/person")
            )
        }
    return out


def test_retained_state_back_within_5_s_after_3_broker_stops(
    own_mosquitto, model_path, media_dir, base, figure
):
    broker = own_mosquitto
    service = Service(broker, model_path, base, 1)
    setup = Collector(broker, [f"{base}/#"])
    camera = None
    try:
        service.wait_online(setup)
        cams = Cameras(setup, base)
        cams.announce("cam2", name="Cam 2")  # announced once, then silent
        camera = Camera(broker, base, video_jpegs(media_dir / "opencv_vtest.avi", 20, step=5))
        for cam in ("cam1", "cam2"):
            cams.served(cam)
            setup.publish(f"{base}/{cam}/rois", json.dumps(ROIS), retain=True)
            setup.wait_first(f"{base}/{cam}/rois/applied", lambda p: json.loads(p)["ok"], timeout=20)
        camera.start()
        setup.wait_first(f"{base}/cam1/person", lambda p: p == b"ON", timeout=30)
        setup.close()
        time.sleep(2.0)
        snapshot = Collector(broker, [f"{base}/#", "homeassistant/#"])
        time.sleep(1.5)  # every retained message delivered
        expected = retained_state(snapshot, base, ["cam1", "cam2"])
        snapshot.close()
        for cam, topics in expected.items():
            assert sum("/config" in t for t in topics) >= 8 and any(
                t.endswith("/person/left") for t in topics
            ), (
                cam,
                sorted(topics),
            )

        runs = []
        for run in range(RUNS):
            time.sleep(3.0)  # a busy stretch: detections, person states, snapshots
            broker.stop()  # SIGTERM: Mosquitto closes every connection
            time.sleep(2.0)
            broker.start()
            up = time.monotonic()
            watch = Collector(
                broker,
                [
                    service.availability,
                    f"{base}/+/detection/state",
                    f"{base}/+/person/#",
                    f"{base}/+/person_count",
                    "homeassistant/#",
                ],
            )
            online = watch.wait_first(service.availability, lambda p: p == b"online", timeout=20).at - up

            def complete():
                got = retained_state(watch, base, ["cam1", "cam2"])
                return all(expected[c] <= got[c] for c in expected)

            try:
                watch.wait_for(complete, 20, "every retained topic of both cameras")
            except AssertionError:
                pass
            got = retained_state(watch, base, ["cam1", "cam2"])
            missing = sorted(t for c in expected for t in expected[c] - got[c])
            times = {}
            for cam in expected:
                arrivals = {m.topic: m.at - up for m in reversed(watch.messages) if m.topic in expected[cam]}
                times[cam] = max(arrivals.values(), default=float("inf")) if not missing else float("inf")
            watch.close()
            runs.append((online, times, missing))
            figure(
                f"broker restart {run + 1}/{RUNS} (SIGTERM, down 2 s): online {online:.2f} s, all retained state "
                f"of cam1 ({len(expected['cam1'])} topics) {times['cam1']:.2f} s, of the silent cam2 "
                f"({len(expected['cam2'])} topics) {times['cam2']:.2f} s after the broker was up (limit {WITHIN} s)"
                + (f"; missing {missing}" if missing else "")
            )
        assert service.alive() and not service.tracebacks(), service.tail()
        late = [r for r in runs if r[0] > WITHIN or max(r[1].values()) > WITHIN]
        assert not late, f"retained state not back within {WITHIN} s: {late}\n{service.tail(3000)}"
    finally:
        if camera is not None:
            camera.close()
        service.stop()
