"""Far and small people (issue 20): the motion gate sees them, the model runs on regions around them.

Real model, real frames made from the shared media by edge_agent/tools/far_scenes.py (people of
opencv_vtest.avi scaled down into a corner of a still upscaled to 1920x1080), the real listen_frame
service and worker processes, and the smart camera's real Pipeline object.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from multiprocessing import Pipe

import cv2
import numpy as np
import pytest

from edge_agent.detect import imaging, regions
from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.motion import MotionSettings, MotionState, jpeg_thumbnail, thumb_size
from edge_agent.detect.rois import DetectionSettings, RoiSet, parse_roi_set
from edge_agent.tools import far_scenes
from tests.edge.test_motion_gate import person_changes
from tests.support.feeder import Feeder
from tests.support.mqtt import Collector
from tests.support.procs import listen_frame

FAR = {"size": (1920, 1080), "scale": 0.5}  # people about 20-55 px tall in a 1920x1080 frame
MODEL_SIZE = (300, 300)


@pytest.fixture(scope="module")
def detector(model_path):
    from edge_agent.detect.detector import Detector

    return Detector(model_path)


# ---- the gate sees small movers ----------------------------------------------------------------


def test_the_gate_sees_a_far_walker_and_not_noise_or_flicker(media_dir):
    """Default sensitivity: people 20-55 px tall walking in 1080p are motion in nearly every
    frame; sensor noise and flicker with rain-like streaks are not."""

    def moving_frames(frames: list[bytes]) -> int:
        st = MotionState(MotionSettings.from_detection(DetectionSettings()))
        moved = 0
        for i, jpeg in enumerate(frames):
            now = 100.0 + i / 10
            check = st.check(now, False)
            thumb = jpeg_thumbnail(jpeg)
            judged = check.judge(thumb)
            st.learn(thumb, now, judged.fraction, judged.moved)
            moved += i >= 3 and judged.moved  # after the warm-up frames
        return moved

    walk = far_scenes.far_walk(media_dir, FAR["size"], 33, scale=FAR["scale"])
    assert jpeg_thumbnail(walk[0]).shape == (135, 240)  # 1/8 of the frame, not 80x60
    assert moving_frames(walk) >= 27  # of 30
    assert moving_frames(far_scenes.still_noise(media_dir, (1280, 720), 33)) == 0
    assert moving_frames(far_scenes.flicker(media_dir, (1280, 720), 33)) == 0
    # The size of the thumbnail follows the frame's, 640x480 keeps the 80x60 of before.
    assert thumb_size((640, 480)) == (80, 60) and thumb_size((1280, 720)) == (160, 90)
    assert thumb_size((3840, 2160)) == (320, 180)


# ---- regions: planning --------------------------------------------------------------------------


def test_the_number_of_regions_never_exceeds_the_setting_and_each_covers_its_motion():
    rng = random.Random(20)
    sizes = [(1280, 720), (1920, 1080), (2560, 1440)]
    for trial in range(400):
        size = sizes[trial % 3]
        max_regions = 1 + trial % 8
        moved = []
        for _ in range(rng.randint(1, 16)):
            x, y = rng.random() * 0.95, rng.random() * 0.9
            moved.append((x, y, min(1.0, x + rng.random() * 0.05), min(1.0, y + rng.random() * 0.1)))
        tracked = [moved[0]] if trial % 2 else []
        plan = regions.plan(size, MODEL_SIZE, moved, tracked, max_regions)
        if plan is None:  # the whole frame: when the moving area is most of it
            continue
        assert 1 <= len(plan) <= max_regions
        w, h = size
        for r in plan:
            assert r.x1 - r.x0 == r.y1 - r.y0 >= 300 and r.x0 >= 0 and r.x1 <= w and r.y0 >= 0 and r.y1 <= h
        for b in moved:  # everything that moved is inside a region
            px = (b[0] * w, b[1] * h, b[2] * w, b[3] * h)
            assert any(
                r.x0 <= px[0] + 1e-6
                and r.y0 <= px[1] + 1e-6
                and px[2] <= r.x1 + 1e-6
                and px[3] <= r.y1 + 1e-6
                for r in plan
            ), (b, plan)
    # Settings: 1 to 8, validated with the rest of the ROI set.
    assert (
        parse_roi_set({"version": 1, "rois": [], "detection": {"max_regions": 2}}).detection.max_regions == 2
    )
    for bad in (0, 9, 2.5, True):
        with pytest.raises(ValueError, match="max_regions"):
            parse_roi_set({"version": 1, "rois": [], "detection": {"max_regions": bad}})


def test_whole_frame_when_regions_cannot_help():
    box = [(0.5, 0.5, 0.52, 0.55)]
    # A frame the model input nearly covers (640x480, vtest's 768x576): always the whole frame.
    assert regions.plan((640, 480), MODEL_SIZE, box) is None
    assert regions.plan((768, 576), MODEL_SIZE, box) is None
    # Nothing moved and no one tracked; the moving area most of the frame.
    assert regions.plan((1280, 720), MODEL_SIZE, []) is None
    assert regions.plan((1280, 720), MODEL_SIZE, [(0.0, 0.0, 0.9, 0.9)]) is None
    assert regions.plan((1280, 720), MODEL_SIZE, box) == [
        regions.Region(503, 228, 803, 528)
    ]  # 300 px, centred


# ---- regions: detection ---------------------------------------------------------------------------


def _person_crop(media_dir, detector) -> np.ndarray:
    """The best-scoring person of a vtest frame, cut out with a small margin (RGB)."""
    frame = far_scenes.decoded(far_scenes.vtest(media_dir, 1, start=200))[0]
    persons = [o for o in detector.detect(imaging.resize(frame, MODEL_SIZE)) if o.label == "person"]
    best = max(persons, key=lambda o: o.score)
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = best.box
    mx, my = 0.1 * (x1 - x0), 0.05 * (y1 - y0)
    return frame[
        int((y0 - my) * h) : int((y1 + my) * h) + 1, int((x0 - mx) * w) : int((x1 + mx) * w) + 1
    ].copy()


def test_a_box_split_across_two_regions_is_one_detection(media_dir, detector):
    crop = _person_crop(media_dir, detector)
    crop = cv2.resize(crop, (round(crop.shape[1] * 160 / crop.shape[0]), 160))
    bg = cv2.cvtColor(far_scenes.still(media_dir, (1280, 720)), cv2.COLOR_BGR2RGB)
    ch, cw = crop.shape[:2]
    left, top = 440, 200
    bg[top : top + ch, left : left + cw] = crop
    a = regions.Region(200, 100, 560, 460)  # sees the person whole
    b = regions.Region(470, 100, 830, 460)  # its left edge cuts through them
    c = regions.Region(300, 60, 700, 460)  # sees them whole too
    raw = {
        name: [o for o in regions.detect(detector, bg, [r])[0] if o.label == "person"]
        for name, r in (("a", a), ("b", b), ("c", c))
    }
    assert raw["a"] and raw["c"], raw
    both, inferences = regions.detect(detector, bg, [a, b, c])
    persons = [o for o in both if o.label == "person"]
    assert inferences == 3
    assert len(persons) == 1, persons  # seen whole twice (and cut once): one person
    x0, _, x1, _ = persons[0].box
    assert x0 * 1280 < b.x0 - 10 < b.x0 + 10 < x1 * 1280  # the whole box, not the half that b saw
    # merge() on its own: a cut box and the whole one are one object, the whole one kept.
    whole = DetectedObject("person", 0.6, (0.40, 0.30, 0.45, 0.50))
    cut = DetectedObject("person", 0.8, (0.43, 0.30, 0.45, 0.50))
    other = DetectedObject("person", 0.7, (0.60, 0.30, 0.65, 0.50))
    assert regions.merge([(cut, True), (whole, False), (other, False)]) == [other, whole]


def test_the_full_frame_path_is_unchanged_for_small_frames(media_dir, model_path, detector):
    """640x480 through the real worker: one inference on the whole frame, the same objects as the
    engine's whole-frame path (decode_jpeg to the model input, detect)."""
    from edge_agent.detect.motion import MotionCheck
    from edge_agent.detect.rois import apply_filters
    from edge_agent.listen_frame.worker import Job, WorkerConfig, run_worker
    from edge_agent.supervisor import ChildProcess, Stop

    jpegs = far_scenes.vtest(media_dir, 3, start=150)
    small = [
        cv2.imencode(".jpg", cv2.resize(cv2.imdecode(np.frombuffer(j, np.uint8), 1), (640, 480)))[1].tobytes()
        for j in jpegs
    ]
    background = np.zeros((60, 80), np.float32)  # everything moved
    child = ChildProcess(run_worker, (WorkerConfig(str(model_path)), 0), "worker under test")
    try:
        child.wait_ready(60)
        for i, jpeg in enumerate(small):
            check = MotionCheck(background, 20.0, 0.0024, None, i % 2 == 0)
            child.send(Job(i, "cam", jpeg, RoiSet(), False, check))
            assert child.conn.poll(30)
            result = child.conn.recv()
            assert result.inferred and result.inferences == 1 and result.regions is None
            rgb, _ = imaging.decode_jpeg(jpeg, detector.input_size)
            expected = apply_filters(detector.detect(rgb), RoiSet())
            assert [o.to_json() for o in result.objects] == [o.to_json() for o in expected]
            assert any(o.label == "person" for o in expected)
    finally:
        child.send(Stop())
        child.process.join(5)


