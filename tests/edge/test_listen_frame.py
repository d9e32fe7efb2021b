"""listen_frame end to end: the real command, a real Mosquitto, the real model and real media."""

from __future__ import annotations

import json
import signal
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import NO_PERSON_STILLS, PERSON_STILLS
from tests.support.frames import still_jpeg, video_jpegs
from tests.support.mqtt import Collector
from tests.support.procs import Command, kill, listen_frame, worker_pids


def detections(c: Collector, topic: str) -> list[dict]:
    return [json.loads(p) for p in c.payloads(topic)]


@pytest.fixture(scope="module")
def service(mosquitto, model_path):
    """One running listen_frame with two workers for the tests that do not stop it."""
    base = f"lf{uuid.uuid4().hex[:6]}"
    watcher = Collector(mosquitto, f"{base}/#", announce_cameras=True)
    cmd = listen_frame(mosquitto, model_path, base, "main", "--workers", "2", "--max-payload", "300000")
    watcher.wait_payload(f"{base}/listen_frame/main/availability", b"online", timeout=60)
    yield base, cmd
    watcher.close()
    cmd.stop()


@pytest.fixture
def client(mosquitto, service):
    base, _ = service
    c = Collector(mosquitto, [f"{base}/#", "homeassistant/#"], announce_cameras=True)
    yield c
    c.close()


def send(c: Collector, topic: str, frames, interval: float = 0.1, answered: bool = True) -> None:
    """Frames to `topic`, `interval` apart and, when `answered`, each once the one before has its
    detections: listen_frame keeps only a camera's latest frame, so on a busy machine (the suites
    run in parallel) frames sent faster than they are analysed would be replaced, not answered."""
    detections = topic.rsplit("/", 1)[0] + "/detections"
    for jpeg in frames:
        before = len(c.payloads(detections))
        c.publish(topic, jpeg, qos=0)
        time.sleep(interval)
        if answered:
            c.wait_for(lambda before=before: len(c.payloads(detections)) > before, what=f"{detections}")


def test_people_found_in_video_frames(service, client, media_dir):
    base, _ = service
    cam = "street"
    client.announce(f"{base}/{cam}")  # served only once announced
    frames = video_jpegs(media_dir / "opencv_vtest.avi", 12, step=20)
    send(client, f"{base}/{cam}/frame", frames)
    client.wait_for(lambda: len(client.payloads(f"{base}/{cam}/detections")) >= 12, what="12 detections")
    results = detections(client, f"{base}/{cam}/detections")
    assert all(r["persons"] >= 1 for r in results), [r["persons"] for r in results]
    obj = results[0]["objects"][0]
    assert obj["label"] == "person" and 0.5 <= obj["score"] <= 1.0
    x0, y0, x1, y1 = obj["box"]
    assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
    assert results[0]["size"] == [640, 480]
    # debounced state: on after 2 of 3 frames, retained
    client.wait_payload(f"{base}/{cam}/person", b"ON")
    snapshot = client.wait_for(lambda: client.last(f"{base}/{cam}/snapshot"), what="a snapshot")
    assert snapshot[:2] == b"\xff\xd8"
    stats = client.wait_for(
        lambda: [s for s in map(json.loads, client.payloads(f"{base}/{cam}/stats")) if s["analysed"] >= 12],
        what="stats counting 12 analysed frames",
    )[-1]
    assert stats["errors"] == {} and stats["dropped"] == 0 and stats["inference_ms"] > 0
    # Its own detections do not come back from the broker (MQTT v5 No Local): one message per
    # analysed frame saved on the MQTT process.
    service_stats = client.wait_for(
        lambda: [
            s
            for s in map(json.loads, client.payloads(f"{base}/listen_frame/main/stats"))
            if s["analysed"] >= 12
        ],
        what="service stats counting 12 analysed frames",
    )[-1]
    assert service_stats["own_echoes"] == 0, service_stats


