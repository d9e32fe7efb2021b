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

Modules: `spec` (`open_source`, `make_source`: a spec string to a source), `base` (the
`FrameSource` interface, its errors, pacing and resizing), `pi_camera` (picamera2), `video_file`
(files), `capture` (live OpenCV captures: V4L2 devices and RTSP/HTTP streams).

Memory (docs/performance.md, "Dumb camera memory"): OpenCV (~35 MB resident) and numpy are
imported only by the sources that use them. A dumb camera on picamera2 takes JPEGs straight
from the Pi's hardware JPEG encoder (`read_jpeg()`): no OpenCV, no array handling in Python.
"""
