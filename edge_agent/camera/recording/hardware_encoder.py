"""`PicameraRecorder`: the Pi's hardware H.264 encoder (picamera2) feeding `PacketRecorder`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from edge_agent.camera.recording.mp4 import EncodedPacket, keyframe_interval
from edge_agent.camera.recording.recorder import ClipReport, PacketRecorder, RecordSettings

if TYPE_CHECKING:
    from picamera2 import Picamera2  # no type information (apt's python3-picamera2): Any here

log = logging.getLogger(__name__)


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
        self,
        settings: RecordSettings,
        picam2: Picamera2,
        on_clip: Callable[[ClipReport], None] | None = None,
        on_chunk: Callable[[str, float, float], None] | None = None,
        bitrate: int | None = None,
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

        class PacketTap(Output):  # type: ignore[misc]  # picamera2 has no type information
            """Every encoded frame to the recorder (timestamp: µs since the encoder's first frame)."""

            def outputframe(
                self,
                frame: bytes | memoryview,
                keyframe: bool = True,
                timestamp: int | None = None,
                packet: object = None,
                audio: bool = False,
            ) -> None:
                if not audio:
                    recorder._on_encoded(frame, keyframe, timestamp)

        # repeat: SPS/PPS at every keyframe, so any keyframe can start a file; iperiod: a keyframe
        # a second, the cut points of chunks and clips.
        encoder = H264Encoder(bitrate=self.bitrate, repeat=True, iperiod=keyframe_interval(self.s.fps))
        self.picam2.start_encoder(encoder, PacketTap())
        self.encoder = encoder

    def _on_encoded(self, frame: bytes | memoryview, keyframe: bool, timestamp: int | None) -> None:
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
