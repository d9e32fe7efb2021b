"""Recording: chunk length, retention (oldest first, never the open file), event clips, bad directories,
and a real file system that runs out of space (an 8 MiB tmpfs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import av
import cv2
import pytest

from edge_agent.camera.recording.hardware_encoder import PicameraRecorder
from edge_agent.camera.recording.recorder import RecordSettings
from edge_agent.camera.recording.retention import disk_space, enforce_retention, recorded_files
from edge_agent.camera.recording.software_encoder import Recorder
from edge_agent.events.visit import valid_event_id
from tests.support.mqtt import Collector
from tests.support.procs import FAKES, smart_camera

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
    assert enforce_retention(d, "garden", max_age=86400, max_bytes=None, keep=set()).deleted == [old]
    assert new.exists() and other.exists() and notes.exists()
    assert enforce_retention(d, "garden", max_age=None, max_bytes=50, keep={new}).deleted == []


def test_event_clip_has_pre_roll_and_post_roll(tmp_path, frames):
    clips = []
    rec = Recorder(
        settings(tmp_path, continuous=False, clips=True, pre_roll=3.0, post_roll=2.0), on_clip=clips.append
    )
    start = 1_763_730_000.0
    # Person from t=5 s to t=8 s (a visit whose id the recorder makes: none was given).
    end = feed(rec, frames, 12.0, start=start, events={50: True, 80: False})
    rec.close(end)
    assert len(clips) == 1
    clip = clips[0]
    assert clip.ok and valid_event_id(clip.visit_id) and clip.visit_id.startswith("20251121T")
    assert clip.path == str(tmp_path / "rec" / "garden" / f"{clip.visit_id}.mp4")
    assert clip.start - start == pytest.approx(2.0, abs=0.01)  # the keyframe 3 s before t=5
    assert clip.end - start == pytest.approx(10.0, abs=0.15)  # 2 s after t=8
    count, seconds = probe(clip.path)
    assert seconds == pytest.approx(8.0, abs=0.2) and count == pytest.approx(80, abs=2)
    assert clip.duration == pytest.approx(seconds, abs=0.01)


def test_a_sensor_slower_than_its_rate_still_gets_the_whole_pre_roll(tmp_path, frames):
    # Keyframes come every FPS frames: from a sensor at a third of its rate (the dark, a busy
    # machine) that is every 3 s. At the person, the newest keyframe at least pre_roll old may then
    # be more than pre_roll + 1 s back: the ring keeps it (it kept only pre_roll + 1 s: 0.6 s here).
    clips = []
    rec = Recorder(
        settings(tmp_path, continuous=False, clips=True, pre_roll=1.0, post_roll=1.0), on_clip=clips.append
    )
    start, step = 1_763_730_000.0, 0.3  # keyframes at 0, 3, 6, 9, 12 s
    for i in range(60):
        t = start + i * step
        if i in (42, 45):  # person at 12.6 s (the keyframe at 12 s is 0.6 s old), gone at 13.5 s
            rec.person_changed(i == 42, t)
        rec.add_frame(frames[i % len(frames)], t)
        if i < 40:  # the ring never holds more than a keyframe old enough and what came after it
            assert len(rec.ring) <= 2 * FPS + 1, (i, len(rec.ring))
    rec.close(start + 60 * step)
    (clip,) = clips
    assert clip.ok and clip.start - start == pytest.approx(9.0, abs=0.01), clip.start - start
    count, seconds = probe(clip.path)
    assert seconds == pytest.approx(clip.end - clip.start - step + 1 / FPS, abs=0.01), seconds
    assert count == 49 - 30, count  # from the keyframe at 9 s to the post-roll's end (14.5 s)


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
        on_clip=clips.append,
        on_chunk=lambda *a: chunks.append(a),
    )
    rec.start()
    assert type(rec.encoder).__module__ == "picamera2.encoders"
    return rec, chunks, clips


def wait_until(predicate, timeout: float = 60.0, what: str = "condition") -> None:
    """Wait for a condition, not for a time: the encoder's thread runs late on a busy machine."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.05)