def test_the_smart_camera_finds_far_people_with_regions_and_misses_them_without(media_dir, detector):
    """The smart camera's real Pipeline (its detect loop in a thread, frames handed over as its
    capture thread does) on far walkers in 1080p: regions find them, the whole frame does not."""
    from edge_agent.camera.pipeline import Pipeline
    from edge_agent.camera.pipeline_messages import PipelineConfig, PipelineResult

    frames = far_scenes.decoded(far_scenes.far_walk(media_dir, FAR["size"], 24, scale=FAR["scale"]))

    def run(regions_on: bool) -> list[PipelineResult]:
        ctrl, _ = Pipe()
        out_read, out_write = Pipe(duplex=False)
        roi_set = RoiSet(detection=DetectionSettings(regions=regions_on))
        cfg = PipelineConfig("far", "unused", FAR["size"], 5.0, True, "unused.tflite", 1, roi_set, True)
        p = Pipeline(cfg, ctrl, out_write)
        p.detector = detector
        results: list[PipelineResult] = []
        loop = threading.Thread(target=p.detect_loop, daemon=True)
        loop.start()
        try:
            for rgb in frames:
                with p.cond:
                    p.seq += 1
                    p.latest = (rgb, time.time(), p.seq)
                    p.cond.notify_all()
                deadline = time.monotonic() + 30
                got = False
                while time.monotonic() < deadline and not got:  # one frame at a time: none dropped
                    if out_read.poll(0.5):
                        msg = out_read.recv()
                        if isinstance(msg, PipelineResult):
                            results.append(msg)
                            got = True
                    elif p.totals["motion_skipped"] + len(results) >= p.seq:
                        got = True
                time.sleep(0.1)
        finally:
            p.stop.set()
            with p.cond:
                p.cond.notify_all()
            loop.join(10)
        assert p.totals["inferences"] >= p.totals["analysed"] == len(results)
        return results

    with_regions = run(True)
    whole = run(False)
    found = sum(any(o.label == "person" for o in r.objects) for r in with_regions)
    found_whole = sum(any(o.label == "person" for o in r.objects) for r in whole)
    # Most frames of the walk (24) analysed; the gate's timing follows the real clock here, so
    # a loaded machine may shift a few (the gate's own figure is checked on fixed times above).
    assert len(with_regions) >= 16 and len(whole) >= 16
    assert found >= 0.8 * len(with_regions), (found, len(with_regions))
    assert found_whole <= 0.2 * len(whole), (found_whole, len(whole))
    # Which regions ran travels with the result (the detections message's `regions`).
    assert any(r.regions for r in with_regions) and not any(r.regions for r in whole)
    assert all(len(r.regions) <= 4 for r in with_regions if r.regions)


