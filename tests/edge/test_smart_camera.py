"""The smart camera as a black box: real Mosquitto, real model, frames from the shared media."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
import urllib.request
import uuid

from tests.support.camera_config import smart_config
from tests.support.mosquitto import free_port
from tests.support.mqtt import Collector
from tests.support.procs import smart_camera

DRIVEWAY = {"id": "driveway", "name": "Driveway", "points": [[0.0, 0.3], [1.0, 0.3], [1.0, 1.0], [0.0, 1.0]]}


def js(m):
    return json.loads(m.payload)


def child_pids(log: str) -> list[int]:
    return [int(p) for p in re.findall(r"detector process started \(pid (\d+)\)", log)]


def test_smart_camera_detects_applies_rois_live_and_switches(mosquitto, tmp_path, media_dir, model_path):
    base = f"s{uuid.uuid4().hex[:8]}"
    t = f"{base}/street"
    rec = Collector(mosquitto, [f"{t}/#"])
    camera = smart_camera(
        mosquitto,
        tmp_path,
        base,
        "street",
        str(media_dir / "opencv_vtest.avi"),
        model_path,
        extra=["--fps", "4", "--width", "384", "--height", "288"],
    )
    try:
        # People in opencv_vtest.avi: detections, then the debounced person state.
        rec.wait_topic(f"{t}/detections", where=lambda m: js(m)["persons"] > 0, timeout=30)
        rec.wait_topic(
            f"{t}/person", where=lambda m: (m.payload == b"ON" and m.retain is False) or m.payload == b"ON"
        )
        det = js(rec.on(f"{t}/detections")[-1])
        assert det["service"] == "camera/street" and det["size"] == [384, 288] and det["rois_version"] == 0
        announce = js(rec.wait_topic(f"{t}/announce"))
        assert announce["mode"] == "smart" and announce["platform"] == "file"
        assert rec.wait_topic(f"{t}/snapshot").payload[:2] == b"\xff\xd8"
        first_pid = child_pids(camera.log)[0]

        # A new ROI set is applied to the running detector and acknowledged, no restart.
        sent = time.monotonic()
        rec.publish(f"{t}/rois", json.dumps({"version": 3, "rois": [DRIVEWAY]}), retain=True)
        ack = js(rec.wait_topic(f"{t}/rois/applied", where=lambda m: js(m)["version"] == 3, after=sent))
        assert ack["ok"] is True and ack["active_version"] == 3 and ack["error"] is None
        rec.wait_topic(f"{t}/detections", where=lambda m: js(m)["rois_version"] == 3, after=sent, timeout=10)
        assert "applied to the running detector in" in camera.log
        assert child_pids(camera.log) == [first_pid]
        rec.wait_topic(f"{t}/person/driveway", timeout=15)

        # A malformed set is refused with the reason; version 3 stays.
        sent = time.monotonic()
        bad = {
            "version": 4,
            "rois": [{"id": "bow", "name": "Bow", "points": [[0, 0], [1, 1], [1, 0], [0, 1]]}],
        }
        rec.publish(f"{t}/rois", json.dumps(bad), retain=True)
        nack = js(rec.wait_topic(f"{t}/rois/applied", where=lambda m: js(m)["version"] == 4, after=sent))
        assert nack["ok"] is False and "self-intersecting" in nack["error"] and nack["active_version"] == 3
        time.sleep(1.0)
        assert all(js(m)["rois_version"] == 3 for m in rec.on(f"{t}/detections") if m.at > sent + 0.5)
        assert "refused the ROI set" in camera.log

        # Detection off: acknowledged with the request id, detections stop, person goes off.
        sent = time.monotonic()
        rec.publish(f"{t}/detection/set", json.dumps({"state": "OFF", "request_id": "d-1"}))
        off = js(rec.wait_topic(f"{t}/detection/state", where=lambda m: js(m)["request_id"] == "d-1"))
        assert off["state"] == "OFF" and off["service"] == "camera/street"
        rec.wait_topic(f"{t}/person", where=lambda m: m.payload == b"OFF", after=sent)
        time.sleep(0.7)
        quiet = time.monotonic()
        time.sleep(1.5)
        assert [m for m in rec.on(f"{t}/detections") if m.at > quiet] == []

        # The child killed: it is restarted, and it starts with detection off and ROI set 3.
        os.kill(first_pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while len(child_pids(camera.log)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(child_pids(camera.log)) == 2, camera.log[-2000:]
        rec.wait_topic(f"{t}/stats", where=lambda m: js(m)["child_restarts"] == 1, timeout=10)
        assert [m for m in rec.on(f"{t}/detections") if m.at > quiet] == []
        sent = time.monotonic()
        rec.publish(f"{t}/detection/set", b"ON")
        rec.wait_topic(f"{t}/detections", where=lambda m: js(m)["rois_version"] == 3, after=sent, timeout=20)

        # Off again, a good set retained again, then restart the agent: detection stays off.
        rec.publish(f"{t}/rois", json.dumps({"version": 5, "rois": [DRIVEWAY]}), retain=True)
        rec.wait_topic(f"{t}/rois/applied", where=lambda m: js(m)["version"] == 5 and js(m)["ok"])
        rec.publish(f"{t}/detection/set", json.dumps({"state": "OFF", "request_id": "d-2"}))
        rec.wait_topic(f"{t}/detection/state", where=lambda m: js(m)["request_id"] == "d-2")
        assert camera.terminate() == 0
        camera = smart_camera(
            mosquitto,
            tmp_path,
            base,
            "street",
            str(media_dir / "opencv_vtest.avi"),
            model_path,
            extra=["--fps", "4"],
            name="smart2",
        )
        restarted = time.monotonic()
        state = js(rec.wait_topic(f"{t}/detection/state", after=restarted, timeout=20))
        assert state["state"] == "OFF" and state["request_id"] == "d-2"
        rec.wait_topic(f"{t}/stats", after=restarted, timeout=15)
        assert [m for m in rec.on(f"{t}/detections") if m.at > restarted] == []
        # It also took the retained ROI set.
        assert js(rec.wait_topic(f"{t}/rois/applied", after=restarted))["active_version"] == 5
    finally:
        camera.kill()
        rec.publish(f"{t}/rois", b"", retain=True)
        rec.close()


def test_no_person_media_gives_no_person_and_motion_gate_counts(mosquitto, tmp_path, media_dir, model_path):
    base = f"s{uuid.uuid4().hex[:8]}"
    t = f"{base}/tree"
    rec = Collector(mosquitto, [f"{t}/#"])
    camera = smart_camera(
        mosquitto,
        tmp_path,
        base,
        "tree",
        str(media_dir / "opencv_tree.avi"),
        model_path,
        extra=["--fps", "8", "--motion-gate", "--motion-area", "0.05"],
    )
    try:
        stats = js(rec.wait_topic(f"{t}/stats", where=lambda m: js(m)["frames_in"] >= 30, timeout=30))
        assert stats["motion_checked"] > 0
        assert stats["analysed"] + stats["motion_skipped"] + stats["dropped"] >= stats["frames_in"] - 2
        detections = [js(m) for m in rec.on(f"{t}/detections")]
        assert detections and all(d["persons"] == 0 for d in detections)
        assert [m for m in rec.on(f"{t}/person") if m.payload == b"ON"] == []
    finally:
        camera.kill()
        rec.close()


def read_mjpeg(url: str, seconds: float, counts: list, index: int) -> None:
    deadline = time.monotonic() + seconds
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("multipart/x-mixed-replace")
        while time.monotonic() < deadline:
            line = resp.readline()
            if line.startswith(b"Content-Length:"):
                length = int(line.split(b":")[1])
                resp.readline()
                assert resp.read(length)[:2] == b"\xff\xd8"
                counts[index] += 1


def test_mjpeg_viewers_do_not_slow_capture_and_recording_runs(mosquitto, tmp_path, model_path):
    base = f"s{uuid.uuid4().hex[:8]}"
    t = f"{base}/pi"
    port = free_port()
    rec = Collector(mosquitto, [f"{t}/#"])
    camera = smart_camera(
        mosquitto,
        tmp_path,
        base,
        "pi",
        "picamera2",
        model_path,
        fake_pi=True,
        extra=[
            "--fps",
            "8",
            "--width",
            "1024",
            "--height",
            "768",
            "--http-port",
            str(port),
            "--record",
            "--record-dir",
            str(tmp_path / "rec"),
            "--chunk-seconds",
            "2",
        ],
    )
    try:
        announce = js(
            rec.wait_topic(f"{t}/announce", where=lambda m: js(m)["platform"] == "picamera2", timeout=30)
        )
        assert announce["stream_url"] == f"http://127.0.0.1:{port}/video"

        # Three stats windows (2 s each) of capture with recording and no viewer, then three with five.
        def capturing(m) -> bool:
            return (js(m)["capture_fps"] or 0) > 0 and js(m).get("viewers") == 0

        first = rec.wait_topic(f"{t}/stats", where=capturing, timeout=30)
        rec.wait_topic(f"{t}/stats", where=capturing, after=first.at + 5.0, timeout=15)
        counts = [0] * 5
        threads = [
            threading.Thread(target=read_mjpeg, args=(announce["stream_url"], 6.5, counts, i))
            for i in range(5)
        ]
        started = time.monotonic()
        for th in threads:
            th.start()
        during = js(rec.wait_topic(f"{t}/stats", after=started + 2.1, timeout=10))
        for th in threads:
            th.join(15)
        assert min(counts) >= 10, counts  # every viewer got frames
        assert during["viewers"] == 5
        # Viewers and recording must not slow capture. Judged against the rate this camera had just
        # before, on this machine and under its load, not against the 8 fps asked for: make test shares
        # two cores among three suites, and a CI run saw 3.65 fps here before any viewer came. Each
        # side is the best of its windows: a shared machine's load comes and goes between single
        # readings, while a capture loop that waited on viewers would be slow in every window.
        stats = [(m.at, js(m)) for m in list(rec.messages) if m.topic == f"{t}/stats"]
        before = [s["capture_fps"] or 0 for at, s in stats if at < started and s.get("viewers") == 0]
        with_viewers = [s["capture_fps"] or 0 for at, s in stats if s.get("viewers") == 5]
        print(f"capture fps without viewers {before}, with five {with_viewers} (8 asked for)")
        assert len(before) >= 3 and max(before) > 0, before
        assert max(with_viewers) >= 0.75 * min(8, max(before)), (before, with_viewers, during)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/snapshot.jpg", timeout=5) as r:
            assert r.read()[:2] == b"\xff\xd8"
        chunks = sorted((tmp_path / "rec").glob("pi_*Z.mp4"))
        assert len(chunks) >= 2 and during["recording_state"] == "ok"
        # A picamera2 source records with the Pi's H.264 encoder, not in software.
        assert during["recording"]["encoder"] == "picamera2 H264Encoder"
        assert "recording with picamera2's hardware H.264 encoder" in camera.log
    finally:
        camera.kill()
        rec.close()


def _msg(payload: bytes, topic: str = "bobby/yard/rois", retain: bool = True):
    """A message as paho hands it to a handler."""
    import paho.mqtt.client as mqtt

    msg = mqtt.MQTTMessage(topic=topic.encode())
    msg.payload, msg.retain = payload, retain
    return msg


def test_last_good_roi_set_survives_a_restart_with_a_malformed_retained_set(tmp_path, model_path, caplog):
    # The MQTT side is not needed: a SmartCamera is built and fed ROI sets as its handler gets them.
    from edge_agent.camera.smart import SmartCamera
    from edge_agent.mqtt.broker import BrokerSettings

    cfg = smart_config(tmp_path, model_path)
    broker = BrokerSettings("127.0.0.1", 1)  # nothing listens: publishes go nowhere
    first = SmartCamera(cfg, broker)
    assert first.roi_set.version == 0 and first.roi_set.rois == ()
    first.channel.on_rois(_msg(json.dumps({"version": 3, "rois": [DRIVEWAY]}).encode()))
    assert first.roi_set.version == 3
    assert json.loads((tmp_path / "state" / "yard.rois.json").read_text())["version"] == 3

    # Restart: the retained set is now malformed; the stored one is in force and stays.
    second = SmartCamera(cfg, broker)
    assert second.roi_set.version == 3 and [r.id for r in second.roi_set.rois] == ["driveway"]
    assert set(second.channel.tracker.states()) == {None, "driveway"}
    bad = {"version": 4, "rois": [{"id": "bow", "name": "Bow", "points": [[0, 0], [1, 1], [1, 0], [0, 1]]}]}
    second.channel.on_rois(_msg(json.dumps(bad).encode()))
    assert second.roi_set.version == 3 and second.channel.counters["bad_rois"] == 1
    assert "starting with ROI set version 3" in caplog.text and "refused the ROI set" in caplog.text

    # A damaged file is ignored with a log line, not a crash.
    (tmp_path / "state" / "yard.rois.json").write_text("{not json")
    assert SmartCamera(cfg, broker).roi_set.version == 0
    assert "ignoring the stored ROI set" in caplog.text
