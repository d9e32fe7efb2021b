"""The motion gate (edge_agent/detect/motion.py): listen_frame infers only what moves.

Against the real listen_frame (two workers, so one camera's frames go to both), a real Mosquitto,
the real model and the shared media: a still scene with sensor noise is inferred at most one
frame in five; a crowd turns the person state on within 3 s and never off while it is there; a
person standing still in one unchanged frame for 40 s stays detected; the empty scene afterwards
clears the state. The gate's own logic is checked on real frames too.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid

import cv2
import numpy as np
import pytest

from edge_agent.detect.motion import (
    THUMB,
    MotionGate,
    MotionSettings,
    MotionState,
    jpeg_thumbnail,
    sensitivity_thresholds,
    thumbnail,
)
from edge_agent.detect.rois import DetectionSettings, RoiError, parse_roi_set
from tests.conftest import NO_PERSON_STILLS, PERSON_STILLS
from tests.support.feeder import Feeder
from tests.support.frames import still_jpeg, video_jpegs
from tests.support.mqtt import Collector
from tests.support.procs import listen_frame

# ---- helpers -----------------------------------------------------------------------------------


def noisy_frames(path, count: int, sigma: float = 6.0, seed: int = 1) -> list[bytes]:
    """One still at 640x480 with fresh Gaussian sensor noise in every frame, as JPEG (quality 80)."""
    bgr = cv2.resize(cv2.imread(str(path), cv2.IMREAD_COLOR), (640, 480), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        noise = rng.normal(0.0, sigma, bgr.shape)
        frame = np.clip(bgr.astype(np.float32) + noise, 0, 255).astype(np.uint8)
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
        assert ok
        out.append(buf.tobytes())
    return out


def roi_set(version: int, **detection) -> str:
    return json.dumps({"version": version, "rois": [], "detection": detection})


def person_changes(client: Collector, topic: str) -> list[tuple[float, bytes]]:
    return [(m.at, m.payload) for m in client.on(topic)]


# ---- the gate's logic on real frames -----------------------------------------------------------


def test_motion_settings_in_the_roi_set_are_validated():
    s = parse_roi_set(roi_set(1, motion=False, motion_sensitivity=9, motion_keepalive=1.5))
    assert (s.detection.motion, s.detection.motion_sensitivity, s.detection.motion_keepalive) == (
        False,
        9,
        1.5,
    )
    assert parse_roi_set(s.to_json()) == s
    for bad, words in (
        ({"motion": "yes"}, "detection.motion: must be true or false"),
        ({"motion": 1}, "detection.motion: must be true or false"),
        ({"motion_sensitivity": 0}, "integer from 1 to 10"),
        ({"motion_sensitivity": 11}, "integer from 1 to 10"),
        ({"motion_sensitivity": 5.5}, "integer from 1 to 10"),
        ({"motion_keepalive": 0.1}, "from 0.5 to 60"),
        ({"motion_keepalive": 61}, "from 0.5 to 60"),
        ({"motion_keepalive": float("nan")}, "from 0.5 to 60"),
    ):
        with pytest.raises(RoiError, match=words):
            parse_roi_set({"version": 1, "detection": bad})


def test_settings_follow_the_roi_set_and_keepalive_stays_below_clear_after():
    assert MotionSettings.from_detection(DetectionSettings(motion=False)) is None
    default = MotionSettings.from_detection(DetectionSettings())
    assert default.keepalive == 2.0
    assert (default.pixel_threshold, default.area_threshold) == sensitivity_thresholds(5)
    # clear_after 1.5 s: a keepalive of 2 s would let a still person's state clear between two.
    assert MotionSettings.from_detection(DetectionSettings(clear_after=1.5)).keepalive == 0.75
    thresholds = [sensitivity_thresholds(s) for s in range(1, 11)]
    assert all(a[0] > b[0] and a[1] > b[1] for a, b in itertools.pairwise(thresholds))


def test_forced_frames_start_gap_person_keepalive_refresh():
    st = MotionState(MotionSettings(keepalive=2.0, max_skip=10.0, gap=5.0, warmup=3))
    t = 1000.0
    assert [st.check(t + i * 0.25, False).force for i in range(4)] == ["start", "start", "start", None]
    st.inferred(t + 0.5, person=True)  # a person seen, the state not on yet: every frame
    assert st.check(t + 1.0, False).force == "person"
    assert st.check(t + 1.25, True).force is None  # on now, and inferred 0.25 s ago
    assert st.check(t + 3.0, True).force == "keepalive"
    assert st.check(t + 3.25, True).force is None
    assert st.check(t + 5.0, True).force == "keepalive"
    st.inferred(t + 5.0, person=False)
    forces = [st.check(t + 7.0 + i, False).force for i in range(9)]  # every second up to t + 15
    assert forces == [None] * 8 + ["refresh"]  # max_skip (10 s) after the last inference
    # More than `gap` without frames: a new scene, the background is forgotten.
    st.learn(np.zeros((THUMB[1], THUMB[0]), np.uint8), t + 15.0)
    check = st.check(t + 21.0, False)
    assert check.force == "start" and check.background is None


def test_noise_is_not_motion_and_a_person_is(media_dir):
    frames = noisy_frames(media_dir / NO_PERSON_STILLS[0], 24)
    gate = MotionGate(MotionSettings(max_skip=1e9))
    decisions = []
    for i, jpeg in enumerate(frames):
        rgb = cv2.cvtColor(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        decisions.append(gate.should_analyse(rgb, 100.0 + i * 0.25))
    assert decisions[:3] == [True] * 3 and not any(decisions[3:])
    # A person walks into the same scene: a blob far above the noise.
    scene = cv2.imread(str(media_dir / NO_PERSON_STILLS[0]), cv2.IMREAD_COLOR)
    scene = cv2.resize(scene, (640, 480))
    person = cv2.resize(cv2.imread(str(media_dir / PERSON_STILLS[0]), cv2.IMREAD_COLOR), (90, 160))
    scene[300:460, 400:490] = person
    rgb = cv2.cvtColor(scene, cv2.COLOR_BGR2RGB)
    assert gate.should_analyse(rgb, 106.5) and gate.last_fraction > 0.01
    # The JPEG path (listen_frame's workers) and the RGB path (the smart camera) agree.
    jpeg = frames[5]
    rgb = cv2.cvtColor(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    a, b = jpeg_thumbnail(jpeg).astype(np.float32), thumbnail(rgb).astype(np.float32)
    assert a.shape == b.shape == (THUMB[1], THUMB[0]) and float(np.abs(a - b).mean()) < 3.0


def test_leaves_in_the_wind_are_mostly_not_motion(media_dir):
    frames = video_jpegs(media_dir / "opencv_tree.avi", 68)
    st = MotionState(MotionSettings(max_skip=1e9))
    inferred = 0
    for i, jpeg in enumerate(frames):
        now = 50.0 + i / 10
        check = st.check(now, False)
        thumb = jpeg_thumbnail(jpeg)
        infer, _ = check.decide(thumb)
        st.learn(thumb, now)
        inferred += infer
    # The last 14 frames of this clip shake the whole camera: real motion, inferred.
    assert inferred <= 0.4 * len(frames), inferred


def test_a_moving_camera_expects_inference_and_a_still_one_does_not():
    st = MotionState(MotionSettings(warmup=1, max_skip=1e9))
    thumb = np.zeros((THUMB[1], THUMB[0]), np.uint8)
    first = st.check(10.0, False)
    assert first.force == "start" and first.expect_inference  # no background yet
    st.learn(thumb, 10.0, 1.0)
    st.learn(thumb, 10.25, 0.0)  # the gate's last frame was still
    assert not st.check(10.5, False).expect_inference
    st.learn(thumb, 10.5, 0.05)  # 5 % of the thumbnail changed: moving
    assert st.check(10.75, False).expect_inference
    st.learn(thumb, 10.75, 0.0)
    st.inferred(10.75, person=True)  # a forced frame expects inference whatever moved
    assert st.check(11.0, False).force == "person" and st.check(11.0, False).expect_inference


def test_thumbnail_from_the_decoded_frame_matches_the_one_eighth_decode(media_dir):
    """Where a moving camera's thumbnail comes from the frame decoded for the model, it must
    compare with a background learned from 1/8 decodes as if it were one of them."""
    from edge_agent.detect import imaging

    diffs = []
    for jpeg in video_jpegs(media_dir / "opencv_vtest.avi", 40):
        rgb, size, luma = imaging.decode_jpeg_with_luma(jpeg, (300, 300))
        assert size == (640, 480) and rgb.shape == (300, 300, 3) and luma.shape == (480, 640)
        diff = np.abs(thumbnail(luma).astype(np.float32) - jpeg_thumbnail(jpeg).astype(np.float32))
        diffs.append((float(diff.mean()), float(diff.max())))
    # The finest pixel threshold (sensitivity 10) is 8 grey levels.
    assert max(m for m, _ in diffs) < 1.0 and max(x for _, x in diffs) <= 4.0, diffs


def test_the_worker_decodes_a_moving_camera_s_frame_once(model_path, media_dir):
    """The real worker process: with `expect_inference` its thumbnail is the decoded frame's
    (one decode); without, the 1/8 decode's. Both still infer a frame that moved."""
    from edge_agent.detect import imaging
    from edge_agent.detect.motion import MotionCheck
    from edge_agent.detect.rois import RoiSet
    from edge_agent.listen_frame.worker import Job, WorkerConfig, run_worker
    from edge_agent.supervisor import ChildProcess, Stop

    jpegs = list(video_jpegs(media_dir / "opencv_vtest.avi", 2))
    background = np.zeros((THUMB[1], THUMB[0]), np.float32)  # black: everything "moved"
    child = ChildProcess(run_worker, (WorkerConfig(str(model_path)), 0), "worker under test")
    try:
        child.wait_ready(60)
        results = []
        for i, expect in enumerate((True, False)):
            check = MotionCheck(background, 20.0, 0.0024, None, expect)
            child.send(Job(i, "cam", jpegs[i], RoiSet(), False, check))
            assert child.conn.poll(30)
            results.append(child.conn.recv())
    finally:
        child.send(Stop())
        child.process.join(5)
    moving, quiet = results
    assert moving.inferred and quiet.inferred and moving.motion > 0.5
    assert any(o.label == "person" for o in moving.objects + quiet.objects)
    assert np.array_equal(moving.thumb, thumbnail(imaging.decode_jpeg_with_luma(jpegs[0], (300, 300))[2]))
    assert np.array_equal(quiet.thumb, jpeg_thumbnail(jpegs[1]))
    assert not np.array_equal(thumbnail(imaging.decode_jpeg_with_luma(jpegs[1], (300, 300))[2]), quiet.thumb)