@pytest.mark.parametrize("still", PERSON_STILLS)
def test_people_found_in_stills(service, client, media_dir, still):
    base, _ = service
    cam = f"still-{uuid.uuid4().hex[:6]}"
    client.announce(f"{base}/{cam}")  # served only once announced
    client.publish(f"{base}/{cam}/frame", still_jpeg(media_dir / still), qos=0)
    payload = client.wait_payload(f"{base}/{cam}/detections")
    assert json.loads(payload)["persons"] >= 1


def test_no_person_in_stills_without_people(service, client, media_dir):
    base, _ = service
    cam = "pets"
    client.announce(f"{base}/{cam}")  # served only once announced
    send(client, f"{base}/{cam}/frame", [still_jpeg(media_dir / s) for s in NO_PERSON_STILLS] * 2)
    client.wait_for(lambda: len(client.payloads(f"{base}/{cam}/detections")) >= 2 * len(NO_PERSON_STILLS))
    assert all(r["persons"] == 0 for r in detections(client, f"{base}/{cam}/detections"))
    # OFF, maybe confirmed again (the heartbeat for HA's expire_after), never ON
    assert set(client.payloads(f"{base}/{cam}/person")) <= {b"OFF"}


def test_roi_set_applies_on_next_frame_and_is_acknowledged(service, client, media_dir):
    base, _ = service
    cam = "roi-cam"
    client.announce(f"{base}/{cam}")  # served only once announced
    frames = video_jpegs(media_dir / "opencv_vtest.avi", 6, step=30)
    # A region in the top-left corner, where nobody stands in this video.
    corner = {
        "version": 1,
        "rois": [{"id": "corner", "name": "Corner", "points": [[0, 0], [0.1, 0], [0.1, 0.1], [0, 0.1]]}],
    }
    client.publish(f"{base}/{cam}/rois", json.dumps(corner), retain=True)
    ack = json.loads(client.wait_payload(f"{base}/{cam}/rois/applied"))
    assert ack["version"] == 1 and ack["ok"] is True and ack["service"].startswith("listen_frame/")
    send(client, f"{base}/{cam}/frame", frames[:3])
    client.wait_for(lambda: len(client.payloads(f"{base}/{cam}/detections")) >= 3)
    assert all(r["persons"] == 0 for r in detections(client, f"{base}/{cam}/detections"))
    assert client.last(f"{base}/{cam}/person/corner") == b"OFF"
    # The whole lower part of the frame: everyone's feet are there.
    client.clear()
    ground = {
        "version": 2,
        "rois": [{"id": "ground", "name": "Ground", "points": [[0, 0.3], [1, 0.3], [1, 1], [0, 1]]}],
        "detection": {"frames_needed": 1, "frames_window": 1},
    }
    client.publish(f"{base}/{cam}/rois", json.dumps(ground), retain=True)
    client.wait_for(
        lambda: any(json.loads(p)["version"] == 2 for p in client.payloads(f"{base}/{cam}/rois/applied"))
    )
    send(client, f"{base}/{cam}/frame", frames[3:4])
    first = json.loads(client.wait_payload(f"{base}/{cam}/detections"))
    assert first["rois_version"] == 2 and first["persons"] >= 1
    assert all(o["rois"] == ["ground"] for o in first["objects"])
    client.wait_payload(f"{base}/{cam}/person/ground", b"ON")
    # the removed region's entity is removed from HA, the new one is announced
    client.wait_payload(f"homeassistant/binary_sensor/bobby_{cam}/person_corner/config", b"")
    config = json.loads(client.wait_payload(f"homeassistant/binary_sensor/bobby_{cam}/person_ground/config"))
    assert config["state_topic"] == f"{base}/{cam}/person/ground"
    client.publish(f"{base}/{cam}/rois", b"", retain=True)


