"""Live OpenCV captures: V4L2 devices and RTSP/HTTP streams, read by a background grabber."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from edge_agent.camera.sources.base import FrameSource, SourceError
from edge_agent.camera.sources.frame_size import probe_size

if TYPE_CHECKING:
    import cv2
    import numpy as np

log = logging.getLogger(__name__)


class CaptureSource(FrameSource):
    """A live OpenCV capture (V4L2 device or RTSP/HTTP URL) read by a background grabber.

    The grabber thread owns the capture: it `grab()`s continuously, so the driver's and FFmpeg's
    buffers never hold stale frames, and decodes (`retrieve()`) only the frame after a reader asked
    for one, so a 25 fps stream read at 2 fps costs 2 conversions a second. Only that thread
    touches the capture (OpenCV captures are not thread-safe). When the stream fails it is
    re-opened with backoff (1 s doubling up to 30 s).
    """

    READ_TIMEOUT = 2.0  # a reader waits this long for a frame before getting None
    STREAM_TIMEOUT_MS = 5000  # FFmpeg gives up opening or reading a dead stream after this

    def __init__(
        self,
        target: int | str,
        size: tuple[int | None, int | None] | None,
        fps: float | None,
        api: int,
        name: str,
    ) -> None:
        super().__init__(size, fps)
        self.target = target
        self.api = api
        self.name = name
        self.cap: cv2.VideoCapture | None = None
        self._cond = threading.Condition()
        self._wanted = False
        self._frame: np.ndarray | None = None
        self._thread: threading.Thread | None = None

    def _open_capture(self) -> cv2.VideoCapture | None:
        import cv2

        params = []
        if self.api == cv2.CAP_FFMPEG:
            # Without these a stalled network stream blocks grab() for minutes.
            params = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                self.STREAM_TIMEOUT_MS,
                cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                self.STREAM_TIMEOUT_MS,
            ]
        cap = cv2.VideoCapture(self.target, self.api, params)
        if not cap.isOpened():
            cap.release()
            return None
        self._configure(cap)
        return cap

    def _configure(self, cap: cv2.VideoCapture) -> None:
        """Ask the device for the size and rate we want; drivers may round to what they have."""

    def _open(self) -> None:
        import cv2

        cap = self._open_capture()
        if cap is None:
            raise SourceError(f"source {self.name!r}: OpenCV cannot open it")
        self.cap = cap
        # What the driver or FFmpeg says it gives (a webcam's mode, the stream's coded size);
        # where it says nothing, FrameSource.open() learns it from the first frame.
        self._set_native((cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self._thread = threading.Thread(target=self._grab_loop, name=f"grab-{self.name}", daemon=True)
        self._thread.start()

    def _grab_loop(self) -> None:
        backoff = 1.0
        try:
            while not self._closed.is_set():
                if self.cap is None:
                    if self._closed.wait(backoff):
                        return
                    self.cap = self._open_capture()
                    if self.cap is None:
                        backoff = min(backoff * 2, 30.0)
                        log.warning("source %s still unavailable; retrying in %.0f s", self.name, backoff)
                        continue
                    log.info("source %s re-opened", self.name)
                    self.reconnects += 1
                    backoff = 1.0
                if not self.cap.grab():
                    log.warning("source %s stopped giving frames; re-opening", self.name)
                    self.cap.release()
                    self.cap = None
                    continue
                if self._wanted:
                    ok, bgr = self.cap.retrieve()
                    if not ok or bgr is None:
                        self.skipped += 1
                        continue  # try the next frame for the waiting reader
                    with self._cond:
                        self._frame = bgr
                        self._wanted = False
                        self._cond.notify_all()
        finally:
            if self.cap is not None:
                self.cap.release()
                self.cap = None

    def _read_frame(self) -> np.ndarray | None:
        with self._cond:
            self._frame = None
            self._wanted = True
            self._cond.wait_for(
                lambda: self._frame is not None or self._closed.is_set(), timeout=self.READ_TIMEOUT
            )
            bgr, self._frame, self._wanted = self._frame, None, False
        if bgr is None:
            return None
        import cv2

        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        super().close()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            # The grabber releases the capture itself when it sees `closed`; a grab blocked on a
            # dead network stream ends at FFmpeg's timeout.
            self._thread.join(timeout=self.STREAM_TIMEOUT_MS / 1000 + 2)
            if self._thread.is_alive():
                log.warning("source %s: the grabber did not stop in time", self.name)


class V4L2Source(CaptureSource):
    platform = "v4l2"

    def __init__(self, index: int, size: tuple[int | None, int | None] | None, fps: float | None) -> None:
        import cv2

        super().__init__(index, size, fps, cv2.CAP_V4L2, f"/dev/video{index}")

    def _open(self) -> None:
        if not Path(self.name).exists():
            raise SourceError(f"source {self.name!r}: no such device (is the webcam plugged in?)")
        super()._open()

    def _configure(self, cap: cv2.VideoCapture) -> None:
        import cv2

        # MJPG lets USB 2 webcams deliver 640x480 and more at full rate.
        # cv2's stubs have only VideoWriter.fourcc; VideoWriter_fourcc is in every OpenCV 4
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))  # type: ignore[attr-defined]
        # The size asked (640x480 when none is: frame_size.probe_size); the driver sets its
        # nearest mode, whose aspect the frames then keep (_open reads it back).
        width, height = probe_size(self.asked)
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if self.fps:
            cap.set(cv2.CAP_PROP_FPS, float(self.fps))
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)


class StreamSource(CaptureSource):
    """rtsp://, http(s):// (MJPEG or anything FFmpeg reads) through OpenCV's FFmpeg backend."""

    def __init__(self, url: str, size: tuple[int | None, int | None] | None, fps: float | None) -> None:
        import cv2

        super().__init__(url, size, fps, cv2.CAP_FFMPEG, redact_url(url))
        self.platform = url.split("://", 1)[0].lower() if "://" in url else "stream"


def redact_url(url: str) -> str:
    """rtsp://user:pass@host/... -> rtsp://user:***@host/... for logs and announce."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)
