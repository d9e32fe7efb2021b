"""A dumb camera's clips in-process (edge_agent/events/clip.py, listen_frame/recording.py): real
JPEG frames of opencv_vtest.avi, real PyAV encoding and files; the frames' times are given, so
no test waits for a pre- or post-roll. Pre-roll, post-roll, max length, a full queue, a disk
that fills (a real file-size limit, RLIMIT_FSIZE) and a writer killed mid-clip."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import av
import pytest

from edge_agent.events.clip import ClipResult, ClipWriter, complete_fragments, recover_part
from edge_agent.events.files import visit_files
from edge_agent.events.settings import RecordingSettings, validate_recording
from edge_agent.events.visit import new_event_id
from edge_agent.listen_frame.recording import CameraRecorder
from tests.support.frames import video_jpegs

T0 = 1764696600.0
FPS = 4.0


@pytest.fixture(scope="module")
def jpegs(media_dir) -> tuple[bytes, ...]:
    return video_jpegs(str(media_dir / "opencv_vtest.avi"), 24, step=3)


def probe(path: Path) -> tuple[str, int, float, tuple[int, int]]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        times = [float(f.time) for f in c.decode(s) if f.time is not None]
        return s.codec_context.name, len(times), max(times) - min(times), (s.width, s.height)


class Clips:
    def __init__(self) -> None:
        self.results: dict[str, ClipResult] = {}

    def __call__(self, visit_id: str, result: ClipResult) -> None:
        self.results[visit_id] = result


def recorder(tmp_path: Path, **kw) -> tuple[CameraRecorder, Clips, Counter]:
    settings = RecordingSettings(
        enabled=True, directory=str(tmp_path), pre_roll=2.0, post_roll=2.0, min_free_mb=0, **kw
    )
    clips, counters = Clips(), Counter()
    return CameraRecorder("yard", settings, clips, counters), clips, counters


def wait(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def feed(rec: CameraRecorder, jpegs, start: float, seconds: float, fps: float = FPS) -> float:
    """Frames at `fps` from `start` for `seconds` (captured = received times); the next time."""
    n = round(seconds * fps)
    for i in range(n):
        t = start + i / fps
        rec.offer(jpegs[i % len(jpegs)], t, t)
    return start + n / fps


def test_a_clip_has_the_pre_roll_the_visit_and_the_post_roll(tmp_path, jpegs) -> None:
    rec, clips, counters = recorder(tmp_path)
    try:
        t = feed(rec, jpegs, T0, 5.0)  # more than the pre-roll: only its last 2 s are kept
        vid = new_event_id(t)
        rec.start(vid, t)
        t = feed(rec, jpegs, t, 6.0)
        rec.stop(vid, t)
        t = feed(rec, jpegs, t, 3.0)  # the post-roll ends after 2 s: the rest is not recorded
        wait(lambda: vid in clips.results)
        result = clips.results[vid]
        assert result.ok and result.path == visit_files(tmp_path, "yard", vid).clip
        assert not visit_files(tmp_path, "yard", vid).part.exists()
        assert abs(result.duration - (2.0 + 6.0 + 2.0)) <= 0.5, result
        codec, frames, span, size = probe(result.path)
        assert codec == "h264" and size == (640, 480)
        assert abs(frames - 10 * FPS) <= 2 and abs(span - (10.0 - 1 / FPS)) <= 0.3  # real times
        assert counters["clips"] == 1 and counters["record_dropped"] == 0
    finally:
        rec.close()


def test_frames_keep_their_real_irregular_times(tmp_path, jpegs) -> None:
    part, final = tmp_path / "a.mp4.part", tmp_path / "a.mp4"
    w = ClipWriter(part, final, fps=4.0)
    times = [0.0, 0.1, 0.9, 1.0, 3.0, 3.25, 3.5]  # a stall of 2 s in the middle
    for i, dt in enumerate(times):
        w.add(jpegs[i], T0 + dt)
    result = w.close()
    assert result.ok and result.frames == len(times)
    with av.open(str(final)) as c:
        got = [round(float(f.time), 2) for f in c.decode(c.streams.video[0])]
    assert got == times


def test_a_new_visit_in_the_post_roll_and_a_clip_cut_at_its_max_length(tmp_path, jpegs) -> None:
    rec, clips, counters = recorder(tmp_path, max_clip_seconds=6.0)
    try:
        t = feed(rec, jpegs, T0, 2.0)
        first = new_event_id(t)
        rec.start(first, t)
        t = feed(rec, jpegs, t, 2.0)
        rec.stop(first, t)
        t = feed(rec, jpegs, t, 1.0)
        second = new_event_id(t)
        rec.start(second, t)  # the first clip closes now, the second starts with its own pre-roll
        t = feed(rec, jpegs, t, 10.0)  # longer than max_clip_seconds
        wait(lambda: first in clips.results and second in clips.results)
        assert abs(clips.results[first].duration - 5.0) <= 0.5
        assert abs(clips.results[second].duration - 6.0) <= 0.5  # cut
        assert counters["clips_cut"] == 1 and rec.recording() is None
        rec.stop(second, t)  # the visit's end after the cut: nothing more
    finally:
        rec.close()


def test_a_full_queue_drops_recording_frames_never_blocks(tmp_path, jpegs) -> None:
    rec, clips, counters = recorder(tmp_path, queue_frames=4)
    try:
        vid = new_event_id(T0)
        rec.start(vid, T0)
        slowest = 0.0
        for i in range(60):  # as fast as the CPU allows: the encoder cannot keep up
            began = time.perf_counter()
            rec.offer(jpegs[i % len(jpegs)], T0 + i / FPS, T0 + i / FPS)
            slowest = max(slowest, time.perf_counter() - began)
        assert counters["record_dropped"] > 0 and slowest < 0.05
        rec.stop(vid, T0)
        rec.tick(T0 + 10)
        wait(lambda: vid in clips.results)
        assert clips.results[vid].ok and clips.results[vid].frames < 60
    finally:
        rec.close()


@pytest.fixture
def file_size_cap():
    """A real file-size limit for this process (the kernel refuses writes past it: EFBIG), as a
    full disk would; SIGXFSZ ignored so that the write fails instead of killing the process."""
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    def cap(size: int) -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, old_limit[1]))

    try:
        yield cap
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)


def test_a_full_disk_fails_the_clip_keeps_what_was_written_and_recording_comes_back(
    tmp_path, jpegs, file_size_cap
) -> None:
    rec, clips, counters = recorder(tmp_path)
    try:
        file_size_cap(150_000)
        first = new_event_id(T0)
        rec.start(first, T0)
        slowest = 0.0
        for i in range(40):
            began = time.perf_counter()
            rec.offer(jpegs[i % len(jpegs)], T0 + i / FPS, T0 + i / FPS)
            slowest = max(slowest, time.perf_counter() - began)
            time.sleep(0.005)
        wait(lambda: first in clips.results)
        result = clips.results[first]
        assert not result.ok and "File too large" in (result.error or "")
        assert counters["write_errors"] >= 1 and slowest < 0.05  # the caller never waited
        kept = visit_files(tmp_path, "yard", first).clip
        assert result.path == kept and kept.is_file()  # what was written stays, closed
        assert probe(kept)[1] >= 1
        rec.stop(first, T0 + 10)
        file_size_cap(resource.RLIM_INFINITY)
        second = new_event_id(T0 + 20)
        rec.start(second, T0 + 20)
        feed(rec, jpegs, T0 + 20, 3.0)
        rec.stop(second, T0 + 23)
        rec.tick(T0 + 30)
        wait(lambda: second in clips.results)
        assert clips.results[second].ok  # the next visit records again
    finally:
        rec.close()


def test_below_the_free_space_floor_a_clip_fails_at_once(tmp_path, jpegs) -> None:
    settings = RecordingSettings(enabled=True, directory=str(tmp_path), min_free_mb=1e9, min_free_percent=90)
    clips = Clips()
    rec = CameraRecorder("yard", settings, clips, Counter())
    try:
        vid = new_event_id(T0)
        rec.start(vid, T0)
        feed(rec, jpegs, T0, 1.0)
        wait(lambda: vid in clips.results)
        assert not clips.results[vid].ok and "below the floor" in clips.results[vid].error
        assert not any((tmp_path / "yard").glob("*.mp4*"))
    finally:
        rec.close()


def test_a_writer_killed_mid_clip_leaves_fragments_that_recover_playable(tmp_path, media_dir) -> None:
    part, final = tmp_path / "v.mp4.part", tmp_path / "v.mp4"
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from edge_agent.events.clip import ClipWriter\n"
        "from tests.support.frames import video_jpegs\n"
        f"frames = video_jpegs({str(media_dir / 'opencv_vtest.avi')!r}, 30)\n"
        f"w = ClipWriter(Path({str(part)!r}), Path({str(final)!r}), 4.0)\n"
        "for i, f in enumerate(frames):\n"
        "    w.add(f, 1000 + i / 4)\n"
        "print('written', flush=True)\n"
        "time.sleep(60)\n"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=root)
    try:
        assert proc.stdout.readline().strip() == "written"
    finally:
        proc.kill()
        proc.wait(10)
    assert part.stat().st_size > 0 and not final.exists()
    with open(part, "ab") as f:
        f.write(b"\x00\x00\x01\x00moof" + b"\x00" * 40)  # a torn fragment after the last whole one
    good = complete_fragments(part)
    assert 0 < good < part.stat().st_size
    result = recover_part(part, final)
    assert result.ok and not part.exists() and final.stat().st_size == good
    codec, frames, span, _ = probe(final)
    assert codec == "h264" and frames >= 20 and abs(result.duration - (span + 0.25)) <= 0.3
    junk = tmp_path / "junk.mp4.part"
    junk.write_bytes(b"not an mp4 at all")
    bad = recover_part(junk, tmp_path / "junk.mp4")
    assert not bad.ok and not junk.exists() and not (tmp_path / "junk.mp4").exists()


def test_recording_settings_are_validated() -> None:
    assert validate_recording(None) == RecordingSettings()
    s = validate_recording({"enabled": True, "directory": " /media/bobby_camera ", "pre_roll": 3, "crf": 28})
    assert s.enabled and s.directory == "/media/bobby_camera" and s.pre_roll == 3.0 and s.crf == 28
    assert s.max_age == 7 * 86400 and validate_recording({"max_age_days": 0}).max_age is None
    for bad, word in (
        ({"enabled": "yes"}, "enabled"),
        ({"pre_roll": -1}, "pre_roll"),
        ({"post_roll": float("nan")}, "post_roll"),
        ({"directory": ""}, "directory"),
        ({"max_clip_seconds": 5, "pre_roll": 3, "post_roll": 3}, "shorter"),
        ({"prerol": 3}, "unknown"),
        ([1], "mapping"),
    ):
        with pytest.raises(ValueError, match=word):
            validate_recording(bad)
    json.dumps(s.__dict__)  # plain values


def test_a_visit_follows_the_cameras_owner(tmp_path, jpegs) -> None:
    """listen_frame/events.py: only the owner records; losing the camera ends the visit there
    (clip closed, `end` published), taking one over with a person in view starts a new one."""
    from edge_agent.detect.detection import DetectedObject
    from edge_agent.listen_frame.events import CameraEvents

    published: list[dict] = []
    owner = {"now": True}
    settings = RecordingSettings(
        enabled=True, directory=str(tmp_path), pre_roll=1.0, post_roll=1.0, min_free_mb=0
    )
    events = CameraEvents(
        "yard",
        "listen_frame/a",
        settings,
        lambda cam, p: published.append(p),
        lambda: owner["now"],
        Counter(),
    )
    person = DetectedObject("person", 0.8, (0.1, 0.1, 0.5, 0.9))
    try:
        t = time.time()
        events.ownership(True, False, t)
        for i in range(4):
            events.frame_in(jpegs[i], t + i / FPS, t + i / FPS)
        events.person_changed(None, True, t + 1)
        events.analysed([person], b"drawn", jpegs[0], t + 1)
        (start,) = published
        files = visit_files(tmp_path, "yard", start["id"])
        assert start["type"] == "start" and start["snapshot"] and files.snapshot.read_bytes() == b"drawn"
        assert files.clean.read_bytes() == jpegs[0]
        for i in range(4, 12):
            events.frame_in(jpegs[i], t + i / FPS, t + i / FPS)
        owner["now"] = False
        events.frame_in(jpegs[0], t + 3, t + 3)  # not the owner: not recorded
        events.ownership(False, True, t + 3)
        wait(lambda: len(published) == 2)
        end = published[1]
        assert end["type"] == "end" and end["id"] == start["id"] and end["clip"] == "ready"
        assert files.clip.is_file() and events.snapshot_floor() is None
        owner["now"] = True
        events.ownership(True, True, t + 10)  # taken back with a person in view: a new visit
        assert published[2]["type"] == "start" and published[2]["id"] != start["id"]
    finally:
        events.close()
    assert published[-1]["type"] == "end" and published[-1]["id"] == published[2]["id"]
