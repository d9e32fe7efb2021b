"""The picture keeps its shape (issue 22): the frame size rule, each source kind, the cameras'
announce and recorder, and what works on the frames downstream (detector, motion gate, regions,
snapshots), in-process: milliseconds to a few seconds. The whole chain through real processes is
tests/edge/test_wide_camera.py."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
import types
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
import pytest

from edge_agent.camera import config as camcfg
from edge_agent.camera.sources import capture
from edge_agent.camera.sources.capture import StreamSource
from edge_agent.camera.sources.frame_size import asked_size, frame_size, probe_size, same_aspect
from edge_agent.camera.sources.spec import open_source
from tests.edge.fakes.mjpeg_camera import MjpegCamera
from tests.support.wide_video import iou, to_wide, wide_frames, write_wide_video

# ---- the rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("native", "asked", "expected"),
    [
        # Nothing asked: the source's aspect, 640 on the long side, never enlarged.
        ((1920, 1080), None, (640, 360)),
        ((1280, 720), (None, None), (640, 360)),
        ((768, 576), None, (640, 480)),
        ((1080, 1920), None, (360, 640)),  # a phone held upright
        ((4608, 2592), None, (640, 360)),  # a Camera Module 3's sensor
        ((3280, 2464), None, (640, 480)),  # a v2's (4:3 after even rounding: 640x480.8)
        ((320, 240), None, (320, 240)),  # smaller than the default: kept
        ((2560, 1080), None, (640, 270)),  # 21:9
        ((1366, 768), None, (640, 360)),  # 640 / 1.7786 = 359.8
        # A width alone: that width, the height from the aspect (even).
        ((1920, 1080), (1280, None), (1280, 720)),
        ((1920, 1080), (400, None), (400, 226)),  # 225 rounded to even
        ((320, 240), (1024, None), (1024, 768)),  # asked: enlarged
        # A height alone.
        ((1920, 1080), (None, 480), (854, 480)),
        ((768, 576), (None, 240), (320, 240)),
        # Both: fit inside the box, never stretched.
        ((1920, 1080), (640, 480), (640, 360)),
        ((768, 576), (640, 480), (640, 480)),
        ((768, 576), (640, 360), (480, 360)),
        ((1080, 1920), (640, 480), (270, 480)),
        ((1920, 1080), (641, 481), (640, 360)),  # odd sides asked: even, inside the box
        ((1920, 1080), (16, 16), (16, 10)),  # 9 rounded to even
    ],
)
def test_frame_size_rule(native, asked, expected):
    got = frame_size(native, asked)
    assert got == expected
    assert got[0] % 2 == 0 and got[1] % 2 == 0
    # The aspect is the source's, within what even rounding moves it.
    assert abs(got[0] / got[1] - native[0] / native[1]) <= 2.5 / min(got), (got, native)
    aw, ah = asked_size(asked)
    assert aw is None or got[0] <= aw
    assert ah is None or got[1] <= ah


def test_frame_size_rule_is_stable_and_bounded():
    # A size the rule gave, fed back as the native size with the same wish, gives itself (the
    # picamera2 source relies on it: libcamera's size is read back through the rule).
    for native in [(1920, 1080), (1280, 720), (768, 576), (1080, 1920), (4056, 3040), (3, 2)]:
        for asked in [None, (640, 480), (1280, None), (None, 360), (400, 400)]:
            once = frame_size(native, asked)
            assert frame_size(once, asked) == once, (native, asked)
            assert same_aspect(once, native, tolerance=0.05) or min(once) <= 10
    assert probe_size(None) == (640, 480)
    assert probe_size((1280, None)) == (1280, 960)
    assert probe_size((None, 720)) == (960, 720)
    assert probe_size((1920, 1080)) == (1920, 1080)
    for bad in [(0, None), (-5, 10), (True, None), (12.5, None)]:
        with pytest.raises(ValueError):
            asked_size(bad)
    with pytest.raises(ValueError):
        frame_size((0, 10))


def test_camera_settings_leave_the_size_to_the_source(tmp_path):
    path = tmp_path / "camera.yaml"
    path.write_text("source: garden.mp4\ncamera_id: garden\n")
    cfg = camcfg.load(types.SimpleNamespace(config=str(path)))
    assert cfg.size == (None, None) and cfg.width is None and cfg.height is None
    path.write_text("source: garden.mp4\ncamera_id: garden\nwidth: 1280\n")
    assert camcfg.load(types.SimpleNamespace(config=str(path))).size == (1280, None)
    path.write_text("source: garden.mp4\ncamera_id: garden\nheight: 8\n")
    with pytest.raises(camcfg.SettingsError, match="height"):
        camcfg.load(types.SimpleNamespace(config=str(path)))


# ---- each source kind --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wide_video(media_dir, tmp_path_factory) -> Path:
    """vtest cropped to 16:9 and scaled to 1280x720 (tests/support/wide_video.py), 30 frames."""
    return write_wide_video(media_dir, tmp_path_factory.mktemp("wide"), (1280, 720), count=30)


def _not_squashed(frame: np.ndarray, reference_bgr: np.ndarray) -> float:
    """Mean difference between a frame (RGB) and the reference picture at the frame's size."""
    ref = cv2.cvtColor(
        cv2.resize(reference_bgr, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_AREA),
        cv2.COLOR_BGR2RGB,
    )
    return float(np.abs(frame.astype(int) - ref.astype(int)).mean())


