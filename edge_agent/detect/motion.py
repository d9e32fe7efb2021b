"""Motion gate: skip inference on frames where nothing moved.

Cheap frame differencing on a small grey image: scale to `width` pixels wide, blur, take the
absolute difference with the previous frame, count pixels that changed by more than
`pixel_threshold` grey levels. Motion when that fraction exceeds `area_threshold`.

Inference still runs at least every `max_skip` seconds, and on every frame while the last one
analysed had a person: a person standing still must not be cleared for want of motion.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class MotionSettings:
    pixel_threshold: int = 25
    area_threshold: float = 0.002
    max_skip: float = 5.0
    width: int = 160


class MotionGate:
    def __init__(self, settings: MotionSettings) -> None:
        self.s = settings
        self.prev: np.ndarray | None = None
        self.last_analysed = float("-inf")
        self.person_seen = False
        self.skipped = 0
        self.checked = 0
        self.last_fraction = 0.0

    def _small_grey(self, rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        width = min(self.s.width, w)
        small = cv2.resize(rgb, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
        return cv2.GaussianBlur(grey, (5, 5), 0)

    def motion_fraction(self, rgb: np.ndarray) -> float:
        grey = self._small_grey(rgb)
        prev, self.prev = self.prev, grey
        if prev is None or prev.shape != grey.shape:
            return 1.0
        changed = cv2.absdiff(grey, prev) > self.s.pixel_threshold
        return float(np.count_nonzero(changed)) / changed.size

    def should_analyse(self, rgb: np.ndarray, now: float) -> bool:
        """True when this frame must go to the detector; counts the ones it saves."""
        self.checked += 1
        self.last_fraction = self.motion_fraction(rgb)
        if (
            self.last_fraction > self.s.area_threshold
            or self.person_seen
            or now - self.last_analysed >= self.s.max_skip
        ):
            self.last_analysed = now
            return True
        self.skipped += 1
        return False

    def analysed(self, person: bool) -> None:
        self.person_seen = person
