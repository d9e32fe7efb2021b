"""A visit's clip from a dumb camera's JPEG frames: `ClipWriter` decodes each JPEG (PyAV's MJPEG
decoder), encodes it to H.264 with the smart camera's encoder settings
(`camera/recording/software_encoder.open_encoder`: a keyframe every second, SPS/PPS at every
keyframe) at the frame's real time (pts from its timestamp, in milliseconds) and writes
fragmented MP4 (`camera/recording/mp4.Mp4Writer`, unbuffered: a fragment per keyframe reaches
the disk as it is made) to `<id>.mp4.part`; `close()` renames it `<id>.mp4`.

A writer killed with SIGKILL leaves a `.part` whose finished fragments play; `recover_part`
(run by the next start of the service) copies them into a closed `<id>.mp4` without encoding.

Nothing here knows threads or MQTT: listen_frame/recording.py runs it off the MQTT loop.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_agent.camera.recording.mp4 import TIME_BASE, EncodedPacket, Mp4Writer, open_encoder

if TYPE_CHECKING:
    from av.video.codeccontext import VideoCodecContext

log = logging.getLogger(__name__)

MAX_SIDE = 4096  # a frame larger than this is not recorded (the detector refuses larger anyway)


def _even(n: int) -> int:
    return max(2, n - n % 2)  # yuv420p wants even sides


@dataclass
class ClipResult:
    ok: bool
    duration: float | None  # seconds, first frame to last plus one frame interval
    frames: int
    path: Path | None  # the closed clip (None: nothing playable was written)
    error: str | None = None


class ClipWriter:
    """JPEG frames with their times -> one fragmented H.264 MP4 (`part`, renamed to `final`).

    `add()` raises on a write error (a full disk: `OSError`) or a frame the decoder refuses
    (`ValueError`: the caller counts it and goes on); after a write error, `abandon()`.
    """

    def __init__(self, part: Path, final: Path, fps: float, crf: int = 26, codec: str = "libx264") -> None:
        self.part = part
        self.final = final
        self.fps = max(0.5, fps)
        self.crf = crf
        self.codec = codec
        self.size: tuple[int, int] | None = None
        self.writer: Mp4Writer | None = None
        self.encoder: VideoCodecContext | None = None
        self.decoder: Any = None
        self.t0: float | None = None
        self.first_t: float | None = None
        self.last_t: float | None = None
        self.last_pts = -1
        self.frames = 0

    def _decode(self, jpeg: bytes) -> Any:
        import av

        if self.decoder is None:
            self.decoder = av.CodecContext.create("mjpeg", "r")
        try:
            frames = self.decoder.decode(av.Packet(jpeg))
        except av.FFmpegError as err:
            raise ValueError(f"not a JPEG the decoder takes: {err}") from err
        if not frames:
            raise ValueError("not a JPEG the decoder takes")
        return frames[-1]

    def _open(self, width: int, height: int) -> None:
        if width > MAX_SIDE or height > MAX_SIDE:
            raise ValueError(f"a {width}x{height} frame is larger than {MAX_SIDE} pixels a side")
        self.size = (_even(width), _even(height))
        self.part.parent.mkdir(parents=True, exist_ok=True)
        self.encoder = open_encoder(self.codec, self.size, self.fps, self.crf)
        self.writer = Mp4Writer(self.part, self.size, self.fps, buffered=False)

    def add(self, jpeg: bytes, t: float) -> None:
        frame = self._decode(jpeg)
        if self.writer is None:
            self._open(frame.width, frame.height)
        assert self.size is not None and self.encoder is not None
        # The clip keeps its first size: a camera that changes its frame size mid-visit is scaled.
        frame = frame.reformat(width=self.size[0], height=self.size[1], format="yuv420p")
        if self.t0 is None:
            self.t0 = t
        pts = max(round((t - self.t0) * 1000), self.last_pts + 1)  # strictly increasing
        frame.pts = pts
        frame.time_base = TIME_BASE
        self.last_pts = pts
        self._mux(self.encoder.encode(frame))
        self.frames += 1
        if self.first_t is None:
            self.first_t = t
        self.last_t = max(t, self.last_t or t)

    def _mux(self, packets: Any) -> None:
        assert self.writer is not None
        for p in packets:
            if p.pts is None:
                continue
            self.writer.write(EncodedPacket(bytes(p), p.pts, bool(p.is_keyframe)))

    def duration(self) -> float | None:
        if self.first_t is None or self.last_t is None:
            return None
        return round(self.last_t - self.first_t + 1.0 / self.fps, 2)

    def close(self) -> ClipResult:
        """Flush the encoder, close the file, rename it to the final name. Raises OSError when
        the file cannot be finished (then call `abandon()`)."""
        if self.writer is None:
            return ClipResult(False, None, 0, None, "no frame")
        assert self.encoder is not None
        self._mux(self.encoder.encode(None))
        self.encoder = None
        writer, self.writer = self.writer, None
        writer.close()
        if writer.packets == 0:
            self.part.unlink(missing_ok=True)
            return ClipResult(False, None, 0, None, "nothing encoded")
        os.replace(self.part, self.final)
        return ClipResult(True, self.duration(), self.frames, self.final)

    def abandon(self, error: str) -> ClipResult:
        """After a write error: close what can be closed; a clip with whole fragments in it is
        kept (cut after the last one: what was written plays) and renamed, else deleted. Never
        raises. The duration is then the frames given, an upper bound."""
        self.encoder = None
        writer, self.writer = self.writer, None
        kept: Path | None = None
        if writer is not None:
            try:
                writer.close()
            except Exception:  # the write error is what is reported
                pass
            try:  # what a full disk tore off the end goes: the whole fragments before it play
                good = complete_fragments(self.part) if writer.packets else 0
                if good:
                    os.truncate(self.part, good)
                    os.replace(self.part, self.final)
                    kept = self.final
                else:
                    self.part.unlink(missing_ok=True)
            except OSError:
                pass
        return ClipResult(False, self.duration() if kept else None, self.frames, kept, error)


def complete_fragments(path: Path) -> int:
    """The length of `path` up to the end of its last complete fragment (a `moof` and its
    `mdat`), 0 when it has none: the top-level boxes walked, nothing decoded."""
    import struct

    end = good = 0
    seen_moov = seen_moof = False
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        while end + 8 <= size:
            f.seek(end)
            box, kind = struct.unpack(">I4s", f.read(8))
            if box == 1:
                if end + 16 > size:
                    break
                (box,) = struct.unpack(">Q", f.read(8))
            if box < 8 or end + box > size:
                break  # box == 0 ("to the end of the file") or torn: a writer was killed in it
            end += box
            if kind == b"moov":
                seen_moov = True
            elif kind == b"moof":
                seen_moof = True
            elif kind == b"mdat" and seen_moov and seen_moof:
                good, seen_moof = end, False
    return good


def recover_part(part: Path, final: Path) -> ClipResult:
    """What a killed writer left in `part`: cut after its last complete fragment, checked with
    PyAV (the frames demuxed, the first decoded) and renamed `final`. Nothing playable: `part`
    removed, not ok. Never raises."""
    import av

    try:
        good = complete_fragments(part)
        if good:
            os.truncate(part, good)
    except OSError as err:
        part.unlink(missing_ok=True)
        return ClipResult(False, None, 0, None, f"cannot read {part.name}: {err}")
    if not good:
        part.unlink(missing_ok=True)
        return ClipResult(False, None, 0, None, "no complete fragment")
    pts: list[float] = []
    fps = 4.0
    try:
        with av.open(str(part), "r") as src:
            stream = src.streams.video[0]
            if stream.average_rate:
                fps = float(stream.average_rate)
            for p in src.demux(stream):
                if p.pts is not None and p.time_base is not None and p.size:
                    pts.append(float(p.pts * p.time_base))
                    if len(pts) == 1 and not p.decode():
                        raise ValueError("the first frame does not decode")
    except (av.FFmpegError, OSError, IndexError, ValueError) as err:
        part.unlink(missing_ok=True)
        return ClipResult(False, None, 0, None, f"not playable: {err}")
    if not pts:
        part.unlink(missing_ok=True)
        return ClipResult(False, None, 0, None, "no frame")
    try:
        os.replace(part, final)
    except OSError as err:
        return ClipResult(False, None, len(pts), None, f"cannot rename {part.name}: {err}")
    return ClipResult(True, round(max(pts) - min(pts) + 1.0 / max(fps, 0.5), 2), len(pts), final)
