"""Frame sources: files (paced, looped, undecodable frames skipped), picamera2 (driver faked), streams."""

from __future__ import annotations

import sys
import time

import cv2
import numpy as np
import pytest

from edge_agent.camera.sources.base import EndOfStream, SourceError
from edge_agent.camera.sources.capture import V4L2Source, redact_url
from edge_agent.camera.sources.spec import describe, make_source, open_source
from tests.edge.fakes.mjpeg_camera import MjpegCamera


def first_frame_rgb(path, size):
    cap = cv2.VideoCapture(str(path))
    ok, bgr = cap.read()
    cap.release()
    assert ok
    return cv2.cvtColor(cv2.resize(bgr, size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)


def test_spec_parsing():
    assert describe("picamera2") == "picamera2"
    assert describe("picamera2:1") == "picamera2"
    assert describe("0") == "v4l2"
    assert describe("/dev/video2") == "v4l2"
    assert describe("rtsp://user:pw@cam/stream") == "stream"
    assert describe("http://cam:8080/video") == "stream"
    assert describe("/data/garden.mp4") == "file"
    assert isinstance(make_source("/dev/video3", (320, 240), 2), V4L2Source)
    assert make_source("/dev/video3", (320, 240), 2).target == 3
    assert make_source("picamera2:1", (320, 240), 2).camera_num == 1
    assert redact_url("rtsp://admin:secret@10.0.0.5/live") == "rtsp://admin:***@10.0.0.5/live"
    with pytest.raises(SourceError, match="empty"):
        make_source("  ", (320, 240), 2)


def test_file_source_rate_size_and_colour(media_dir):
    path = media_dir / "opencv_vtest.avi"
    with open_source(str(path), (320, 240), fps=10) as src:
        t0 = time.monotonic()
        frames = [src.read() for _ in range(11)]
        elapsed = time.monotonic() - t0
    assert all(f is not None and f.shape == (240, 320, 3) and f.dtype == np.uint8 for f in frames)
    # 11 frames at 10 fps: the first at once, then 10 periods of 0.1 s. Up to 1.9 s: a frame held up
    # past its period (a busy machine: 1.84 s with make test's suites and CPU hogs beside) slips the
    # schedule; half the rate (2 s) still fails.
    assert 0.9 <= elapsed < 1.9, elapsed
    # RGB order, not OpenCV's BGR.
    assert np.abs(frames[0].astype(int) - first_frame_rgb(path, (320, 240)).astype(int)).mean() < 1.0
    assert src.platform == "file"


def test_file_source_defaults_to_the_files_rate(media_dir):
    with open_source(str(media_dir / "opencv_tree.avi"), (160, 120), fps=None) as src:
        assert src.file_fps == pytest.approx(15.0, rel=0.01)
        t0 = time.monotonic()
        for _ in range(16):
            assert src.read() is not None
        assert 0.9 <= time.monotonic() - t0 < 1.9  # as above: half the rate (2 s) still fails


def test_tree_avi_survives_undecodable_tail_and_loops(media_dir):
    # Only 68 of its 444 frames decode: the run of failures is taken as the end, and it rewinds.
    with open_source(str(media_dir / "opencv_tree.avi"), (160, 120), fps=1000) as src:
        frames = [src.read() for _ in range(150)]
        assert all(f is not None for f in frames)
        assert src.rewinds == 2
        assert src.skipped == 2 * (444 - 68)
        assert src.stats()["frames"] == 150


def test_file_without_loop_ends(media_dir):
    with open_source(str(media_dir / "opencv_tree.avi"), (160, 120), fps=1000, loop=False) as src:
        got = 0
        with pytest.raises(EndOfStream):
            while True:
                assert src.read() is not None
                got += 1
        assert got == 68


def test_missing_file_and_not_a_video(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        open_source(str(tmp_path / "nope.mp4"), (320, 240), 2)
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(SourceError):
        src = open_source(str(junk), (320, 240), 100)
        src.read()


def test_missing_v4l2_device():
    with pytest.raises(SourceError, match="no such device"):
        open_source("/dev/video97", (320, 240), 2)


def test_picamera2_source_through_the_fake_driver(fake_picamera2, media_dir):
    with open_source("picamera2", (320, 240), fps=20) as src:
        assert src.platform == "picamera2"
        cam = src.cam
        assert type(cam).__module__ == "picamera2"
        assert cam.camera_config["main"] == {"format": "RGB888", "size": (320, 240)}
        assert cam.camera_config["controls"]["FrameRate"] == 20.0
        t0 = time.monotonic()
        frames = [src.read() for _ in range(11)]
        elapsed = time.monotonic() - t0
    assert cam.closed and not cam.started
    assert all(f.shape == (240, 320, 3) for f in frames)
    assert 0.45 <= elapsed < 1.0, elapsed
    # The driver gives [B, G, R] for "RGB888"; the source must hand out true RGB.
    assert (
        np.abs(
            frames[0].astype(int) - first_frame_rgb(media_dir / "opencv_vtest.avi", (320, 240)).astype(int)
        ).mean()
        < 2.0
    )


def test_picamera2_missing_camera_number(fake_picamera2):
    with pytest.raises(SourceError, match="picamera2:1"):
        open_source("picamera2:1", (320, 240), 5)


def test_picamera2_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "picamera2", None)  # import fails as on a PC
    with pytest.raises(SourceError, match="apt install python3-picamera2"):
        open_source("picamera2", (320, 240), 5)


def test_http_stream_source_reopens_when_the_camera_hangs_up(media_dir):
    # An http:// MJPEG camera (network.HttpSource) that hangs up after every 10 frames: the
    # reader re-opens the stream and frames keep coming.
    with MjpegCamera(media_dir / "opencv_vtest.avi", fps=10, frames_per_connection=10) as camera:
        with open_source(camera.url, (160, 120), fps=10) as src:
            assert src.platform == "mjpeg"
            deadline = time.monotonic() + 8
            shapes = []
            while (src.reconnects < 1 or len(shapes) < 12) and time.monotonic() < deadline:
                frame = src.read()
                if frame is not None:
                    shapes.append(frame.shape)
            assert src.reconnects >= 1 and camera.connections >= 2
            assert len(shapes) >= 12 and set(shapes) == {(120, 160, 3)}


def test_picamera2_jpeg_mode_hands_out_the_encoders_jpegs(fake_picamera2, media_dir):
    # A dumb camera wants JPEGs: they come from the Pi's JPEG block (MJPEGEncoder), paced to the
    # rate, and decode to the configured size; no array passes through the source.
    with open_source("picamera2", (320, 240), fps=10, jpeg=True, quality=70) as src:
        assert src.gives_jpeg and type(src.encoder).__name__ == "MJPEGEncoder"
        t0 = time.monotonic()
        jpegs = [src.read_jpeg() for _ in range(6)]
        elapsed = time.monotonic() - t0
    assert all(j is not None and j[:2] == b"\xff\xd8" for j in jpegs)
    img = cv2.imdecode(np.frombuffer(jpegs[-1], np.uint8), cv2.IMREAD_COLOR)
    assert img.shape == (240, 320, 3)
    assert 0.4 <= elapsed < 1.2, elapsed
    assert src.stats()["frames"] == 6


def test_picamera2_jpeg_mode_on_a_board_without_the_jpeg_block(fake_picamera2, monkeypatch):
    # A Pi 5 has no hardware JPEG encoder: picamera2's software JpegEncoder takes over.
    monkeypatch.setenv("BOBBY_FAKE_PICAMERA2_NO_ENCODER", "1")
    with open_source("picamera2", (320, 240), fps=10, jpeg=True) as src:
        assert type(src.encoder).__name__ == "JpegEncoder"
        assert src.read_jpeg()[:2] == b"\xff\xd8"


def test_other_sources_keep_giving_arrays_when_jpeg_is_asked(media_dir):
    with open_source(str(media_dir / "opencv_vtest.avi"), (160, 120), fps=20, jpeg=True) as src:
        assert not src.gives_jpeg
        assert src.read().shape == (120, 160, 3)
        with pytest.raises(SourceError, match="gives arrays"):
            src.read_jpeg()
