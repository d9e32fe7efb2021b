"""Clips of dumb cameras (docs/listen_frame.md, "Recording"): per camera a bounded ring of the
recent JPEG frames (the pre-roll) and, while a visit lasts, an H.264 MP4 written by a recorder
thread of the camera's own (`edge_agent/events/clip.py`).

The MQTT process only appends to the ring and hands frames over (`offer`): decoding and
encoding run in the camera's thread, where PyAV releases the GIL, through a bounded queue; a
full queue drops recording frames (counted `record_dropped`), never a frame for detection. The
clip of a visit starts with the ring's frames of the last `pre_roll` seconds, gets every frame
while the visit lasts, and is closed `post_roll` seconds after it ended (sooner when a new visit
starts, whose clip then starts with its own pre-roll), or at `max_clip_seconds`.

Disk: before a clip opens, retention deletes this camera's oldest visits (age, size, free-space
floor: the smart camera's rules, camera/recording/retention.py); below the floor, or on any
write error (a full disk), the clip fails (`failed`), detection goes on, and the next visit
tries again. Decisions use the local receive time; the clip's timestamps are the frames' own
capture times.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edge_agent.camera.recording.retention import disk_space, free_floor
from edge_agent.events.clip import ClipResult, ClipWriter
from edge_agent.events.files import enforce_visit_retention, remove_stale_temporaries, visit_files
from edge_agent.events.settings import MiB, RecordingSettings
from edge_agent.ratelimit import RateLimitedLog

log = logging.getLogger(__name__)


# What the camera's thread is told to do, in order.
@dataclass(slots=True)
class _Open:
    visit_id: str
    frames: list[tuple[bytes, float]]
    fps: float


@dataclass(slots=True)
class _Frame:
    jpeg: bytes
    t: float


@dataclass(slots=True)
class _Close:
    visit_id: str


class CameraRecorder:
    """One camera's ring and clip writer. `offer`, `start`, `stop`, `tick` come from the service's
    threads (cheap, never blocking on the disk); `on_clip(visit_id, result)` is called from the
    camera's thread once per clip (closed, failed, or cut at max_clip_seconds)."""

    def __init__(
        self,
        cam: str,
        settings: RecordingSettings,
        on_clip: Callable[[str, ClipResult], None],
        counters: Counter[str] | None = None,
        retention_interval: float = 600.0,
    ) -> None:
        self.cam = cam
        self.s = settings
        self.root = Path(settings.directory)
        self.dir = self.root / cam
        self.on_clip = on_clip
        self.counters: Counter[str] = counters if counters is not None else Counter()
        self.bad = RateLimitedLog(log, interval=60.0)
        self.lock = threading.Lock()
        self.ring: collections.deque[tuple[bytes, float, float]] = (
            collections.deque()
        )  # jpeg, captured, received
        self.ring_bytes = 0
        self.visit_id: str | None = None  # the clip being written
        self.clip_started = 0.0  # receive time of its first frame
        self.until: float | None = None  # post-roll end (receive time); None while the visit lasts
        self.cut = False  # closed at max_clip_seconds: the rest of the visit is not recorded
        self.queue: collections.deque[_Open | _Frame | _Close] = collections.deque()
        self.queued_frames = 0
        self.cond = threading.Condition(self.lock)
        self.stopping = False
        self.busy = False  # the thread is working on an item
        self.retention_interval = retention_interval
        self.writer: ClipWriter | None = None
        self.writing: str | None = None  # the visit id of `writer` (thread side)
        self.failed: set[str] = set()  # thread side: visits whose clip failed (frames ignored)
        self.free: int | None = None
        self.thread = threading.Thread(target=self._run, name=f"record-{cam}", daemon=True)
        self.thread.start()

    # ---- the service's side --------------------------------------------------------------------

    def offer(self, jpeg: bytes, captured: float, received: float) -> None:
        """A frame of this camera (before detection): into the ring and, during a clip, to the
        thread. Never blocks."""
        with self.lock:
            self.ring.append((jpeg, captured, received))
            self.ring_bytes += len(jpeg)
            horizon = self.s.pre_roll + 1.0
            limit = self.s.ring_mb * MiB
            while self.ring and (received - self.ring[0][2] > horizon or self.ring_bytes > limit):
                self.ring_bytes -= len(self.ring.popleft()[0])
            if self.visit_id is None:
                return
            if self.until is not None and received >= self.until:
                self._close_locked()
                return
            if received - self.clip_started >= self.s.max_clip_seconds:
                self.counters["clips_cut"] += 1
                log.info(
                    "%s: clip %s cut at %.0f s (max_clip_seconds)",
                    self.cam,
                    self.visit_id,
                    self.s.max_clip_seconds,
                )
                self.cut = True
                self._close_locked()
                return
            if self.queued_frames >= self.s.queue_frames:
                self.counters["record_dropped"] += 1
                self.bad.warning(
                    f"queue:{self.cam}",
                    "%s: the encoder is behind: a recording frame dropped (detection goes on)",
                    self.cam,
                )
                return
            self.queued_frames += 1
            self.queue.append(_Frame(jpeg, captured))
            self.cond.notify()

    def start(self, visit_id: str, now: float) -> None:
        """A visit started (`now`: receive-clock time): its clip opens with the pre-roll."""
        with self.lock:
            if self.visit_id is not None:
                self._close_locked()  # the previous visit's post-roll is cut short
            first = now - self.s.pre_roll
            frames = [(j, c) for j, c, r in self.ring if r >= first]
            span = [c for _, c in frames]
            fps = (len(span) - 1) / (span[-1] - span[0]) if len(span) > 2 and span[-1] > span[0] else 4.0
            self.visit_id, self.until, self.cut = visit_id, None, False
            self.clip_started = next((r for _, _, r in self.ring if r >= first), now)
            self.queue.append(_Open(visit_id, frames, min(max(fps, 0.5), 60.0)))
            self.cond.notify()

    def stop(self, visit_id: str, now: float) -> None:
        """The visit ended: the clip closes `post_roll` seconds later."""
        with self.lock:
            if self.visit_id == visit_id:
                self.until = now + self.s.post_roll
                if self.s.post_roll <= 0:
                    self._close_locked()

    def finish(self, visit_id: str) -> None:
        """Close the visit's clip now (this instance no longer owns the camera)."""
        with self.lock:
            if self.visit_id == visit_id:
                self._close_locked()

    def tick(self, now: float) -> None:
        """Time passing: a post-roll ends also when the camera sends no frame any more."""
        with self.lock:
            if self.visit_id is not None and self.until is not None and now >= self.until + 1.0:
                self._close_locked()

    def recording(self) -> str | None:
        with self.lock:
            return self.visit_id

    def close(self, timeout: float = 10.0) -> None:
        """The service stops: the clip being written is closed (playable) before it returns."""
        with self.lock:
            if self.visit_id is not None:
                self._close_locked()
            self.stopping = True
            self.cond.notify()
        self.thread.join(timeout)

    def idle(self) -> bool:
        with self.lock:
            return not self.queue and not self.busy

    def _close_locked(self) -> None:
        assert self.visit_id is not None
        self.queue.append(_Close(self.visit_id))
        self.visit_id = None
        self.until = None
        self.cond.notify()

    # ---- the camera's thread -------------------------------------------------------------------

    def _run(self) -> None:
        next_retention = time.monotonic()
        while True:
            with self.lock:
                while not self.queue and not self.stopping:
                    if not self.cond.wait(max(0.1, next_retention - time.monotonic())):
                        break
                if not self.queue and self.stopping:
                    return
                item = self.queue.popleft() if self.queue else None
                if isinstance(item, _Frame):
                    self.queued_frames -= 1
                self.busy = item is not None
            try:
                if item is not None:
                    self._do(item)
                if time.monotonic() >= next_retention:
                    next_retention = time.monotonic() + self.retention_interval
                    self._retention()
            except Exception:  # a bug here must not end recording for good
                log.exception("%s: recording failed", self.cam)
            finally:
                with self.lock:
                    self.busy = False

    def _do(self, item: _Open | _Frame | _Close) -> None:
        if isinstance(item, _Open):
            self._open(item)
        elif isinstance(item, _Frame):
            if self.writer is not None:
                self._add(item.jpeg, item.t)
        elif self.writing == item.visit_id:
            writer, self.writer, self.writing = self.writer, None, None
            assert writer is not None
            try:
                result = writer.close()
            except Exception as err:
                result = writer.abandon(f"cannot finish the clip: {err}")
                self._error(result.error or "")
            if result.ok:
                self.counters["clips"] += 1
                log.info(
                    "%s: clip %s closed (%.1f s, %d frames)",
                    self.cam,
                    item.visit_id,
                    result.duration or 0,
                    result.frames,
                )
            self.on_clip(item.visit_id, result)
            self._retention()
        elif item.visit_id in self.failed:
            self.failed.discard(item.visit_id)

    def _open(self, item: _Open) -> None:
        if self.writer is not None:  # never left open (a close always comes first), but be sure
            self.writer.abandon("replaced")
            self.writer = None
        files = visit_files(self.root, self.cam, item.visit_id)
        problem = self._space_problem()
        if problem is not None:
            self.counters["low_space"] += 1
            self._fail(item.visit_id, ClipResult(False, None, 0, None, problem))
            return
        self.writer = ClipWriter(files.part, files.clip, item.fps, crf=self.s.crf)
        self.writing = item.visit_id
        for jpeg, t in item.frames:
            if self.writer is None:
                break
            self._add(jpeg, t)

    def _add(self, jpeg: bytes, t: float) -> None:
        assert self.writer is not None and self.writing is not None
        try:
            self.writer.add(jpeg, t)
        except ValueError as err:  # a frame the decoder refuses (the detector counts those)
            self.counters["record_bad_frames"] += 1
            self.bad.warning(f"frame:{self.cam}", "%s: a frame not recorded: %s", self.cam, err)
        except Exception as err:  # OSError (a full disk), an encoder error
            visit_id, writer = self.writing, self.writer
            self.writer, self.writing = None, None
            self._error(f"cannot write {writer.part.name}: {err}")
            self._fail(visit_id, writer.abandon(str(err)))

    def _fail(self, visit_id: str, result: ClipResult) -> None:
        self.counters["clip_errors"] += 1
        self.failed.add(visit_id)
        self.bad.warning(
            f"fail:{self.cam}", "%s: clip %s failed: %s (detection goes on)", self.cam, visit_id, result.error
        )
        self.on_clip(visit_id, result)
        self._retention()

    def _error(self, message: str) -> None:
        self.counters["write_errors"] += 1
        self.bad.warning(f"write:{self.cam}", "%s: recording: %s", self.cam, message)

    def _floor(self) -> int:
        space = disk_space(self.root if self.root.exists() else self.root.parent)
        if space is None:
            return 0
        self.free = space[1]
        return free_floor(space[0], self.s.min_free_percent / 100.0, int(self.s.min_free_mb * MiB))

    def _space_problem(self) -> str | None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            return f"cannot make {self.dir}: {err}"
        floor = self._floor()
        if floor and self.free is not None and self.free < floor:
            self._retention()
            floor = self._floor()
            if self.free is not None and self.free < floor:
                return (
                    f"{self.free / 1e6:.1f} MB free in {self.dir}, below the floor of {floor / 1e6:.1f} MB "
                    "(min_free_mb, min_free_percent), nothing of this camera's left to delete"
                )
        return None

    def _retention(self) -> None:
        if not self.dir.exists():
            return
        keep = {self.writing} if self.writing else set()
        result = enforce_visit_retention(
            self.dir, self.s.max_age, self.s.max_bytes, min_free=self._floor(), keep=keep
        )
        remove_stale_temporaries(self.dir)
        self.counters["retention_runs"] += 1
        if result.deleted:
            self.counters["deleted"] += len(result.deleted)
            log.info(
                "%s: retention deleted %d visit(s) (%.2f MB), the oldest %s",
                self.cam,
                len(result.deleted),
                result.freed / 1e6,
                result.deleted[0],
            )
