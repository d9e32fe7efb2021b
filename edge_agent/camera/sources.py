"""Frame sources behind one interface: picamera2, V4L2 webcams, video files, RTSP/HTTP streams.

Every source hands out RGB uint8 arrays of the configured size, paced to the configured rate:

    with open_source("picamera2", (640, 480), fps=2) as src:
        rgb = src.read()          # None when no frame is available right now

Why OpenCV (and not PyAV) for V4L2, files and streams: OpenCV is already a dependency of the
detector (libjpeg-turbo decode), its `VideoCapture` is one API for V4L2 devices, files and
RTSP/HTTP (through its bundled FFmpeg), and the headless wheels exist for arm64 and x86-64.
PyAV would add a second large FFmpeg binding for no capture feature we need. picamera2 is
separate because the Pi camera stack (libcamera) is only reachable through it; it is imported
lazily, inside the process that opens the camera, because libcamera objects cannot cross a fork.

Memory (docs/performance.md, "Dumb camera memory"): OpenCV (~35 MB resident) and numpy are
imported only by the sources that use them. A dumb camera on picamera2 takes JPEGs straight
from the Pi's hardware JPEG encoder (`read_jpeg()`): no OpenCV, no array handling in Python.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: a picamera2 camera sending JPEGs never loads them
    import cv2
    import numpy as np

log = logging.getLogger(__name__)


class SourceError(RuntimeError):
    """A source that cannot be opened or has nothing to give; the message says which and why."""


class EndOfStream(SourceError):
    """A video file played to its end with looping off."""


class Pacer:
    """Hands out deadlines `1/fps` apart; after a stall it restarts from now (no burst to catch up)."""

    def __init__(self, fps: float | None, stop: threading.Event) -> None:
        self.period = 1.0 / fps if fps and fps > 0 else 0.0
        self.stop = stop
        self.next_due = 0.0

    def wait(self) -> bool:
        """Sleep until the next frame is due; False when the source was closed meanwhile."""
        if self.period <= 0:
            return not self.stop.is_set()
        now = time.monotonic()
        if self.next_due > now:
            if self.stop.wait(self.next_due - now):
                return False
            now = self.next_due
        self.next_due = max(self.next_due + self.period, now) if self.next_due else now + self.period
        return not self.stop.is_set()


def to_size(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    w, h = size
    if rgb.shape[1] == w and rgb.shape[0] == h:
        return rgb
    shrinking = rgb.shape[1] > w or rgb.shape[0] > h
    return cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


class FrameSource(ABC):
    """open() / read() -> RGB ndarray (h, w, 3) at `size`, or None / close(); a context manager.

    `read()` blocks until the next frame is due at `fps`. Counters: `frames` handed out,
    `skipped` (frames the driver gave us that did not decode), `failures` (reads that gave nothing),
    `reconnects` (streams re-opened).
    """

    platform = "unknown"  # reported in the camera's announce
    gives_jpeg = False  # read_jpeg() hands out encoded frames (no array, no encoder in Python)

    def __init__(self, size: tuple[int, int], fps: float | None) -> None:
        self.size = (int(size[0]), int(size[1]))
        self.fps = fps
        self._closed = threading.Event()
        self._pacer = Pacer(fps, self._closed)
        self.frames = 0
        self.skipped = 0
        self.failures = 0
        self.reconnects = 0
        self._opened = False

    def open(self) -> FrameSource:
        """Open the device, file or stream; a no-op when already open (`with open_source(…)`)."""
        if not self._opened:
            self._open()
            self._opened = True
        return self

    @abstractmethod
    def _open(self) -> None: ...

    @abstractmethod
    def _read_frame(self) -> np.ndarray | None:
        """One RGB frame of any size, or None."""

    def read(self) -> np.ndarray | None:
        if not self._pacer.wait():
            return None
        rgb = self._read_frame()
        if rgb is None:
            self.failures += 1
            return None
        self.frames += 1
        return to_size(rgb, self.size)

    def read_jpeg(self) -> bytes | None:
        """The next frame as JPEG, from the device's encoder; only where `gives_jpeg`."""
        raise NotImplementedError(f"{type(self).__name__} gives arrays, not JPEGs")

    def close(self) -> None:
        self._closed.set()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def stats(self) -> dict[str, int]:
        return {
            "frames": self.frames,
            "skipped": self.skipped,
            "failures": self.failures,
            "reconnects": self.reconnects,
        }

    def __enter__(self) -> FrameSource:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()


