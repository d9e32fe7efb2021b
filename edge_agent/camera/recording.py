"""Recording: continuous chunks with retention, and event clips with pre-roll and post-roll.

Frames are encoded to H.264 **once**, a keyframe every second with SPS/PPS repeated at every
keyframe; the packets then fan out to the chunk being written, to an event clip when one is open,
and to a ring buffer of the last seconds, which is the clip's pre-roll (what picamera2's
`CircularOutput` keeps). Two encoders feed the same `PacketRecorder`:

- `Recorder`: software, PyAV / libx264, fed with RGB frames (any source, any machine);
- `PicameraRecorder`: the Pi's hardware encoder (picamera2 `H264Encoder`), which encodes the
  camera's own stream and hands its packets to a picamera2 `Output` of ours.

Files are fragmented MP4 (a keyframe starts a fragment): a power cut leaves a playable file, and
browsers and Home Assistant play them. Names carry the camera id and a UTC timestamp:
`<cam>_20261121T120102Z.mp4` (chunks) and `<cam>_20261121T120102Z_event.mp4` (clips).

Retention deletes the camera's oldest files (never one being written) beyond `max_age`, beyond
`max_bytes` in total, and while the file system has less free space than the floor
(`min_free_fraction` of its size or `min_free_bytes`, whichever is smaller). It runs when a chunk
closes, every `retention_interval` seconds from a thread of its own (so it also runs with
`continuous: false`, and when no file closes because the disk is full), and right after any write
error.

Any error (full disk, unwritable directory) is logged (rate-limited), counted and reported in
`status()`; the file that failed is closed at once (an open descriptor would keep the space of a
deleted file), and the recorder tries again `retry_after` seconds later, when the free space is
back above the floor. It never raises into the caller, so detection keeps running.
"""

from __future__ import annotations

import collections
import fractions
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_agent.ratelimit import RateLimitedLog

log = logging.getLogger(__name__)

TIME_BASE = fractions.Fraction(1, 1000)  # packet timestamps in milliseconds of capture time
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