@pytest.mark.slow  # over 30 s: scheduled first (tests/edge/conftest.py)
def test_the_issue_target_people_30_50_px_walking_in_720p(media_dir, detector):
    """The issue's target, gate on at its defaults: people 30-50 px tall walking in 1280x720
    (far_scenes.far_people: vtest's far walkers only) are analysed in nearly every frame they move
    in, found in at least 80 % of them with regions, and ON within 2 s; the whole frame misses
    them. The engine's own gate, regions, filters and debouncer (regions_bench.run_scene) at
    simulated frame times (10 fps), so the counts do not depend on the machine's load. The
    second half of the clip is two people slowly walking about one place: the gate keeps seeing
    them because it judges a tracked person's surroundings on the plain threshold."""
    from edge_agent.tools.regions_bench import run_scene

    n = 120
    frames = far_scenes.decoded(far_scenes.far_people(media_dir, (1280, 720), n))
    moving = far_scenes.far_people_moving(media_dir, (1280, 720), n)
    assert sum(moving) >= 0.9 * n  # the people move in (nearly) every frame of the clip
    r = run_scene(detector, frames, True, moving=moving)
    assert r["moving_analysed"] >= 0.9 * r["moving"], r  # measured 111 of 114
    assert r["moving_found"] >= 0.8 * r["moving"], r  # measured 107 of 114
    assert r["on_at"] is not None and r["on_at"] <= 2.0, r  # measured 0.4 s
    whole = run_scene(detector, frames, False, moving=moving)
    # The whole frame shrunk to 300x300 finds few of them (measured 26 of 114, ON after 7.1 s).
    assert whole["moving_found"] <= 0.3 * whole["moving"], whole
    assert r["moving_found"] >= 3 * whole["moving_found"], (r, whole)