# ---- listen_frame end to end -------------------------------------------------------------------


@pytest.fixture(scope="module")
def service(mosquitto, model_path):
    base = f"mg{uuid.uuid4().hex[:6]}"
    watcher = Collector(mosquitto, f"{base}/#")
    cmd = listen_frame(mosquitto, model_path, base, "mg", "--workers", "2")
    watcher.wait_payload(f"{base}/listen_frame/mg/availability", b"online", timeout=60)
    yield base
    watcher.close()
    cmd.stop()


@pytest.fixture
def client(mosquitto, service):
    c = Collector(mosquitto, [f"{service}/#"])
    yield c
    c.close()


def announce(client: Collector, base: str, cam: str, detection: dict) -> None:
    body = {"id": cam, "name": cam, "mode": "dumb", "sw_version": "test"}
    client.publish(f"{base}/{cam}/announce", json.dumps(body), retain=True)
    client.publish(f"{base}/{cam}/rois", roi_set(1, **detection), retain=True)


def final_stats(client: Collector, topic: str, frames: int, timeout: float = 30.0) -> dict:
    """The stats message that accounts for all `frames` (analysed, skipped or dropped)."""

    def done():
        for s in map(json.loads, reversed(client.payloads(topic))):
            if s["frames_in"] == frames and s["analysed"] + s["motion_skipped"] + s["dropped"] == frames:
                return s
        return None

    return client.wait_for(done, timeout, f"stats accounting for {frames} frames on {topic}")