@pytest.mark.parametrize(
    ("asked", "expected"),
    [(None, (640, 360)), ((640, 480), (640, 360)), ((320, None), (320, 180)), ((None, 270), (480, 270))],
)
def test_file_source_keeps_a_16_9_video_at_16_9(wide_video, media_dir, asked, expected):
    with open_source(str(wide_video), asked, fps=None) as src:
        assert src.native == (1280, 720) and src.size == expected
        frame = src.read()
    assert frame.shape == (expected[1], expected[0], 3)
    # The picture itself: vtest's middle, not its whole frame pressed into 16:9.
    first = wide_frames(media_dir, 1)[0]
    assert _not_squashed(frame, first) < 6.0
    cap = cv2.VideoCapture(str(media_dir / "opencv_vtest.avi"))
    ok, whole = cap.read()
    cap.release()
    assert ok and _not_squashed(frame, whole) > 2 * _not_squashed(frame, first)


def test_a_4_3_file_still_gives_640x480_by_default(media_dir):
    with open_source(str(media_dir / "opencv_vtest.avi"), None, fps=None) as src:
        assert src.native == (768, 576) and src.size == (640, 480)
        assert src.read().shape == (480, 640, 3)
    with open_source(str(media_dir / "opencv_tree.avi"), None, fps=None) as src:
        assert src.size == (320, 240)  # smaller than the default: not enlarged


def test_ffmpeg_stream_source_follows_the_stream(media_dir):
    # A stream read through OpenCV's FFmpeg (capture.StreamSource): a 16:9 MJPEG camera.
    with MjpegCamera(
        media_dir / "opencv_vtest.avi", size=(320, 180), fps=20, frames_per_connection=1000
    ) as cam:
        with StreamSource(cam.url, None, fps=20) as src:
            assert src.native == (320, 180) and src.size == (320, 180)
            frames = [f for f in (src.read() for _ in range(4)) if f is not None]
        with StreamSource(cam.url, (640, 480), fps=20) as src:
            assert src.size == (640, 360)
            wide = [f for f in (src.read() for _ in range(4)) if f is not None]
    assert frames and all(f.shape == (180, 320, 3) for f in frames)
    assert wide and all(f.shape == (360, 640, 3) for f in wide)


def test_a_source_that_does_not_tell_its_size_learns_it_from_its_first_frame(media_dir, monkeypatch):
    # Some FFmpeg inputs report 0x0 until a frame is decoded: open() reads one, and hands it out.
    real = cv2.VideoCapture

    class Silent:
        def __init__(self, *args):
            self.cap = real(*args)

        def get(self, prop):
            if prop in (cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT):
                return 0.0
            return self.cap.get(prop)

        def __getattr__(self, name):
            return getattr(self.cap, name)

    with MjpegCamera(
        media_dir / "opencv_vtest.avi", size=(384, 216), fps=20, frames_per_connection=1000
    ) as cam:
        monkeypatch.setattr(cv2, "VideoCapture", Silent)
        with StreamSource(cam.url, None, fps=20) as src:
            assert src.native == (384, 216) and src.size == (384, 216)
            assert src.read().shape == (216, 384, 3)
            assert src.frames == 1 and src.failures == 0