# ---- listen_frame end to end ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def service(mosquitto, model_path):
    base = f"rg{uuid.uuid4().hex[:6]}"
    watcher = Collector(mosquitto, f"{base}/#")
    cmd = listen_frame(mosquitto, model_path, base, "rg", "--workers", "2", "--stats-interval", "2")
    watcher.wait_payload(f"{base}/listen_frame/rg/availability", b"online", timeout=60)
    yield base
    watcher.close()
    cmd.stop()


def _announce(client: Collector, base: str, cam: str, detection: dict) -> None:
    body = {"id": cam, "name": cam, "mode": "dumb", "sw_version": "test"}
    client.publish(f"{base}/{cam}/announce", json.dumps(body), retain=True)
    roi_set = {"version": 1, "rois": [], "detection": detection}
    client.publish(f"{base}/{cam}/rois", json.dumps(roi_set), retain=True)
    client.wait_for(lambda: client.last(f"{base}/{cam}/rois/applied"), 15, f"{cam} serving")


@pytest.mark.slow  # over 30 s: scheduled first (tests/edge/conftest.py)
def test_listen_frame_far_walkers_on_quickly_and_a_far_person_standing_still_stays_on(
    service, mosquitto, media_dir
):
    base = service
    client = Collector(mosquitto, [f"{base}/#"])
    size, scale = FAR["size"], FAR["scale"]
    empty = far_scenes.still_noise(media_dir, size, 8, sigma=3.0, seed=4)
    walk = far_scenes.far_walk(media_dir, size, 30, scale=scale)
    # The walk's last frame, repeated with fresh sensor noise: they stop and stand.
    stand = far_scenes.far_stand(media_dir, size, 8, scale=scale, start=129)
    _announce(client, base, "far", {"clear_after": 6.0, "max_regions": 3})  # keepalive 2 s
    _announce(client, base, "far-whole", {"clear_after": 6.0, "regions": False})
    feeders = {
        cam: Feeder.publishing(client, f"{base}/{cam}/frame", empty, 5.0) for cam in ("far", "far-whole")
    }
    try:
        for cam in feeders:
            client.wait_for(lambda cam=cam: client.last(f"{base}/{cam}/person") == b"OFF", 30, f"{cam} OFF")
        time.sleep(1.0)
        shown = {cam: f.show(walk) for cam, f in feeders.items()}
        client.wait_for(lambda: client.last(f"{base}/far/person") == b"ON", 15, "far ON with regions")
        on_at = next(at for at, p in person_changes(client, f"{base}/far/person") if p == b"ON")
        assert on_at - shown["far"] <= 3.0, f"ON {on_at - shown['far']:.2f} s after they appeared"
        time.sleep(max(0.0, shown["far"] + len(walk) / 5.0 - time.monotonic()))
        # The whole frame never found them (the proof that regions did).
        assert b"ON" not in [p for at, p in person_changes(client, f"{base}/far-whole/person")]
        # The detections messages say which regions ran (at most max_regions), and only with regions.
        ran = [json.loads(p).get("regions") for p in client.payloads(f"{base}/far/detections")]
        assert any(ran) and all(r is None or 1 <= len(r) <= 3 for r in ran), ran
        assert all(len(box) == 4 and 0 <= box[0] < box[2] <= 1 for r in ran if r for box in r)
        whole = [json.loads(p) for p in client.payloads(f"{base}/far-whole/detections")]
        assert whole and not any("regions" in d for d in whole)
        standing = feeders["far"].show(stand)
        feeders["far-whole"].show(empty)
        time.sleep(20.0)  # more than 3 x clear_after: kept ON by keepalive regions where they were
        changes = [p for at, p in person_changes(client, f"{base}/far/person") if at >= on_at]
        assert set(changes) == {b"ON"}, "the far person standing still was cleared"
        stats = [json.loads(p) for p in client.payloads(f"{base}/far/stats")]
        late = [s for s in stats if s.get("inferences_per_frame") is not None]
        assert late and all(1.0 <= s["inferences_per_frame"] <= 3.0 for s in late), late
        # Standing still: mostly skipped, the keepalive frames inferred.
        last = stats[-1]
        assert last["motion_skipped"] > 0
        feeders["far"].show(empty)
        client.wait_for(lambda: client.last(f"{base}/far/person") == b"OFF", 20, "OFF after they left")
        assert standing  # (for the record: when the standing began)
    finally:
        for f in feeders.values():
            f.close()
        client.close()