def test_hardware_encoder_chunks_and_retention(tmp_path, picam):
    rec, chunks, _ = hw_recorder(tmp_path, picam, chunk_seconds=1.0, clips=False)
    wait_until(lambda: len(chunks) >= 3, what="three closed chunks")
    chunks = chunks[:3]
    files = recorded_files(tmp_path / "rec", "garden")
    assert [str(f) for f in files[:3]] == [c[0] for c in chunks]
    for path, start, end in chunks:
        count, seconds = probe(path)
        # The frames at their capture times: a chunk spans what it says it spans, at least its length
        # (a busy machine delivers the fake camera's frames late, and the chunk closes at the next one).
        # Its frames: a keyframe interval's at least (FPS), not more than its span holds; fewer than
        # the span holds when the fake sensor, late on a busy machine, dropped slots (a real one keeps
        # its cadence; its keyframes, every FPS frames, then come later: 10 frames over 1.5 s seen).
        assert FPS - 1 <= count <= (end - start) * FPS + 2, (path, count, seconds)
        assert seconds == pytest.approx(end - start, abs=0.15), (path, count, seconds, start, end)
        assert 0.9 <= end - start <= 3.0, (start, end)
    assert all(f.name.startswith("garden_") and f.name.endswith("Z.mp4") for f in files)
    # Retention by size, the same code as the software path: the oldest go, the open one stays.
    sizes = [f.stat().st_size for f in files[:3]]
    rec.s = settings(tmp_path, chunk_seconds=1.0, clips=False, max_bytes=sum(sizes[:2]))
    wait_until(lambda: rec.counters["deleted"] >= 2, what="retention deleting the oldest chunks")
    # Under the recorder's lock: not between a chunk's close (retention runs then) and the next
    # one's opening, where the encoder's thread (late on a busy machine) may be.
    with rec.lock:
        left, chunk = recorded_files(tmp_path / "rec", "garden"), rec.chunk
    assert files[0] not in left and chunk is not None and chunk.path in left
    rec.close()
    status = rec.status()
    # At least the frames of the three whole chunks checked above went through the encoder.
    assert status["state"] == "ok" and status["encoder"] == "picamera2 H264Encoder"
    assert status["frames"] >= 3 * FPS, status
    assert rec.encoder is None and not picam._encoders  # the encoder was stopped


def keyframe_offsets(path) -> list[float]:
    """Seconds from an MP4's first packet to each of its keyframes."""
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        packets = [p for p in c.demux(stream) if p.pts is not None]
    first = min(p.pts for p in packets)
    return sorted(float((p.pts - first) * stream.time_base) for p in packets if p.is_keyframe)


def test_hardware_encoder_event_clip_has_pre_roll_and_post_roll(tmp_path, picam):
    rec, chunks, clips = hw_recorder(tmp_path, picam, continuous=False, pre_roll=1.0, post_roll=1.0)

    def old_keyframe() -> bool:
        with rec.lock:
            return any(pkt.key and time.time() - t >= 1.1 for t, pkt in rec.ring)

    # The person comes once a keyframe (one every FPS frames: a second, or more when the fake
    # sensor runs late on a busy machine) is at least the pre-roll old.
    wait_until(old_keyframe, what="a keyframe the pre-roll old")
    on = time.time()
    rec.person_changed(True, on)
    time.sleep(1.0)
    off = time.time()
    rec.person_changed(False, off)
    wait_until(lambda: clips, what="the clip closed by its post-roll")
    rec.close()
    assert chunks == [] and len(clips) == 1
    (clip,) = clips
    path, start, end = clip.path, clip.start, clip.end
    assert clip.ok and path == str(tmp_path / "rec" / "garden" / f"{clip.visit_id}.mp4")
    # It starts at the newest keyframe at least pre_roll before the person: the clip's next
    # keyframe, if any came before the person, is younger than that.
    assert on - start >= 1.0 - 0.1, on - start
    later = [start + k for k in keyframe_offsets(path)[1:] if start + k <= on]
    assert all(on - k < 1.0 + 0.1 for k in later), (on - start, [on - k for k in later])
    # It ends at the first frame after the post-roll (frames a tenth of a second apart, more on a
    # busy machine), not when the recorder closed.
    assert 1.0 - 0.1 <= end - off <= 2.0, end - off
    count, seconds = probe(path)
    assert seconds == pytest.approx(end - start, abs=0.5), (seconds, end - start)
    assert FPS <= count <= (end - start) * FPS + 3, (count, end - start)


