"""listen_frame's visits (docs/mqtt.md, "events"): per camera a `VisitTracker` (events/visit.py),
the snapshot files and, with recording on, a `CameraRecorder` (recording.py) for the clip.

The owner of a camera alone records and publishes: the person-state hooks fire only where the
states are published, and `ownership()` (from the service's timer) ends this instance's visit
when another takes the camera over, or starts a new one when it takes over a person in view.
With recording off, visits are still published (`"clip": "none"`, `"snapshot": false`).

`recover_leftovers` (at start): clips a killed instance left as `.part` are closed and their
`end` published (`"clip": "ready"` or `"failed"`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from edge_agent.detect.detection import DetectedObject
from edge_agent.events.clip import ClipResult, recover_part
from edge_agent.events.files import (
    atomic_write,
    event_id_of,
    leftover_parts,
    recorded_cameras,
    visit_files,
    visit_state,
)
from edge_agent.events.settings import RecordingSettings
from edge_agent.events.visit import VisitTracker, recovered_end
from edge_agent.listen_frame.recording import CameraRecorder
from edge_agent.ratelimit import RateLimitedLog
from edge_agent.untrusted import UntrustedJSONError, read_object

log = logging.getLogger(__name__)
MAX_STATE = 4096  # bytes: a visit's kept message, at most (the contract's limit of a message)

Publish = Callable[[str, dict[str, Any]], None]  # (camera, event payload)


class CameraEvents:
    def __init__(
        self,
        cam: str,
        service: str,
        recording: RecordingSettings,
        publish: Publish,
        owner: Callable[[], bool],
        counters: Counter[str],
    ) -> None:
        self.cam = cam
        self.settings = recording
        self.publish = publish
        self.owner = owner
        self.counters = counters
        self.bad = RateLimitedLog(log, interval=60.0)
        self.lock = threading.RLock()
        self.tracker = VisitTracker(
            cam, service, store="media", recording=recording.enabled, snapshots=recording.enabled
        )
        self.recorder = (
            CameraRecorder(cam, recording, self._clip_done, counters) if recording.enabled else None
        )
        self.candidate: tuple[bytes, bytes] | None = None  # (drawn, clean) before a visit starts
        self.owned = False

    # ---- from the service ----------------------------------------------------------------------

    def frame_in(self, jpeg: bytes, captured: float, received: float) -> None:
        if self.recorder is not None and self.owner():
            self.recorder.offer(jpeg, captured, received)

    def snapshot_floor(self) -> float | None:
        """An analysed frame should come back drawn when its best person score is above this
        (it may be the visit's best snapshot, or the next one's candidate); None: not needed."""
        if self.recorder is None or not self.owner():
            return None
        return self.tracker.snapshot_floor()

    def person_changed(self, roi: str | None, on: bool, now: float) -> None:
        with self.lock:
            visit = self.tracker.person_changed(roi, on, now)
            if visit is not None and roi is None:
                if on:
                    self.counters["visits"] += 1
                    if self.tracker.start_snapshot() and self.candidate is not None:
                        self._write_snapshot(visit.id, *self.candidate)
                    self.candidate = None
                    if self.recorder is not None:
                        self.recorder.start(visit.id, now)
                elif self.recorder is not None:
                    self.recorder.stop(visit.id, now)
            if not (roi is None and on):
                # A start waits for the frame that made it (analysed() comes right after, from
                # the same result) and its snapshot; the timer sends it otherwise.
                self._flush(now)

    def analysed(
        self, objects: Sequence[DetectedObject], drawn: bytes | None, clean: bytes, now: float
    ) -> None:
        persons = [o for o in objects if o.label == "person"]
        score = max((o.score for o in persons), default=0.0)
        with self.lock:
            verdict = self.tracker.frame(score, len(persons), (), now)
            if verdict == "candidate":
                self.candidate = (drawn, clean) if drawn is not None else None
                if drawn is None:
                    self.tracker.drop_candidate()
            elif verdict == "snapshot":
                if drawn is None:
                    self.tracker.snapshot_failed()
                else:
                    self._write_snapshot(
                        self.tracker.current.id if self.tracker.current else "", drawn, clean
                    )
            self._flush(now)

    def tick(self, now: float) -> None:
        if self.recorder is not None:
            self.recorder.tick(now)
        with self.lock:
            if self.tracker.pending():
                self._flush(now)

    def ownership(self, owned: bool, person_on: bool, now: float) -> None:
        """From the service's timer: a visit follows the camera's owner."""
        with self.lock:
            was, self.owned = self.owned, owned
            if was and not owned:
                visit = self.tracker.drop_current(now)
                if visit is not None:
                    log.info(
                        "%s: another instance owns the camera now: visit %s ends here", self.cam, visit.id
                    )
                    if self.recorder is not None:
                        self.recorder.finish(visit.id)
                self.candidate = None
            elif owned and not was and person_on and self.tracker.current is None:
                self.person_changed(None, True, now)  # a new owner starts a new visit
            self._flush(now)

    def close(self) -> None:
        """The service stops: the open visit ends, its clip is closed (playable) and its end
        published while the connection is still there."""
        now = time.time()
        with self.lock:
            self.tracker.drop_current(now)
        if self.recorder is not None:
            self.recorder.close()  # the clip closed: _clip_done publishes its end
        with self.lock:
            self._flush(now)

    # ---- helpers -------------------------------------------------------------------------------

    def _clip_done(self, visit_id: str, result: ClipResult) -> None:
        """From the recorder's thread."""
        with self.lock:
            self.tracker.clip_closed(visit_id, result.ok, result.duration)
            self._flush(time.time())

    def _write_snapshot(self, visit_id: str, drawn: bytes, clean: bytes) -> None:
        try:
            files = visit_files(self.settings.directory, self.cam, visit_id)
            atomic_write(files.clean, clean)
            atomic_write(files.snapshot, drawn)
            self.counters["snapshots_written"] += 1
        except (OSError, ValueError) as err:
            self.counters["snapshot_errors"] += 1
            self.bad.warning(f"snapshot:{self.cam}", "%s: snapshot not written: %s", self.cam, err)
            self.tracker.snapshot_failed()

    def _flush(self, now: float) -> None:
        for payload in self.tracker.messages(now):
            self.counters[f"event_{payload['type']}"] += 1
            if self.recorder is not None:
                self._keep(payload)
            self.publish(self.cam, payload)

    def _keep(self, payload: dict[str, Any]) -> None:
        """The visit's last message beside its clip until its end (recover_leftovers reads it)."""
        try:
            path = visit_state(self.settings.directory, self.cam, payload["id"])
            if payload["type"] == "end":
                path.unlink(missing_ok=True)
            else:
                atomic_write(path, event_json(payload))
        except (OSError, ValueError) as err:  # a full disk: the clip says so, and it is a nicety
            self.bad.warning(f"state:{self.cam}", "%s: visit state not kept: %s", self.cam, err)