class FakeWebcam:
    """A V4L2 driver (cv2.VideoCapture on /dev/videoN) with the modes of a 16:9-only webcam: asked
    for a size, it takes its nearest mode, as V4L2's S_FMT does; frames come at that mode."""

    MODES: ClassVar[list[tuple[int, int]]] = [(640, 360), (1280, 720), (1920, 1080)]
    opened: ClassVar[list[FakeWebcam]] = []
    scene: ClassVar[list[np.ndarray]] = []

    def __init__(self, target, api, params=()):
        assert api == cv2.CAP_V4L2
        self.asked = [640, 480]
        self.frames = FakeWebcam.scene
        self.n = 0
        FakeWebcam.opened.append(self)

    @property
    def mode(self):
        w, h = self.asked
        return min(self.MODES, key=lambda m: abs(m[0] - w) + abs(m[1] - h))

    def isOpened(self):
        return True

    def set(self, prop, value):
        if prop == cv2.CAP_PROP_FRAME_WIDTH:
            self.asked[0] = int(value)
        elif prop == cv2.CAP_PROP_FRAME_HEIGHT:
            self.asked[1] = int(value)
        return True

    def get(self, prop):
        if prop == cv2.CAP_PROP_FRAME_WIDTH:
            return float(self.mode[0])
        if prop == cv2.CAP_PROP_FRAME_HEIGHT:
            return float(self.mode[1])
        return 0.0

    def grab(self):
        time.sleep(1 / 30)
        self.n += 1
        return True

    def retrieve(self):
        return True, cv2.resize(
            self.frames[self.n % len(self.frames)], self.mode, interpolation=cv2.INTER_AREA
        )

    def release(self):
        pass


@pytest.mark.parametrize(
    ("asked", "mode", "expected"),
    [
        (None, (640, 360), (640, 360)),
        ((1280, None), (1280, 720), (1280, 720)),
        ((800, 600), (640, 360), (800, 450)),
    ],
)
def test_v4l2_webcam_asked_for_a_size_keeps_its_modes_aspect(media_dir, monkeypatch, asked, mode, expected):
    FakeWebcam.scene = wide_frames(media_dir, 3, (1920, 1080))
    FakeWebcam.opened = []
    monkeypatch.setattr(cv2, "VideoCapture", FakeWebcam)
    monkeypatch.setattr(capture, "Path", lambda p: types.SimpleNamespace(exists=lambda: True))
    with open_source("/dev/video7", asked, fps=10) as src:
        assert src.platform == "v4l2"
        assert tuple(FakeWebcam.opened[0].asked) == probe_size(asked)
        assert src.native == mode and src.size == expected
        frame = src.read()
    assert frame.shape == (expected[1], expected[0], 3)


@pytest.mark.parametrize(
    ("sensor", "asked", "expected"),
    [
        ("4608x2592", None, (640, 360)),  # Camera Module 3: 16:9
        ("4608x2592", (640, 480), (640, 360)),
        ("1640x1232", None, (640, 480)),  # v2 (IMX219): 4:3
        ("4056x3040", (1280, None), (1280, 960)),  # HQ camera: 4:3
    ],
)
def test_picamera2_takes_the_sensors_aspect(
    fake_picamera2, monkeypatch, media_dir, tmp_path, sensor, asked, expected
):
    monkeypatch.setenv("BOBBY_FAKE_PICAMERA2_SENSOR", sensor)
    scene = media_dir / "opencv_vtest.avi"
    if sensor == "4608x2592":  # a 16:9 sensor sees a 16:9 scene
        scene = write_wide_video(media_dir, tmp_path, (1280, 720), count=5)
    monkeypatch.setenv("BOBBY_FAKE_PICAMERA2_MEDIA", str(scene))
    with open_source("picamera2", asked, fps=20) as src:
        assert src.sensor_size == tuple(int(v) for v in sensor.split("x"))
        assert src.cam.camera_config["main"]["size"] == expected and src.size == expected
        frame = src.read()
    assert frame.shape == (expected[1], expected[0], 3)
    with open_source("picamera2", asked, fps=20, jpeg=True) as src:  # the dumb camera's JPEGs
        jpeg = src.read_jpeg()
        assert src.size == expected
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert img.shape == (expected[1], expected[0], 3)


# ---- the cameras -------------------------------------------------------------------------------


def _config(tmp_path, source, **extra) -> camcfg.CameraConfig:
    path = tmp_path / "camera.yaml"
    lines = [f"source: {source}", "camera_id: wide", "broker: mqtt://127.0.0.1:1", "fps: 5"]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    path.write_text("\n".join(lines) + "\n")
    return camcfg.load(types.SimpleNamespace(config=str(path)))


