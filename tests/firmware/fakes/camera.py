"""lemariva/micropython-camera-driver's `camera` module, for the host tests.

Same functions, constants and failure behaviour as the C module (init() raises OSError "Camera
Init Failed", also when called twice without deinit(); capture() returns False when the driver
has no frame). The frames are real JPEGs: video frames from ../shared/media, resized to the frame
size and encoded at the quality the firmware set. The source directory is set by the tests
(`_reset_fakes(source)`, or BOBBY_FAKE_CAMERA_SOURCE for a firmware run in a subprocess).
"""

import os
import threading
import time
from pathlib import Path

JPEG = 4
YUV422 = 1
GRAYSCALE = 3
RGB565 = 0
PSRAM = 0
DRAM = 1
XCLK_10MHz = 10000000
XCLK_20MHz = 20000000

_SIZES = [
    ("96X96", 96, 96),
    ("QQVGA", 160, 120),
    ("QCIF", 176, 144),
    ("HQVGA", 240, 176),
    ("240X240", 240, 240),
    ("QVGA", 320, 240),
    ("CIF", 400, 296),
    ("HVGA", 480, 320),
    ("VGA", 640, 480),
    ("SVGA", 800, 600),
    ("XGA", 1024, 768),
    ("HD", 1280, 720),
    ("SXGA", 1280, 1024),
    ("UXGA", 1600, 1200),
]
RESOLUTIONS = {}
for _i, (_name, _w, _h) in enumerate(_SIZES):
    globals()["FRAME_" + _name] = _i
    RESOLUTIONS[_i] = (_w, _h)

_INIT_KEYS = {
    "format",
    "framesize",
    "quality",
    "d0",
    "d1",
    "d2",
    "d3",
    "d4",
    "d5",
    "d6",
    "d7",
    "vsync",
    "href",
    "pclk",
    "pwdn",
    "reset",
    "xclk",
    "siod",
    "sioc",
    "xclk_freq",
    "fb_size",
    "fb_location",
}


class _State:
    def __init__(self, source=None):
        self.source = Path(source) if source else None
        self.initialised = False
        self.init_kwargs = None
        self.framesize = FRAME_VGA  # noqa: F821 (set above through globals())
        self.quality = 12
        self.inits = 0
        self.failed_inits = 0
        self.deinits = 0
        self.captures = 0
        self.captured_at = None  # a test sets a list: time.monotonic() of each frame delivered
        self.failed_captures = 0
        self.fail_inits = 0  # the next n init() calls fail
        self.fail_captures = 0  # the next n capture() calls return False
        self._frames = None
        self._cache = {}
        self._next = 0
        self.lock = threading.Lock()

    def frames(self):
        if self._frames is None:
            import cv2

            files = sorted(self.source.glob("*.jpg")) if self.source else []
            if not files:
                raise RuntimeError(f"fake camera: no frames in {self.source}")
            self._frames = [cv2.imread(str(f)) for f in files]
        return self._frames

    def jpeg(self):
        import cv2

        frames = self.frames()
        i = self._next % len(frames)
        self._next += 1
        key = (i, self.framesize, self.quality)
        if key not in self._cache:
            w, h = RESOLUTIONS[self.framesize]
            # The OV2640's quality runs 10 (best) .. 63; OpenCV's 100 (best) .. 0.
            q = max(5, min(95, int(100 - (self.quality - 4) * 90 / 59)))
            _ok, buf = cv2.imencode(
                ".jpg",
                cv2.resize(frames[i], (w, h), interpolation=cv2.INTER_AREA),
                [cv2.IMWRITE_JPEG_QUALITY, q],
            )
            self._cache[key] = buf.tobytes()
        # A new bytes object per frame, as the driver copies its frame buffer each time.
        return bytes(bytearray(self._cache[key]))


state = _State(os.environ.get("BOBBY_FAKE_CAMERA_SOURCE"))


def init(id=0, **kw):
    unknown = set(kw) - _INIT_KEYS
    if unknown:
        raise TypeError(f"unexpected keyword argument {sorted(unknown)[0]!r}")
    with state.lock:
        if state.initialised or state.fail_inits > 0:
            state.fail_inits = max(0, state.fail_inits - 1)
            state.failed_inits += 1
            raise OSError("Camera Init Failed")
        if kw.get("format", JPEG) != JPEG:
            raise ValueError("this fake delivers JPEG only")
        if kw.get("framesize", FRAME_VGA) not in RESOLUTIONS:  # noqa: F821
            raise ValueError("Image framesize is not valid")
        state.initialised = True
        state.init_kwargs = dict(kw)
        state.framesize = kw.get("framesize", FRAME_VGA)  # noqa: F821
        state.quality = kw.get("quality", 12)
        state.inits += 1
        return True


def deinit():
    with state.lock:
        was = state.initialised
        state.initialised = False
        if was:
            state.deinits += 1
        return was


def capture():
    with state.lock:
        if not state.initialised:
            return False
        if state.fail_captures > 0:
            state.fail_captures -= 1
            state.failed_captures += 1
            return False
        state.captures += 1
        if state.captured_at is not None:
            state.captured_at.append(time.monotonic())
        return state.jpeg()


def framesize(size):
    if size not in RESOLUTIONS:
        raise ValueError("Image framesize is not valid")
    state.framesize = size


def quality(q):
    state.quality = int(q)


def flip(direction):
    pass


def mirror(direction):
    pass


def _reset_fakes(source=None):
    global state
    state = _State(source)
