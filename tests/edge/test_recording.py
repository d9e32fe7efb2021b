"""Recording: chunk length, retention (oldest first, never the open file), event clips, bad directories."""

from __future__ import annotations

import os
import sys
import time

import av
import cv2
import pytest

from edge_agent.camera.recording import (
    PicameraRecorder,
    Recorder,
    RecordSettings,
    enforce_retention,
    recorded_files,
)
from tests.support.procs import FAKES

FPS = 10


@pytest.fixture(scope="module")
def frames(media_dir):
    cap = cv2.VideoCapture(str(media_dir / "opencv_vtest.avi"))
    out = []
    while len(out) < 40:
        ok, bgr = cap.read()
        assert ok
        out.append(cv2.cvtColor(cv2.resize(bgr, (320, 240)), cv2.COLOR_BGR2RGB))
    return out


def probe(path):
    """(frames, seconds from first to last frame + one frame) of an MP4."""
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        times = [float(f.pts * f.time_base) for f in c.decode(stream)]
    return len(times), (max(times) - min(times)) + 1 / FPS


def feed(rec, frames, seconds, start=1_763_730_000.0, events=()):
    events = dict(events)
    for i in range(int(seconds * FPS)):
        t = start + i / FPS
        if i in events:
            rec.person_changed(events[i], t)
        rec.add_frame(frames[i % len(frames)], t)
    return start + seconds


def settings(tmp_path, **kw):
    base = {
        "directory": str(tmp_path / "rec"),
        "camera_id": "garden",
        "fps": FPS,
        "size": (320, 240),
        "max_age": None,
    }
    return RecordSettings(**{**base, **kw})


def test_chunks_have_the_configured_length(tmp_path, frames):
    chunks = []
    rec = Recorder(
        settings(tmp_path, chunk_seconds=2.0, clips=False), on_chunk=lambda p, s, e: chunks.append((p, s, e))
    )
    end = feed(rec, frames, 7.0)
    rec.close(end)
    files = recorded_files(tmp_path / "rec", "garden")
    assert len(files) == 4 and [str(f) for f in files] == [c[0] for c in chunks]
    assert all(f.name.startswith("garden_20251121T") and f.name.endswith("Z.mp4") for f in files)
    for f in files[:3]:
        count, seconds = probe(f)
        assert count == 20 and seconds == pytest.approx(2.0, abs=0.05)
    assert probe(files[3])[0] == 10
    assert rec.status()["state"] == "ok" and rec.status()["chunks"] == 4


def test_retention_by_size_deletes_the_oldest_and_never_the_open_chunk(tmp_path, frames):
    rec = Recorder(settings(tmp_path, chunk_seconds=1.0, clips=False))
    end = feed(rec, frames, 3.0)
    sizes = [f.stat().st_size for f in recorded_files(tmp_path / "rec", "garden")]
    limit = sum(sizes) + max(sizes)  # room for about 3-4 files in all
    rec.s = settings(tmp_path, chunk_seconds=1.0, clips=False, max_bytes=limit)
    end = feed(rec, frames, 6.0, start=end)
    files = recorded_files(tmp_path / "rec", "garden")
    assert rec.counters["deleted"] >= 3
    assert sum(f.stat().st_size for f in files) <= limit + max(sizes) * 2  # the open one may grow past
    assert rec.chunk is not None and rec.chunk.path in files  # the file being written stays
    names = [f.name for f in files]
    assert names == sorted(names)  # what is left is the newest
    rec.close(end)


def test_retention_by_age_and_other_files_untouched(tmp_path):
    d = tmp_path / "rec"
    d.mkdir()
    old = d / "garden_20250101T000000Z.mp4"
    new = d / "garden_20250102T000000Z.mp4"
    other = d / "porch_20250101T000000Z.mp4"
    notes = d / "notes.txt"
    for p in (old, new, other, notes):
        p.write_bytes(b"x" * 100)
    now = time.time()
    os.utime(old, (now - 3 * 86400, now - 3 * 86400))
    os.utime(new, (now - 3600, now - 3600))
    os.utime(other, (now - 9 * 86400, now - 9 * 86400))
    assert enforce_retention(d, "garden", max_age=86400, max_bytes=None, keep=set()) == [old]
    assert new.exists() and other.exists() and notes.exists()
    assert enforce_retention(d, "garden", max_age=None, max_bytes=50, keep={new}) == []


def test_event_clip_has_pre_roll_and_post_roll(tmp_path, frames):
    clips = []
    rec = Recorder(
        settings(tmp_path, continuous=False, clips=True, pre_roll=3.0, post_roll=2.0),
        on_clip=lambda p, s, e: clips.append((p, s, e)),
    )
    start = 1_763_730_000.0
    # Person from t=5 s to t=8 s.
    end = feed(rec, frames, 12.0, start=start, events={50: True, 80: False})
    rec.close(end)
    assert len(clips) == 1
    path, clip_start, clip_end = clips[0]
    assert path.endswith("_event.mp4") and "/garden_" in path
    assert clip_start - start == pytest.approx(2.0, abs=0.01)  # the keyframe 3 s before t=5
    assert clip_end - start == pytest.approx(10.0, abs=0.15)  # 2 s after t=8
    count, seconds = probe(path)
    assert seconds == pytest.approx(8.0, abs=0.2) and count == pytest.approx(80, abs=2)


def test_unwritable_directory_is_reported_and_frames_keep_flowing(tmp_path, frames):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    rec = Recorder(
        RecordSettings(directory=str(blocker / "rec"), camera_id="garden", fps=FPS, size=(320, 240))
    )
    feed(rec, frames, 2.0)  # must not raise
    status = rec.status()
    assert status["state"] == "error" and "cannot open a file" in status["error"]
    assert status["write_errors"] >= 1 and status["frames"] == 20
    rec.close()