class Picamera2Source(FrameSource):
    """The Raspberry Pi camera through picamera2 (libcamera).

    With `jpeg=True` (the dumb camera) the main stream goes to picamera2's `MJPEGEncoder`, the
    Pi's hardware JPEG block (where there is none, its software `JpegEncoder`), and `read_jpeg()`
    hands out the newest encoded frame: no OpenCV or numpy work in this process.
    """

    platform = "picamera2"

    def __init__(
        self,
        size: tuple[int, int],
        fps: float | None,
        camera_num: int = 0,
        jpeg: bool = False,
        quality: int = 80,
    ) -> None:
        super().__init__(size, fps)
        self.camera_num = camera_num
        self.cam = None
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
            # "RGB888" is libcamera's name for 24-bit pixels laid out [B, G, R] in memory; it is
            # the format every Pi supports for the main stream. We swap to RGB in read().
            config = cam.create_video_configuration(
                main={"size": self.size, "format": "RGB888"}, controls=controls
            )
            cam.configure(config)
            if self.gives_jpeg:
                self._start_jpeg_encoder(cam)
            cam.start()
        except (RuntimeError, IndexError, OSError) as err:
            raise SourceError(
                f"source 'picamera2:{self.camera_num}': cannot start the camera: {err}"
            ) from None
        self.cam = cam

    def _start_jpeg_encoder(self, cam) -> None:
        from picamera2 import encoders
        from picamera2.outputs import Output

        source = self

        class LatestJpeg(Output):
            """Keeps the newest frame; the reader takes it when due (older ones are dropped)."""

            def outputframe(self, frame, keyframe=True, timestamp=None, packet=None, audio=False) -> None:
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


class FileSource(FrameSource):
    """A video file, paced to the requested rate (or the file's own), looping by default.

    Frames that do not decode are skipped and counted; a long run of them is taken as the end of
    the file (some AVIs, like OpenCV's `tree.avi`, stop decoding long before their frame count).
    """

    platform = "file"
    MAX_CONSECUTIVE_FAILURES = 25

    def __init__(self, path: str | Path, size: tuple[int, int], fps: float | None, loop: bool = True) -> None:
        self.path = Path(path)
        self.loop = loop
        self.cap: cv2.VideoCapture | None = None
        self.file_fps: float | None = None
        self.rewinds = 0
        self.frame_count = 0
        self._decoded_this_pass = 0
        super().__init__(size, fps)

    def _open(self) -> None:
        import cv2

        if not self.path.is_file():
            raise SourceError(f"source {str(self.path)!r}: no such file")
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            raise SourceError(f"source {str(self.path)!r}: OpenCV cannot open it as a video")
        self.cap = cap
        self.frame_count = max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
        self._decoded_this_pass = 0
        file_fps = cap.get(cv2.CAP_PROP_FPS)
        self.file_fps = file_fps if file_fps and 0 < file_fps < 240 else None
        if not self.fps:  # no rate asked: play at the file's own
            self._pacer = Pacer(self.file_fps or 10.0, self._closed)

    def _rewind(self) -> None:
        import cv2

        assert self.cap is not None
        self.rewinds += 1
        if not self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
            self.cap.release()
            self.cap = cv2.VideoCapture(str(self.path))

    def _read_frame(self) -> np.ndarray | None:
        import cv2

        if self.cap is None:
            raise SourceError("file source read before open()")
        failures = 0
        rewound_empty = False
        while not self._closed.is_set():
            ok, bgr = self.cap.read()
            if ok and bgr is not None:
                self._decoded_this_pass += 1
                return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            failures += 1
            at_end = self.frame_count and self.cap.get(cv2.CAP_PROP_POS_FRAMES) >= self.frame_count
            if not at_end and failures < self.MAX_CONSECUTIVE_FAILURES:
                continue
            # The end of the file, or a tail that never decodes: count what was not played.
            missing = self.frame_count - self._decoded_this_pass if self.frame_count else failures
            self.skipped += max(0, missing)
            if not self.loop:
                raise EndOfStream(f"source {str(self.path)!r}: end of file")
            if rewound_empty or self._decoded_this_pass == 0:
                raise SourceError(f"source {str(self.path)!r}: no frame decodes")
            self._rewind()
            self._decoded_this_pass = 0
            rewound_empty = True
            failures = 0
        return None

    def close(self) -> None:
        super().close()
        if self.cap is not None:
            self.cap.release()
            self.cap = None


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
        self, target: int | str, size: tuple[int, int], fps: float | None, api: int, name: str
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
        cap = self._open_capture()
        if cap is None:
            raise SourceError(f"source {self.name!r}: OpenCV cannot open it")
        self.cap = cap
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

    def __init__(self, index: int, size: tuple[int, int], fps: float | None) -> None:
        import cv2

        super().__init__(index, size, fps, cv2.CAP_V4L2, f"/dev/video{index}")

    def _open(self) -> None:
        if not Path(self.name).exists():
            raise SourceError(f"source {self.name!r}: no such device (is the webcam plugged in?)")
        super()._open()

    def _configure(self, cap: cv2.VideoCapture) -> None:
        import cv2

        # MJPG lets USB 2 webcams deliver 640x480 and more at full rate.
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        if self.fps:
            cap.set(cv2.CAP_PROP_FPS, float(self.fps))
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)


