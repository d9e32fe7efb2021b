"""The smart camera's visits in its MQTT process (edge_agent/camera/smart_visits.py), in-process:
what it asks of the detector process (the pipe's messages) and what it publishes, in order; the
detector process' own side (the snapshot files) through the real Pipeline.write_snapshot.
Milliseconds; the camera process end to end is test_smart_events.py."""

from __future__ import annotations

import json
from multiprocessing import Pipe

import numpy as np
import pytest

from edge_agent.camera import pipeline_messages as pm
from edge_agent.camera import smart_visits
from edge_agent.camera.pipeline import Pipeline
from edge_agent.camera.recording.recorder import RecordSettings
from edge_agent.camera.smart_visits import SmartVisits
from edge_agent.detect import imaging
from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.rois import RoiSet
from edge_agent.events.files import visit_files
from edge_agent.events.visit import valid_event_id
from tests.support.camera_config import smart_config

T = 1_764_696_612.0
PERSON = DetectedObject("person", 0.71, (0.2, 0.2, 0.5, 0.9), ("door",))
BETTER = DetectedObject("person", 0.86, (0.25, 0.2, 0.55, 0.9), ("door",))


class Camera:
    """SmartVisits as smart.py wires it: `sent` is the pipe to the detector process (answered by
    the test, or by a real Pipeline), `published` the event topic."""

    def __init__(self, tmp_path, record=True, clips=True, child=True):
        self.now = T  # the wall clock, moved by the test (`at` of what it publishes on its own)
        self.sent: list[object] = []
        self.published: list[dict] = []
        self.child = child
        settings = RecordSettings(str(tmp_path / "rec"), "garden", 4.0, (320, 240), clips=clips)
        self.visits = SmartVisits(
            "garden",
            "camera/garden",
            settings if record else None,
            publish=lambda payload: self.published.append(json.loads(payload)),
            send=self.send,
            state_file=tmp_path / "state" / "garden.visit.json",
            clock=lambda: self.now,
        )

    def send(self, msg):
        if self.child:
            self.sent.append(msg)
        return self.child

    def of(self, kind):
        return [m for m in self.sent if isinstance(m, kind)]

    def types(self):
        return [(p["type"], p["snapshot"], p["clip"]) for p in self.published]


def test_a_visit_start_waits_for_its_snapshot_on_disk_then_ends_with_its_clip(tmp_path):
    cam = Camera(tmp_path)
    v = cam.visits
    # The frames that make the state go ON come first: the best becomes the candidate, kept by
    # the detector process (which a real Pipeline does here).
    ctrl, _ = Pipe()
    out, _ = Pipe()
    record = RecordSettings(str(tmp_path / "rec"), "garden", 4.0, (320, 240))
    cfg = pm.PipelineConfig(
        "garden", "file", (320, 240), 4.0, True, "unused", 1, RoiSet(), True, record=record
    )
    pipeline = Pipeline(cfg, ctrl, out)
    rgb = np.full((240, 320, 3), 90, np.uint8)
    pipeline.person_frames.append((T - 0.5, rgb, [PERSON], [[(0.1, 0.1), (0.9, 0.1), (0.9, 0.9)]]))
    v.frame([PERSON], T - 0.5, T - 0.5)
    (keep,) = cam.of(pm.KeepCandidate)
    assert keep.captured_at == T - 0.5
    pipeline.candidate = pipeline._person_frame(keep.captured_at)

    cam.now = T
    v.person_changed(None, True, T)
    (on,) = cam.of(pm.PersonChanged)
    (write,) = cam.of(pm.WriteSnapshot)
    assert (
        on.on
        and valid_event_id(on.visit_id)
        and (write.visit_id, write.captured_at) == (on.visit_id, T - 0.5)
    )
    assert cam.published == []  # the start waits for its snapshot
    answer = pipeline.write_snapshot(write)
    files = visit_files(tmp_path / "rec", "garden", on.visit_id)
    assert answer.ok and files.snapshot.exists() and files.clean.exists()
    assert imaging.jpeg_dimensions(files.clean.read_bytes()) == (320, 240)
    assert files.snapshot.read_bytes() != files.clean.read_bytes()  # boxes and captions drawn
    v.snapshot_written(answer)
    assert cam.types() == [("start", True, "recording")]
    start = cam.published[0]
    assert (start["id"], start["score"], start["store"], start["service"]) == (
        on.visit_id,
        0.71,
        "camera",
        "camera/garden",
    )

    # A better frame: written, then an update (at most every 5 s), with the region touched.
    cam.now = T + 1
    v.person_changed("door", True, T + 1)
    v.frame([BETTER, PERSON], T + 1, T + 1)
    write2 = cam.of(pm.WriteSnapshot)[-1]
    assert write2.captured_at == T + 1
    v.snapshot_written(pm.SnapshotWritten(on.visit_id, T + 1, True))
    v.tick(T + 6)
    update = cam.published[-1]
    assert update["type"] == "update" and update["score"] == 0.86 and update["regions"] == ["door"]
    assert update["max_persons"] == 2

    # OFF: the recorder's post-roll runs; the end waits for the clip.
    cam.now = T + 10
    v.person_changed(None, False, T + 10)
    assert cam.of(pm.PersonChanged)[-1] == pm.PersonChanged(False, T + 10, on.visit_id)
    assert v.clip_to_come(on.visit_id) and cam.published[-1]["type"] == "update"
    v.clip(pm.Clip(on.visit_id, True, str(files.clip), T - 1, T + 11, 12.0))
    end = cam.published[-1]
    assert (end["type"], end["clip"], end["duration"], end["end"]) == ("end", "ready", 12.0, T + 10)
    assert not v.clip_to_come(on.visit_id)
    assert not (tmp_path / "state" / "garden.visit.json").exists()  # the visit is over