# --- the Pi's hardware encoder (picamera2 faked at the driver: its sensor runs in real time) ------


@pytest.fixture
def picam(monkeypatch):
    """A started fake Picamera2 at FPS, 320x240, as Picamera2Source configures it."""
    monkeypatch.syspath_prepend(str(FAKES))
    for name in [n for n in sys.modules if n.split(".")[0] == "picamera2"]:
        monkeypatch.delitem(sys.modules, name)
    from picamera2 import Picamera2

    cam = Picamera2()
    cam.configure(
        cam.create_video_configuration(
            main={"size": (320, 240), "format": "RGB888"}, controls={"FrameRate": FPS}
        )
    )
    cam.start()
    yield cam
    cam.close()
    for name in [n for n in sys.modules if n.split(".")[0] == "picamera2"]:
        sys.modules.pop(name, None)


def hw_recorder(tmp_path, cam, **kw):
    chunks, clips = [], []
    rec = PicameraRecorder(
        settings(tmp_path, **kw),
        cam,
        on_clip=lambda *a: clips.append(a),
        on_chunk=lambda *a: chunks.append(a),
    )
    rec.start()
    assert type(rec.encoder).__module__ == "picamera2.encoders"
    return rec, chunks, clips


def test_hardware_encoder_chunks_and_retention(tmp_path, picam):
    rec, chunks, _ = hw_recorder(tmp_path, picam, chunk_seconds=1.0, clips=False)
    time.sleep(3.5)
    files = recorded_files(tmp_path / "rec", "garden")
    assert len(chunks) == 3 and [str(f) for f in files[:3]] == [c[0] for c in chunks]
    for path, start, end in chunks:
        count, seconds = probe(path)
        assert count == FPS and seconds == pytest.approx(1.0, abs=0.1), (path, count, seconds)
        assert end - start == pytest.approx(1.0, abs=0.1)
    assert all(f.name.startswith("garden_") and f.name.endswith("Z.mp4") for f in files)
    # Retention by size, the same code as the software path: the oldest go, the open one stays.
    sizes = [f.stat().st_size for f in files[:3]]
    rec.s = settings(tmp_path, chunk_seconds=1.0, clips=False, max_bytes=sum(sizes[:2]))
    time.sleep(2.2)
    left = recorded_files(tmp_path / "rec", "garden")
    assert rec.counters["deleted"] >= 2 and files[0] not in left and rec.chunk.path in left
    rec.close()
    status = rec.status()
    assert status["state"] == "ok" and status["encoder"] == "picamera2 H264Encoder" and status["frames"] >= 50
    assert rec.encoder is None and not picam._encoders  # the encoder was stopped


def test_hardware_encoder_event_clip_has_pre_roll_and_post_roll(tmp_path, picam):
    rec, chunks, clips = hw_recorder(tmp_path, picam, continuous=False, pre_roll=1.0, post_roll=1.0)
    time.sleep(2.3)
    on = time.time()
    rec.person_changed(True, on)
    time.sleep(1.0)
    off = time.time()
    rec.person_changed(False, off)
    time.sleep(1.6)
    rec.close()
    assert chunks == [] and len(clips) == 1
    path, start, end = clips[0]
    assert path.endswith("_event.mp4") and "/garden_" in path
    # It starts at the newest keyframe (one a second) at least pre_roll before the person.
    assert 1.0 - 0.1 <= on - start <= 2.0 + 0.1, on - start
    assert end - off == pytest.approx(1.0, abs=0.2)
    count, seconds = probe(path)
    assert seconds == pytest.approx(end - start, abs=0.25) and count == pytest.approx(
        (end - start) * FPS, abs=3
    )


def test_hardware_encoder_unwritable_directory_is_reported(tmp_path, picam):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    rec = PicameraRecorder(
        RecordSettings(directory=str(blocker / "rec"), camera_id="garden", fps=FPS, size=(320, 240)), picam
    )
    rec.start()
    time.sleep(1.2)
    status = rec.status()
    assert (
        status["state"] == "error" and "cannot open a file" in status["error"] and status["write_errors"] >= 1
    )
    frames = status["frames"]
    time.sleep(0.5)
    assert rec.status()["frames"] > frames  # the encoder goes on; files are retried later
    rec.close()


def test_without_a_hardware_encoder_the_pipeline_records_in_software(tmp_path, picam, monkeypatch, caplog):
    # A Pi 5 has no H.264 block: H264Encoder cannot open /dev/video11.
    from multiprocessing import Pipe

    from edge_agent.camera.pipeline import Pipeline, PipelineConfig
    from edge_agent.camera.sources import open_source
    from edge_agent.detect.rois import RoiSet

    picam.close()  # the fixture's camera: the source opens its own
    monkeypatch.setenv("BOBBY_FAKE_PICAMERA2_NO_ENCODER", "1")
    ctrl, _ = Pipe()
    out, _ = Pipe()
    cfg = PipelineConfig("garden", "picamera2", (320, 240), FPS, True, "unused.tflite", 1, RoiSet(), True)
    pipeline = Pipeline(cfg, ctrl, out)
    with open_source("picamera2", (320, 240), FPS) as pipeline.source:
        recorder = pipeline._make_recorder(settings(tmp_path))
        assert type(recorder) is Recorder and recorder.wants_frames
    assert "hardware H.264 encoder unavailable (FileNotFoundError" in caplog.text
