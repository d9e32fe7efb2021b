"""Recording: chunk length, retention (oldest first, never the open file), event clips, bad directories."""

from __future__ import annotations

import os
import time

import av
import cv2
import pytest

from edge_agent.camera.recording import RecordSettings, Recorder, enforce_retention, recorded_files

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
    base = dict(directory=str(tmp_path / "rec"), camera_id="garden", fps=FPS, size=(320, 240), max_age=None)
    return RecordSettings(**{**base, **kw})


def test_chunks_have_the_configured_length(tmp_path, frames):
    chunks = []
    rec = Recorder(settings(tmp_path, chunk_seconds=2.0, clips=False), on_chunk=lambda p, s, e: chunks.append((p, s, e)))
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
    rec = Recorder(RecordSettings(directory=str(blocker / "rec"), camera_id="garden", fps=FPS, size=(320, 240)))
    feed(rec, frames, 2.0)  # must not raise
    status = rec.status()
    assert status["state"] == "error" and "cannot open a file" in status["error"]
    assert status["write_errors"] >= 1 and status["frames"] == 20
    rec.close()