def leftovers(settings: RecordingSettings) -> list[tuple[str, Path]]:
    """The clips a killed instance left (`<id>.mp4.part`), per camera: listed before this run
    records anything, so that none of its own is taken for one."""
    root = Path(settings.directory)
    return [(cam, part) for cam in recorded_cameras(root) for part in leftover_parts(root, cam)]


def recover_leftovers(
    settings: RecordingSettings,
    service: str,
    publish: Publish,
    found: list[tuple[str, Path]] | None = None,
    now: float | None = None,
) -> int:
    """Clips a killed instance left (`leftovers()`): closed (`recover_part`) and their `end`
    published. Returns how many."""
    root = Path(settings.directory)
    n = 0
    for cam, part in leftovers(settings) if found is None else found:
        vid = event_id_of(part.name)
        if vid is None:
            continue
        files = visit_files(root, cam, vid)
        state = visit_state(root, cam, vid)
        kept = None
        try:
            kept = read_object(state.read_bytes()[: MAX_STATE + 1], max_bytes=MAX_STATE)
        except (OSError, UntrustedJSONError):
            pass  # none (killed before its start went out) or unreadable: the end says less
        result = recover_part(part, files.clip)
        log.warning(
            "%s: clip %s left unfinished by an earlier run: %s",
            cam,
            vid,
            f"closed ({result.duration} s)" if result.ok else f"not playable ({result.error})",
        )
        payload = recovered_end(
            cam,
            vid,
            result.ok,
            result.duration,
            files.snapshot.exists(),
            service,
            "media",
            settings.pre_roll,
            time.time() if now is None else now,
            kept,
        )
        state.unlink(missing_ok=True)
        publish(cam, payload)  # QoS 1: kept by the client until it is connected
        n += 1
    return n


def event_json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()