def test_dumb_camera_announces_and_encodes_the_sources_size(tmp_path, wide_video):
    from edge_agent.camera.dumb import DumbCamera

    cfg = _config(tmp_path, wide_video, width=640, height=480)
    with open_source(cfg.source, cfg.size, cfg.fps) as src:
        camera = DumbCamera(cfg, src, cfg.broker_settings())
        announce = camera.announce()
        jpeg = camera._encode(src.read())
    assert announce["resolution"] == [640, 360]
    assert json.loads(json.dumps(announce))["resolution"] == [640, 360]
    assert cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR).shape == (360, 640, 3)


def test_smart_camera_pipeline_records_streams_and_announces_at_the_sources_size(
    tmp_path, wide_video, model_path
):
    """The detector process (run here in a thread): Ready tells the size the parent announces; the
    recorder (PyAV) writes it; the live view's frames (HTTP MJPEG) have it."""
    import av

    from edge_agent.camera import pipeline_messages as pm
    from edge_agent.camera.pipeline import Pipeline
    from edge_agent.camera.smart import SmartCamera
    from edge_agent.detect.rois import RoiSet
    from edge_agent.supervisor import Ready, Stop

    cfg = _config(
        tmp_path,
        wide_video,
        mode="smart",
        record="true",
        record_dir=tmp_path / "rec",
        model=model_path,
        state_dir=tmp_path / "st",
    )
    record = cfg.record_settings()
    assert record is not None and record.size == (640, 480)  # the parent's box: replaced below
    pcfg = pm.PipelineConfig(
        camera_id="wide",
        source=cfg.source,
        size=cfg.size,
        fps=cfg.fps,
        loop=True,
        model_path=str(model_path),
        threads=1,
        roi_set=RoiSet(),
        detection_on=True,
        record=record,
    )
    ctrl_child, ctrl_parent = multiprocessing.Pipe()
    out_parent, out_child = multiprocessing.Pipe(duplex=False)
    pipeline = Pipeline(pcfg, ctrl_child, out_child)
    runner = threading.Thread(target=pipeline.run, daemon=True)
    runner.start()
    ready, live, result = None, None, None
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and not (ready and live and result):
            if not out_parent.poll(1.0):
                continue
            msg = out_parent.recv()
            if isinstance(msg, Ready):
                ready = msg
            elif isinstance(msg, pm.LiveFrame):
                live = msg
            elif isinstance(msg, pm.PipelineResult):
                result = msg
        assert ready and live and result, (ready, live, result)
    finally:
        ctrl_parent.send(Stop())
        # Keep reading what it sends until it stops: a full pipe would block its send, and it would
        # never read the Stop (as the smart camera's parent process keeps reading).
        stop_by = time.monotonic() + 30
        while runner.is_alive() and time.monotonic() < stop_by:
            while out_parent.poll(0.05):
                out_parent.recv()
    assert not runner.is_alive()
    assert ready.info["size"] == [640, 360]
    assert pipeline.recorder is not None and pipeline.recorder.s.size == (640, 360)
    assert cv2.imdecode(np.frombuffer(live.jpeg, np.uint8), cv2.IMREAD_COLOR).shape == (360, 640, 3)
    assert result.size == (640, 360)
    files = sorted((tmp_path / "rec").rglob("*.mp4"))
    assert files, list((tmp_path / "rec").rglob("*"))
    with av.open(str(files[0])) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (640, 360)

    # The parent: no size before its detector process is ready (null), the process's after.
    camera = SmartCamera(cfg, cfg.broker_settings())
    assert camera.announce()["resolution"] is None
    child = types.SimpleNamespace(accept=lambda msg: None)
    camera._on_ready(child, ready)
    assert camera.announce()["resolution"] == [640, 360]


# ---- downstream: detector, motion gate, regions, snapshot --------------------------------------


@pytest.fixture(scope="module")
def detector(model_path):
    from edge_agent.detect.detector import Detector

    return Detector(model_path, min_score=0.5)


