"""`VisitTracker`: one camera's visits (events) and the exact `bobby/<cam>/event` payloads of
docs/mqtt.md, "events". No MQTT, no files, no clock of its own: the caller feeds it the
camera-wide and per-region person state changes and every analysed frame, writes the snapshot
files when told to, reports what its recorder did with the clip, and publishes what
`messages()` returns (in that order: a message never names a file not yet written).

    tracker = VisitTracker("garden", "listen_frame/pi4", store="media", recording=True)
    tracker.person_changed(None, True, now)          # the camera-wide state went ON: a visit
    verdict = tracker.frame(score, persons, regions, now)
    # "snapshot": the visit's best frame so far: write <id>.jpg and <id>-clean.jpg (files.py)
    # "candidate": no visit yet: keep the frame; after the next start, `start_snapshot()` says
    # whether to write it under the new id
    tracker.person_changed("door", True, now)        # a region's state went ON
    tracker.person_changed(None, False, now)         # the visit ended: the clip's post-roll runs
    tracker.clip_closed(visit_id, "ready", 34.5)     # the recorder closed (or lost) the clip
    for payload in tracker.messages(now): publish(topic, json.dumps(payload), qos=1)

`messages(now)` returns, in order: a pending `start`, a pending `update` once `update_interval`
(5 s) has passed since the visit's last message, and the `end` of every visit whose state went
OFF and whose clip is settled (closed, failed, or never recorded). The caller calls it after each
of the calls above and from a timer (a pending update waits for it).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from edge_agent.ids import MAX_ROIS, valid_roi_id

EVENT_ID_RE = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{12}")
UPDATE_INTERVAL = 5.0  # seconds: at most one `update` this often per visit (docs/mqtt.md)
MIN_GAIN = 0.02  # a snapshot is "better" when its score beats the best by this much
CANDIDATE_MAX_AGE = 10.0  # a person frame this recent before the state went ON is the start's snapshot

ClipState = Literal["recording", "ready", "none", "failed"]
Store = Literal["media", "camera"]
Verdict = Literal["snapshot", "candidate"] | None


def new_event_id(start: float) -> str:
    """`20261202T173012Z-3fa9c1d27b40`: the start in UTC and 48 random bits (not guessable)."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(start)) + "-" + secrets.token_hex(6)


def valid_event_id(value: object) -> bool:
    return isinstance(value, str) and EVENT_ID_RE.fullmatch(value) is not None


def event_id_time(event_id: str) -> float:
    """The start (whole seconds, UTC) an event id carries."""
    import calendar

    return float(calendar.timegm(time.strptime(event_id[:16], "%Y%m%dT%H%M%SZ")))


@dataclass
class Visit:
    """One visit as the messages describe it."""

    id: str
    camera: str
    start: float
    end: float | None = None
    regions: list[str] = field(default_factory=list)
    max_persons: int = 0
    score: float = 0.0
    snapshot: bool = False
    clip: ClipState = "recording"
    duration: float | None = None
    # Internal: what is pending and when the last message went.
    start_sent: bool = False
    update_due: bool = False
    last_sent: float | None = None
    clip_settled: bool = False  # the recorder is done with the clip (or there is none)


def event_payload(visit: Visit, kind: str, service: str, store: Store, at: float) -> dict[str, Any]:
    """The JSON object of docs/mqtt.md, "events" (keys in the documented order)."""
    return {
        "id": visit.id,
        "camera": visit.camera,
        "type": kind,
        "start": round(visit.start, 3),
        "end": None if visit.end is None or kind != "end" else round(visit.end, 3),
        "regions": list(visit.regions),
        "max_persons": visit.max_persons,
        "score": round(visit.score, 3),
        "snapshot": visit.snapshot,
        "clip": visit.clip,
        "duration": None if visit.clip != "ready" or visit.duration is None else round(visit.duration, 2),
        "store": store,
        "service": service,
        "at": round(at, 3),
    }


