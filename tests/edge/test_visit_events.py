"""The visit tracker (edge_agent/events/visit.py) and a visit's files (events/files.py), in-process:
the exact payloads of docs/mqtt.md "events", when snapshots improve, the update rate limit, clip
states, and the file names, atomic writes and retention. Milliseconds."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from edge_agent.events.files import (
    atomic_write,
    enforce_visit_retention,
    event_id_of,
    leftover_parts,
    visit_files,
)
from edge_agent.events.visit import VisitTracker, event_id_time, new_event_id, valid_event_id

T0 = 1764696612.4
KEYS = [
    "id",
    "camera",
    "type",
    "start",
    "end",
    "regions",
    "max_persons",
    "score",
    "snapshot",
    "clip",
    "duration",
    "store",
    "service",
    "at",
]


def tracker(**kw) -> VisitTracker:
    return VisitTracker("garden", "listen_frame/pi4", **kw)


def test_event_id_is_utc_start_and_48_random_bits() -> None:
    ids = {new_event_id(T0) for _ in range(50)}
    assert len(ids) == 50  # random part
    for i in ids:
        assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{12}", i)
        assert i.startswith("20251202T173012Z-")
        assert valid_event_id(i)
        assert event_id_time(i) == int(T0)
    for bad in ("20251202T173012Z-3FA9C1D27B40", "20251202T173012Z-3fa9c1d27b4", "x", None, "../a", "a\n"):
        assert not valid_event_id(bad)
    assert not valid_event_id(new_event_id(T0) + "\n")


def test_a_whole_visit_without_recording() -> None:
    t = tracker(recording=False)
    assert t.frame(0.0, 0, [], T0 - 1) is None  # nobody: nothing to keep
    assert t.frame(0.7, 1, [], T0 - 0.5) == "candidate"  # the frames that turn the state ON
    visit = t.person_changed(None, True, T0)
    assert visit is not None and valid_event_id(visit.id)
    assert t.start_snapshot()  # the candidate becomes the start's snapshot
    (start,) = t.messages(T0)
    assert list(start) == KEYS
    assert start == {
        "id": visit.id,
        "camera": "garden",
        "type": "start",
        "start": T0,
        "end": None,
        "regions": [],
        "max_persons": 1,
        "score": 0.7,
        "snapshot": True,
        "clip": "none",
        "duration": None,
        "store": "media",
        "service": "listen_frame/pi4",
        "at": T0,
    }
    json.dumps(start, allow_nan=False)  # a valid JSON object
    assert t.messages(T0 + 1) == []
    assert t.person_changed(None, False, T0 + 30) is visit
    (end,) = t.messages(T0 + 30)
    assert (
        end["type"] == "end" and end["end"] == T0 + 30 and end["clip"] == "none" and end["duration"] is None
    )
    assert t.messages(T0 + 31) == [] and not t.pending()


def test_a_stale_candidate_is_not_the_start_snapshot() -> None:
    t = tracker()
    t.frame(0.9, 1, [], T0 - 20)
    t.person_changed(None, True, T0)
    assert not t.start_snapshot()
    (start,) = t.messages(T0)
    assert start["snapshot"] is False and start["score"] == 0.0


def test_snapshot_improvements_and_regions_are_rate_limited_updates() -> None:
    t = tracker()
    t.person_changed("door", True, T0)  # a region may go ON in the same frame, before the camera's
    visit = t.person_changed(None, True, T0)
    assert visit is not None
    assert t.frame(0.6, 1, ["door"], T0) == "snapshot"
    (start,) = t.messages(T0)
    assert start["regions"] == ["door"] and start["snapshot"] and start["score"] == 0.6
    assert start["clip"] == "recording"
    assert t.frame(0.61, 1, [], T0 + 0.5) is None  # not better by MIN_GAIN
    assert t.frame(0.8, 2, [], T0 + 1) == "snapshot"
    assert t.messages(T0 + 1) == []  # 5 s since the start have not passed
    assert t.pending()
    t.person_changed("drive", True, T0 + 2)
    t.person_changed("drive", False, T0 + 3)
    (update,) = t.messages(T0 + 5)
    assert update["type"] == "update" and update["score"] == 0.8 and update["max_persons"] == 2
    assert update["regions"] == ["door", "drive"] and update["end"] is None and update["duration"] is None
    assert t.frame(0.95, 3, [], T0 + 6) == "snapshot"
    assert t.messages(T0 + 9.9) == []
    (update2,) = t.messages(T0 + 10)
    assert update2["score"] == 0.95 and update2["max_persons"] == 3
    assert t.messages(T0 + 20) == []  # nothing new: no update


def test_regions_of_a_frame_count_only_once_their_state_is_on() -> None:
    t = tracker()
    t.person_changed(None, True, T0)
    t.frame(0.5, 1, ["door"], T0)  # the region's debouncer has not said ON yet
    (start,) = t.messages(T0)
    assert start["regions"] == []
    t.person_changed("door", True, T0 + 1)
    t.person_changed("Bad Id", True, T0 + 1)  # not a region id: never in a message
    (update,) = t.messages(T0 + 6)
    assert update["regions"] == ["door"]


def test_end_waits_for_the_clip_and_carries_its_duration() -> None:
    t = tracker()
    visit = t.person_changed(None, True, T0)
    assert visit is not None
    t.messages(T0)
    t.person_changed(None, False, T0 + 29.5)
    assert t.messages(T0 + 30) == []  # the post-roll runs
    assert t.pending()
    t.clip_closed(visit.id, True, 34.5)
    (end,) = t.messages(T0 + 35)
    assert end["type"] == "end" and end["clip"] == "ready" and end["duration"] == 34.5
    assert end["end"] == T0 + 29.5 and end["at"] == T0 + 35
    assert not t.pending()


def test_a_new_visit_during_the_previous_ones_post_roll() -> None:
    t = tracker()
    first = t.person_changed(None, True, T0)
    t.messages(T0)
    t.person_changed(None, False, T0 + 10)
    second = t.person_changed(None, True, T0 + 12)
    assert first is not None and second is not None and first.id != second.id
    (start,) = t.messages(T0 + 12)
    assert start["id"] == second.id and start["type"] == "start"
    t.clip_closed(first.id, True, 17.0)
    (end,) = t.messages(T0 + 13)
    assert end["id"] == first.id and end["type"] == "end"


def test_a_failed_clip_is_said_at_once_and_at_the_end() -> None:
    t = tracker()
    visit = t.person_changed(None, True, T0)
    assert visit is not None
    t.messages(T0)
    t.clip_state(visit.id, "failed")
    (update,) = t.messages(T0 + 5)
    assert update["clip"] == "failed" and update["duration"] is None
    t.person_changed(None, False, T0 + 8)
    (end,) = t.messages(T0 + 8)  # settled already: no post-roll to wait for
    assert end["clip"] == "failed" and end["duration"] is None


def test_a_clip_closed_early_at_its_max_length_ends_with_the_state() -> None:
    t = tracker()
    visit = t.person_changed(None, True, T0)
    assert visit is not None
    t.messages(T0)
    t.clip_closed(visit.id, True, 300.0)  # max_clip_seconds reached, the person still there
    assert t.messages(T0 + 301) == []
    t.person_changed(None, False, T0 + 400)
    (end,) = t.messages(T0 + 400)
    assert end["clip"] == "ready" and end["duration"] == 300.0


def test_a_visit_that_ends_before_its_start_went_out_still_sends_both() -> None:
    t = tracker(recording=False)
    t.person_changed(None, True, T0)
    t.drop_current(T0 + 0.1)  # another instance took the camera over at once
    start, end = t.messages(T0 + 0.1)
    assert (start["type"], end["type"]) == ("start", "end") and start["id"] == end["id"]


def test_snapshot_failed_keeps_what_the_visit_had() -> None:
    t = tracker()
    t.person_changed(None, True, T0)
    assert t.frame(0.5, 1, [], T0) == "snapshot"
    assert t.frame(0.9, 1, [], T0 + 1) == "snapshot"
    t.snapshot_failed()
    (start,) = t.messages(T0 + 1)
    assert start["score"] == 0.5 and start["snapshot"] is True


def test_visit_file_names_and_atomic_writes(tmp_path: Path) -> None:
    vid = new_event_id(T0)
    f = visit_files(tmp_path, "garden", vid)
    assert f.clip == tmp_path / "garden" / f"{vid}.mp4"
    assert f.part.name == f"{vid}.mp4.part" and f.snapshot.name == f"{vid}.jpg"
    assert f.clean.name == f"{vid}-clean.jpg"
    for path in f.all():
        assert event_id_of(path.name) == vid
    assert event_id_of("garden_20261121T120102Z_event.mp4") is None
    for cam, eid in (("../x", vid), ("garden", "../../etc/passwd"), ("garden", vid + "/x")):
        with pytest.raises(ValueError):
            visit_files(tmp_path, cam, eid)
    atomic_write(f.snapshot, b"one")
    atomic_write(f.snapshot, b"two")
    assert f.snapshot.read_bytes() == b"two"
    assert sorted(p.name for p in f.snapshot.parent.iterdir()) == [f.snapshot.name]  # no temporaries
    f.part.write_bytes(b"x")
    assert leftover_parts(tmp_path, "garden") == [f.part]


def test_retention_deletes_whole_visits_oldest_first(tmp_path: Path) -> None:
    d = tmp_path / "garden"
    d.mkdir()
    now = time.time()
    ids = [new_event_id(now - 86400 * (10 - i)) for i in range(4)]  # 10, 9, 8, 7 days old
    for n, vid in enumerate(ids):
        for path in visit_files(tmp_path, "garden", vid).all()[::2]:  # clip and snapshot
            path.write_bytes(b"x" * 1000)
            os.utime(path, (now - 86400 * (10 - n), now - 86400 * (10 - n)))
    (d / "notes.txt").write_bytes(b"y" * 10_000)  # not a visit's: never touched
    r = enforce_visit_retention(d, max_age=8.5 * 86400, max_bytes=None, now=now)
    assert r.deleted == ids[:2] and r.freed == 4000
    r = enforce_visit_retention(d, max_age=None, max_bytes=2500, keep={ids[2]}, now=now)
    assert r.deleted == [ids[3]]  # the oldest is being written: the next one goes
    assert sorted(p.name for p in d.iterdir()) == sorted(["notes.txt", f"{ids[2]}.mp4", f"{ids[2]}.jpg"])
    r = enforce_visit_retention(d, max_age=None, max_bytes=None, min_free=1 << 62, now=now)
    assert r.deleted == [ids[2]] and r.short  # the floor cannot be reached: said


def test_snapshot_floor_says_which_frames_need_drawing() -> None:
    t = tracker()
    assert t.snapshot_floor() == 0.0  # outside a visit: any person frame may be the candidate
    t.person_changed(None, True, T0)
    assert t.snapshot_floor() == 0.0  # no snapshot yet
    t.frame(0.7, 1, [], T0)
    assert t.snapshot_floor() == pytest.approx(0.72)
    assert t.frame(0.72, 1, [], T0 + 1) is None  # at the floor: not drawn, not better
    assert t.frame(0.73, 1, [], T0 + 1) == "snapshot"
    assert tracker(snapshots=False).snapshot_floor() == 1.0  # no files: nothing drawn


def test_a_recovered_end_takes_only_valid_kept_fields() -> None:
    from edge_agent.events.visit import recovered_end

    vid = new_event_id(T0)
    bare = recovered_end("garden", vid, True, 12.0, True, "listen_frame/pi4", "media", 3.0, T0 + 60)
    assert list(bare) == KEYS and bare["type"] == "end" and bare["clip"] == "ready"
    assert bare["start"] == int(T0) and bare["end"] == int(T0) + 9.0 and bare["duration"] == 12.0
    assert (bare["regions"], bare["max_persons"], bare["score"]) == ([], 0, 0.0)
    kept = {"id": vid, "camera": "garden", "start": T0, "regions": ["door"], "max_persons": 2, "score": 0.8}
    full = recovered_end("garden", vid, False, None, False, "listen_frame/pi4", "media", 3.0, T0 + 60, kept)
    assert (full["start"], full["regions"], full["max_persons"], full["score"]) == (T0, ["door"], 2, 0.8)
    assert full["clip"] == "failed" and full["duration"] is None and full["end"] == T0
    for bad in (
        {**kept, "id": new_event_id(T0)},  # another visit's
        {**kept, "camera": "other"},
        [kept],
        "x",
    ):
        assert recovered_end("garden", vid, True, 5.0, True, "s", "media", 3.0, T0, bad)["regions"] == []
    hostile = {**kept, "start": T0 - 3600, "regions": ["../x"], "max_persons": True, "score": 7}
    out = recovered_end("garden", vid, True, 5.0, True, "s", "media", 3.0, T0, hostile)
    assert (out["start"], out["regions"], out["max_persons"], out["score"]) == (int(T0), [], 0, 0.0)