def utc_stamp(t: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def file_pattern(cam: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(cam)}_(\d{{8}}T\d{{6}}Z)(?:-\d+)?(_event)?\.mp4$")


def recorded_files(directory: Path, cam: str) -> list[Path]:
    """This camera's chunks and clips, oldest first (by the UTC time in the name)."""
    pattern = file_pattern(cam)
    try:
        found = [p for p in Path(directory).iterdir() if pattern.match(p.name)]
    except OSError:
        return []
    return sorted(found, key=lambda p: (pattern.match(p.name).group(1), p.name))


def disk_space(directory: Path) -> tuple[int, int] | None:
    """(size, free for us) of the file system holding `directory` in bytes; None if unknown."""
    try:
        st = os.statvfs(directory)
    except OSError:
        return None
    return st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize


def free_floor(size: int, fraction: float, floor_bytes: int) -> int:
    """The free space to keep: `fraction` of the file system or `floor_bytes`, the smaller."""
    if fraction <= 0 or floor_bytes <= 0:
        return 0
    return min(int(size * fraction), floor_bytes)


@dataclass
class Retention:
    deleted: list[Path]
    freed: int = 0  # bytes of the deleted files
    free: int | None = None  # free bytes afterwards (None: unknown)
    short: bool = False  # the floor could not be reached by deleting this camera's files


def enforce_retention(
    directory: Path,
    cam: str,
    max_age: float | None,
    max_bytes: int | None,
    keep: set[Path],
    now: float | None = None,
    min_free: int = 0,
) -> Retention:
    """Delete this camera's oldest files beyond `max_age` seconds, beyond `max_bytes` in total, and
    while the file system has less than `min_free` bytes free.

    Files in `keep` (the ones being written) and other files are never deleted.
    """
    now = time.time() if now is None else now
    files = recorded_files(directory, cam)
    sizes = {}
    for p in files:
        try:
            st = p.stat()
            sizes[p] = (st.st_size, st.st_mtime)
        except OSError:
            continue
    result = Retention([])
    space = disk_space(directory) if min_free else None
    free = space[1] if space else None
    total = sum(size for size, _ in sizes.values())
    for p in files:
        if p not in sizes or p in keep:
            continue
        size, mtime = sizes[p]
        too_old = max_age is not None and now - mtime > max_age
        too_big = max_bytes is not None and total > max_bytes
        too_full = free is not None and free < min_free
        if not (too_old or too_big or too_full):
            continue
        try:
            p.unlink()
        except FileNotFoundError:
            pass
        except OSError as err:
            log.warning("retention: cannot delete %s: %s", p, err)
            continue
        total -= size
        result.deleted.append(p)
        result.freed += size
        if free is not None:  # measured again: blocks, not sizes, are what comes back
            space = disk_space(directory)
            free = space[1] if space else None
    if min_free:
        space = disk_space(directory)
        result.free = space[1] if space else None
        result.short = result.free is not None and result.free < min_free
    return result


def keyframe_interval(fps: float) -> int:
    """Frames between keyframes: one a second, the cut points of chunks and clips."""
    return max(1, round(fps))


@dataclass(slots=True)
class EncodedPacket:
    data: bytes
    pts: int  # milliseconds since the recorder started
    key: bool


class _Mp4Writer:
    """One fragmented MP4 file fed with already-encoded packets (timestamps rebased to 0).

    The file is opened here, not by FFmpeg, so that `close()` always closes its descriptor, also
    when the muxer fails (PyAV skips closing its own file when the header was never written).
    """

    def __init__(self, path: Path, size: tuple[int, int], fps: float) -> None:
        import av

        self.path = path
        self.file = open(path, "xb")  # closed in close()
        try:
            self.container = av.open(
                self.file,
                "w",
                format="mp4",
                options={"movflags": "frag_keyframe+empty_moov+default_base_moof"},
            )
        except BaseException:
            self.file.close()
            raise
        self.stream = self.container.add_stream("h264", rate=max(1, round(fps)))
        self.stream.width, self.stream.height = size
        self.stream.pix_fmt = "yuv420p"
        self.stream.time_base = TIME_BASE
        self.first_pts: int | None = None
        self.last_pts = 0
        self.packets = 0

    def write(self, pkt: EncodedPacket) -> None:
        import av

        if self.first_pts is None:
            self.first_pts = pkt.pts
        pts = max(pkt.pts - self.first_pts, self.last_pts + 1 if self.packets else 0)  # strictly increasing
        out = av.Packet(pkt.data)
        out.pts = out.dts = pts
        out.time_base = TIME_BASE
        out.is_keyframe = pkt.key
        out.stream = self.stream
        self.container.mux(out)  # takes the packet over: read nothing from it afterwards
        self.last_pts = pts
        self.packets += 1

    def close(self) -> None:
        try:
            self.container.close()
        finally:
            self.file.close()  # closes the descriptor even when flushing fails (ENOSPC)


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
        self.chunk: _Mp4Writer | None = None
        self.chunk_start = 0.0
        self.clip: _Mp4Writer | None = None
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

    def _open_writer(self, t: float, suffix: str) -> _Mp4Writer | None:
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
                self.counters["low_space"] += 1
                self._set_error(
                    f"{self.free / 1e6:.1f} MB free in {self.dir}, below the floor of "
                    f"{self.floor / 1e6:.1f} MB (min_free_mb, min_free_percent); "
                    "nothing of this camera's left to delete",
                    now,
                )
                return None
        try:
            writer = _Mp4Writer(self._path(t, suffix), self.s.size, self.s.fps)
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

    def _write(self, writer: _Mp4Writer, pkt: EncodedPacket) -> bool:
        try:
            writer.write(pkt)
            return True
        except Exception as err:
            self._fail(f"cannot write {writer.path.name}", err, time.monotonic())
            self._abandon(writer)
            return False

    def _abandon(self, writer: _Mp4Writer) -> None:
        """Close a file that failed (its descriptor must go, or deleting it frees nothing)."""
        try:
            writer.close()
        except Exception:  # the write error is already reported
            pass
        if writer.packets == 0:
            writer.path.unlink(missing_ok=True)  # nothing playable in it

    def _close_writer(self, writer: _Mp4Writer) -> bool:
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

    def status(self) -> dict:
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


class Recorder(PacketRecorder):
    """Software encoding (PyAV / libx264): feed it RGB frames with their capture time."""

    encoder_name = "libx264"
    wants_frames = True

    def __init__(self, settings: RecordSettings, on_clip=None, on_chunk=None) -> None:
        super().__init__(settings, on_clip=on_clip, on_chunk=on_chunk)
        self.encoder = None

    def _open_encoder(self) -> None:
        import av

        ctx = av.CodecContext.create(self.s.codec, "w")
        ctx.width, ctx.height = self.s.size
        ctx.pix_fmt = "yuv420p"
        ctx.time_base = TIME_BASE
        ctx.framerate = fractions.Fraction(max(1, round(self.s.fps)), 1)
        ctx.gop_size = keyframe_interval(self.s.fps)
        # repeat-headers: every keyframe carries SPS/PPS, so any keyframe can start a file.
        ctx.options = {
            "preset": "veryfast",
            "tune": "zerolatency",
            "crf": str(self.s.crf),
            "x264-params": "repeat-headers=1",
        }
        ctx.open()
        self.encoder = ctx

    def _encode(self, rgb: np.ndarray, t: float) -> list[EncodedPacket]:
        import av

        if self.encoder is None:
            self._open_encoder()
            self.t0 = t
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(
            format="yuv420p"
        )
        frame.pts = round((t - self.t0) * 1000)
        frame.time_base = TIME_BASE
        return [EncodedPacket(bytes(p), int(p.pts), bool(p.is_keyframe)) for p in self.encoder.encode(frame)]

    def add_frame(self, rgb: np.ndarray, t: float) -> None:
        try:
            packets = self._encode(rgb, t)
        except Exception as err:  # a frame the encoder refuses must not stop detection
            self.bad.warning("encode", "recording: frame not encoded: %s", err)
            return
        self.counters["frames"] += 1
        for pkt in packets:
            self._route(pkt, self.t0 + pkt.pts / 1000.0)

    def close(self, t: float | None = None) -> None:
        t = time.time() if t is None else t
        if self.encoder is not None:
            try:
                for p in self.encoder.encode(None):
                    self._route(
                        EncodedPacket(bytes(p), int(p.pts), bool(p.is_keyframe)), self.t0 + p.pts / 1000.0
                    )
            except Exception as err:
                self.bad.warning("encode", "recording: flushing the encoder failed: %s", err)
            self.encoder = None
        self._finish(t)


class PicameraRecorder(PacketRecorder):
    """The Pi's hardware H.264 encoder (picamera2 `H264Encoder`) feeding the same chunks and clips.

    The encoder encodes the camera's main stream itself (no frame crosses Python) and hands every
    encoded frame to a picamera2 `Output`; ours routes it like the software path's packets, and
    the ring buffer is the circular output's pre-roll. Why not picamera2's `CircularOutput` with
    `FileOutput` / `FfmpegOutput`: `CircularOutput` keeps `(frame, keyframe)` without timestamps
    and, like `FileOutput`, writes a raw `.h264` stream with no container; `FfmpegOutput`
    re-timestamps in an ffmpeg process per file; and swapping outputs from outside the encoder's
    thread cuts chunks at arbitrary frames. Routing the packets here keeps the sensor timestamps,
    cuts exactly at keyframes and writes the same fragmented MP4 files as the software path.

    picamera2 is imported in `start()`, in the process that owns the camera.
    """

    encoder_name = "picamera2 H264Encoder"

    def __init__(
        self, settings: RecordSettings, picam2, on_clip=None, on_chunk=None, bitrate: int | None = None
    ) -> None:
        super().__init__(settings, on_clip=on_clip, on_chunk=on_chunk)
        self.picam2 = picam2
        self.bitrate = bitrate  # None: picamera2 picks one for the size and rate
        self.encoder = None

    def start(self) -> None:
        """Start the hardware encoder on the camera; raises when the board has none."""
        from picamera2.encoders import H264Encoder
        from picamera2.outputs import Output

        recorder = self

        class PacketTap(Output):
            """Every encoded frame to the recorder (timestamp: µs since the encoder's first frame)."""

            def outputframe(self, frame, keyframe=True, timestamp=None, packet=None, audio=False):
                if not audio:
                    recorder._on_encoded(frame, keyframe, timestamp)

        # repeat: SPS/PPS at every keyframe, so any keyframe can start a file; iperiod: a keyframe
        # a second, the cut points of chunks and clips.
        encoder = H264Encoder(bitrate=self.bitrate, repeat=True, iperiod=keyframe_interval(self.s.fps))
        self.picam2.start_encoder(encoder, PacketTap())
        self.encoder = encoder

    def _on_encoded(self, frame, keyframe: bool, timestamp: int | None) -> None:
        now = time.time()
        if self.t0 is None:
            self.t0 = now - (timestamp or 0) / 1e6
        us = int(timestamp) if timestamp is not None else int((now - self.t0) * 1e6)
        try:
            self.counters["frames"] += 1
            self._route(EncodedPacket(bytes(frame), us // 1000, bool(keyframe)), self.t0 + us / 1e6)
        except Exception:  # never raise into picamera2's encoder thread
            log.exception("recording: a packet from the hardware encoder was not handled")

    def close(self, t: float | None = None) -> None:
        if self.encoder is not None:
            try:
                self.picam2.stop_encoder(self.encoder)  # its last packets arrive before it returns
            except Exception as err:
                self.bad.warning("encode", "recording: stopping the hardware encoder failed: %s", err)
            self.encoder = None
        self._finish(time.time() if t is None else t)
