"""Encoded H.264 packets and the fragmented MP4 file they are written to.

A file is fragmented MP4 (a keyframe starts a fragment): a power cut leaves a playable file, and
browsers and Home Assistant play them.
"""

from __future__ import annotations

import fractions
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from av.video.codeccontext import VideoCodecContext

TIME_BASE = fractions.Fraction(1, 1000)  # packet timestamps in milliseconds of capture time


def keyframe_interval(fps: float) -> int:
    """Frames between keyframes: one a second, the cut points of chunks and clips."""
    return max(1, round(fps))


def open_encoder(codec: str, size: tuple[int, int], fps: float, crf: int) -> VideoCodecContext:
    """An open H.264 encoder (yuv420p frames, pts in milliseconds): a keyframe every second,
    no B-frames, SPS/PPS at every keyframe. The smart camera's `Recorder` and listen_frame's
    clips (edge_agent/events/clip.py)."""
    import av

    ctx = cast("VideoCodecContext", av.CodecContext.create(codec, "w"))  # a video codec: libx264
    ctx.width, ctx.height = size
    ctx.pix_fmt = "yuv420p"
    ctx.time_base = TIME_BASE
    ctx.framerate = fractions.Fraction(max(1, round(fps)), 1)
    ctx.gop_size = keyframe_interval(fps)
    # repeat-headers: every keyframe carries SPS/PPS, so any keyframe can start a file.
    ctx.options = {
        "preset": "veryfast",
        "tune": "zerolatency",
        "crf": str(crf),
        "x264-params": "repeat-headers=1",
    }
    ctx.open()
    return ctx


@dataclass(slots=True)
class EncodedPacket:
    data: bytes
    pts: int  # milliseconds since the recorder started
    key: bool


class Mp4Writer:
    """One fragmented MP4 file fed with already-encoded packets (timestamps rebased to 0).

    The file is opened here, not by FFmpeg, so that `close()` always closes its descriptor, also
    when the muxer fails (PyAV skips closing its own file when the header was never written).
    """

    def __init__(self, path: Path, size: tuple[int, int], fps: float, buffered: bool = True) -> None:
        import av

        self.path = path
        # Unbuffered (listen_frame's clips): each fragment reaches the file system as the muxer
        # writes it, so a writer killed with SIGKILL leaves every finished fragment behind.
        self.file = open(path, "xb", buffering=-1 if buffered else 0)  # closed in close()
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
