"""A camera removed in Home Assistant stays removed (docs/mqtt.md, forget): the real listen_frame,
the real dumb camera, a real Mosquitto, the real model and media.

Home Assistant's side (what it publishes when a device is deleted) is in tests/ha/test_remove.py and,
with a real Home Assistant, tests/e2e/test_remove_camera.py.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.support.frames import video_jpegs
from tests.support.mqtt import Collector
from tests.support.procs import CameraProcess, listen_frame


def retained(broker, topic_filter: str, wait: float = 1.5) -> dict[str, bytes]:
    """What the broker keeps retained under `topic_filter` now (a fresh subscription)."""
    c = Collector(broker, topic_filter)
    time.sleep(wait)
    out = {m.topic: m.payload for m in c.messages if m.retain}
    c.close()
    return out


def service_stats(c: Collector, base: str, instance: str, where) -> dict:
    return c.wait_json(f"{base}/listen_frame/{instance}/stats", where, timeout=30)


def serve(c: Collector, base: str, cam: str, frames) -> None:
    """Frames until the camera is served: its discovery and its person state published."""
    config = f"homeassistant/binary_sensor/bobby_{cam}/person/config"

    def served():
        c.publish(f"{base}/{cam}/frame", frames[int(time.monotonic() * 4) % len(frames)], qos=0)
        return c.last(config) and c.last(f"{base}/{cam}/person") == b"ON"

    c.wait_for(served, timeout=60, what=f"{cam} served: discovery and person ON")


@pytest.fixture
def frames(media_dir):
    return video_jpegs(media_dir / "opencv_vtest.avi", 8, step=20)


@pytest.mark.slow  # over 30 s: scheduled first (tests/edge/conftest.py)
def test_forget_empties_everything_and_sticks_across_birth_and_restart(mosquitto, model_path, frames):
    base = f"fg{uuid.uuid4().hex[:6]}"
    cam = f"porch{uuid.uuid4().hex[:6]}"
    disc = f"homeassistant/+/bobby_{cam}/+/config"
    c = Collector(mosquitto, [f"{base}/#", f"homeassistant/+/bobby_{cam}/#"], announce_cameras=True)
    lf = listen_frame(mosquitto, model_path, base, "one", "--workers", "1")
    try:
        c.wait_payload(f"{base}/listen_frame/one/availability", b"online", timeout=60)
        serve(c, base, cam, frames)
        before = retained(mosquitto, f"homeassistant/+/bobby_{cam}/#")
        assert len(before) >= 8, sorted(before)  # sensors, switch, image, trigger …
        assert retained(mosquitto, f"{base}/{cam}/person") == {f"{base}/{cam}/person": b"ON"}

        c.publish(f"{base}/{cam}/forget", {"by": "test", "reason": "removed"}, retain=True)
        c.wait_for(lambda: not retained(mosquitto, disc, wait=0.7), what="every discovery config emptied")
        left = retained(mosquitto, f"{base}/{cam}/#")
        # Only the marker (and the camera's own announce: the camera's business, HA clears it)
        assert set(left) == {f"{base}/{cam}/forget", f"{base}/{cam}/announce"}, sorted(left)
        stats = service_stats(c, base, "one", lambda s: s["removed"] == 1)
        assert stats["cameras"] == 0

        # HA's birth: nothing comes back.
        mark = time.monotonic()
        c.publish("homeassistant/status", b"online", retain=False)
        time.sleep(3)
        assert c.count(f"homeassistant/binary_sensor/bobby_{cam}/person/config", after=mark) == 0
        # Frames of the removed camera are dropped, counted (and the log says why).
        c.publish(f"{base}/{cam}/frame", frames[0], qos=0)
        service_stats(c, base, "one", lambda s: s["errors"]["unannounced"] >= 1)
        assert "removed in Home Assistant" in lf.output()
    finally:
        lf.stop()

    # A restart of listen_frame, with the camera's old announce still retained: not served.
    c.clear()
    lf = listen_frame(mosquitto, model_path, base, "one", "--workers", "1")
    try:
        c.wait_payload(f"{base}/listen_frame/one/availability", b"online", timeout=60)
        c.publish("homeassistant/status", b"online", retain=False)
        for _ in range(6):
            c.publish(f"{base}/{cam}/frame", frames[0], qos=0)
            time.sleep(0.5)
        assert not retained(mosquitto, disc)
        assert c.payloads(f"{base}/{cam}/detections") == []
        service_stats(c, base, "one", lambda s: s["cameras"] == 0 and s["errors"]["unannounced"] >= 1)

        # The camera announces itself again (live): offered again, the marker cleared.
        c.announce(f"{base}/{cam}")
        serve(c, base, cam, frames)
        assert retained(mosquitto, f"{base}/{cam}/forget") == {}
    finally:
        lf.stop()
        c.close()


@pytest.mark.slow  # over 30 s: scheduled first (tests/edge/conftest.py)
def test_discovery_emptied_by_home_assistant_means_forget(mosquitto, model_path, frames):
    """HA's MQTT integration empties a deleted device's configs: listen_frame forgets the camera
    and leaves a retained forget, so that its own restart does not bring the camera back."""
    base = f"fh{uuid.uuid4().hex[:6]}"
    cam = f"yard{uuid.uuid4().hex[:6]}"
    c = Collector(mosquitto, [f"{base}/#", f"homeassistant/+/bobby_{cam}/#"], announce_cameras=True)
    lf = listen_frame(mosquitto, model_path, base, "h", "--workers", "1")
    try:
        c.wait_payload(f"{base}/listen_frame/h/availability", b"online", timeout=60)
        serve(c, base, cam, frames)
        configs = retained(mosquitto, f"homeassistant/+/bobby_{cam}/#")
        # One entity deleted in HA (HA empties its config) is no removal of the camera.
        c.publish(f"homeassistant/binary_sensor/bobby_{cam}/person/config", b"", retain=True)
        time.sleep(3)
        assert c.payloads(f"{base}/{cam}/forget") == []
        for topic in configs:  # the device deleted, as HA does it: every config emptied
            c.publish(topic, b"", retain=True)
        marker = c.wait_json(f"{base}/{cam}/forget", lambda m: m.get("by") == "listen_frame/h", timeout=20)
        assert "Home Assistant" in marker["reason"]
        service_stats(c, base, "h", lambda s: s["removed"] == 1 and s["cameras"] == 0)
        c.wait_for(lambda: retained(mosquitto, f"{base}/{cam}/person", wait=0.7) == {}, what="person emptied")
        mark = time.monotonic()
        c.publish("homeassistant/status", b"online")
        time.sleep(2)
        assert c.count(f"homeassistant/binary_sensor/bobby_{cam}/person/config", after=mark) == 0
    finally:
        lf.stop()
        c.close()


def test_bad_forgets_are_refused_and_counted(mosquitto, model_path, frames):
    base = f"fb{uuid.uuid4().hex[:6]}"
    cam = f"gate{uuid.uuid4().hex[:6]}"
    c = Collector(mosquitto, [f"{base}/#", f"homeassistant/+/bobby_{cam}/#"], announce_cameras=True)
    lf = listen_frame(mosquitto, model_path, base, "b", "--workers", "1")
    try:
        c.wait_payload(f"{base}/listen_frame/b/availability", b"online", timeout=60)
        serve(c, base, cam, frames)
        bad = [
            b"yes",
            b"[1]",
            b'{"by": 5}',
            b'{"at": NaN}',
            b'{"reason": "' + b"x" * 2000 + b'"}',
            b"\xff\xfe",
        ]
        for payload in bad:
            c.publish(f"{base}/{cam}/forget", payload)
        stats = service_stats(c, base, "b", lambda s: s["errors"]["bad_forget"] == len(bad))
        assert stats["removed"] == 0 and stats["cameras"] == 1
        assert retained(mosquitto, f"{base}/{cam}/person") == {f"{base}/{cam}/person": b"ON"}
        assert "refused the forget" in lf.output()
    finally:
        lf.stop()
        c.close()


def test_every_instance_forgets(mosquitto, model_path, frames):
    base = f"fi{uuid.uuid4().hex[:6]}"
    cam = f"hall{uuid.uuid4().hex[:6]}"
    c = Collector(mosquitto, [f"{base}/#", f"homeassistant/+/bobby_{cam}/#"], announce_cameras=True)
    a = listen_frame(mosquitto, model_path, base, "a", "--workers", "1", "--share-group", "g")
    b = listen_frame(mosquitto, model_path, base, "b", "--workers", "1", "--share-group", "g")
    try:
        for i in ("a", "b"):
            c.wait_payload(f"{base}/listen_frame/{i}/availability", b"online", timeout=60)
        serve(c, base, cam, frames)
        c.publish(f"{base}/{cam}/rois", {"version": 1, "rois": []}, retain=True)
        for i in ("a", "b"):
            c.wait_payload(f"{base}/{cam}/rois/applied/{i}")
        c.publish(f"{base}/{cam}/forget", {"by": "test"}, retain=True)
        for i in ("a", "b"):
            service_stats(c, base, i, lambda s: s["removed"] == 1 and s["cameras"] == 0)
        left = retained(mosquitto, f"{base}/{cam}/#")
        assert set(left) == {f"{base}/{cam}/forget", f"{base}/{cam}/announce", f"{base}/{cam}/rois"}, sorted(
            left
        )
        assert not retained(mosquitto, f"homeassistant/+/bobby_{cam}/+/config")
    finally:
        a.stop()
        b.stop()
        c.close()


def test_dumb_camera_stops_on_forget_and_clears_it_when_restarted(mosquitto, tmp_path, media_dir):
    base = f"fd{uuid.uuid4().hex[:6]}"
    cam = "drive"
    c = Collector(mosquitto, [f"{base}/#"])
    args = ["--mode", "dumb", "--source", str(media_dir / "opencv_vtest.avi"), "--camera-id", cam]
    args += ["--broker", mosquitto.url, "--base-topic", base, "--state-wait", "0.5", "--fps", "4"]
    camera = CameraProcess(args, tmp_path / "camera.log")
    try:
        c.wait_payload(f"{base}/{cam}/announce")
        c.wait_for(lambda: c.count(f"{base}/{cam}/frame") >= 3, what="frames")
        c.publish(f"{base}/{cam}/forget", {"by": "home_assistant"}, retain=True)
        c.wait_for(lambda: c.last(f"{base}/{cam}/announce") == b"", what="announce emptied")
        time.sleep(1.0)
        mark = time.monotonic()
        time.sleep(2.0)
        assert c.count(f"{base}/{cam}/frame", after=mark) == 0
        assert retained(mosquitto, f"{base}/{cam}/#") == {f"{base}/{cam}/forget": b'{"by": "home_assistant"}'}
        assert "removed in Home Assistant" in camera.log
    finally:
        camera.terminate()
    # Restarted: the marker is cleared before the camera announces itself again.
    camera = CameraProcess(args, tmp_path / "camera2.log")
    try:
        c.wait_for(lambda: retained(mosquitto, f"{base}/{cam}/forget", wait=0.5) == {}, what="marker cleared")
        announced = lambda: (c.last(f"{base}/{cam}/announce") or b"").startswith(b"{")  # noqa: E731
        c.wait_for(announced, what="announced again")
        assert json.loads(c.last(f"{base}/{cam}/announce"))["id"] == cam
    finally:
        camera.terminate()
        c.close()


def test_smart_camera_deleted_in_home_assistant_forgets_itself_until_restarted(
    mosquitto, tmp_path, media_dir, model_path
):
    """HA's MQTT integration empties the device's configs: the smart camera publishes the forget,
    empties what it keeps retained (and its stored regions), and is quiet until restarted."""
    base = f"fs{uuid.uuid4().hex[:6]}"
    cam = f"shed{uuid.uuid4().hex[:6]}"
    trigger = f"homeassistant/device_automation/bobby_{cam}/person_detected/config"
    c = Collector(mosquitto, [f"{base}/#", f"homeassistant/+/bobby_{cam}/#"])
    args = ["--mode", "smart", "--source", str(media_dir / "opencv_vtest.avi"), "--camera-id", cam]
    args += ["--broker", mosquitto.url, "--base-topic", base, "--model", str(model_path)]
    args += ["--state-wait", "0.5", "--stats-interval", "1", "--state-dir", str(tmp_path / "state")]
    args += ["--fps", "4", "--width", "384", "--height", "288"]
    camera = CameraProcess(args, tmp_path / "smart.log")
    try:
        c.wait_payload(trigger, timeout=60)
        c.publish(f"{base}/{cam}/rois", {"version": 4, "rois": []}, retain=True)
        c.wait_json(f"{base}/{cam}/rois/applied", lambda a: a["version"] == 4 and a["ok"], timeout=30)
        stored = tmp_path / "state" / f"{cam}.rois.json"
        assert stored.is_file()
        c.wait_payload(f"{base}/{cam}/stats", timeout=30)
        configs = retained(mosquitto, f"homeassistant/+/bobby_{cam}/#")
        assert trigger in configs and len(configs) >= 8
        for topic in configs:  # HA deletes the device: every config emptied
            c.publish(topic, b"", retain=True)
        c.wait_json(f"{base}/{cam}/forget", lambda m: m.get("by") == f"camera/{cam}", timeout=20)
        c.wait_for(lambda: c.last(f"{base}/{cam}/announce") == b"", what="announce emptied")
        time.sleep(1.5)
        left = retained(mosquitto, f"{base}/{cam}/#")
        assert set(left) == {f"{base}/{cam}/forget", f"{base}/{cam}/rois"}, sorted(left)
        assert not retained(mosquitto, f"homeassistant/+/bobby_{cam}/#")
        assert not stored.exists()
        mark = time.monotonic()
        c.publish("homeassistant/status", b"online")
        c.publish(f"{base}/{cam}/detection/set", b"OFF")
        time.sleep(3)
        assert c.count(f"{base}/{cam}/stats", after=mark) == 0
        assert c.count(f"{base}/{cam}/detections", after=mark) == 0
        assert c.count(trigger, after=mark) == 0
        assert c.count(f"{base}/{cam}/detection/state", after=mark) == 0
        assert "removed in Home Assistant" in camera.log
    finally:
        camera.terminate()
    assert retained(mosquitto, f"{base}/{cam}/availability") == {}  # no "offline" left behind
    # Restarted: offered again (the marker cleared, announced, discovery published).
    camera = CameraProcess(args, tmp_path / "smart2.log")
    try:
        c.wait_for(lambda: retained(mosquitto, f"{base}/{cam}/forget", wait=0.5) == {}, what="marker cleared")
        c.wait_for(lambda: (c.last(f"{base}/{cam}/announce") or b"").startswith(b"{"), what="announced")
        c.wait_for(lambda: c.last(trigger), timeout=60, what="discovery published again")
        # Stopped once its detector runs (a stop while the detector process starts is slow).
        c.wait_for(lambda: "detector process ready" in camera.log, timeout=60, what="the detector ready")
    finally:
        camera.terminate(timeout=30)
        c.close()


def test_dumb_camera_forgotten_while_it_reads_its_state_publishes_none(mosquitto, tmp_path, media_dir):
    """A forget that arrives before the camera has settled its stream state: nothing comes back."""
    base = f"fw{uuid.uuid4().hex[:6]}"
    cam = "early"
    c = Collector(mosquitto, [f"{base}/#"])
    args = ["--mode", "dumb", "--source", str(media_dir / "opencv_vtest.avi"), "--camera-id", cam]
    args += ["--broker", mosquitto.url, "--base-topic", base, "--state-wait", "4", "--fps", "4"]
    camera = CameraProcess(args, tmp_path / "camera.log")
    try:
        c.wait_payload(f"{base}/{cam}/announce")
        c.publish(f"{base}/{cam}/forget", {"by": "test"}, retain=True)
        c.wait_for(lambda: c.last(f"{base}/{cam}/announce") == b"", what="announce emptied")
        time.sleep(5)  # past the state wait
        assert set(retained(mosquitto, f"{base}/{cam}/#")) == {f"{base}/{cam}/forget"}
    finally:
        camera.terminate()
        c.close()
