"""What the detector found in one frame, in the shape the MQTT contract publishes (docs/mqtt.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class DetectedObject:
    """One object: label, score and a normalised `(xmin, ymin, xmax, ymax)` box, origin top-left.

    `rois` lists the ids of the regions the object is in; it is filled by `rois.apply_filters`.
    """

    label: str
    score: float
    box: tuple[float, float, float, float]
    rois: tuple[str, ...] = ()

    @property
    def area(self) -> float:
        """Box area as a fraction of the frame."""
        xmin, ymin, xmax, ymax = self.box
        return max(0.0, xmax - xmin) * max(0.0, ymax - ymin)

    @property
    def bottom_centre(self) -> tuple[float, float]:
        """Where a person stands: the middle of the box's bottom edge, the point ROIs test."""
        xmin, _, xmax, ymax = self.box
        return ((xmin + xmax) / 2.0, ymax)

    def with_rois(self, rois: Iterable[str]) -> DetectedObject:
        return replace(self, rois=tuple(rois))

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "score": round(float(self.score), 3),
            "box": [round(float(v), 4) for v in self.box],
            "rois": list(self.rois),
        }
