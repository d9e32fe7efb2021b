# Every call into the camera driver lives in this file, so that another driver is a change here only.
#
# Driver: the `camera` module of lemariva/micropython-camera-driver, built into that project's
# MicroPython firmware for the ESP32 (board ESP32_CAM, e.g. micropython_v1.21.0_camera_no_ble.bin).
# Sensor: OV2640 (AI-Thinker ESP32-CAM and most clones), JPEG output, frame buffer in PSRAM.
# Its API: camera.init(0, format=, framesize=, quality=, fb_location=, <pins>) -> True or OSError,
# camera.deinit(), camera.capture() -> bytes (False when no frame came), camera.quality(q).

try:
    import camera
except ImportError:  # a MicroPython build without the camera module: main() says so and stops
    camera = None

# What the OV2640 delivers: name -> (width, height). The driver's constant is FRAME_<name>.
FRAMESIZES = {
    "96X96": (96, 96),
    "QQVGA": (160, 120),
    "QCIF": (176, 144),
    "HQVGA": (240, 176),
    "240X240": (240, 240),
    "QVGA": (320, 240),
    "CIF": (400, 296),
    "HVGA": (480, 320),
    "VGA": (640, 480),
    "SVGA": (800, 600),
    "XGA": (1024, 768),
    "HD": (1280, 720),
    "SXGA": (1280, 1024),
    "UXGA": (1600, 1200),
}
# JPEG quality: lower is better; below 10 the OV2640 overflows its buffer on busy scenes.
QUALITY_MIN = 10
QUALITY_MAX = 63
# Keyword arguments of camera.init() that set pins (for boards other than the AI-Thinker one).
PIN_KEYS = (
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
)
MISSING_MODULE = (
    "this MicroPython build has no 'camera' module: flash the ESP32_CAM firmware "
    "of lemariva/micropython-camera-driver (see esp_firmware/README.md)"
)


class CameraError(Exception):
    pass


def available():
    return camera is not None


def init(framesize, quality, pins=None):
    """(Re-)initialise the camera; raises CameraError when it does not come up."""
    if camera is None:
        raise CameraError(MISSING_MODULE)
    # A soft reset leaves the sensor initialised, and init() then fails: always deinit first.
    deinit()
    kw = {}
    if pins:
        kw.update(pins)
    kw["format"] = camera.JPEG
    kw["framesize"] = getattr(camera, "FRAME_" + framesize)
    kw["quality"] = quality
    kw["fb_location"] = camera.PSRAM
    try:
        ok = camera.init(0, **kw)
    except (OSError, ValueError) as e:
        raise CameraError("camera init failed: %r" % (e,))
    if not ok:
        raise CameraError("camera init failed")


def deinit():
    if camera is None:
        return
    try:
        camera.deinit()
    except OSError:
        pass


def set_quality(quality):
    camera.quality(quality)


def capture():
    """One JPEG frame as bytes; raises CameraError when the driver gives none."""
    try:
        buf = camera.capture()
    except OSError as e:
        raise CameraError("capture failed: %r" % (e,))
    if not buf:
        raise CameraError("capture failed: no frame")
    return buf