def test_detector_boxes_on_a_16_9_frame_land_on_the_people(detector, media_dir):
    """The model input is 300x300 and the frame is stretched into it, as SSD MobileNet v1 was
    trained (fixed_shape_resizer): the normalised boxes found on the 16:9 crop are the boxes of
    the 4:3 frame, moved into the crop."""
    from edge_agent.detect.imaging import resize

    cap = cv2.VideoCapture(str(media_dir / "opencv_vtest.avi"))
    wide = wide_frames(media_dir, 20, (640, 360))
    matched = total = 0
    for i in range(0, 20, 4):
        cap.set(cv2.CAP_PROP_POS_FRAMES, i)
        ok, bgr = cap.read()
        assert ok
        whole = detector.detect(resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), detector.input_size))
        found = detector.detect(resize(cv2.cvtColor(wide[i], cv2.COLOR_BGR2RGB), detector.input_size))
        refs = [to_wide(o.box) for o in whole if o.label == "person" and o.score >= 0.6]
        # People wholly inside the crop (a head cut off by it changes the box).
        refs = [b for b in refs if b is not None and b[1] > 0.02 and b[3] < 0.98]
        for ref in refs:
            total += 1
            best = max((iou(ref, o.box) for o in found if o.label == "person"), default=0.0)
            matched += best >= 0.5
    cap.release()
    assert total >= 5, total
    assert matched >= 0.8 * total, (matched, total)


def test_motion_gate_and_regions_on_16_9_frames(media_dir):
    from edge_agent.detect import imaging, regions
    from edge_agent.detect.motion import jpeg_thumbnail, thumb_size, thumbnail

    assert thumb_size((640, 360)) == (80, 45)
    assert thumb_size((1280, 720)) == (160, 90)
    assert thumb_size((1920, 1080)) == (240, 135)
    frames = wide_frames(media_dir, 2, (1280, 720))
    rgb = cv2.cvtColor(frames[0], cv2.COLOR_BGR2RGB)
    assert thumbnail(rgb).shape == (90, 160)
    jpeg = imaging.encode_jpeg(rgb, 80)
    thumb = jpeg_thumbnail(jpeg)
    assert thumb.shape == (90, 160)
    # The thumbnail is the picture shrunk, not squeezed: it matches the frame averaged down.
    expect = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), (160, 90), interpolation=cv2.INTER_AREA)
    assert float(np.abs(thumb.astype(int) - expect.astype(int)).mean()) < 6.0

    # Regions: squares in pixels, inside a wide frame, whatever its aspect; normalised back.
    moved = [(0.05, 0.6, 0.09, 0.9), (0.9, 0.1, 0.95, 0.3)]
    plan = regions.plan((1280, 720), (300, 300), moved)
    assert plan and len(plan) == 2
    for r, box in zip(plan, moved, strict=True):
        assert r.x1 - r.x0 == r.y1 - r.y0 >= 300
        assert r.x0 >= 0 and r.x1 <= 1280 and r.y0 >= 0 and r.y1 <= 720
        nx0, ny0, nx1, ny1 = r.to_json((1280, 720))
        assert nx0 <= box[0] and ny0 <= box[1] and nx1 >= box[2] and ny1 >= box[3]


def test_snapshot_of_a_16_9_frame_stays_16_9(media_dir):
    from edge_agent.detect.detection import DetectedObject
    from edge_agent.detect.rois import parse_roi_set
    from edge_agent.listen_frame.worker import snapshot_jpeg

    rgb = cv2.cvtColor(wide_frames(media_dir, 1, (1280, 720))[0], cv2.COLOR_BGR2RGB)
    jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()
    roi_set = parse_roi_set(
        json.dumps({"version": 1, "rois": [{"id": "path", "points": [[0.1, 0.5], [0.5, 0.5], [0.5, 0.9]]}]})
    )
    person = DetectedObject("person", 0.9, (0.25, 0.25, 0.75, 0.75))
    out = snapshot_jpeg(jpeg, (1280, 720), [person], roi_set, 80)
    img = cv2.imdecode(np.frombuffer(out, np.uint8), cv2.IMREAD_COLOR)
    assert img.shape == (360, 640, 3)
    # The box's corners are drawn where the normalised box says, on the 16:9 picture.
    red = (
        np.abs(img.astype(int) - cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)[::2, ::2].astype(int)).sum(axis=2) > 120
    )
    ys, xs = np.nonzero(red[:, 100:540])
    assert abs(int(np.median(xs[ys < 120])) + 100 - 320) < 160  # the box's top edge spans the middle
    assert red[90, 160:480].mean() > 0.5 and red[270, 160:480].mean() > 0.5  # top and bottom edges
