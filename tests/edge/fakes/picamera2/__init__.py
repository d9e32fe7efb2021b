"""A fake `picamera2` that replays a video file through the real Picamera2 API surface.

Only the driver is faked: the agent's Picamera2Source runs unchanged against it. Real behaviours
kept: configuration dicts as `create_video_configuration` builds them, a sensor that delivers
frames at the configured FrameRate whether or not anyone captures them, `capture_array` blocking
until the next frame, `RGB888` arrays laid out [B, G, R], errors when capturing before `start()`
or opening a camera number that does not exist, and `start_encoder` / `stop_encoder` feeding
every frame of the main stream to an encoder (`picamera2.encoders`, libx264 standing in for the
Pi's hardware block).

The sensor is an IMX219 (1640x1232, 4:3) unless `BOBBY_FAKE_PICAMERA2_SENSOR=WxH` names another
(4608x2592: a Camera Module 3's IMX708, 16:9); a main stream of another aspect than the sensor's
is cropped from its middle, as libcamera does, never stretched.

`BOBBY_FAKE_PICAMERA2_JPEGS=<dir>`: the sensor replays the directory's *.jpg files (made at the
configured size) instead of a video, and a JPEG encoder hands them out as the hardware JPEG block
would, so a process that only takes JPEGs loads neither OpenCV nor numpy (as on a Pi, where the
frames never pass through Python arrays); they are decoded (OpenCV, lazily) only for
`capture_array` or an H.264 encoder.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # loaded only when frames are handled as arrays (see the module doc)
    import cv2
    import numpy as np

_MEDIA = Path(os.environ.get("BOBBY_MEDIA", Path(__file__).resolve().parents[4].parent / "shared" / "media"))
# Processes that opened a camera, so a test can check where capture runs.
OPENED_IN_PIDS: list[int] = []


def _media_file() -> Path:
    return Path(os.environ.get("BOBBY_FAKE_PICAMERA2_MEDIA", _MEDIA / "opencv_vtest.avi"))


def _bgr(frame):
    """A frame as a BGR array (decoding a replayed JPEG)."""
    if not isinstance(frame, bytes):
        return frame
    import cv2
    import numpy as np

    return cv2.imdecode(np.frombuffer(frame, np.uint8), cv2.IMREAD_COLOR)


def _crop_to(bgr, size):
    """The centre of `bgr` at the aspect of `size`, as libcamera crops (ScalerCrop) the sensor's
    image to the aspect of the stream asked: a picture is cropped, never stretched. The replayed
    media stands for the scene: it is first cut to the sensor's own aspect."""
    h, w = bgr.shape[:2]
    want = size[0] / size[1]
    if abs(w / h - want) < 0.01 * want:  # a few pixels: libcamera's alignment, not a crop
        return bgr
    if w / h > want:
        cw = round(h * want)
        return bgr[:, (w - cw) // 2 : (w - cw) // 2 + cw]
    ch = round(w / want)
    return bgr[(h - ch) // 2 : (h - ch) // 2 + ch]


class Picamera2:
    _FORMATS = frozenset({"RGB888", "BGR888", "XRGB8888", "XBGR8888"})

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
        self._cond = threading.Condition()
        self._frame: np.ndarray | bytes | None = None  # the latest main-stream frame: BGR, or a JPEG
        self._jpegs: list[bytes] | None = None
        self._seq = 0
        self._taken = 0  # the seq capture_array last returned
        self._sensor: threading.Thread | None = None
        self._encoders: set = set()
        self._encoding = threading.Lock()  # a frame being encoded, or an encoder being stopped
        # BOBBY_FAKE_PICAMERA2_SENSOR=WxH: another sensor (4608x2592: a Camera Module 3, 16:9).
        sensor = os.environ.get("BOBBY_FAKE_PICAMERA2_SENSOR", "1640x1232")
        self.sensor_resolution = tuple(int(v) for v in sensor.lower().split("x"))
        self.camera_properties = {"Model": "fake_imx219", "PixelArraySize": self.sensor_resolution}
        OPENED_IN_PIDS.append(os.getpid())

    @staticmethod
    def global_camera_info() -> list[dict]:
        count = int(os.environ.get("BOBBY_FAKE_PICAMERA2_CAMERAS", "1"))
        return [
            {"Model": "fake_imx219", "Location": 2, "Num": i, "Id": f"/fake/imx219@{i}"} for i in range(count)
        ]

    def _configuration(
        self, use_case: str, main: dict | None, controls: dict | None, buffer_count: int
    ) -> dict:
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

    def create_video_configuration(
        self, main=None, lores=None, raw=None, controls=None, buffer_count=6, **_kw
    ) -> dict:
        return self._configuration("video", main, controls, buffer_count)

    def create_still_configuration(
        self, main=None, lores=None, raw=None, controls=None, buffer_count=1, **_kw
    ) -> dict:
        return self._configuration("still", main, controls, buffer_count)

    def create_preview_configuration(
        self, main=None, lores=None, raw=None, controls=None, buffer_count=4, **_kw
    ) -> dict:
        return self._configuration("preview", main, controls, buffer_count)

    def configure(self, camera_config) -> None:
        if self.started:
            raise RuntimeError("Camera must be stopped before configuring")
        if isinstance(camera_config, str):
            camera_config = (
                self.create_video_configuration()
                if camera_config == "video"
                else self.create_still_configuration()
            )
        self.camera_config = camera_config
        rate = camera_config["controls"].get("FrameRate") or 30.0
        self._period = 1.0 / float(rate)

    def start(self, config=None, show_preview=False) -> None:
        if config is not None:
            self.configure(config)
        if self.camera_config is None:
            self.configure("preview")
        jpeg_dir = os.environ.get("BOBBY_FAKE_PICAMERA2_JPEGS")
        if jpeg_dir:
            self._jpegs = [f.read_bytes() for f in sorted(Path(jpeg_dir).glob("*.jpg"))]
            if not self._jpegs:
                raise RuntimeError(f"fake camera: no *.jpg in {jpeg_dir}")
        else:
            import cv2

            media = _media_file()
            self._cap = cv2.VideoCapture(str(media))
            if not self._cap.isOpened():
                raise RuntimeError(f"fake camera: cannot open media {media}")
        self.started = True
        self._sensor = threading.Thread(target=self._sensor_loop, name="fake-sensor", daemon=True)
        self._sensor.start()

    def _next_bgr(self) -> np.ndarray:
        import cv2

        for _ in range(2):
            ok, bgr = self._cap.read()
            if ok:
                return bgr
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        raise RuntimeError("fake camera: media gives no frame")

    def _sensor_loop(self) -> None:
        """Frames at the configured rate, as libcamera completes requests, captured or not.

        A sensor keeps its cadence: a frame whose slot passed while we were busy is dropped, never
        sent late in a burst; its SensorTimestamp is the slot's time (CLOCK_MONOTONIC).
        """
        due = time.monotonic()
        size = tuple(self.camera_config["main"]["size"])
        while self.started:
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            elif now - due > self._period:
                due += (now - due) // self._period * self._period  # slots missed: dropped
            slot, due = due, due + self._period
            if not self.started:
                break
            if self._jpegs is not None:
                frame = self._jpegs[self._seq % len(self._jpegs)]
            else:
                import cv2

                frame = cv2.resize(
                    _crop_to(_crop_to(self._next_bgr(), self.sensor_resolution), size),
                    size,
                    interpolation=cv2.INTER_AREA,
                )
            sensor_us = int(slot * 1e6)
            with self._cond:
                self._frame, self._seq = frame, self._seq + 1
                self._cond.notify_all()
            with self._encoding:
                for encoder in list(self._encoders):
                    if hasattr(encoder, "_encode_jpeg") and isinstance(frame, bytes):
                        encoder._encode_jpeg(frame, sensor_us)  # the JPEG block's output
                    else:
                        encoder._encode_bgr(_bgr(frame), sensor_us)

    def capture_array(self, name: str = "main") -> np.ndarray:
        if not self.started:
            raise RuntimeError("Camera not started")
        if name != "main":
            raise RuntimeError(f"Stream {name!r} is not configured")
        with self._cond:  # the next frame the sensor completes
            if (
                not self._cond.wait_for(lambda: self._seq > self._taken or not self.started, timeout=5.0)
                or not self.started
            ):
                raise RuntimeError("Camera frontend has timed out!")
            bgr, self._taken = _bgr(self._frame), self._seq
        import cv2
        import numpy as np

        fmt = self.camera_config["main"]["format"]
        if fmt == "RGB888":  # libcamera naming: [B, G, R] in memory
            return bgr
        if fmt == "BGR888":
            return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        alpha = np.full((*bgr.shape[:2], 1), 255, np.uint8)
        px = bgr if fmt == "XRGB8888" else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        return np.concatenate([px, alpha], axis=2)

    def start_encoder(self, encoder=None, output=None, pts=None, quality=None, name=None) -> None:
        if self.camera_config is None:
            raise RuntimeError("Camera must be configured before starting an encoder")
        if output is not None:
            encoder.output = output
        stream = self.camera_config[name or "main"]
        encoder.width, encoder.height = stream["size"]
        encoder.stride = encoder.width * 3
        encoder.format = stream["format"]
        encoder.start(quality=quality)
        self._encoders.add(encoder)

    def stop_encoder(self, encoders=None) -> None:
        chosen = (
            set(self._encoders)
            if encoders is None
            else ({encoders} if not isinstance(encoders, (list, set, tuple)) else set(encoders))
        )
        with self._encoding:  # the frame in flight is encoded first, as on the real camera
            for encoder in chosen:
                self._encoders.discard(encoder)
                encoder.stop()

    def stop(self) -> None:
        self.started = False
        with self._cond:
            self._cond.notify_all()
        if self._sensor is not None and self._sensor is not threading.current_thread():
            self._sensor.join(timeout=5)
        self._sensor = None

    def close(self) -> None:
        self.stop()
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
