"""A fake `picamera2` that replays a video file through the real Picamera2 API surface.

Only the driver is faked: the agent's Picamera2Source runs unchanged against it. Real behaviours
kept: configuration dicts as `create_video_configuration` builds them, `capture_array` blocking
until the next frame at the configured FrameRate, `RGB888` arrays laid out [B, G, R], errors
when capturing before `start()` or opening a camera number that does not exist.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np

_MEDIA = Path(os.environ.get("BOBBY_MEDIA", Path(__file__).resolve().parents[4].parent / "shared" / "media"))
# Processes that opened a camera, so a test can check where capture runs.
OPENED_IN_PIDS: list[int] = []


def _media_file() -> Path:
    return Path(os.environ.get("BOBBY_FAKE_PICAMERA2_MEDIA", _MEDIA / "opencv_vtest.avi"))


class Picamera2:
    _FORMATS = {"RGB888", "BGR888", "XRGB8888", "XBGR8888"}

    def __init__(self, camera_num: int = 0, tuning=None) -> None:
        cameras = self.global_camera_info()
        if camera_num >= len(cameras):
            raise IndexError(f"camera {camera_num} not found: {len(cameras)} camera(s) attached")
        self.camera_num = camera_num
        self.camera_config: dict | None = None
        self.started = False
        self.closed = False
        self._cap: cv2.VideoCapture | None = None
        self._period = 1 / 30
        self._next = 0.0
        self.sensor_resolution = (1640, 1232)
        self.camera_properties = {"Model": "fake_imx219", "PixelArraySize": self.sensor_resolution}
        OPENED_IN_PIDS.append(os.getpid())

    @staticmethod
    def global_camera_info() -> list[dict]:
        count = int(os.environ.get("BOBBY_FAKE_PICAMERA2_CAMERAS", "1"))
        return [{"Model": "fake_imx219", "Location": 2, "Num": i, "Id": f"/fake/imx219@{i}"} for i in range(count)]

    def _configuration(self, use_case: str, main: dict | None, controls: dict | None, buffer_count: int) -> dict:
        main = {"format": "XBGR8888", "size": (640, 480), **(main or {})}
        if main["format"] not in self._FORMATS:
            raise RuntimeError(f"Format {main['format']} not supported by the fake")
        return {
            "use_case": use_case,
            "main": {**main, "size": tuple(main["size"])},
            "lores": None,
            "raw": None,
            "controls": dict(controls or {}),
            "buffer_count": buffer_count,
        }

    def create_video_configuration(self, main=None, lores=None, raw=None, controls=None, buffer_count=6, **_kw) -> dict:
        return self._configuration("video", main, controls, buffer_count)

    def create_still_configuration(self, main=None, lores=None, raw=None, controls=None, buffer_count=1, **_kw) -> dict:
        return self._configuration("still", main, controls, buffer_count)

    def create_preview_configuration(self, main=None, lores=None, raw=None, controls=None, buffer_count=4, **_kw) -> dict:
        return self._configuration("preview", main, controls, buffer_count)

    def configure(self, camera_config) -> None:
        if self.started:
            raise RuntimeError("Camera must be stopped before configuring")
        if isinstance(camera_config, str):
            camera_config = self.create_video_configuration() if camera_config == "video" else self.create_still_configuration()
        self.camera_config = camera_config
        rate = camera_config["controls"].get("FrameRate") or 30.0
        self._period = 1.0 / float(rate)

    def start(self, config=None, show_preview=False) -> None:
        if config is not None:
            self.configure(config)
        if self.camera_config is None:
            self.configure("preview")
        media = _media_file()
        self._cap = cv2.VideoCapture(str(media))
        if not self._cap.isOpened():
            raise RuntimeError(f"fake camera: cannot open media {media}")
        self.started = True
        self._next = time.monotonic()

    def _next_bgr(self) -> np.ndarray:
        for _ in range(2):
            ok, bgr = self._cap.read()
            if ok:
                return bgr
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        raise RuntimeError("fake camera: media gives no frame")

    def capture_array(self, name: str = "main") -> np.ndarray:
        if not self.started:
            raise RuntimeError("Camera not started")
        if name != "main":
            raise RuntimeError(f"Stream {name!r} is not configured")
        # A real sensor delivers frames at its rate: wait for the next one.
        now = time.monotonic()
        if self._next > now:
            time.sleep(self._next - now)
        self._next = max(self._next + self._period, time.monotonic() - self._period)
        main = self.camera_config["main"]
        bgr = cv2.resize(self._next_bgr(), tuple(main["size"]), interpolation=cv2.INTER_AREA)
        fmt = main["format"]
        if fmt == "RGB888":  # libcamera naming: [B, G, R] in memory
            return bgr
        if fmt == "BGR888":
            return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        alpha = np.full(bgr.shape[:2] + (1,), 255, np.uint8)
        px = bgr if fmt == "XRGB8888" else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        return np.concatenate([px, alpha], axis=2)

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self.started = False
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
