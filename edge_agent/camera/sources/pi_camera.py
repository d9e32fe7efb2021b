"""The Raspberry Pi camera (picamera2 / libcamera), imported lazily in the process that captures."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from edge_agent.camera.sources.base import FrameSource, SourceError
from edge_agent.camera.sources.frame_size import frame_size, probe_size

if TYPE_CHECKING:
    import numpy as np
    from picamera2 import Picamera2  # no type information (apt's python3-picamera2): Any here

log = logging.getLogger(__name__)


def sensor_size(cam: Picamera2) -> tuple[int, int] | None:
    """The sensor's whole pixel array (w, h), as libcamera reports it; None if it does not."""
    props = getattr(cam, "camera_properties", None) or {}
    size = props.get("PixelArraySize") or getattr(cam, "sensor_resolution", None)
    if size is None:
        return None
    try:
        w, h = (int(v) for v in size)
    except (TypeError, ValueError):
        return None
    return (w, h) if w > 0 and h > 0 else None


class Picamera2Source(FrameSource):
    """The Raspberry Pi camera through picamera2 (libcamera).

    With `jpeg=True` (the dumb camera) the main stream goes to picamera2's `MJPEGEncoder`, the
    Pi's hardware JPEG block (where there is none, its software `JpegEncoder`), and `read_jpeg()`
    hands out the newest encoded frame: no OpenCV or numpy work in this process.
    """

    platform = "picamera2"

    def __init__(
        self,
        size: tuple[int | None, int | None] | None,
        fps: float | None,
        camera_num: int = 0,
        jpeg: bool = False,
        quality: int = 80,
    ) -> None:
        super().__init__(size, fps)
        self.camera_num = camera_num
        self.cam = None
        self.sensor_size: tuple[int, int] | None = None  # the sensor's pixel array, once open
        self.gives_jpeg = jpeg
        self.quality = quality
        self.encoder = None
        self._jpeg_cond = threading.Condition()
        self._jpeg: bytes | None = None
        self._jpeg_seq = 0
        self._jpeg_taken = 0

    def _open(self) -> None:
        try:
            from picamera2 import Picamera2  # lazy: only on a Pi, and in the process that captures
        except ImportError as err:
            raise SourceError(
                "source 'picamera2': the picamera2 module is not importable "
                f"({err}); on Raspberry Pi OS run `sudo apt install python3-picamera2` and make the "
                "virtual environment with --system-site-packages"
            ) from None
        try:
            cam = Picamera2(self.camera_num)
            controls = {"FrameRate": float(self.fps)} if self.fps else {}
            # The main stream at the sensor's aspect (its whole pixel array: the widest field of
            # view; a Camera Module 3 is 16:9, a v2 or an HQ camera 4:3), at the size rule's size:
            # libcamera would crop the field of view to any other aspect.
            self.sensor_size = sensor_size(cam)
            size = frame_size(self.sensor_size, self.asked) if self.sensor_size else probe_size(self.asked)
            # "RGB888" is libcamera's name for 24-bit pixels laid out [B, G, R] in memory; it is
            # the format every Pi supports for the main stream. We swap to RGB in read().
            config = cam.create_video_configuration(
                main={"size": size, "format": "RGB888"}, controls=controls
            )
            cam.configure(config)
            # What libcamera set (it may align the size): the frames' own size.
            self._set_native(tuple(cam.camera_config["main"]["size"]))
            if self.gives_jpeg:
                self._start_jpeg_encoder(cam)
            cam.start()
        except (RuntimeError, IndexError, OSError) as err:
            raise SourceError(
                f"source 'picamera2:{self.camera_num}': cannot start the camera: {err}"
            ) from None
        self.cam = cam

    def _start_jpeg_encoder(self, cam: Picamera2) -> None:
        from picamera2 import encoders
        from picamera2.outputs import Output

        source = self

        class LatestJpeg(Output):  # type: ignore[misc]  # picamera2 has no type information
            """Keeps the newest frame; the reader takes it when due (older ones are dropped)."""

            def outputframe(
                self,
                frame: bytes | memoryview,
                keyframe: bool = True,
                timestamp: int | None = None,
                packet: object = None,
                audio: bool = False,
            ) -> None:
                with source._jpeg_cond:
                    source._jpeg = bytes(frame)
                    source._jpeg_seq += 1
                    source._jpeg_cond.notify_all()

        try:
            encoder = encoders.MJPEGEncoder()  # the hardware block (Pi 4 and earlier)
        except (AttributeError, RuntimeError, OSError):
            encoder = encoders.JpegEncoder(q=self.quality)  # Pi 5: libjpeg-turbo in picamera2
        quality = getattr(encoders, "Quality", None)
        kwargs = {}
        if quality is not None:
            levels = list(quality)
            kwargs["quality"] = levels[min(len(levels) - 1, max(0, (self.quality - 1) * len(levels) // 100))]
        cam.start_encoder(encoder, LatestJpeg(), **kwargs)
        self.encoder = encoder

    def read_jpeg(self) -> bytes | None:
        if not self.gives_jpeg:
            return super().read_jpeg()
        if not self._pacer.wait():
            return None
        with self._jpeg_cond:
            self._jpeg_cond.wait_for(lambda: self._jpeg_seq > self._jpeg_taken or self._closed.is_set(), 2.0)
            if self._jpeg_seq <= self._jpeg_taken:
                self.failures += 1
                return None
            self.skipped += self._jpeg_seq - self._jpeg_taken - 1 if self._jpeg_taken else 0
            jpeg, self._jpeg_taken = self._jpeg, self._jpeg_seq
        self.frames += 1
        return jpeg

    def _read_frame(self) -> np.ndarray | None:
        import cv2

        if self.cam is None:
            raise SourceError("picamera2 source read before open()")
        try:
            bgr = self.cam.capture_array("main")
        except RuntimeError as err:
            log.warning("picamera2 capture failed: %s", err)
            return None
        if bgr.ndim == 3 and bgr.shape[2] == 4:  # XRGB8888 if a tuning forces it
            bgr = bgr[:, :, :3]
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        super().close()
        with self._jpeg_cond:
            self._jpeg_cond.notify_all()
        if self.cam is not None:
            try:
                if self.encoder is not None:
                    self.cam.stop_encoder()
                self.cam.stop()
            finally:
                self.cam.close()
                self.cam = None