def test_still_scene_with_sensor_noise_is_inferred_at_most_one_frame_in_five(service, client, media_dir):
    base = service
    frames = noisy_frames(media_dir / NO_PERSON_STILLS[0], 60)  # 15 s at 4 fps
    announce(client, base, "quiet", {})
    announce(client, base, "quiet-ungated", {"motion": False})
    for cam in ("quiet", "quiet-ungated"):
        client.wait_for(lambda cam=cam: client.last(f"{base}/{cam}/rois/applied"), 15, f"{cam} serving")
    feeders = [
        Feeder.publishing(client, f"{base}/{cam}/frame", frames, 4.0) for cam in ("quiet", "quiet-ungated")
    ]
    try:
        client.wait_for(lambda: all(f.sent >= len(frames) for f in feeders), 30, "60 frames each")
    finally:
        for f in feeders:
            f.close()
    sent = [f.sent for f in feeders]
    gated = final_stats(client, f"{base}/quiet/stats", sent[0])
    ungated = final_stats(client, f"{base}/quiet-ungated/stats", sent[1])
    assert gated["analysed"] <= sent[0] / 5, gated
    assert gated["motion_skipped"] >= sent[0] * 4 / 5 - gated["dropped"], gated
    # `analysed` counts inferences only: one detections message each.
    assert len(client.payloads(f"{base}/quiet/detections")) == gated["analysed"]
    # The same frames without the gate: every one inferred (the test can tell the two apart).
    assert ungated["motion_skipped"] == 0 and ungated["analysed"] + ungated["dropped"] == sent[1]
    # Most inferred (the rest dropped for a newer frame, as many as the machine's load makes the
    # workers fall behind): well above the one in five of the gated camera.
    assert ungated["analysed"] >= 0.5 * sent[1], ungated
    # The service's own stats count the camera's skips too (published on their own timer).
    client.wait_for(
        lambda: (
            json.loads(client.last(f"{base}/listen_frame/mg/stats") or "{}").get("motion_skipped", 0)
            >= gated["motion_skipped"]
        ),
        15,
        "service stats counting the camera's skipped frames",
    )


