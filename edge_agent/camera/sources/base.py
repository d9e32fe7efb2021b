"""The frame source interface: `FrameSource` (paced RGB frames at a size), its errors, and helpers."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: a picamera2 camera sending JPEGs never loads them
    import numpy as np


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
        """The next frame as JPEG from the device's own encoder: only sources with `gives_jpeg`
        have one; the others give arrays (`read()`), which the dumb camera encodes itself."""
        raise SourceError(f"{type(self).__name__} gives arrays (read()), not JPEGs: check gives_jpeg")

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

    def __exit__(self, *exc: object) -> None:
        self.close()
