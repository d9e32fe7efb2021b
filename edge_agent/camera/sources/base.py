"""The frame source interface: `FrameSource` (paced RGB frames at a size), its errors, and helpers."""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from edge_agent.camera.sources.frame_size import asked_size, frame_size, probe_size, same_aspect

if TYPE_CHECKING:  # imported where used: a picamera2 camera sending JPEGs never loads them
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

    The size asked (`(w, h)`, `(w, None)`, `(None, h)`, `(None, None)` or None) is a wish; the
    frames' `size` is known once the source is open: the rule of `frame_size.py` applied to the
    source's own size (`native`), so that the picture keeps its aspect. A subclass's `_open`
    tells its native size with `_set_native` where the device or file says it; otherwise `open()`
    reads a first frame to learn it (and hands that frame out first).

    `read()` blocks until the next frame is due at `fps`. Counters: `frames` handed out,
    `skipped` (frames the driver gave us that did not decode), `failures` (reads that gave nothing),
    `reconnects` (streams re-opened).
    """

    platform = "unknown"  # reported in the camera's announce
    gives_jpeg = False  # read_jpeg() hands out encoded frames (no array, no encoder in Python)

    def __init__(self, size: tuple[int | None, int | None] | None, fps: float | None) -> None:
        self.asked = asked_size(size)
        self.native: tuple[int, int] | None = None  # the source's own frame size, once known
        # The frames' size: a provisional box until open() knows the native size.
        self.size: tuple[int, int] = probe_size(self.asked)
        self._pending: np.ndarray | None = None  # the frame open() read to learn the size
        self._reshaped_warned = False
        self.fps = fps
        self._closed = threading.Event()
        self._pacer = Pacer(fps, self._closed)
        self.frames = 0
        self.skipped = 0
        self.failures = 0
        self.reconnects = 0
        self._opened = False

    def open(self) -> FrameSource:
        """Open the device, file or stream; a no-op when already open (`with open_source(…)`).

        Afterwards `size` is the frames' size (the source's aspect: `frame_size.frame_size`)."""
        if not self._opened:
            self._open()
            if self.native is None and not self.gives_jpeg:
                first = self._read_frame()  # the driver did not say: a frame does
                if first is not None:
                    self._pending = first
                    self._set_native((first.shape[1], first.shape[0]))
            if self.native is None:
                self.size = probe_size(self.asked)
                log.warning(
                    "source %s: its own size is unknown; frames are scaled to %dx%d, which may "
                    "not be its aspect",
                    self.describe(),
                    *self.size,
                )
            else:
                self.size = frame_size(self.native, self.asked)
            self._opened = True
        return self

    def _set_native(self, size: tuple[float, float] | None) -> None:
        """The source's own frame size, when the device, file or stream tells it (0: unknown)."""
        if size is None:
            return
        w, h = int(size[0] or 0), int(size[1] or 0)
        if w > 0 and h > 0:
            self.native = (w, h)

    def describe(self) -> str:
        """The source for log lines (no secrets)."""
        return str(getattr(self, "name", None) or getattr(self, "path", None) or self.platform)

    @abstractmethod
    def _open(self) -> None: ...

    @abstractmethod
    def _read_frame(self) -> np.ndarray | None:
        """One RGB frame of any size, or None."""

    def read(self) -> np.ndarray | None:
        if not self._pacer.wait():
            return None
        rgb, self._pending = (
            (self._pending, None) if self._pending is not None else (self._read_frame(), None)
        )
        if rgb is None:
            self.failures += 1
            return None
        self.frames += 1
        got = (rgb.shape[1], rgb.shape[0])
        if (
            self.native is not None
            and not self._reshaped_warned
            and got != self.native
            and not same_aspect(got, self.native)
        ):
            # A stream re-opened at another shape: the announced size stays (HA, the regions and
            # the card know it); restarting the camera follows the new shape.
            self._reshaped_warned = True
            log.warning(
                "source %s now gives %dx%d frames (it gave %dx%d when opened): they are scaled "
                "to %dx%d, out of their aspect; restart the camera to follow",
                self.describe(),
                *got,
                *self.native,
                *self.size,
            )
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