def test_a_snapshot_that_is_not_written_is_not_announced(tmp_path, monkeypatch):
    cam = Camera(tmp_path)
    v = cam.visits
    v.frame([PERSON], T, T)
    v.person_changed(None, True, T + 0.2)
    write = cam.of(pm.WriteSnapshot)[-1]
    v.snapshot_written(pm.SnapshotWritten(write.visit_id, write.captured_at, False, "disk full"))
    assert cam.types() == [("start", False, "recording")]
    # No answer at all (a detector process that died): the message goes after SNAPSHOT_WAIT.
    monkeypatch.setattr(smart_visits, "SNAPSHOT_WAIT", 0.0)
    v.frame([BETTER], T + 1, T + 1)
    v.tick(T + 7)
    assert cam.types() == [("start", False, "recording"), ("update", False, "recording")]
    assert cam.published[-1]["score"] == 0.0  # the score is the snapshot's: none was written
    assert v.counters["snapshot_errors"] == 2


def test_a_detector_restart_fails_the_clips_it_lost(tmp_path):
    cam = Camera(tmp_path)
    v = cam.visits
    v.person_changed(None, True, T)
    vid = cam.of(pm.PersonChanged)[-1].visit_id
    v.detector_restarted(spawned_at=T - 5)  # an older process: not this visit's recorder's death
    assert v.clip_to_come(vid)
    v.detector_restarted(spawned_at=T + 5)  # started after the visit, and nothing was recovered
    v.person_changed(None, False, T + 8)
    assert cam.types()[-1] == ("end", False, "failed")


def test_without_a_detector_process_or_recording(tmp_path):
    cam = Camera(tmp_path, record=False)
    v = cam.visits
    assert v.folder is None
    v.frame([PERSON], T, T)
    v.person_changed(None, True, T + 0.1)
    assert cam.of(pm.WriteSnapshot) == []  # nowhere to write
    v.person_changed(None, False, T + 5)
    assert cam.types() == [("start", False, "none"), ("end", False, "none")]


