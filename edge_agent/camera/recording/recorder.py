"""`PacketRecorder`: continuous chunks and event clips with pre-roll and post-roll, from encoded
packets (see the package's docstring for the whole path).

Packets fan out to the chunk being written, to an event clip when one is open, and to a ring
buffer of the last seconds, which is the clip's pre-roll. Chunks are named after the camera id
and a UTC timestamp, `<cam>_20261121T120102Z.mp4`, in the recording directory. An event clip is
one visit's (docs/mqtt.md, "events"), named by the visit's id in the camera's folder below it
(edge_agent.events.files): `<cam>/<id>.mp4.part` while it is written, renamed `<cam>/<id>.mp4`
when closed; `on_clip` gets a `ClipReport` (ready or failed) once per visit. What a killed
process left (`.part`) is closed by `recover()` at the next start.

Retention (retention.py) deletes chunks and whole visits (clip and snapshots) together, oldest
first; it runs when a chunk closes, every `retention_interval` seconds from a thread of its own,
and right after any write error. Errors are logged (rate-limited), counted, reported in
`status()`, and retried `retry_after` seconds later; nothing raises into the caller.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_agent.camera.recording.mp4 import EncodedPacket, Mp4Writer
from edge_agent.camera.recording.retention import (
    Retention,
    disk_space,
    enforce_retention,
    free_floor,
    utc_stamp,
)
from edge_agent.events.files import camera_dir, leftover_parts, visit_files
from edge_agent.events.visit import new_event_id
from edge_agent.ratelimit import RateLimitedLog

log = logging.getLogger(__name__)

# How much older than the pre-roll the ring's oldest packet may be while it waits for a keyframe
# old enough (normally they come a second apart, and the ring holds pre_roll + up to 1 s).
RING_MAX_SECONDS = 10.0

GiB = 1024**3


@dataclass(frozen=True)
class RecordSettings:
    directory: str
    camera_id: str
    fps: float
    size: tuple[int, int]
    continuous: bool = True
    chunk_seconds: float = 60.0
    max_age: float | None = 7 * 86400.0  # seconds; None: keep by age forever
    # Total of this camera's files; None: no size limit. 2 GiB: a day or more of 640x480 at 5 fps,
    # and an SD card is never filled by default.
    max_bytes: int | None = 2 * GiB
    # Free space kept on the file system: the smaller of the two (0 in either: no floor).
    min_free_fraction: float = 0.10
    min_free_bytes: int = GiB
    retention_interval: float = 60.0  # seconds between retention runs besides chunk ends and errors
    retry_after: float = 10.0  # seconds before opening a file again after an error
    clips: bool = True
    pre_roll: float = 5.0
    post_roll: float = 5.0
    codec: str = "libx264"
    crf: int = 26


@dataclass(frozen=True, slots=True)
class ClipReport:
    """What became of one visit's clip: the `end` message's `clip` and `duration`."""

    visit_id: str
    ok: bool  # a playable clip under its final name (`ready`); False: `failed`
    path: str | None  # the closed clip (also a failed one's, when it holds frames); None: no file
    start: float  # capture time of its first frame (the pre-roll's)
    end: float
    duration: float | None  # seconds of video
    recovered: bool = False  # left by a killed process and closed at this start


class PacketRecorder:
    """Chunks, event clips, pre-roll, retention and error reporting, fed with encoded packets.

    Packets and person events may come from different threads (the Pi's encoder calls back from
    its own), hence the lock.
    """

    encoder_name = "none"
    wants_frames = False  # whether add_frame() must be given the RGB frames

    def __init__(
        self,
        settings: RecordSettings,
        on_clip: Callable[[ClipReport], None] | None = None,
        on_chunk: Callable[[str, float, float], None] | None = None,
    ) -> None:
        self.s = settings
        self.dir = Path(settings.directory)
        self.visits_dir = camera_dir(self.dir, settings.camera_id)  # the visits' files
        self.on_clip = on_clip
        self.on_chunk = on_chunk
        self.bad = RateLimitedLog(log, interval=60.0)
        self.lock = threading.RLock()
        self.t0: float | None = None  # capture time of pts 0
        self.ring: collections.deque[tuple[float, EncodedPacket]] = collections.deque()
        self._ring_keys: collections.deque[float] = collections.deque()  # the ring's keyframes' times
        self.chunk: Mp4Writer | None = None
        self.chunk_start = 0.0
        self.clip: Mp4Writer | None = None
        self.clip_start = 0.0
        self.clip_until: float | None = None  # post-roll end; None while the person is there
        self.clip_id: str | None = None  # the visit the open clip belongs to
        self.person = False
        self.visit_id: str | None = None  # the latest visit (person_changed)
        # Its clip: "waiting" (to be opened at the next keyframe), "open", "done" (reported).
        self.visit_clip = "done"
        self.retry_at = 0.0
        self.error: str | None = None
        self.error_at: float | None = None  # monotonic time of the first error of the current run
        self.free: int | None = None  # free bytes at the last retention run
        self.floor = 0  # the free-space floor in bytes, from the file system's size
        self.counters = {
            "chunks": 0,
            "clips": 0,
            "clips_failed": 0,
            "clips_recovered": 0,
            "deleted": 0,
            "freed_bytes": 0,
            "write_errors": 0,
            "low_space": 0,
            "retention_runs": 0,
            "recoveries": 0,
            "frames": 0,
        }
        self.last_recovery_s: float | None = None  # from the error to a file open again
        # Half a frame: a real sensor's timestamps jitter, and a keyframe 0.999 s after the last
        # cut must still end a 1 s chunk (or start a 1 s pre-roll) rather than wait a second more.
        self._slack = 0.5 / max(settings.fps, 1e-3)
        # Retention on a timer, and at once after a write error: a full disk closes no chunk.
        self._wake = threading.Event()
        self._wake.set()  # a first run at start: the directory may be full from before
        self._stopping = threading.Event()
        self._timer = threading.Thread(target=self._retention_loop, name="retention", daemon=True)
        self._timer.start()

    # --- files ------------------------------------------------------------------------------

    def _path(self, t: float) -> Path:
        """A chunk's name."""
        path = self.dir / f"{self.s.camera_id}_{utc_stamp(t)}.mp4"
        n = 1
        while path.exists():  # two files in the same second (short chunks)
            path = self.dir / f"{self.s.camera_id}_{utc_stamp(t)}-{n}.mp4"
            n += 1
        return path

    def _set_error(self, message: str, now: float) -> None:
        self.error = message
        if self.error_at is None:
            self.error_at = now
        self.retry_at = now + self.s.retry_after
        self._wake.set()  # retention now, not at the next tick
        self.bad.warning(
            "record", "recording: %s (detection goes on; retrying in %.3g s)", message, self.s.retry_after
        )

    def _fail(self, what: str, err: Exception, now: float) -> None:
        self.counters["write_errors"] += 1
        self._set_error(f"{what}: {err}", now)

    def _open_writer(self, path: Path, buffered: bool = True) -> Mp4Writer | None:
        now = time.monotonic()
        if now < self.retry_at:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            self._fail(f"cannot open a file in {self.dir}", err, now)
            return None
        if self._below_floor():
            self._retention()
            if self._below_floor():
                assert self.free is not None  # _below_floor() measured it
                self.counters["low_space"] += 1
                self._set_error(
                    f"{self.free / 1e6:.1f} MB free in {self.dir}, below the floor of "
                    f"{self.floor / 1e6:.1f} MB (min_free_mb, min_free_percent); "
                    "nothing of this camera's left to delete",
                    now,
                )
                return None
        try:
            writer = Mp4Writer(path, self.s.size, self.s.fps, buffered=buffered)
        except Exception as err:  # OSError, av.FFmpegError: full disk, unwritable directory
            self._fail(f"cannot open a file in {self.dir}", err, now)
            return None
        if self.error_at is not None:
            self.last_recovery_s = round(now - self.error_at, 3)
            self.counters["recoveries"] += 1
            log.info(
                "recording: writing again (%s), %.1f s after the error", writer.path.name, now - self.error_at
            )
        self.error = None
        self.error_at = None
        return writer

    def _below_floor(self) -> bool:
        space = disk_space(self.dir)
        if space is None:
            return False
        size, self.free = space
        self.floor = free_floor(size, self.s.min_free_fraction, self.s.min_free_bytes)
        return self.free < self.floor

    def _write(self, writer: Mp4Writer, pkt: EncodedPacket) -> bool:
        try:
            writer.write(pkt)
            return True
        except Exception as err:
            self._fail(f"cannot write {writer.path.name}", err, time.monotonic())
            self._abandon(writer)
            return False

    def _abandon(self, writer: Mp4Writer) -> None:
        """Close a file that failed (its descriptor must go, or deleting it frees nothing)."""
        try:
            writer.close()
        except Exception:  # the write error is already reported
            pass
        if writer.packets == 0:
            writer.path.unlink(missing_ok=True)  # nothing playable in it

    def _close_writer(self, writer: Mp4Writer) -> bool:
        try:
            writer.close()
            return True
        except Exception as err:
            self._fail(f"cannot finish {writer.path.name}", err, time.monotonic())
            return False

    def _close_chunk(self, end: float) -> None:
        chunk, self.chunk = self.chunk, None
        if chunk is not None and self._close_writer(chunk):
            self.counters["chunks"] += 1
            if self.on_chunk:
                self.on_chunk(str(chunk.path), self.chunk_start, end)
        self._retention()

    def _close_clip(self, end: float) -> None:
        """The visit's clip is complete: closed and renamed to its final name (`ready`)."""
        clip, self.clip = self.clip, None
        self.clip_until = None
        if clip is None:
            return
        if not self._close_writer(clip):
            self._clip_failed(clip, end, closed=True)
            return
        final = self._publish_clip(clip)
        if final is None:
            self._clip_failed(clip, end, closed=True)
            return
        self.counters["clips"] += 1
        duration = clip.last_pts / 1000.0 + 1.0 / max(self.s.fps, 1e-3)
        log.info("event clip closed: %s (%.1f s)", final, duration)
        self._report(ClipReport(self._clip_visit(), True, str(final), self.clip_start, end, duration))

    def _clip_visit(self) -> str:
        visit_id, self.clip_id = self.clip_id, None
        assert visit_id is not None  # set with the clip
        if visit_id == self.visit_id:
            self.visit_clip = "done"
        return visit_id

    def _publish_clip(self, writer: Mp4Writer) -> Path | None:
        """`<id>.mp4.part` -> `<id>.mp4` (only a closed clip has the final name); None on error."""
        final = writer.path.with_name(writer.path.name.removesuffix(".part"))
        try:
            os.replace(writer.path, final)
        except OSError as err:
            self._fail(f"cannot rename {writer.path.name}", err, time.monotonic())
            return None
        return final

    def _clip_failed(self, writer: Mp4Writer, end: float, closed: bool = False) -> None:
        """A clip that could not be written to the end (full disk, encoder): `failed`. What it
        holds is kept under the final name, cut after its last complete fragment (the write that
        failed may have torn one) and checked as a leftover is: nothing already on disk is lost."""
        from edge_agent.events.clip import recover_part

        if not closed:
            self._abandon(writer)  # its descriptor goes now; an empty file is deleted
        path, duration = None, None
        if writer.path.exists():
            kept = recover_part(writer.path, writer.path.with_name(writer.path.name.removesuffix(".part")))
            path, duration = (str(kept.path), kept.duration) if kept.path else (None, None)
        self.counters["clips_failed"] += 1
        self._report(ClipReport(self._clip_visit(), False, path, self.clip_start, end, duration))

    def _report(self, result: ClipReport) -> None:
        if self.on_clip:
            try:
                self.on_clip(result)
            except Exception:  # the caller's bug must not stop recording
                log.exception("reporting the clip of visit %s failed", result.visit_id)

    def recover(self) -> list[ClipReport]:
        """Clips a killed process left (`<id>.mp4.part`): closed (cut at the last complete
        fragment), renamed and reported (`recovered`), before anything new is recorded."""
        from edge_agent.events.clip import recover_part

        results = []
        for part in leftover_parts(self.dir, self.s.camera_id):
            with self.lock:
                if self.clip is not None and self.clip.path == part:
                    continue  # ours, being written
            visit_id = part.name.removesuffix(".mp4.part")
            try:
                ended = part.stat().st_mtime  # its last write: when the process died
            except OSError:
                continue
            recovered = recover_part(part, visit_files(self.dir, self.s.camera_id, visit_id).clip)
            duration = recovered.duration
            start = ended - duration if duration else ended
            path = str(recovered.path) if recovered.path else None
            result = ClipReport(visit_id, recovered.ok, path, start, ended, duration, recovered=True)
            self.counters["clips_recovered"] += 1
            log.warning(
                "event clip %s was left unfinished (the process was killed): %s",
                part.name,
                f"closed, {duration:.1f} s playable" if recovered.ok and duration else recovered.error,
            )
            results.append(result)
            self._report(result)
        return results

    def _retention(self) -> Retention:
        """Under the lock: which files are open must not change while files are deleted."""
        s = self.s
        keep = {w.path for w in (self.chunk, self.clip) if w is not None}
        keep_visits = {v for v in (self.visit_id, self.clip_id) if v is not None}
        space = disk_space(self.dir)
        self.floor = free_floor(space[0], s.min_free_fraction, s.min_free_bytes) if space else 0
        result = enforce_retention(
            self.dir,
            s.camera_id,
            s.max_age,
            s.max_bytes,
            keep,
            min_free=self.floor,
            visits=self.visits_dir,
            keep_visits=keep_visits,
        )
        self.counters["retention_runs"] += 1
        self.free = result.free if result.free is not None else (space[1] if space else None)
        if result.deleted:
            self.counters["deleted"] += len(result.deleted)
            self.counters["freed_bytes"] += result.freed
            log.info(
                "retention: deleted %d old file(s) (%.2f MB), the oldest %s",
                len(result.deleted),
                result.freed / 1e6,
                result.deleted[0].name,
            )
        if result.short:
            self.bad.warning(
                "floor",
                "recording: %.1f MB free in %s, below the floor of %.1f MB, with no more of this "
                "camera's files to delete (something else fills the disk)",
                (result.free or 0) / 1e6,
                self.dir,
                self.floor / 1e6,
            )
        return result

    def _retention_loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.s.retention_interval)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                with self.lock:
                    self._retention()
            except Exception:  # a bug here must not end retention for good
                log.exception("retention failed")

    # --- API --------------------------------------------------------------------------------

    def person_changed(self, present: bool, t: float, visit_id: str | None = None) -> None:
        """Person on (a visit, `visit_id`: a new one is made when None): open its clip (with the
        pre-roll) at the next keyframe; a clip of the previous visit still in its post-roll is
        closed first. Off: the post-roll starts; a visit whose clip never opened (the disk was
        full) is reported failed at once."""
        with self.lock:
            self.person = present
            if not self.s.clips:
                return
            if present:
                visit_id = visit_id or new_event_id(t)
                if visit_id == self.visit_id:
                    self.clip_until = None  # the same visit: the clip goes on
                    return
                if self.clip is not None:
                    self._close_clip(t)
                elif self.visit_clip == "waiting":
                    self._no_clip(t)
                self.visit_id, self.visit_clip = visit_id, "waiting"
            elif self.clip is not None:
                self.clip_until = t + self.s.post_roll
            elif self.visit_clip == "waiting":
                self._no_clip(t)

    def expire(self, now: float, grace: float = 2.0) -> None:
        """No packet for a while (the source stalled): a clip whose post-roll ended `grace`
        seconds ago is closed all the same, so that its visit ends."""
        with self.lock:
            if self.clip is not None and self.clip_until is not None and now >= self.clip_until + grace:
                self._close_clip(now)

    def _no_clip(self, t: float) -> None:
        """The visit ended before its clip could be opened: `failed`."""
        assert self.visit_id is not None  # "waiting" is set with it
        self.visit_clip = "done"
        self.counters["clips_failed"] += 1
        self._report(ClipReport(self.visit_id, False, None, t, t, None))

    def _route(self, pkt: EncodedPacket, t: float) -> None:
        with self.lock:
            self._route_locked(pkt, t)

    def _route_locked(self, pkt: EncodedPacket, t: float) -> None:
        s = self.s
        if s.clips:
            self._ring_add(pkt, t)
        if s.continuous:
            if self.chunk is not None and pkt.key and t - self.chunk_start >= s.chunk_seconds - self._slack:
                self._close_chunk(t)
            if self.chunk is None and pkt.key:
                self.chunk = self._open_writer(self._path(t))
                self.chunk_start = t
            if self.chunk is not None and not self._write(self.chunk, pkt):
                self.chunk = None  # closed; a new one starts at a keyframe after retry_after
        if not s.clips:
            return
        if self.clip is not None and self.clip_until is not None and t >= self.clip_until:
            self._close_clip(t)
        if self.clip is None and self.person and self.visit_clip == "waiting":
            self._start_clip(t)
            return  # the ring (this packet included) was written
        if self.clip is not None:
            self._write_clip(pkt, t)

    def _write_clip(self, pkt: EncodedPacket, t: float) -> bool:
        assert self.clip is not None
        clip = self.clip
        try:
            clip.write(pkt)
            return True
        except Exception as err:
            self._fail(f"cannot write {clip.path.name}", err, time.monotonic())
            self.clip, self.clip_until = None, None
            self._clip_failed(clip, t)
            return False

    def _ring_add(self, pkt: EncodedPacket, t: float) -> None:
        """The pre-roll ring: a keyframe at least pre_roll old stays in it however far apart the
        keyframes come (they come every `fps` frames, so a sensor slower than its rate, in the dark
        or on a busy machine, spaces them more than a second), so a clip can always start there;
        the packets before that keyframe go. Never more than RING_MAX_SECONDS past the pre-roll."""
        ring, keys = self.ring, self._ring_keys
        ring.append((t, pkt))
        if pkt.key:
            keys.append(t)
        # Dropped from the head: a packet before the first keyframe (it cannot start a clip), the
        # oldest keyframe's group once the next keyframe is itself old enough, anything past the bound.
        while ring and (
            (keys and not ring[0][1].key)
            or (len(keys) >= 2 and t - keys[1] >= self.s.pre_roll)
            or t - ring[0][0] > self.s.pre_roll + RING_MAX_SECONDS
        ):
            _, dropped = ring.popleft()
            if dropped.key:
                keys.popleft()

    def _start_clip(self, t: float) -> None:
        # Start at the newest keyframe at least pre_roll old (else the oldest one we have).
        start_index = None
        for i, (pt, pkt) in enumerate(self.ring):
            if pkt.key and (start_index is None or t - pt >= self.s.pre_roll - self._slack):
                start_index = i
        if start_index is None:
            return  # no keyframe yet: try again at the next packet
        clip_t = self.ring[start_index][0]
        assert self.visit_id is not None  # "waiting" is set with it
        # Unbuffered: every finished fragment is on disk, what a killed process leaves plays.
        writer = self._open_writer(
            visit_files(self.dir, self.s.camera_id, self.visit_id).part, buffered=False
        )
        if writer is None:
            return
        self.clip, self.clip_start, self.clip_id = writer, clip_t, self.visit_id
        self.visit_clip = "open"
        for _, pkt in list(self.ring)[start_index:]:
            if not self._write_clip(pkt, t):
                return
        log.info("event clip started: %s (pre-roll %.1f s)", writer.path, t - clip_t)

    def status(self) -> dict[str, Any]:
        with self.lock:
            return {
                "state": "error" if self.error else "ok",
                "error": self.error,
                "encoder": self.encoder_name,
                "chunk": str(self.chunk.path) if self.chunk else None,
                "clip": str(self.clip.path) if self.clip else None,
                "free_mb": None if self.free is None else round(self.free / 1e6, 1),
                "floor_mb": round(self.floor / 1e6, 1),
                "last_recovery_s": self.last_recovery_s,
                **self.counters,
            }

    def add_frame(self, rgb: np.ndarray, t: float) -> None:
        raise TypeError(f"{type(self).__name__} encodes the camera's own stream and takes no frames")

    def _finish(self, t: float) -> None:
        with self.lock:
            if self.clip is not None:
                self._close_clip(t)
            elif self.visit_clip == "waiting":
                self._no_clip(t)
            if self.chunk is not None:
                self._close_chunk(t)
        self._stopping.set()
        self._wake.set()
        if self._timer is not threading.current_thread():
            self._timer.join(timeout=5)

    def close(self, t: float | None = None) -> None:
        self._finish(time.time() if t is None else t)