def test_invalid_roi_set_is_refused_and_old_one_stays(service, client, media_dir):
    base, _ = service
    cam = "bad-roi"
    client.announce(f"{base}/{cam}")  # served only once announced
    good = {"version": 3, "rois": [{"id": "all", "points": [[0, 0], [1, 0], [1, 1], [0, 1]]}]}
    client.publish(f"{base}/{cam}/rois", json.dumps(good), retain=True)
    client.wait_for(lambda: any(json.loads(p)["ok"] for p in client.payloads(f"{base}/{cam}/rois/applied")))
    bowtie = {"version": 4, "rois": [{"id": "x", "points": [[0, 0], [1, 1], [1, 0], [0, 1]]}]}
    client.publish(f"{base}/{cam}/rois", json.dumps(bowtie), retain=True)
    ack = client.wait_for(
        lambda: [a for a in map(json.loads, client.payloads(f"{base}/{cam}/rois/applied")) if not a["ok"]],
        what="a refusal",
    )[-1]
    assert ack["version"] == 4 and ack["active_version"] == 3 and "self-intersecting" in ack["error"]
    client.publish(f"{base}/{cam}/rois", b"{not json", retain=True)
    client.wait_for(
        lambda: (
            len([a for a in map(json.loads, client.payloads(f"{base}/{cam}/rois/applied")) if not a["ok"]])
            >= 2
        )
    )
    older = {"version": 2, "rois": []}  # a late copy of an older set must not undo the newer one
    client.publish(f"{base}/{cam}/rois", json.dumps(older), retain=True)
    ack = client.wait_for(
        lambda: [
            a for a in map(json.loads, client.payloads(f"{base}/{cam}/rois/applied")) if a["version"] == 2
        ],
        what="the older set refused",
    )[-1]
    assert (
        ack["ok"] is False
        and ack["active_version"] == 3
        and "older than the version in force" in ack["error"]
    )
    client.publish(f"{base}/{cam}/frame", video_jpegs(media_dir / "opencv_vtest.avi", 1)[0], qos=0)
    result = json.loads(client.wait_payload(f"{base}/{cam}/detections"))
    assert result["rois_version"] == 3 and all(o["rois"] == ["all"] for o in result["objects"])
    client.publish(f"{base}/{cam}/rois", b"", retain=True)


