"""`Recorder`: software H.264 (PyAV / libx264) fed with RGB frames, for any source and machine."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from edge_agent.camera.recording.mp4 import TIME_BASE, EncodedPacket, open_encoder
from edge_agent.camera.recording.recorder import ClipReport, PacketRecorder, RecordSettings

if TYPE_CHECKING:
    from av.packet import Packet
    from av.video.codeccontext import VideoCodecContext
    from av.video.stream import VideoStream


def _encoded(p: Packet[VideoStream]) -> EncodedPacket:
    """PyAV's packet as ours (an encoder's packets have a pts: int(None) would raise as well)."""
    if p.pts is None:
        raise TypeError("an encoded packet without a pts")
    return EncodedPacket(bytes(p), p.pts, bool(p.is_keyframe))


class Recorder(PacketRecorder):
    """Software encoding (PyAV / libx264): feed it RGB frames with their capture time."""

    encoder_name = "libx264"
    wants_frames = True

    def __init__(
        self,
        settings: RecordSettings,
        on_clip: Callable[[ClipReport], None] | None = None,
        on_chunk: Callable[[str, float, float], None] | None = None,
    ) -> None:
        super().__init__(settings, on_clip=on_clip, on_chunk=on_chunk)
        self.encoder: VideoCodecContext | None = None

    def _open_encoder(self) -> None:
        self.encoder = open_encoder(self.s.codec, self.s.size, self.s.fps, self.s.crf)

    def _encode(self, rgb: np.ndarray, t: float) -> list[EncodedPacket]:
        import av

        if self.encoder is None:
            self._open_encoder()
            self.t0 = t
        assert self.encoder is not None and self.t0 is not None  # opened above
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(
            format="yuv420p"
        )
        frame.pts = round((t - self.t0) * 1000)
        frame.time_base = TIME_BASE
        return [_encoded(p) for p in self.encoder.encode(frame)]

    def add_frame(self, rgb: np.ndarray, t: float) -> None:
        try:
            packets = self._encode(rgb, t)
        except Exception as err:  # a frame the encoder refuses must not stop detection
            self.bad.warning("encode", "recording: frame not encoded: %s", err)
            return
        self.counters["frames"] += 1
        assert self.t0 is not None  # set with the encoder by _encode
        for pkt in packets:
            self._route(pkt, self.t0 + pkt.pts / 1000.0)

    def close(self, t: float | None = None) -> None:
        t = time.time() if t is None else t
        if self.encoder is not None:
            try:
                assert self.t0 is not None  # set with the encoder
                for p in self.encoder.encode(None):
                    pkt = _encoded(p)
                    self._route(pkt, self.t0 + pkt.pts / 1000.0)
            except Exception as err:
                self.bad.warning("encode", "recording: flushing the encoder failed: %s", err)
            self.encoder = None
        self._finish(t)
