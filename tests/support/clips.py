"""Real files of a visit as the services write them (docs/mqtt.md "events"): an H.264 MP4 made
with PyAV and a JPEG, for the integration's tests and the end-to-end suite."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def make_mp4(path: Path, *, frames: int = 8, fps: int = 4, size: tuple[int, int] = (64, 48)) -> bytes:
    """Write a playable H.264 MP4 of `frames` frames (a grey ramp) to `path`; returns its bytes."""
    width, height = size
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            pixels = np.full((height, width, 3), (i * 255) // max(1, frames - 1), np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    data = out.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def make_jpeg(path: Path, *, size: tuple[int, int] = (64, 48), level: int = 128) -> bytes:
    """Write a plain JPEG to `path` (PyAV's MJPEG encoder); returns its bytes."""
    width, height = size
    frame = av.VideoFrame.from_ndarray(np.full((height, width, 3), level, np.uint8), format="rgb24")
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuvj420p"
    codec.time_base = Fraction(1, 1)
    data = b"".join(bytes(p) for p in codec.encode(frame.reformat(format="yuvj420p")))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data