class StreamSource(CaptureSource):
    """rtsp://, http(s):// (MJPEG or anything FFmpeg reads) through OpenCV's FFmpeg backend."""

    def __init__(self, url: str, size: tuple[int, int], fps: float | None) -> None:
        import cv2

        super().__init__(url, size, fps, cv2.CAP_FFMPEG, redact_url(url))
        self.platform = url.split("://", 1)[0].lower() if "://" in url else "stream"


def redact_url(url: str) -> str:
    """rtsp://user:pass@host/... -> rtsp://user:***@host/... for logs and announce."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


_PICAMERA_RE = re.compile(r"^picamera2(?::(\d+))?$")
_VIDEO_DEV_RE = re.compile(r"^/dev/video(\d+)$")


def describe(spec: str) -> str:
    """The kind of source a spec names: picamera2, v4l2, file or stream (no I/O)."""
    spec = str(spec).strip()
    if _PICAMERA_RE.match(spec):
        return "picamera2"
    if spec.isdigit() or _VIDEO_DEV_RE.match(spec):
        return "v4l2"
    if re.match(r"^(rtsp|rtsps|http|https)://", spec, re.I):
        return "stream"
    return "file"


def make_source(
    spec: str,
    size: tuple[int, int],
    fps: float | None,
    loop: bool = True,
    jpeg: bool = False,
    quality: int = 80,
) -> FrameSource:
    """The source a spec names, not opened yet (see `open_source`).

    `jpeg=True`: the caller wants JPEGs; a source that can encode on the device (picamera2) then
    gives them through `read_jpeg()` (check `gives_jpeg`), the others keep giving arrays.
    """
    spec = str(spec).strip()
    if not spec:
        raise SourceError("source: empty; expected picamera2[:N], a device (0, /dev/video0), a file or a URL")
    kind = describe(spec)
    if kind == "picamera2":
        m = _PICAMERA_RE.match(spec)
        return Picamera2Source(size, fps, int(m.group(1) or 0), jpeg=jpeg, quality=quality)
    if kind == "v4l2":
        m = _VIDEO_DEV_RE.match(spec)
        return V4L2Source(int(m.group(1)) if m else int(spec), size, fps)
    if kind == "stream":
        return StreamSource(spec, size, fps)
    return FileSource(spec, size, fps, loop=loop)


def open_source(
    spec: str,
    size: tuple[int, int],
    fps: float | None,
    loop: bool = True,
    jpeg: bool = False,
    quality: int = 80,
) -> FrameSource:
    """Open a source from its spec.

    - `picamera2` or `picamera2:N`: the Pi camera (number N);
    - `0`, `/dev/video0`: a V4L2 device;
    - `rtsp://…`, `http://…`: a network stream (re-opened when it fails);
    - anything else: a video file (looped unless `loop=False`).
    """
    return make_source(spec, size, fps, loop, jpeg, quality).open()