class VisitTracker:
    """One camera's visits: at most one open (the state is ON), any number whose clip is closing."""

    def __init__(
        self,
        camera: str,
        service: str,
        *,
        store: Store = "media",
        recording: bool = True,
        snapshots: bool = True,
        update_interval: float = UPDATE_INTERVAL,
        min_gain: float = MIN_GAIN,
        candidate_max_age: float = CANDIDATE_MAX_AGE,
        new_id: Callable[[float], str] = new_event_id,
    ) -> None:
        self.camera = camera
        self.service = service
        self.store: Store = store
        self.recording = recording
        self.snapshots = snapshots  # False: no snapshot files (the score is still followed)
        self.update_interval = update_interval
        self.min_gain = min_gain
        self.candidate_max_age = candidate_max_age
        self.new_id = new_id
        self.current: Visit | None = None
        self.closing: dict[str, Visit] = {}  # ended, the clip still being closed
        self.regions_on: set[str] = set()
        self._candidate: tuple[float, float, int] | None = None  # (time, score, persons)
        self._prev_score = 0.0  # the best score before the last improvement (snapshot_failed)
        self._prev_snapshot = False

    # ---- what the caller feeds -----------------------------------------------------------------

    def person_changed(self, roi: str | None, on: bool, now: float) -> Visit | None:
        """A debounced state change. Returns the visit that started (camera-wide ON) or ended
        (camera-wide OFF), else None."""
        if roi is not None:
            if not on:
                self.regions_on.discard(roi)
                return None
            if not valid_roi_id(roi):
                return None
            self.regions_on.add(roi)
            if self.current is not None:
                self._touch(self.current, [roi])
            return None
        if on:
            if self.current is not None:
                return None  # already in a visit (a repeated ON)
            visit = Visit(self.new_id(now), self.camera, now, clip="recording" if self.recording else "none")
            visit.clip_settled = not self.recording
            candidate, self._candidate = self._candidate, None
            if candidate is not None and now - candidate[0] <= self.candidate_max_age:
                visit.score, visit.max_persons = candidate[1], candidate[2]
            self._touch(visit, sorted(self.regions_on))
            visit.update_due = False  # the start carries them
            self.current = visit
            return visit
        ending = self.current
        if ending is None:
            return None
        self.current = None
        ending.end = now
        self.closing[ending.id] = ending
        return ending

    def frame(self, score: float, persons: int, regions: Iterable[str], now: float) -> Verdict:
        """One analysed frame: its best person score, persons and the regions with a person.
        "snapshot" when it is the visit's best snapshot so far: the caller writes it (both JPEGs)
        before the next `messages()`, or calls `snapshot_failed()`.

        Outside a visit a person frame may become the candidate for the next start's snapshot
        (the frames that make the state go ON come before it): "candidate", and the caller
        keeps the frame until `start_snapshot()` says whether to write it under the new id."""
        visit = self.current
        if not self.snapshots:
            if visit is not None:
                visit.max_persons = max(visit.max_persons, persons)
                visit.score = max(visit.score, score)
                self._touch(visit, [r for r in regions if r in self.regions_on])
            return None
        if visit is None:
            if persons <= 0 or score <= 0:
                return None
            c = self._candidate
            if c is None or now - c[0] > self.candidate_max_age or score > c[1] + self.min_gain:
                self._candidate = (now, score, persons)
                return "candidate"
            return None
        if persons > visit.max_persons:
            visit.max_persons = persons
        self._touch(visit, [r for r in regions if r in self.regions_on])
        if persons <= 0 or score <= 0:
            return None
        if visit.snapshot and score <= visit.score + self.min_gain:
            return None
        self._prev_score, self._prev_snapshot = visit.score, visit.snapshot
        visit.score, visit.snapshot = score, True
        if visit.start_sent:
            visit.update_due = True
        return "snapshot"

    def start_snapshot(self) -> bool:
        """Right after a start: whether the kept candidate frame is the visit's snapshot (write it
        under the new id, or call `snapshot_failed()`)."""
        visit = self.current
        if visit is None or visit.start_sent or visit.snapshot or visit.score <= 0:
            return False
        self._prev_score, self._prev_snapshot = 0.0, False
        visit.snapshot = True
        return True

    def snapshot_floor(self) -> float:
        """A frame whose best person score is not above this cannot become a snapshot now: the
        caller need not draw it (`frame()` would answer None)."""
        if not self.snapshots:
            return 1.0
        visit = self.current
        if visit is not None:
            return visit.score + self.min_gain if visit.snapshot else 0.0
        return 0.0  # outside a visit any person frame may become the candidate

    def drop_candidate(self) -> None:
        """The caller could not keep the candidate frame."""
        self._candidate = None

    def snapshot_failed(self) -> None:
        """The snapshot files could not be written: the visit keeps what it had."""
        if self.current is not None:
            self.current.score, self.current.snapshot = self._prev_score, self._prev_snapshot

    def clip_state(self, visit_id: str, state: ClipState, duration: float | None = None) -> None:
        """What the recorder did: `failed` (the disk filled, the encoder failed: detection goes
        on), or `ready` with the clip's duration. The visit ends (`end`) once its state is OFF."""
        visit = self._visit(visit_id)
        if visit is None:
            return
        visit.clip = state
        visit.duration = duration if state == "ready" else None
        visit.clip_settled = state in ("ready", "failed", "none")
        if state == "failed" and visit.start_sent and visit.end is None:
            visit.update_due = True

    def clip_closed(self, visit_id: str, ok: bool, duration: float | None) -> None:
        self.clip_state(visit_id, "ready" if ok else "failed", duration)

    def drop_current(self, now: float) -> Visit | None:
        """This service stops speaking for the camera (another instance owns it now, detection was
        switched off, the camera was forgotten): the open visit ends now."""
        return self.person_changed(None, False, now)

    # ---- what the caller publishes -------------------------------------------------------------

    def messages(self, now: float) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        visit = self.current
        if visit is not None:
            if not visit.start_sent:
                out.append(self._send(visit, "start", now))
            elif visit.update_due and now - (visit.last_sent or 0.0) >= self.update_interval:
                out.append(self._send(visit, "update", now))
        for vid, v in list(self.closing.items()):
            if not v.start_sent:  # ended before its start went out (same tick)
                out.append(self._send(v, "start", now))
            if v.clip_settled:
                del self.closing[vid]
                out.append(self._send(v, "end", now))
        return out

    def pending(self) -> bool:
        """Whether a timer must call `messages()` again later (an update waits, a clip closes)."""
        visit = self.current
        return bool(self.closing) or (visit is not None and (visit.update_due or not visit.start_sent))

    # ---- helpers -------------------------------------------------------------------------------

    def _visit(self, visit_id: str) -> Visit | None:
        if self.current is not None and self.current.id == visit_id:
            return self.current
        return self.closing.get(visit_id)

    def _touch(self, visit: Visit, regions: Iterable[str]) -> None:
        for roi in regions:
            if roi not in visit.regions and len(visit.regions) < MAX_ROIS:
                visit.regions.append(roi)
                visit.update_due = visit.start_sent

    def _send(self, visit: Visit, kind: str, now: float) -> dict[str, Any]:
        visit.start_sent = True
        visit.update_due = False
        visit.last_sent = now
        return event_payload(visit, kind, self.service, self.store, now)