def test_bad_frames_are_counted_and_survived(service, client, media_dir):
    base, _ = service
    good = video_jpegs(media_dir / "opencv_vtest.avi", 2)
    truncated = good[0][: len(good[0]) // 2]
    oversize = b"\xff\xd8" + b"\0" * 400_000
    for payload in (b"not a jpeg", truncated, b"", oversize):
        client.publish(f"{base}/broken/frame", payload, qos=0)
        time.sleep(0.3)  # let each reach a worker rather than replace the one before it
    client.publish(f"{base}/bad cam!/frame", good[0], qos=0)  # not a valid camera id
    # the other camera is not affected, and the broken one recovers with its next good frame
    client.publish(f"{base}/healthy/frame", good[1], qos=0)
    client.wait_payload(f"{base}/healthy/detections")
    client.publish(f"{base}/broken/frame", good[1], qos=0)
    client.wait_payload(f"{base}/broken/detections")
    # Every bad frame is accounted for: refused by a worker, or (on a loaded machine) replaced by
    # the next one while waiting; none is lost and none reached the model.
    try:
        stats = client.wait_for(
            lambda: [
                s
                for s in map(json.loads, client.payloads(f"{base}/broken/stats"))
                if s["errors"].get("oversize")
                and s["errors"].get("decode", 0) + s["dropped"] >= 3
                and s["analysed"]
            ],
            what="error counters in stats",
        )[-1]
    except AssertionError as err:
        raise AssertionError(f"{err}\nlast stats: {client.last(f'{base}/broken/stats')!r}") from None
    assert stats["errors"]["oversize"] == 1 and stats["errors"]["decode"] >= 1
    assert stats["errors"]["decode"] + stats["dropped"] == 3 and stats["analysed"] == 1
    service_stats = client.wait_for(
        lambda: [
            s
            for s in map(json.loads, client.payloads(f"{base}/listen_frame/main/stats"))
            if s["errors"]["unknown_camera"]
        ],
        what="unknown_camera in service stats",
    )[-1]
    assert service_stats["errors"]["unknown_camera"] >= 1


def test_detection_off_and_on_is_acknowledged(service, client, media_dir):
    base, _ = service
    cam = "switchable"
    client.announce(f"{base}/{cam}")  # served only once announced
    frames = video_jpegs(media_dir / "opencv_vtest.avi", 4, step=10)
    # Served from its announce: its detection state is published at once (ON, no request).
    assert client.wait_json(f"{base}/{cam}/detection/state")["state"] == "ON"
    client.publish(f"{base}/{cam}/detection/set", json.dumps({"state": "OFF", "request_id": "r-1"}))
    state = client.wait_json(f"{base}/{cam}/detection/state", lambda s: s["request_id"] == "r-1")
    assert state["state"] == "OFF"
    send(client, f"{base}/{cam}/frame", frames[:2], answered=False)
    time.sleep(1.0)
    assert client.payloads(f"{base}/{cam}/detections") == []
    client.publish(f"{base}/{cam}/detection/set", b"ON")
    client.wait_for(lambda: json.loads(client.last(f"{base}/{cam}/detection/state"))["state"] == "ON")
    send(client, f"{base}/{cam}/frame", frames[2:])
    client.wait_payload(f"{base}/{cam}/detections")
    client.publish(f"{base}/{cam}/detection/set", b"MAYBE")  # refused, counted, nothing changes
    time.sleep(0.5)
    assert json.loads(client.last(f"{base}/{cam}/detection/state"))["state"] == "ON"


def test_a_smart_cameras_commands_are_answered_by_the_camera_not_listen_frame(service, client):
    """A smart camera answers its own detection switch and ROI sets (its retained `detection/state`
    and `rois/applied`): listen_frame, which does not detect for it, must not publish there too
    (it did: two publishers of one retained topic, its own `service` and ROI verdict in them)."""
    base, _ = service
    smart, dumb = "smart-cam", "dumb-cam"
    client.announce(f"{base}/{smart}", mode="smart")
    client.announce(f"{base}/{dumb}")
    assert client.wait_json(f"{base}/{dumb}/detection/state")["state"] == "ON"
    roi_set = {"version": 1, "rois": [{"id": "door", "points": [[0, 0], [0.5, 0], [0.5, 0.5]]}]}
    for cam in (smart, dumb):  # the same commands to both, the dumb camera's last
        client.publish(f"{base}/{cam}/detection/set", json.dumps({"state": "OFF", "request_id": cam}))
        client.publish(f"{base}/{cam}/rois", json.dumps(roi_set), retain=True)
    # listen_frame answers the dumb camera's (in order: the smart camera's came first) ...
    client.wait_json(f"{base}/{dumb}/detection/state", lambda s: s["request_id"] == dumb)
    client.wait_for(lambda: client.payloads(f"{base}/{dumb}/rois/applied"), what="the dumb camera's ROI ack")
    # ... and not the smart camera's.
    assert client.payloads(f"{base}/{smart}/detection/state") == []
    acks = [m.topic for m in client.messages if m.topic.startswith(f"{base}/{smart}/rois/applied")]
    assert acks == [], acks
    for cam in (smart, dumb):
        client.publish(f"{base}/{cam}/rois", b"", retain=True)


def test_latest_frame_wins_and_drops_are_counted(service, client, media_dir):
    base, _ = service
    cam = "flood"
    client.announce(f"{base}/{cam}")  # served only once announced
    frames = video_jpegs(media_dir / "opencv_vtest.avi", 40)
    for jpeg in frames:  # far faster than two workers can follow
        client.publish(f"{base}/{cam}/frame", jpeg, qos=0)
    stats = client.wait_for(
        lambda: [
            s
            for s in map(json.loads, client.payloads(f"{base}/{cam}/stats"))
            if s["frames_in"] == 40 and s["analysed"] + s["dropped"] + s["motion_skipped"] == 40
        ],
        what="all 40 frames analysed, dropped or skipped by the motion gate",
    )[-1]
    assert stats["dropped"] > 0, stats


def test_home_assistant_birth_republishes_discovery(service, client):
    base, _ = service
    cam = "street"  # served since the first test
    topic = f"homeassistant/binary_sensor/bobby_{cam}/person/config"
    client.wait_payload(topic)
    client.clear(topic)
    client.publish("homeassistant/status", b"online")
    config = json.loads(client.wait_payload(topic))
    assert config["unique_id"] == f"bobby_{cam}_person"
    # The person sensors follow the camera's availability and expire (issue 18: a restart of
    # listen_frame must not take them through unavailable); the others follow listen_frame's too.
    assert [a["topic"] for a in config["availability"]] == [f"{base}/{cam}/availability"]
    assert config["expire_after"] == 60
    count = json.loads(client.wait_payload(f"homeassistant/sensor/bobby_{cam}/person_count/config"))
    assert [a["topic"] for a in count["availability"]] == [
        f"{base}/{cam}/availability",
        f"{base}/listen_frame/main/availability",
    ]


def test_killed_worker_is_replaced(mosquitto, model_path, media_dir):
    base = f"kill{uuid.uuid4().hex[:6]}"
    c = Collector(mosquitto, f"{base}/#", announce_cameras=True)
    with listen_frame(mosquitto, model_path, base, "k", "--workers", "1") as cmd:
        c.wait_payload(f"{base}/listen_frame/k/availability", b"online", timeout=60)
        frames = video_jpegs(media_dir / "opencv_vtest.avi", 2)
        c.publish(f"{base}/cam/frame", frames[0], qos=0)
        c.wait_payload(f"{base}/cam/detections")
        (worker,) = worker_pids(cmd.pid)
        kill(worker)
        c.wait_for(lambda: worker_pids(cmd.pid) and worker_pids(cmd.pid) != [worker], what="a new worker")
        c.clear(f"{base}/cam/detections")
        c.wait_for(
            lambda: c.publish(f"{base}/cam/frame", frames[1], qos=0) or c.payloads(f"{base}/cam/detections"),
            timeout=30,
            what="detections from the new worker",
        )
        stats = c.wait_for(
            lambda: [
                s
                for s in map(json.loads, c.payloads(f"{base}/listen_frame/k/stats"))
                if s["worker_restarts"] == 1
            ],
            what="worker_restarts in stats",
        )
        assert stats[-1]["workers"] == 1
        assert "died with exit code" in cmd.output()
    c.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_clean_shutdown_marks_service_offline(mosquitto, model_path, sig):
    base = f"stop{uuid.uuid4().hex[:6]}"
    c = Collector(mosquitto, f"{base}/#", announce_cameras=True)
    cmd = listen_frame(mosquitto, model_path, base, "s", "--workers", "1")
    c.wait_payload(f"{base}/listen_frame/s/availability", b"online", timeout=60)
    workers = worker_pids(cmd.pid)
    cmd.signal(sig)
    assert cmd.wait(60) == 0  # a deadline: a clean stop on a busy machine took over 10 s (procs.py)
    assert c.last(f"{base}/listen_frame/s/availability") == b"offline"
    assert all(not Path(f"/proc/{w}").exists() for w in workers), "a worker outlived the service"
    c.close()


def test_detection_state_survives_a_restart(mosquitto, model_path, media_dir):
    base = f"keep{uuid.uuid4().hex[:6]}"
    c = Collector(mosquitto, f"{base}/#", announce_cameras=True)
    with listen_frame(mosquitto, model_path, base, "a", "--workers", "1"):
        c.wait_payload(f"{base}/listen_frame/a/availability", b"online", timeout=60)
        c.announce(f"{base}/cam")
        c.publish(f"{base}/cam/detection/set", json.dumps({"state": "OFF", "request_id": "keep"}))
        c.wait_for(lambda: b'"OFF"' in (c.last(f"{base}/cam/detection/state") or b""))
    c.clear()
    with listen_frame(mosquitto, model_path, base, "a", "--workers", "1"):
        c.wait_payload(f"{base}/listen_frame/a/availability", b"online", timeout=60)
        c.publish(f"{base}/cam/frame", video_jpegs(media_dir / "opencv_vtest.avi", 1)[0], qos=0)
        time.sleep(1.5)
        assert c.payloads(f"{base}/cam/detections") == []
    c.close()


def test_shared_subscription_splits_frames_between_instances(mosquitto, model_path, media_dir):
    base = f"share{uuid.uuid4().hex[:6]}"
    c = Collector(mosquitto, f"{base}/#", announce_cameras=True)
    a = listen_frame(mosquitto, model_path, base, "a", "--workers", "1", "--share-group", "g")
    b = listen_frame(mosquitto, model_path, base, "b", "--workers", "1", "--share-group", "g")
    try:
        c.wait_payload(f"{base}/listen_frame/a/availability", b"online", timeout=60)
        c.wait_payload(f"{base}/listen_frame/b/availability", b"online", timeout=60)
        send(c, f"{base}/cam/frame", video_jpegs(media_dir / "opencv_vtest.avi", 10, step=5), interval=0.15)
        c.wait_for(lambda: len(c.payloads(f"{base}/cam/detections")) >= 10, what="10 detections")
        services = [json.loads(p)["service"] for p in c.payloads(f"{base}/cam/detections")]
        assert len(services) == 10, "a frame was analysed twice"
        assert set(services) == {"listen_frame/a", "listen_frame/b"}
    finally:
        a.stop()
        b.stop()
        c.close()


def test_model_that_does_not_load_stops_with_a_clear_error(mosquitto, tmp_path):
    bad = tmp_path / "broken.tflite"
    bad.write_bytes(b"this is not a model")
    cmd = Command("listen-frame", "--broker", mosquitto.url, "--model", str(bad), "--workers", "1")
    assert cmd.wait(60) == 2
    assert "broken.tflite" in cmd.output() and "Traceback" not in cmd.output()


def _declares(jpeg: bytes, width: int, height: int) -> bytes:
    """`jpeg` with its frame header (SOF0) claiming width x height: a few hundred bytes that
    libjpeg would happily "decode" into a 768 MB image, filling in what is missing."""
    i = jpeg.index(b"\xff\xc0")
    return jpeg[: i + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + jpeg[i + 9 :]


def test_a_frame_declaring_huge_dimensions_is_refused_before_decoding(service, client):
    import cv2
    import numpy as np

    from edge_agent.detect.imaging import jpeg_dimensions
    from edge_agent.procinfo import rss_mb

    base, cmd = service
    cam = "giant"
    client.announce(f"{base}/{cam}")
    _, small = cv2.imencode(".jpg", np.full((16, 16, 3), 128, np.uint8))
    bomb = _declares(small.tobytes(), 16000, 16000)
    assert len(bomb) < 1000 and jpeg_dimensions(bomb) == (16000, 16000)
    workers = worker_pids(cmd.pid)
    before = sum(rss_mb(p) or 0 for p in [cmd.pid, *workers])
    for _ in range(5):
        client.publish(f"{base}/{cam}/frame", bomb, qos=0)
        time.sleep(0.2)
    stats = client.wait_for(
        lambda: [
            s
            for s in map(json.loads, client.payloads(f"{base}/{cam}/stats"))
            if s["errors"].get("too_large", 0) + s["dropped"] >= 5
        ],
        what="the refused frames in stats",
    )[-1]
    assert stats["errors"]["too_large"] >= 1 and stats["analysed"] == 0
    after = sum(rss_mb(p) or 0 for p in [cmd.pid, *worker_pids(cmd.pid)])
    assert after - before < 30, (before, after)  # one decoded bomb alone would be ~768 MB
    assert "Corrupt JPEG data" not in cmd.output()