def test_a_clip_a_killed_camera_left_is_published_with_what_was_kept(tmp_path):
    cam = Camera(tmp_path)
    cam.visits.frame([PERSON], T, T)
    cam.visits.person_changed("door", True, T)
    cam.visits.person_changed(None, True, T + 0.1)
    cam.visits.snapshot_written(pm.SnapshotWritten(cam.of(pm.WriteSnapshot)[-1].visit_id, T, True))
    start = cam.published[-1]
    vid = start["id"]
    visit_files(tmp_path / "rec", "garden", vid).snapshot.parent.mkdir(parents=True)
    visit_files(tmp_path / "rec", "garden", vid).snapshot.write_bytes(b"\xff\xd8x\xff\xd9")
    # The camera is killed; the next run (a new SmartVisits) closes the clip and reports it.
    again = Camera(tmp_path)
    again.visits.clip(pm.Clip(vid, True, "x", T, T + 9, 8.5, recovered=True))
    (end,) = again.published
    assert (end["type"], end["id"], end["clip"], end["duration"]) == ("end", vid, "ready", 8.5)
    assert (end["start"], end["regions"], end["max_persons"], end["score"]) == (T + 0.1, ["door"], 1, 0.71)
    assert end["snapshot"] is True and end["end"] == T + 9
    assert not (tmp_path / "state" / "garden.visit.json").exists()
    # Another leftover, with no state kept (or a state file that is not ours): from its id alone.
    other = "20251202T173012Z-3fa9c1d27b40"
    (tmp_path / "state" / "garden.visit.json").write_text('{"id": "../x", "regions": ["a"]}')
    again.visits.clip(pm.Clip(other, False, None, T, T, None, recovered=True))
    end = again.published[-1]
    assert (end["id"], end["clip"], end["regions"], end["snapshot"], end["duration"]) == (
        other,
        "failed",
        [],
        False,
        None,
    )
    assert end["start"] == pytest.approx(1764696612.0)  # the id's time
    # A report for no known visit that is no leftover, or with a bad id: nothing published.
    again.visits.clip(pm.Clip(other, True, None, T, T, 1.0))
    again.visits.clip(pm.Clip("../../etc", True, None, T, T, 1.0, recovered=True))
    assert len(again.published) == 2


def test_the_smart_camera_wires_its_visits_and_offers_the_person_visit_entity(tmp_path, model_path):
    """SmartCamera itself, without a broker or a detector process: its hooks feed the visits, its
    event topic gets them, its discovery has the 'Person visit' event entity."""
    from edge_agent.camera.smart import SmartCamera
    from edge_agent.mqtt.broker import BrokerSettings

    cfg = smart_config(tmp_path, model_path, record=True, record_dir=str(tmp_path / "rec"), http_port=0)
    camera = SmartCamera(cfg, BrokerSettings("127.0.0.1", 1))  # nothing listens
    published = []
    camera.mqtt.publish = lambda topic, payload, qos=0, retain=False: published.append(
        (topic, payload, retain)
    )
    assert camera.visits.folder == tmp_path / "rec" / "yard"
    config = camera.channel._discovery_configs()["homeassistant/event/bobby_yard/visit/config"]
    assert config["state_topic"] == "bobby/yard/event" and config["event_types"] == ["started", "ended"]

    camera._on_person(None, True, T)  # the channel's hook: a visit starts (no detector process yet)
    camera._on_pipeline_result(pm.PipelineResult(T, T, 5.0, (320, 240), 0, [PERSON]))
    events = [json.loads(p) for topic, p, retain in published if topic == "bobby/yard/event"]
    assert [(e["type"], e["store"], e["service"]) for e in events] == [("start", "camera", "camera/yard")]
    assert all(not retain for topic, _, retain in published if topic == "bobby/yard/event")
    vid = events[0]["id"]
    camera._on_person(None, False, T + 5)
    camera._on_clip(pm.Clip(vid, True, "x", T - 1, T + 6, 7.0))
    end = json.loads(published[-1][1])
    assert (end["type"], end["id"], end["clip"], end["duration"]) == ("end", vid, "ready", 7.0)
    assert camera.counters["clips"] == 1

    camera.forgotten = True  # removed in HA: nothing more, visits included
    before = len(published)
    camera._on_person(None, True, T + 20)
    camera.visits.tick(T + 30)
    assert len(published) == before