def recovered_end(
    camera: str,
    event_id: str,
    ok: bool,
    duration: float | None,
    snapshot: bool,
    service: str,
    store: Store,
    pre_roll: float,
    at: float,
    kept: object = None,
) -> dict[str, Any]:
    """The `end` of a visit whose service was killed mid-visit, published by its next start once
    the clip it left is closed (`ready`) or found unplayable (`failed`). `kept`: the visit's last
    message as the service kept it beside the clip (untrusted: only valid fields are taken);
    without it only the id, the files and the clip are known (the start the id's second,
    regions empty, persons and score 0). The end is estimated from the clip (its pre-roll off)."""
    start = event_id_time(event_id)
    visit = Visit(event_id, camera, start, clip="ready" if ok else "failed", snapshot=snapshot)
    if isinstance(kept, dict) and kept.get("id") == event_id and kept.get("camera") == camera:
        t = kept.get("start")
        if isinstance(t, int | float) and not isinstance(t, bool) and abs(t - start) < 1.0:
            visit.start = float(t)
        regions = kept.get("regions")
        if isinstance(regions, list) and len(regions) <= MAX_ROIS and all(valid_roi_id(r) for r in regions):
            visit.regions = list(dict.fromkeys(regions))
        persons = kept.get("max_persons")
        if isinstance(persons, int) and not isinstance(persons, bool) and 0 <= persons <= 10_000:
            visit.max_persons = persons
        score = kept.get("score")
        if isinstance(score, int | float) and not isinstance(score, bool) and 0.0 <= score <= 1.0:
            visit.score = float(score)
    visit.duration = duration if ok else None
    visit.end = visit.start + max(0.0, (duration or 0.0) - pre_roll)
    return event_payload(visit, "end", service, store, at)
