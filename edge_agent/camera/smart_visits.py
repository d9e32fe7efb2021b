"""The smart camera's visits (docs/mqtt.md, "events"), in its MQTT process.

`SmartVisits` feeds edge_agent.events.VisitTracker with the debounced person states (the
channel's `on_person` hook) and every analysed frame's persons, and publishes what the tracker
says on `bobby/<cam>/event` with `store: "camera"`. The pixels are in the detector process
(pipeline.py), so the files are made there, on request:

- a visit starts: `PersonChanged(True, at, id)`: the recorder opens `<cam>/<id>.mp4.part` (with
  the pre-roll) and closes and renames it after the post-roll of `PersonChanged(False, …)`, then
  reports `Clip` (ready, failed, or recovered from a killed run);
- a frame becomes the visit's best snapshot (or the candidate for the next start's):
  `WriteSnapshot(id, captured_at)` (`KeepCandidate(captured_at)`); the detector process writes
  `<id>-clean.jpg` and `<id>.jpg` and answers `SnapshotWritten`. Messages wait for that answer
  (at most `SNAPSHOT_WAIT` s): a message never says `snapshot: true` before the file is there.

The current visit's fields are kept in a small state file, so that a clip a killed camera left is
published with its visit's regions, persons and score when the next run closes it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge_agent.camera import pipeline_messages as pm
from edge_agent.camera.recording.recorder import RecordSettings
from edge_agent.detect.detection import DetectedObject
from edge_agent.events.files import atomic_write, camera_dir, visit_files
from edge_agent.events.visit import Visit, VisitTracker, event_id_time, event_payload, valid_event_id
from edge_agent.ids import valid_roi_id
from edge_agent.ratelimit import RateLimitedLog

log = logging.getLogger(__name__)

SNAPSHOT_WAIT = 3.0  # seconds messages wait for the detector process to write a snapshot
STATE_MAX_BYTES = 16384


class SmartVisits:
    def __init__(
        self,
        cam: str,
        service_id: str,
        record: RecordSettings | None,
        publish: Callable[[str], object],
        send: Callable[[object], bool],
        state_file: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cam = cam
        self.service_id = service_id
        # Where the visits' files are (None: not recording, no files: `snapshot: false`).
        self.folder = camera_dir(record.directory, cam) if record is not None else None
        self.tracker = VisitTracker(
            cam, service_id, store="camera", recording=record is not None and record.clips
        )
        self.publish = publish
        self.send = send
        self.state_file = state_file
        self.clock = clock  # the wall clock of the messages' `at`
        self.lock = threading.RLock()
        self.writing: dict[tuple[str, float], float] = {}  # (visit, captured_at) -> asked at (monotonic)
        self.candidate_at: float | None = None  # capture time of the kept candidate frame
        self.counters: Counter[str] = Counter()
        self.bad = RateLimitedLog(log, interval=60.0)

    # ---- what the camera feeds -----------------------------------------------------------------

    def person_changed(self, roi: str | None, on: bool, at: float) -> None:
        with self.lock:
            visit = self.tracker.person_changed(roi, on, at)
            if roi is None and visit is not None:
                self.send(pm.PersonChanged(on, at, visit.id))  # the clip starts, or its post-roll
                if on and self.tracker.start_snapshot():
                    self._write(visit.id, self.candidate_at)
            self._flush(self.clock())

    def frame(self, objects: list[DetectedObject], captured_at: float, now: float) -> None:
        """One analysed frame (after the channel's update: a visit it started is current)."""
        persons = [o for o in objects if o.label == "person"]
        score = max((o.score for o in persons), default=0.0)
        regions = sorted({r for o in persons for r in o.rois})
        with self.lock:
            verdict = self.tracker.frame(score, len(persons), regions, now)
            if verdict == "candidate":
                self.candidate_at = captured_at
                self.send(pm.KeepCandidate(captured_at))
            elif verdict == "snapshot" and self.tracker.current is not None:
                self._write(self.tracker.current.id, captured_at)
            self._flush(now)

    def snapshot_written(self, msg: pm.SnapshotWritten) -> None:
        with self.lock:
            if self.writing.pop((msg.visit_id, msg.captured_at), None) is None:
                return  # too late: already given up
            if msg.ok:
                self.counters["snapshots"] += 1
            else:
                self.counters["snapshot_errors"] += 1
                self.bad.warning("snapshot", "%s: visit snapshot not written: %s", self.cam, msg.error)
                self._snapshot_failed(msg.visit_id)
            self._flush(self.clock())

    def clip(self, msg: pm.Clip) -> None:
        """What the recorder did with a visit's clip (or a clip a killed run left)."""
        with self.lock:
            if self._known(msg.visit_id):
                self.tracker.clip_closed(msg.visit_id, msg.ok, msg.duration)
            elif msg.recovered and valid_event_id(msg.visit_id):
                self._publish_recovered(msg)
            self._flush(self.clock())

    def detector_restarted(self, spawned_at: float) -> None:
        """A detector process is ready, and it reported the clips its predecessor left: a visit
        from before it started whose clip is still unaccounted for lost it (`failed`)."""
        with self.lock:
            if self.writing:
                self.writing.clear()
                if self.tracker.current is not None:
                    self._snapshot_failed(self.tracker.current.id)
            for visit in self._visits():
                if not visit.clip_settled and visit.start < spawned_at:
                    self.tracker.clip_state(visit.id, "failed")
            self._flush(self.clock())

    def drop_current(self, now: float) -> None:
        """The camera stops: the open visit ends now (its clip is closed as the recorder stops)."""
        with self.lock:
            visit = self.tracker.drop_current(now)
            if visit is not None:
                self.send(pm.PersonChanged(False, now, visit.id))
            self._flush(now)

    def stopping(self, now: float) -> None:
        """The detector process is gone: the visits whose clip it did not report and did not leave
        as `.part` (the next run closes those and publishes their end) end `failed` now."""
        with self.lock:
            self.writing.clear()
            for visit in self._visits():
                part = self.folder is not None and visit_files(self.folder.parent, self.cam, visit.id).part
                if not visit.clip_settled and not (part and part.exists()):
                    self.tracker.clip_state(visit.id, "failed")
            self._flush(now)

    def clip_to_come(self, visit_id: str) -> bool:
        """Whether this visit's clip is still being recorded (the HTTP server's 409; any thread)."""
        with self.lock:
            return any(v.id == visit_id and not v.clip_settled for v in self._visits())

    def tick(self, now: float) -> None:
        with self.lock:
            self._flush(now)

    # ---- inside ------------------------------------------------------------------------------------

    def _visits(self) -> list[Visit]:
        current = [self.tracker.current] if self.tracker.current is not None else []
        return current + list(self.tracker.closing.values())

    def _known(self, visit_id: str) -> bool:
        return any(v.id == visit_id for v in self._visits())

    def _write(self, visit_id: str, captured_at: float | None) -> None:
        if (
            self.folder is None
            or captured_at is None
            or not self.send(pm.WriteSnapshot(visit_id, captured_at))
        ):
            self._snapshot_failed(visit_id)
            return
        self.writing[(visit_id, captured_at)] = time.monotonic()

    def _snapshot_failed(self, visit_id: str) -> None:
        current = self.tracker.current
        if current is not None and current.id == visit_id:
            self.tracker.snapshot_failed()

    def _flush(self, now: float) -> None:
        """Publish what the tracker has, unless a snapshot is being written (then its message,
        with `snapshot: true`, waits for the file, at most SNAPSHOT_WAIT s)."""
        if self.writing:
            if time.monotonic() - min(self.writing.values()) < SNAPSHOT_WAIT:
                return
            self.counters["snapshot_errors"] += 1
            self.bad.warning("snapshot", "%s: the detector process did not write a visit snapshot", self.cam)
            self.writing.clear()
            if self.tracker.current is not None:
                self._snapshot_failed(self.tracker.current.id)
        for payload in self.tracker.messages(now):
            self.publish(json.dumps(payload))
            self.counters[f"event_{payload['type']}"] += 1
            self._save(payload)

    def _save(self, payload: dict[str, Any]) -> None:
        """The open visit's fields for a later run (a killed camera's clip is closed then)."""
        if self.state_file is None:
            return
        try:
            if payload["type"] == "end":
                if self._load().get("id") == payload["id"]:
                    self.state_file.unlink(missing_ok=True)
                return
            keep = {k: payload[k] for k in ("id", "start", "regions", "max_persons", "score")}
            atomic_write(self.state_file, json.dumps(keep).encode())
        except OSError as err:
            self.bad.warning(
                "state", "%s: cannot keep the visit's state in %s: %s", self.cam, self.state_file, err
            )

    def _load(self) -> dict[str, Any]:
        """The saved visit, checked (our own file, but a file on disk all the same)."""
        if self.state_file is None:
            return {}
        try:
            raw = self.state_file.read_bytes()[: STATE_MAX_BYTES + 1]
            data = json.loads(raw) if len(raw) <= STATE_MAX_BYTES else None
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or not valid_event_id(data.get("id")):
            return {}
        return data

    def _publish_recovered(self, msg: pm.Clip) -> None:
        """The `end` of a visit a killed camera left (its clip closed by this run's recorder)."""
        saved = self._load()
        mine = saved.get("id") == msg.visit_id

        def number(key: str, default: float) -> float:
            value = saved.get(key) if mine else None
            return float(value) if isinstance(value, int | float) and value >= 0 else default

        regions = saved.get("regions") if mine else None
        visit = Visit(
            msg.visit_id,
            self.cam,
            number("start", event_id_time(msg.visit_id)),
            end=msg.end,
            regions=[r for r in regions if valid_roi_id(r)][:32] if isinstance(regions, list) else [],
            max_persons=int(number("max_persons", 0)),
            score=min(1.0, number("score", 0.0)),
            snapshot=self.folder is not None
            and visit_files(self.folder.parent, self.cam, msg.visit_id).snapshot.exists(),
            clip="ready" if msg.ok else "failed",
            duration=msg.duration,
        )
        payload = event_payload(visit, "end", self.service_id, "camera", self.clock())
        self.publish(json.dumps(payload))
        self.counters["event_end"] += 1
        self.counters["recovered"] += 1
        if mine and self.state_file is not None:
            self.state_file.unlink(missing_ok=True)