def test_hardware_encoder_unwritable_directory_is_reported(tmp_path, picam):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    rec = PicameraRecorder(
        RecordSettings(directory=str(blocker / "rec"), camera_id="garden", fps=FPS, size=(320, 240)), picam
    )
    rec.start()
    wait_until(lambda: rec.status()["write_errors"] >= 1, what="a write error")
    status = rec.status()
    assert status["state"] == "error" and "cannot open a file" in status["error"], status
    frames = status["frames"]
    # the encoder goes on; files are retried later
    wait_until(lambda: rec.status()["frames"] > frames, what="more frames through the encoder")
    rec.close()


def test_without_a_hardware_encoder_the_pipeline_records_in_software(tmp_path, picam, monkeypatch, caplog):
    # A Pi 5 has no H.264 block: H264Encoder cannot open /dev/video11.
    from multiprocessing import Pipe

    from edge_agent.camera.pipeline import Pipeline
    from edge_agent.camera.pipeline_messages import PipelineConfig
    from edge_agent.camera.sources.spec import open_source
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


# --- a recording directory that runs out of space ------------------------------------------------


@pytest.fixture
def small_fs(tmp_path):
    """An 8 MiB tmpfs: the kernel itself answers ENOSPC when it is full."""
    mnt = tmp_path / "fs"
    mnt.mkdir()
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    # CI and the development machines run as root; elsewhere a clear failure, never a silent skip.
    assert not prefix or shutil.which("sudo"), "mounting a tmpfs needs root or passwordless sudo"
    done = subprocess.run(
        [*prefix, "mount", "-t", "tmpfs", "-o", "size=8m,mode=0777", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"cannot mount a tmpfs here: {done.stderr.strip()}"
    try:
        yield mnt
    finally:
        if subprocess.run([*prefix, "umount", str(mnt)], capture_output=True).returncode != 0:
            subprocess.run([*prefix, "umount", "-l", str(mnt)], capture_output=True)


def fill(path: Path, limit: int | None = None) -> int:
    """Another program writing `path` until the disk is full (or `limit` bytes); bytes written."""
    written = 0
    block = b"\0" * 16384
    with path.open("ab") as f:
        try:
            while limit is None or written < limit:
                f.write(block[: min(len(block), limit - written)] if limit else block)
                f.flush()
                written += len(block) if limit is None else min(len(block), limit - written)
        except OSError as err:
            assert err.errno == 28  # ENOSPC
    return written


def free(path: Path) -> int:
    return disk_space(path)[1]


def open_files_under(path: Path) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(path)):
            found.append(target)
    return found


FLOOR = 300_000  # bytes; the 10 % of 8 MiB would be 839 kB: the smaller one is the floor


def fs_settings(fs, **kw):
    base = {
        "directory": str(fs / "rec"),
        "camera_id": "garden",
        "fps": FPS,
        "size": (320, 240),
        "chunk_seconds": 1.0,
        "clips": False,
        "max_age": None,
        "max_bytes": None,
        "min_free_bytes": FLOOR,
        "retention_interval": 0.5,
        "retry_after": 0.5,
    }
    return RecordSettings(**{**base, **kw})


def test_the_floor_keeps_recordings_from_filling_the_disk(small_fs, frames):
    fill(small_fs / "other-program.bin", limit=7 * 1024 * 1024)  # about 1.2 MB left for us
    rec = Recorder(fs_settings(small_fs))
    lowest = free(small_fs)
    end = 1_763_730_000.0
    for _ in range(8):  # 80 one-second chunks, ~2 MB in all: more than the disk has
        end = feed(rec, frames, 10.0, start=end)
        lowest = min(lowest, free(small_fs))
    status = rec.status()
    rec.close(end)
    assert status["write_errors"] == 0 and status["state"] == "ok", status
    assert status["deleted"] >= 20 and status["floor_mb"] == 0.3
    assert lowest >= FLOOR - 60_000, lowest  # never below the floor by more than a growing chunk
    assert (small_fs / "other-program.bin").stat().st_size == 7 * 1024 * 1024  # not ours: untouched


def test_disk_full_closes_the_failed_file_frees_space_and_recording_resumes(small_fs, frames, capsys):
    fill(small_fs / "other-program.bin", limit=6 * 1024 * 1024)
    # 5 s chunks and no timer: nothing frees space before the write fails (this test is about that).
    rec = Recorder(fs_settings(small_fs, chunk_seconds=5.0, retention_interval=3600.0))
    end = feed(rec, frames, 41.0)  # ~1 MB of chunks, the last one started 1 s ago
    ours_before = sum(f.stat().st_size for f in recorded_files(small_fs / "rec", "garden"))
    assert ours_before > 3 * FLOOR and rec.status()["write_errors"] == 0

    # Another program takes every byte left: the next write of the open chunk fails.
    filled_at = time.monotonic()
    fill(small_fs / "other-program-2.bin")
    assert free(small_fs) < 16384
    states, fed, recovered_at, error = [], int(41 * FPS), None, None
    while time.monotonic() - filled_at < 30:
        end = feed(rec, frames, 0.1, start=end)  # one frame, as the pipeline gives it
        fed += 1
        status = rec.status()
        states.append(status["state"])
        error = status["error"] or error
        if "error" in states and status["state"] == "ok" and status["chunk"] is not None:
            recovered_at = time.monotonic()
            break
        time.sleep(0.02)
    assert recovered_at is not None, rec.status()
    status = rec.status()
    # The error was reported, and recording resumed without anyone deleting anything by hand.
    assert status["write_errors"] >= 1 and status["recoveries"] == 1 and "error" in states
    assert status["frames"] == fed  # every frame was taken: the caller (detection) never waited
    # The failed chunk's file was closed at once: only the new chunk is open.
    assert open_files_under(small_fs) == [str(rec.chunk.path)]
    # Freed up to the floor (sizes; the file system frees whole pages, a little more).
    assert status["freed_bytes"] >= 0.8 * FLOOR and free(small_fs) >= FLOOR - 60_000
    assert (small_fs / "other-program-2.bin").exists()  # retention deletes only this camera's files
    # And it goes on recording: more chunks close after the recovery.
    chunks = status["chunks"]
    end = feed(rec, frames, 11.0, start=end)
    assert rec.status()["chunks"] >= chunks + 2 and rec.status()["state"] == "ok"
    rec.close(end)
    with capsys.disabled():
        print(
            f"\nrecording, disk full on an 8 MiB tmpfs: {ours_before / 1e6:.2f} MB of recordings, "
            f"retention freed {status['freed_bytes'] / 1e6:.2f} MB "
            f"({status['deleted']} files) right after the write error; "
            f"writing again {status['last_recovery_s']:.2f} s after the error "
            f"({recovered_at - filled_at:.2f} s after the disk filled, retry_after 0.5 s, "
            f"error: {error!r}); "
            f"{free(small_fs) / 1e6:.2f} MB free, floor {FLOOR / 1e6:.2f} MB"
        )


def test_below_the_floor_with_nothing_to_delete_pauses_until_space_is_back(small_fs, frames):
    rec = Recorder(fs_settings(small_fs))
    fill(small_fs / "other-program.bin")  # the disk is full before recording starts
    end = feed(rec, frames, 1.5)
    status = rec.status()
    assert status["state"] == "error" and "below the floor of 0.3 MB" in status["error"], status
    assert status["low_space"] >= 1 and status["chunk"] is None and status["frames"] == 15
    assert recorded_files(small_fs / "rec", "garden") == []
    (small_fs / "other-program.bin").unlink()  # the space is back
    deadline = time.monotonic() + 10
    while rec.status()["state"] != "ok" and time.monotonic() < deadline:
        end = feed(rec, frames, 0.1, start=end)
        time.sleep(0.02)
    assert rec.status()["state"] == "ok" and rec.status()["recoveries"] == 1
    rec.close(end)


def test_retention_runs_on_a_timer_without_any_chunk_closing(small_fs):
    # Event clips only (continuous: false) and no person: no file ever closes, and yet old files
    # and files over the floor go.
    d = small_fs / "rec"
    d.mkdir()
    now = time.time()
    ours = []
    for i in range(10):
        p = d / f"garden_2025010{i // 5 + 1}T0{i % 5}0000Z_event.mp4"
        p.write_bytes(b"x" * 200_000)
        os.utime(p, (now - 3600 + i, now - 3600 + i))
        ours.append(p)
    os.utime(ours[-1], (now - 30 * 86400, now - 30 * 86400))  # the newest name, but too old
    fill(small_fs / "other-program.bin")
    rec = Recorder(fs_settings(small_fs, continuous=False, clips=True, max_age=7 * 86400.0))
    deadline = time.monotonic() + 30  # a deadline: the first run, from a thread, on a busy machine
    while free(small_fs) < FLOOR and time.monotonic() < deadline:
        time.sleep(0.05)
    assert free(small_fs) >= FLOOR
    assert not ours[0].exists() and not ours[1].exists() and not ours[-1].exists()  # oldest, too old
    assert ours[5].exists() and ours[8].exists()  # the rest stays
    runs = rec.status()["retention_runs"]
    # every retention_interval (0.5 s): two more runs awaited (a busy machine runs the timer late),
    # well within what a timer that had stopped, or ran at the default interval (60 s), would give
    wait_until(lambda: rec.status()["retention_runs"] >= runs + 2, 10, "two more retention runs")
    rec.close()


@pytest.mark.slow  # over 30 s: scheduled first (tests/edge/conftest.py)
def test_camera_detects_on_while_its_recording_disk_is_full(
    small_fs, mosquitto, tmp_path, model_path, media_dir
):
    """The real camera process: the disk fills, detection goes on, recording comes back by itself."""
    base = f"r{uuid.uuid4().hex[:8]}"
    t = f"{base}/yard"
    config = tmp_path / "camera.yaml"
    config.write_text(
        "\n".join(
            [
                "record: true",
                f"record_dir: {small_fs / 'rec'}",
                # Retention at chunk ends (every 5 s) only, so that it cannot free the space
                # before a write fails: this test is about the write error.
                "chunk_seconds: 5",
                "min_free_mb: 0.3",
                "retention_check_seconds: 3600",
                "event_clips: false",
            ]
        )
    )
    fill(small_fs / "other-program.bin", limit=6 * 1024 * 1024)
    rec = Collector(mosquitto, [f"{t}/#"])
    camera = smart_camera(
        mosquitto,
        tmp_path,
        base,
        "yard",
        media_dir / "opencv_vtest.avi",
        model_path,
        ["--config", str(config), "--fps", "5", "--width", "640", "--height", "480"],
        name="camera",
        stats_interval=1,
    )

    def stats(where, timeout, after=0.0):
        return json.loads(
            rec.wait_topic(
                f"{t}/stats", where=lambda m: where(json.loads(m.payload)), timeout=timeout, after=after
            ).payload
        )

    try:
        stats(lambda s: (s.get("recording") or {}).get("chunks", 0) >= 1, 60)

        def ours():
            return sum(f.stat().st_size for f in recorded_files(small_fs / "rec", "yard") if f.exists())

        rec.wait_for(lambda: ours() > 0.6 * 1024 * 1024, 60, "0.6 MB of recordings")  # twice the floor
        # Fill the disk right after a chunk starts: its next write fails well before it ends.
        names = set(recorded_files(small_fs / "rec", "yard"))
        rec.wait_for(lambda: set(recorded_files(small_fs / "rec", "yard")) - names, 15, "a new chunk")
        filled_at = time.monotonic()
        fill(small_fs / "other-program-2.bin")
        broken = stats(lambda s: s["recording_state"].startswith("error"), 30, after=filled_at)
        error_seen = time.monotonic()
        assert (
            "No space left on device" in broken["recording"]["error"]
            or "floor" in broken["recording"]["error"]
        )
        detections = rec.count(f"{t}/detections", after=filled_at)
        ok = stats(
            lambda s: s["recording_state"] == "ok" and s["recording"]["recoveries"] >= 1, 40, after=error_seen
        )
        recovered = time.monotonic()
        # Detection went on the whole time: results kept coming and frames kept being analysed.
        assert rec.count(f"{t}/detections", after=filled_at) > detections > 0
        assert ok["analysed"] > broken["analysed"] and ok["recording"]["freed_bytes"] > 0
        assert ok["recording"]["free_mb"] >= 0.25
        assert camera.proc.poll() is None
        print(
            f"\ncamera process, disk full: error reported {error_seen - filled_at:.1f} s after the disk filled, "
            f"recording again {recovered - filled_at:.1f} s after (retry_after 10 s), "
            f"retention freed {ok['recording']['freed_bytes'] / 1e6:.2f} MB, "
            f"{rec.count(f'{t}/detections', after=filled_at)} detection results meanwhile"
        )
    finally:
        camera.terminate()
        rec.close()
