"""The smart camera's recorder and visits (docs/mqtt.md, "events"): a clip named by its visit id,
`.part` while written and renamed when closed; one report per visit (ready, failed, recovered);
a disk that fills mid-clip keeps what was written; retention deletes whole visits with the
chunks; a recorder killed with SIGKILL mid-visit leaves a clip the next start closes and plays.
In-process with real frames, PyAV and a real tmpfs; one child process for the SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import av
import pytest

from edge_agent.camera.recording.retention import enforce_retention
from edge_agent.camera.recording.software_encoder import Recorder
from tests.edge import test_recording
from tests.edge.test_recording import FPS, fill, probe, settings

frames = test_recording.frames  # the fixtures: vtest's frames, an 8 MiB tmpfs
small_fs = test_recording.small_fs

A = "20251121T130005Z-0123456789ab"
B = "20251121T130012Z-ba9876543210"
START = 1_763_730_000.0


def run(rec, frames, seconds, start, events=()):
    """Frames at FPS from `start`; `events`: {frame index: (person, visit id)}."""
    events = dict(events)
    for i in range(int(seconds * FPS)):
        t = start + i / FPS
        if i in events:
            rec.person_changed(events[i][0], t, events[i][1])
        rec.add_frame(frames[i % len(frames)], t)
    return start + seconds


def test_a_visit_clip_is_part_while_written_and_renamed_when_closed(tmp_path, frames):
    reports = []
    rec = Recorder(settings(tmp_path, continuous=False, pre_roll=1.0, post_roll=1.0), on_clip=reports.append)
    folder = tmp_path / "rec" / "garden"
    t = run(rec, frames, 3.0, START, {20: (True, A)})
    assert (folder / f"{A}.mp4.part").exists() and not (folder / f"{A}.mp4").exists()
    assert rec.status()["clip"] == str(folder / f"{A}.mp4.part") and reports == []
    t = run(rec, frames, 3.0, t, {0: (False, A)})  # off at t=3 s, post-roll 1 s
    assert not (folder / f"{A}.mp4.part").exists() and (folder / f"{A}.mp4").exists()
    (r,) = reports
    assert (r.visit_id, r.ok, r.path, r.recovered) == (A, True, str(folder / f"{A}.mp4"), False)
    assert r.start == pytest.approx(START + 1.0, abs=0.01) and r.end == pytest.approx(START + 4.0, abs=0.15)
    _, seconds = probe(r.path)
    assert r.duration == pytest.approx(seconds, abs=0.01) and seconds == pytest.approx(3.0, abs=0.2)
    rec.close(t)
    assert len(reports) == 1  # one report per visit
    assert sorted(p.name for p in folder.iterdir()) == [f"{A}.mp4"]


def test_a_new_visit_in_the_post_roll_closes_the_last_clip_and_starts_its_own(tmp_path, frames):
    reports = []
    rec = Recorder(settings(tmp_path, continuous=False, pre_roll=1.0, post_roll=3.0), on_clip=reports.append)
    # A from 2 s to 3 s; B at 4 s, inside A's post-roll (until 6 s); B ends at 5 s.
    t = run(rec, frames, 9.0, START, {20: (True, A), 30: (False, A), 40: (True, B), 50: (False, B)})
    rec.close(t)
    assert [(r.visit_id, r.ok) for r in reports] == [(A, True), (B, True)]
    assert reports[0].end == pytest.approx(START + 4.0, abs=0.01)  # cut when B started
    assert reports[1].start == pytest.approx(START + 3.0, abs=0.01)  # B's own pre-roll, from the ring
    assert reports[1].end == pytest.approx(START + 8.0, abs=0.15)
    for r in reports:
        assert probe(r.path)[1] == pytest.approx(r.duration, abs=0.01)


def test_the_same_visit_on_again_goes_on_in_one_clip(tmp_path, frames):
    reports = []
    rec = Recorder(settings(tmp_path, continuous=False, pre_roll=1.0, post_roll=3.0), on_clip=reports.append)
    t = run(rec, frames, 8.0, START, {10: (True, A), 20: (False, A), 30: (True, A), 40: (False, A)})
    rec.close(t)
    (r,) = reports
    assert r.ok and r.end == pytest.approx(START + 7.0, abs=0.15)


def test_a_visit_whose_clip_cannot_open_is_reported_failed_when_it_ends(tmp_path, frames):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    reports = []
    rec = Recorder(
        settings(tmp_path, directory=str(blocker / "rec"), continuous=False), on_clip=reports.append
    )
    t = run(rec, frames, 3.0, START, {5: (True, A), 20: (False, A)})
    (r,) = reports
    assert (r.visit_id, r.ok, r.path, r.duration) == (A, False, None, None)
    assert r.end == pytest.approx(START + 2.0, abs=0.01)  # at once: no post-roll to wait for
    assert rec.status()["clips_failed"] == 1
    rec.close(t)
    assert len(reports) == 1


def test_without_clips_the_recorder_reports_no_visit(tmp_path, frames):
    reports = []
    rec = Recorder(settings(tmp_path, clips=False, chunk_seconds=2.0), on_clip=reports.append)
    rec.close(run(rec, frames, 3.0, START, {5: (True, A), 20: (False, A)}))
    assert reports == [] and not (tmp_path / "rec" / "garden").exists()


def test_a_disk_that_fills_mid_clip_keeps_what_was_written(small_fs, frames):
    reports = []
    rec = Recorder(
        settings(
            small_fs,
            directory=str(small_fs / "rec"),
            continuous=False,
            pre_roll=1.0,
            min_free_bytes=0,
            retry_after=60.0,
        ),
        on_clip=reports.append,
    )
    t = run(rec, frames, 4.0, START, {10: (True, A)})  # 3 s of clip written
    fill(small_fs / "other-program.bin")
    deadline = time.monotonic() + 30
    while not reports and time.monotonic() < deadline:
        t = run(rec, frames, 0.5, t)
    (r,) = reports
    folder = small_fs / "rec" / "garden"
    assert (r.visit_id, r.ok, r.path) == (A, False, str(folder / f"{A}.mp4"))
    assert not (folder / f"{A}.mp4.part").exists()
    (small_fs / "other-program.bin").unlink()
    count, seconds = probe(r.path)  # closed and playable: nothing already on disk was lost
    assert seconds >= 2.0 and count >= 20 and r.duration == pytest.approx(seconds, abs=0.01)
    rec.person_changed(False, t, A)
    rec.close(t)
    assert len(reports) == 1 and rec.status()["clips_failed"] == 1


def test_retention_deletes_whole_visits_and_chunks_oldest_first(tmp_path):
    d = tmp_path / "rec"
    folder = d / "garden"
    folder.mkdir(parents=True)
    now = time.time()

    def put(path, size=1000, age=3600.0):
        path.write_bytes(b"x" * size)
        os.utime(path, (now - age, now - age))
        return path

    old_chunk = put(d / "garden_20251121T120000Z.mp4")
    old_visit = [put(folder / f"20251121T120500Z-aaaaaaaaaaaa{s}") for s in (".mp4", ".jpg", "-clean.jpg")]
    snaps_only = [put(folder / f"20251121T121000Z-bbbbbbbbbbbb{s}") for s in (".jpg", "-clean.jpg")]
    leftover = [put(folder / f"20251121T121500Z-cccccccccccc{s}") for s in (".mp4.part", ".jpg")]
    new_chunk = put(d / "garden_20251121T122000Z.mp4")
    current = [put(folder / f"20251121T122500Z-dddddddddddd{s}") for s in (".jpg", "-clean.jpg")]
    other = [put(folder / "notes.txt"), put(d / "porch_20251121T110000Z.mp4")]
    # 11 files of 1000 bytes are ours; keep at most 5000: the oldest go first, whole visits.
    result = enforce_retention(
        d, "garden", None, 5000, keep=set(), visits=folder, keep_visits={"20251121T122500Z-dddddddddddd"}
    )
    assert sorted(result.deleted) == sorted([old_chunk, *old_visit, *snaps_only])
    assert result.freed == 6000
    for p in (*leftover, new_chunk, *current, *other):
        assert p.exists(), p  # a .part (being written, or left for the next start) and the current stay
    # By age: everything of ours older than the limit, except the leftover and the current.
    result = enforce_retention(
        d, "garden", 60.0, None, keep=set(), visits=folder, keep_visits={"20251121T122500Z-dddddddddddd"}
    )
    assert result.deleted == [new_chunk]


KILLED = textwrap.dedent(
    """
    import sys, time, cv2
    from edge_agent.camera.recording.recorder import RecordSettings
    from edge_agent.camera.recording.software_encoder import Recorder

    cap = cv2.VideoCapture(sys.argv[2])
    frames = []
    while len(frames) < 40:
        ok, bgr = cap.read()
        frames.append(cv2.cvtColor(cv2.resize(bgr, (320, 240)), cv2.COLOR_BGR2RGB))
    rec = Recorder(RecordSettings(directory=sys.argv[1], camera_id="garden", fps=10, size=(320, 240),
                                  continuous=False, pre_roll=1.0))
    t = 1_763_730_000.0
    for i in range(100000):
        if i == 15:
            rec.person_changed(True, t, sys.argv[3])
        rec.add_frame(frames[i % 40], t)
        t += 0.1
        if i == 60:
            print("recording", flush=True)  # 4.5 s of clip: 4 fragments or so are on disk
        if i > 60:
            time.sleep(0.05)
    """
)


def test_a_recorder_killed_mid_visit_leaves_a_clip_the_next_start_closes(tmp_path, media_dir):
    folder = tmp_path / "rec" / "garden"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(tmp_path / "rec"), str(media_dir / "opencv_vtest.avi"), A],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "recording"
        time.sleep(0.3)  # in the middle of a fragment
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    part = folder / f"{A}.mp4.part"
    assert part.exists() and not (folder / f"{A}.mp4").exists()
    reports = []
    rec = Recorder(settings(tmp_path, continuous=False), on_clip=reports.append)
    assert rec.recover() == reports
    (r,) = reports
    assert (r.visit_id, r.ok, r.recovered, r.path) == (A, True, True, str(folder / f"{A}.mp4"))
    assert not part.exists()
    with av.open(r.path) as c:  # plays: every frame decodes
        decoded = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(decoded) >= 30 and decoded[0].shape == (240, 320, 3)
    assert r.duration == pytest.approx(len(decoded) / FPS, abs=0.15)
    assert rec.status()["clips_recovered"] == 1
    rec.close()
    assert rec.recover() == []  # nothing left


def test_a_clip_closes_after_its_post_roll_even_when_frames_stop(tmp_path, frames):
    reports = []
    rec = Recorder(settings(tmp_path, continuous=False, pre_roll=1.0, post_roll=1.0), on_clip=reports.append)
    t = run(rec, frames, 3.0, START, {10: (True, A), 25: (False, A)})  # off at 2.5 s, frames until 3 s
    rec.expire(START + 4.0)  # the source stalled: no packet ends the post-roll
    assert reports == [] and rec.clip is not None  # within the grace for frames still on their way
    rec.expire(START + 5.6)
    (r,) = reports
    # From the keyframe 1 s before the person (at 1 s) to the last frame that came (3 s).
    assert r.ok and r.end == START + 5.6 and probe(r.path)[1] == pytest.approx(3.0, abs=0.2)
    rec.close(t)