def test_crowd_is_on_within_3_s_and_never_off_while_there(service, client, media_dir):
    base, cam = service, "crowd"
    t = f"{base}/{cam}"
    # clear_after 3 s (keepalive 1.5 s): any gap of 3 s without an inference that sees people
    # would clear the state.
    announce(client, base, cam, {"clear_after": 3.0})
    empty = noisy_frames(media_dir / NO_PERSON_STILLS[0], 8, seed=2)
    crowd = list(video_jpegs(media_dir / "opencv_vtest.avi", 120))  # 12 s of pedestrians at 10 fps
    feeder = Feeder.publishing(client, f"{t}/frame", empty, 10.0)
    try:
        client.wait_for(lambda: client.last(f"{t}/person") == b"OFF", 20, "person OFF on the empty scene")
        time.sleep(1.0)
        shown = feeder.show(crowd)
        client.wait_for(lambda: client.last(f"{t}/person") == b"ON", 10, "person ON with the crowd")
        on_at = next(at for at, p in person_changes(client, f"{t}/person") if p == b"ON")
        assert on_at - shown <= 3.0, f"ON {on_at - shown:.2f} s after the crowd appeared"
        client.wait_for(lambda: feeder.index >= len(crowd), 30, "the whole clip sent")
        ended = time.monotonic()
    finally:
        feeder.close()
    during = [p for at, p in person_changes(client, f"{t}/person") if on_at <= at <= ended]
    assert set(during) == {b"ON"}, during  # ON (and its heartbeat confirmations), never OFF


@pytest.mark.slow  # over 30 s: scheduled first (tests/edge/conftest.py)
def test_person_standing_still_stays_on_and_the_empty_scene_clears_it(service, client, media_dir):
    base, cam = service, "statue"
    t = f"{base}/{cam}"
    announce(client, base, cam, {"clear_after": 5.0})  # keepalive 2 s (default), below 5 / 2
    person = still_jpeg(media_dir / PERSON_STILLS[0])
    empty = noisy_frames(media_dir / NO_PERSON_STILLS[0], 8, seed=3)
    feeder = Feeder.publishing(client, f"{t}/frame", empty, 4.0)
    try:
        client.wait_for(lambda: client.last(f"{t}/person") == b"OFF", 20, "person OFF on the empty scene")
        shown = feeder.show([person])  # one unchanged frame, byte for byte
        client.wait_for(lambda: client.last(f"{t}/person") == b"ON", 10, "person ON")
        on_at = client.on(f"{t}/person")[-1].at
        assert on_at - shown <= 3.0
        detections_before = len(client.payloads(f"{t}/detections"))
        time.sleep(40.0)
        changes = [p for at, p in person_changes(client, f"{t}/person") if at >= on_at]
        assert set(changes) == {b"ON"}, "the state went off while the person stood still"
        # Kept alive by an inference every 2 s or so, not by inferring all 160 frames.
        kept = len(client.payloads(f"{t}/detections")) - detections_before
        assert 10 <= kept <= 40, kept
        left = feeder.show(empty)
        client.wait_for(lambda: client.last(f"{t}/person") == b"OFF", 15, "person OFF after they left")
        off_at = client.on(f"{t}/person")[-1].at
        assert off_at - left <= 5.0 + 3.0
    finally:
        feeder.close()
