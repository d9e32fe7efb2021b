"""Fake `picamera2.encoders`: `H264Encoder` with the real constructor and Encoder surface.

The real one hands the camera's buffers to the Pi's V4L2 H.264 block (/dev/video11); this one
encodes the same frames with PyAV / libx264, so the packets are real H.264 (Annex B, SPS/PPS
repeated at keyframes when `repeat=True`, a keyframe every `iperiod` frames). As in the real
`Encoder`: `output` takes one Output or a list, `start()` starts the outputs then the encoder,
`stop()` stops the encoder then the outputs, and every encoded frame goes to
`output.outputframe(frame, keyframe, timestamp, packet, audio)` with `timestamp` in µs since the
encoder's first frame (the real `_timestamp()` rebases the sensor timestamp the same way).
"""

from __future__ import annotations

import fractions
import os
import threading
from enum import Enum


class Quality(Enum):
    VERY_LOW = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    VERY_HIGH = 4


class Encoder:
    def __init__(self) -> None:
        self._output = []
        self._running = False
        self._lock = threading.Lock()
        self.width = 0
        self.height = 0
        self.stride = 0
        self.format = None
        self.firsttimestamp = None

    @property
    def running(self) -> bool:
        return self._running

    @property
    def output(self):
        return self._output

    @output.setter
    def output(self, value) -> None:
        self._output = list(value) if isinstance(value, (list, tuple)) else [value]

    def _setup(self, quality) -> None:
        pass

    def start(self, quality=None) -> None:
        with self._lock:
            if self._running:
                raise RuntimeError("Encoder already running")
            self._setup(quality)
            self._running = True
            for out in self._output:
                out.start()
            self._start()

    def stop(self) -> None:
        with self._lock:
            if not self._running:
                raise RuntimeError("Encoder already stopped")
            self._running = False
            self._stop()
            for out in self._output:
                out.stop()

    def _start(self) -> None:
        pass

    def _stop(self) -> None:
        pass

    def outputframe(self, frame, keyframe=True, timestamp=None, packet=None, audio=False) -> None:
        for out in self._output:
            out.outputframe(frame, keyframe, timestamp, packet, audio)

    def _timestamp(self, sensor_us: int) -> int:
        if self.firsttimestamp is None:
            self.firsttimestamp = sensor_us
            return 0
        return sensor_us - self.firsttimestamp


class H264Encoder(Encoder):
    def __init__(
        self,
        bitrate=None,
        repeat=True,
        iperiod=None,
        framerate=None,
        enable_sps_framerate=False,
        qp=None,
        profile=None,
    ):
        super().__init__()
        self.bitrate = bitrate
        self.repeat = repeat
        self.iperiod = iperiod
        self.framerate = framerate
        self.qp = qp
        self.profile = profile
        self._ctx = None

    def _setup(self, quality) -> None:
        if quality is not None or (self.bitrate is None and self.qp is None):
            self.bitrate = int(
                6_000_000 * self.width * self.height * (self.framerate or 30) / (1920 * 1080 * 30)
            )

    def _start(self) -> None:
        import av

        if os.environ.get("BOBBY_FAKE_PICAMERA2_NO_ENCODER"):  # a Pi 5: no H.264 block
            raise FileNotFoundError(2, "No such file or directory", "/dev/video11")
        for out in self._output:
            out._add_stream("video", "h264", rate=self.framerate or 30)
        ctx = av.CodecContext.create("libx264", "w")
        ctx.width, ctx.height = self.width, self.height
        ctx.pix_fmt = "yuv420p"
        ctx.time_base = fractions.Fraction(1, 1_000_000)
        ctx.gop_size = self.iperiod or 60
        ctx.bit_rate = self.bitrate or 0
        params = "repeat-headers=1" if self.repeat else "repeat-headers=0"
        ctx.options = {"preset": "ultrafast", "tune": "zerolatency", "x264-params": params}
        ctx.open()
        self._ctx = ctx

    def _encode_bgr(self, bgr, sensor_us: int) -> None:
        """Called by the fake camera for every frame of the stream it encodes."""
        import av
        import numpy as np

        if not self._running or self._ctx is None:
            return
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(bgr), format="bgr24").reformat(
            format="yuv420p"
        )
        frame.pts = self._timestamp(sensor_us)
        frame.time_base = self._ctx.time_base
        for p in self._ctx.encode(frame):
            self.outputframe(bytes(p), bool(p.is_keyframe), int(p.pts))

    def _stop(self) -> None:
        if self._ctx is not None:
            for p in self._ctx.encode(None):
                self.outputframe(bytes(p), bool(p.is_keyframe), int(p.pts))
            self._ctx = None


class MJPEGEncoder(Encoder):
    """The Pi's hardware JPEG block (V4L2 M2M, /dev/video11 on a Pi 4): one JPEG per frame.

    Replayed JPEGs (BOBBY_FAKE_PICAMERA2_JPEGS) are handed out as they are; video frames are
    encoded with OpenCV, standing in for the hardware. `BOBBY_FAKE_PICAMERA2_NO_ENCODER=1` makes a
    Pi 5, which has no such block (the constructor fails as the real one's device open does).
    """

    def __init__(self, bitrate=None) -> None:
        if os.environ.get("BOBBY_FAKE_PICAMERA2_NO_ENCODER"):
            raise FileNotFoundError(2, "No such file or directory", "/dev/video11")
        super().__init__()
        self.bitrate = bitrate
        self.q = 85

    def _encode_jpeg(self, jpeg: bytes, sensor_us: int) -> None:
        if self._running:
            self.outputframe(jpeg, True, self._timestamp(sensor_us))

    def _encode_bgr(self, bgr, sensor_us: int) -> None:
        import cv2

        if not self._running:
            return
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, self.q])
        if ok:
            self.outputframe(buf.tobytes(), True, self._timestamp(sensor_us))


class JpegEncoder(MJPEGEncoder):
    """picamera2's software JPEG encoder (simplejpeg), what a Pi 5 uses."""

    def __init__(self, num_threads=4, q=None, colour_space="RGBX", colour_subsampling="420") -> None:
        Encoder.__init__(self)
        self.q = q or 85
