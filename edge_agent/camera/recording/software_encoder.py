"""`Recorder`: software H.264 (PyAV / libx264) fed with RGB frames, for any source and machine."""

from __future__ import annotations

import fractions
import time

import numpy as np

from edge_agent.camera.recording.mp4 import TIME_BASE, EncodedPacket, keyframe_interval
from edge_agent.camera.recording.recorder import PacketRecorder, RecordSettings


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
