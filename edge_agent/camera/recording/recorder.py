"""`PacketRecorder`: continuous chunks and event clips with pre-roll and post-roll, from encoded
packets (see the package's docstring for the whole path).

Packets fan out to the chunk being written, to an event clip when one is open, and to a ring
buffer of the last seconds, which is the clip's pre-roll. Names carry the camera id and a UTC
timestamp: `<cam>_20261121T120102Z.mp4` (chunks) and `<cam>_20261121T120102Z_event.mp4` (clips).
Retention (retention.py) runs when a chunk closes, every `retention_interval` seconds from a thread
of its own, and right after any write error. Errors are logged (rate-limited), counted, reported
in `status()`, and retried `retry_after` seconds later; nothing raises into the caller.
"""

from __future__ import annotations

import collections
import logging
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
from edge_agent.ratelimit import RateLimitedLog

log = logging.getLogger(__name__)

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
        on_clip: Callable[[str, float, float], None] | None = None,
        on_chunk: Callable[[str, float, float], None] | None = None,
    ) -> None:
        self.s = settings
        self.dir = Path(settings.directory)
        self.on_clip = on_clip
        self.on_chunk = on_chunk
        self.bad = RateLimitedLog(log, interval=60.0)
        self.lock = threading.RLock()
        self.t0: float | None = None  # capture time of pts 0
        self.ring: collections.deque[tuple[float, EncodedPacket]] = collections.deque()
        self.chunk: Mp4Writer | None = None
        self.chunk_start = 0.0
        self.clip: Mp4Writer | None = None
        self.clip_start = 0.0
        self.clip_until: float | None = None  # post-roll end; None while the person is there
        self.person = False
        self.retry_at = 0.0
        self.error: str | None = None
        self.error_at: float | None = None  # monotonic time of the first error of the current run
        self.free: int | None = None  # free bytes at the last retention run
        self.floor = 0  # the free-space floor in bytes, from the file system's size
        self.counters = {
            "chunks": 0,
            "clips": 0,
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

    def _path(self, t: float, suffix: str = "") -> Path:
        path = self.dir / f"{self.s.camera_id}_{utc_stamp(t)}{suffix}.mp4"
        n = 1
        while path.exists():  # two files in the same second (short chunks)
            path = self.dir / f"{self.s.camera_id}_{utc_stamp(t)}-{n}{suffix}.mp4"
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

    def _open_writer(self, t: float, suffix: str) -> Mp4Writer | None:
        now = time.monotonic()
        if now < self.retry_at:
            return None
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
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
            writer = Mp4Writer(self._path(t, suffix), self.s.size, self.s.fps)
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
        clip, self.clip = self.clip, None
        self.clip_until = None
        if clip is not None and self._close_writer(clip):
            self.counters["clips"] += 1
            log.info("event clip closed: %s (%.1f s)", clip.path, end - self.clip_start)
            if self.on_clip:
                self.on_clip(str(clip.path), self.clip_start, end)

    def _retention(self) -> Retention:
        """Under the lock: which files are open must not change while files are deleted."""
        s = self.s
        keep = {w.path for w in (self.chunk, self.clip) if w is not None}
        space = disk_space(self.dir)
        self.floor = free_floor(space[0], s.min_free_fraction, s.min_free_bytes) if space else 0
        result = enforce_retention(self.dir, s.camera_id, s.max_age, s.max_bytes, keep, min_free=self.floor)
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

    def person_changed(self, present: bool, t: float) -> None:
        """Person on: open a clip (with the pre-roll) at the next frame; off: start the post-roll."""
        with self.lock:
            self.person = present
            if present:
                self.clip_until = None
            elif self.clip is not None:
                self.clip_until = t + self.s.post_roll

    def _route(self, pkt: EncodedPacket, t: float) -> None:
        with self.lock:
            self._route_locked(pkt, t)

    def _route_locked(self, pkt: EncodedPacket, t: float) -> None:
        s = self.s
        if s.clips:
            self.ring.append((t, pkt))
            # Keep the pre-roll plus one keyframe interval, so a keyframe is always in the ring.
            while self.ring and t - self.ring[0][0] > s.pre_roll + 1.0:
                self.ring.popleft()
        if s.continuous:
            if self.chunk is not None and pkt.key and t - self.chunk_start >= s.chunk_seconds - self._slack:
                self._close_chunk(t)
            if self.chunk is None and pkt.key:
                self.chunk = self._open_writer(t, "")
                self.chunk_start = t
            if self.chunk is not None and not self._write(self.chunk, pkt):
                self.chunk = None  # closed; a new one starts at a keyframe after retry_after
        if not s.clips:
            return
        if self.clip is not None and self.clip_until is not None and t >= self.clip_until:
            self._close_clip(t)
        if self.clip is None and self.person:
            self._start_clip(t)
            return  # the ring (this packet included) was written
        if self.clip is not None and not self._write(self.clip, pkt):
            self.clip = None

    def _start_clip(self, t: float) -> None:
        # Start at the newest keyframe at least pre_roll old (else the oldest one we have).
        start_index = None
        for i, (pt, pkt) in enumerate(self.ring):
            if pkt.key and (start_index is None or t - pt >= self.s.pre_roll - self._slack):
                start_index = i
        if start_index is None:
            return  # no keyframe yet: try again at the next packet
        clip_t = self.ring[start_index][0]
        writer = self._open_writer(clip_t, "_event")
        if writer is None:
            return
        self.clip, self.clip_start = writer, clip_t
        for _, pkt in list(self.ring)[start_index:]:
            if not self._write(writer, pkt):
                self.clip = None
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
            if self.chunk is not None:
                self._close_chunk(t)
        self._stopping.set()
        self._wake.set()
        if self._timer is not threading.current_thread():
            self._timer.join(timeout=5)

    def close(self, t: float | None = None) -> None:
        self._finish(time.time() if t is None else t)
