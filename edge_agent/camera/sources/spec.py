"""A source spec (`picamera2[:N]`, `0`, `/dev/video0`, a file, a URL) to the frame source it names."""

from __future__ import annotations

import re

from edge_agent.camera.sources.base import FrameSource, SourceError
from edge_agent.camera.sources.capture import V4L2Source
from edge_agent.camera.sources.network import HttpSource, RtspSource
from edge_agent.camera.sources.pi_camera import Picamera2Source
from edge_agent.camera.sources.video_file import FileSource

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
    size: tuple[int | None, int | None] | None,
    fps: float | None,
    loop: bool = True,
    jpeg: bool = False,
    quality: int = 80,
    give_up_after: float | None = None,
) -> FrameSource:
    """The source a spec names, not opened yet (see `open_source`).

    `jpeg=True`: the caller wants JPEGs; a source that can encode on the device (picamera2) then
    gives them through `read_jpeg()` (check `gives_jpeg`), the others keep giving arrays. An
    `http(s)://` camera always gives JPEGs (its own, when they are the frames' size).
    `give_up_after`: a network stream without a frame this long raises SourceError from a read
    (a supervisor then restarts the camera; camera/hosted.py); None: it re-connects forever.
    """
    spec = str(spec).strip()
    if not spec:
        raise SourceError("source: empty; expected picamera2[:N], a device (0, /dev/video0), a file or a URL")
    kind = describe(spec)
    if kind == "picamera2":
        m = _PICAMERA_RE.match(spec)
        assert m is not None  # describe() matched it
        return Picamera2Source(size, fps, int(m.group(1) or 0), jpeg=jpeg, quality=quality)
    if kind == "v4l2":
        m = _VIDEO_DEV_RE.match(spec)
        return V4L2Source(int(m.group(1)) if m else int(spec), size, fps)
    if kind == "stream":
        # rtsp:// through PyAV (why: camera/sources/network.py); http(s):// is an MJPEG stream or
        # a snapshot URL, told apart by what it answers (Content-Type).
        if spec.lower().startswith("rtsp"):
            return RtspSource(spec, size, fps, give_up_after=give_up_after)
        return HttpSource(spec, size, fps, quality=quality, give_up_after=give_up_after)
    return FileSource(spec, size, fps, loop=loop)


def open_source(
    spec: str,
    size: tuple[int | None, int | None] | None,
    fps: float | None,
    loop: bool = True,
    jpeg: bool = False,
    quality: int = 80,
) -> FrameSource:
    """Open a source from its spec.

    - `picamera2` or `picamera2:N`: the Pi camera (number N);
    - `0`, `/dev/video0`: a V4L2 device;
    - `rtsp://…`: an RTSP stream; `http(s)://…`: an MJPEG stream or a snapshot URL (by the
      Content-Type it answers: multipart/x-mixed-replace or image/jpeg); both re-opened when
      they fail;
    - anything else: a video file (looped unless `loop=False`).
    """
    return make_source(spec, size, fps, loop, jpeg, quality).open()
