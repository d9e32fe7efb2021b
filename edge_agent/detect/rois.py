"""Regions of interest and detection settings: the retained ROI set of docs/mqtt.md.

`parse_roi_set` validates a set completely, so that a service can refuse a bad one with a message
that names the region and the problem, and keep running the set it had.

Unknown keys: inside a region or in `detection` they are refused (a typo such as `treshold`
would otherwise be silently ignored); at the top level they are ignored, so that a newer Home
Assistant integration can add keys without older services refusing the whole set.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from edge_agent.detect.detection import DetectedObject
from edge_agent.ids import MAX_ROIS, valid_roi_id
from edge_agent.untrusted import UntrustedJSONError, read_json

# Bounds checked before (or while) an ROI set is parsed: it arrives over MQTT from anyone on the
# broker, and each region becomes entities in Home Assistant (docs/mqtt.md, ROI set).
MAX_SET_BYTES = 64 * 1024
MAX_POINTS = 64
MAX_LABELS = 16
MAX_TEXT = 64  # characters of a name or a label
MAX_VERSION = 2**53 - 1  # the largest integer JSON numbers carry exactly everywhere
_MAX_INT_DIGITS = 16


class RoiError(ValueError):
    """An ROI set that is not valid; the message names the region (or key) and the problem."""


_EPS = 1e-12


@dataclass(frozen=True)
class Roi:
    id: str
    name: str
    points: tuple[tuple[float, float], ...]
    labels: tuple[str, ...] = ("person",)
    min_score: float | None = None

    def contains(self, x: float, y: float) -> bool:
        """Point in polygon by ray casting; a point on an edge counts as inside."""
        pts = self.points
        n = len(pts)
        inside = False
        for i in range(n):
            x1, y1 = pts[i]
            x2, y2 = pts[(i + 1) % n]
            if _on_segment(x, y, x1, y1, x2, y2):
                return True
            # Half-open rule (y1 > y) != (y2 > y) counts a vertex once, not twice.
            if (y1 > y) != (y2 > y):
                x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
                if x < x_cross:
                    inside = not inside
        return inside

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "points": [[x, y] for x, y in self.points],
            "labels": list(self.labels),
        }
        if self.min_score is not None:
            out["min_score"] = self.min_score
        return out


@dataclass(frozen=True)
class DetectionSettings:
    labels: tuple[str, ...] = ("person",)
    threshold: float = 0.5
    min_area: float = 0.0
    max_area: float = 1.0
    frames_needed: int = 2
    frames_window: int = 3
    clear_after: float = 10.0
    # The motion gate (edge_agent/detect/motion.py): frames that barely differ from the camera's
    # recent background are not inferred; while the person state is on, one frame is inferred
    # at least every motion_keepalive seconds (at most clear_after / 2) even without motion.
    motion: bool = True
    motion_sensitivity: int = 5
    motion_keepalive: float = 2.0
    # Regions from motion (edge_agent/detect/regions.py): on frames large enough (720p and up),
    # the model runs on square crops around what moved, at most max_regions of them (1 to 8).
    regions: bool = True
    max_regions: int = 4

    def to_json(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "threshold": self.threshold,
            "min_area": self.min_area,
            "max_area": self.max_area,
            "frames_needed": self.frames_needed,
            "frames_window": self.frames_window,
            "clear_after": self.clear_after,
            "motion": self.motion,
            "motion_sensitivity": self.motion_sensitivity,
            "motion_keepalive": self.motion_keepalive,
            "regions": self.regions,
            "max_regions": self.max_regions,
        }


@dataclass(frozen=True)
class RoiSet:
    version: int = 0
    rois: tuple[Roi, ...] = ()
    detection: DetectionSettings = field(default_factory=DetectionSettings)

    @property
    def roi_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rois)

    def get(self, roi_id: str) -> Roi | None:
        return next((r for r in self.rois if r.id == roi_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "rois": [r.to_json() for r in self.rois],
            "detection": self.detection.to_json(),
        }


def rect(id: str, left: float, top: float, right: float, bottom: float, **kw: Any) -> Roi:
    """A rectangular region (4 points, clockwise from top-left); `name` defaults to the id."""
    name = kw.pop("name", id)
    labels = tuple(kw.pop("labels", ("person",)))
    return Roi(
        id=id,
        name=name,
        points=((left, top), (right, top), (right, bottom), (left, bottom)),
        labels=labels,
        **kw,
    )


# --- geometry -----------------------------------------------------------------------------------


def _cross(ox: float, oy: float, ax: float, ay: float, bx: float, by: float) -> float:
    return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox)


def _on_segment(px: float, py: float, x1: float, y1: float, x2: float, y2: float) -> bool:
    if abs(_cross(x1, y1, x2, y2, px, py)) > 1e-9:
        return False
    return min(x1, x2) - 1e-9 <= px <= max(x1, x2) + 1e-9 and min(y1, y2) - 1e-9 <= py <= max(y1, y2) + 1e-9


def _segments_intersect(
    a: tuple[float, float], b: tuple[float, float], c: tuple[float, float], d: tuple[float, float]
) -> bool:
    """Closed segments ab and cd share at least one point (touching and collinear overlap count)."""
    d1 = _cross(*c, *d, *a)
    d2 = _cross(*c, *d, *b)
    d3 = _cross(*a, *b, *c)
    d4 = _cross(*a, *b, *d)
    if ((d1 > _EPS and d2 < -_EPS) or (d1 < -_EPS and d2 > _EPS)) and (
        (d3 > _EPS and d4 < -_EPS) or (d3 < -_EPS and d4 > _EPS)
    ):
        return True
    return (
        _on_segment(*a, *c, *d)
        or _on_segment(*b, *c, *d)
        or _on_segment(*c, *a, *b)
        or _on_segment(*d, *a, *b)
    )


def polygon_area(points: Sequence[tuple[float, float]]) -> float:
    """Unsigned area (shoelace)."""
    n = len(points)
    s = 0.0
    for i in range(n):
        x1, y1 = points[i]
        x2, y2 = points[(i + 1) % n]
        s += x1 * y2 - x2 * y1
    return abs(s) / 2.0


def _collinear(points: Sequence[tuple[float, float]]) -> bool:
    ox, oy = points[0]
    far = max(points, key=lambda p: (p[0] - ox) ** 2 + (p[1] - oy) ** 2)
    if far == points[0]:
        return True  # all points equal
    return all(abs(_cross(ox, oy, *far, *p)) <= 1e-12 for p in points)


def _self_intersection(points: Sequence[tuple[float, float]]) -> str | None:
    """Why the closed polygon is not simple, or None when it is."""
    n = len(points)
    edges = [(points[i], points[(i + 1) % n]) for i in range(n)]
    for i, (a, b) in enumerate(edges):
        if math.isclose(a[0], b[0], abs_tol=1e-12) and math.isclose(a[1], b[1], abs_tol=1e-12):
            return f"point {(i + 1) % n} repeats point {i}"
    for i in range(n):
        a, b = edges[i]
        c, d = edges[(i + 1) % n]
        # Adjacent edges share b == c; they may only meet there, so folding back onto the
        # previous edge (a spike) is an intersection too.
        if (
            abs(_cross(*a, *b, *d)) <= 1e-12
            and (b[0] - a[0]) * (d[0] - c[0]) + (b[1] - a[1]) * (d[1] - c[1]) < 0
        ):
            return f"polygon is self-intersecting (edges {i} and {(i + 1) % n} fold back on each other)"
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:  # first and last edge are adjacent
                continue
            if _segments_intersect(*edges[i], *edges[j]):
                return "polygon is self-intersecting"
    return None


# --- parsing ------------------------------------------------------------------------------------

_ROI_KEYS = {"id", "name", "points", "labels", "min_score"}
_DETECTION_KEYS = set(DetectionSettings.__dataclass_fields__)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _number(v: Any, where: str, lo: float, hi: float) -> float:
    if not _is_number(v) or not lo <= v <= hi:
        raise RoiError(f"{where}: must be a number from {lo:g} to {hi:g}, got {_short(v)}")
    return float(v)


def _labels(v: Any, where: str) -> tuple[str, ...]:
    if (
        not isinstance(v, list)
        or not 1 <= len(v) <= MAX_LABELS
        or not all(isinstance(x, str) and 0 < len(x) <= MAX_TEXT for x in v)
    ):
        raise RoiError(
            f"{where}: must be a list of 1 to {MAX_LABELS} label strings of at most {MAX_TEXT} "
            f"characters, got {_short(v)}"
        )
    return tuple(v)


def _short(v: Any) -> str:
    """A value as it goes into an error message: never more than a line."""
    text = repr(v)
    return text if len(text) <= 80 else text[:77] + "..."


def _parse_roi(raw: Any, index: int) -> Roi:
    if not isinstance(raw, dict):
        raise RoiError(f"rois[{index}]: must be an object, got {type(raw).__name__}")
    rid = raw.get("id")
    if not isinstance(rid, str) or not valid_roi_id(rid):
        raise RoiError(f"rois[{index}]: id must be 1 to 32 characters of a-z 0-9 _ -, got {_short(rid)}")
    where = f"roi {rid!r}"
    unknown = sorted(set(raw) - _ROI_KEYS)
    if unknown:
        raise RoiError(
            f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_ROI_KEYS))})"
        )
    name = raw.get("name", rid)
    if name is None:
        name = rid
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_TEXT:
        raise RoiError(
            f"{where}: name must be a non-empty string of at most {MAX_TEXT} characters, got {_short(name)}"
        )
    pts_raw = raw.get("points")
    if not isinstance(pts_raw, list):
        raise RoiError(f"{where}: points must be a list of [x, y] pairs, got {_short(pts_raw)}")
    if not 3 <= len(pts_raw) <= MAX_POINTS:
        raise RoiError(f"{where}: needs 3 to {MAX_POINTS} points, got {len(pts_raw)}")
    points = []
    for k, p in enumerate(pts_raw):
        if not isinstance(p, (list, tuple)) or len(p) != 2 or not all(_is_number(c) for c in p):
            raise RoiError(f"{where}: point {k} must be [x, y] with two numbers, got {_short(p)}")
        x, y = float(p[0]), float(p[1])
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise RoiError(f"{where}: point {k} {[p[0], p[1]]} is out of range (x and y must be within 0..1)")
        points.append((x, y))
    why = None
    if _collinear(points):
        why = "polygon has no area (all points on one line)"
    else:
        why = _self_intersection(points)
    if why is None and polygon_area(points) <= 1e-9:
        why = "polygon has no area"
    if why:
        raise RoiError(f"{where}: {why}")
    labels = _labels(raw["labels"], f"{where}: labels") if "labels" in raw else ("person",)
    min_score = raw.get("min_score")
    if min_score is not None:
        min_score = _number(min_score, f"{where}: min_score", 0.0, 1.0)
    return Roi(id=rid, name=name, points=tuple(points), labels=labels, min_score=min_score)


def _parse_detection(raw: Any) -> DetectionSettings:
    if raw is None:
        return DetectionSettings()
    if not isinstance(raw, dict):
        raise RoiError(f"detection: must be an object, got {type(raw).__name__}")
    unknown = sorted(set(raw) - _DETECTION_KEYS)
    if unknown:
        raise RoiError(
            f"detection: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_DETECTION_KEYS))})"
        )
    d = DetectionSettings()
    kw: dict[str, Any] = {}
    if "labels" in raw:
        kw["labels"] = _labels(raw["labels"], "detection.labels")
    if "threshold" in raw:
        kw["threshold"] = _number(raw["threshold"], "detection.threshold", 0.0, 1.0)
    for key in ("min_area", "max_area"):
        if key in raw:
            kw[key] = _number(raw[key], f"detection.{key}", 0.0, 1.0)
    for key in ("frames_needed", "frames_window"):
        if key in raw:
            v = raw[key]
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 30:
                raise RoiError(f"detection.{key}: must be an integer from 1 to 30, got {_short(v)}")
            kw[key] = v
    if "clear_after" in raw:
        kw["clear_after"] = _number(raw["clear_after"], "detection.clear_after", 0.0, 3600.0)
    if "motion" in raw:
        if not isinstance(raw["motion"], bool):
            raise RoiError(f"detection.motion: must be true or false, got {raw['motion']!r}")
        kw["motion"] = raw["motion"]
    if "motion_sensitivity" in raw:
        v = raw["motion_sensitivity"]
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 10:
            raise RoiError(f"detection.motion_sensitivity: must be an integer from 1 to 10, got {v!r}")
        kw["motion_sensitivity"] = v
    if "motion_keepalive" in raw:
        kw["motion_keepalive"] = _number(raw["motion_keepalive"], "detection.motion_keepalive", 0.5, 60.0)
    if "regions" in raw:
        if not isinstance(raw["regions"], bool):
            raise RoiError(f"detection.regions: must be true or false, got {_short(raw['regions'])}")
        kw["regions"] = raw["regions"]
    if "max_regions" in raw:
        v = raw["max_regions"]
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 8:
            raise RoiError(f"detection.max_regions: must be an integer from 1 to 8, got {_short(v)}")
        kw["max_regions"] = v
    min_area, max_area = kw.get("min_area", d.min_area), kw.get("max_area", d.max_area)
    if min_area > max_area:
        raise RoiError(f"detection: min_area ({min_area:g}) is larger than max_area ({max_area:g})")
    needed, window = kw.get("frames_needed", d.frames_needed), kw.get("frames_window", d.frames_window)
    if needed > window:
        raise RoiError(f"detection: frames_needed ({needed}) is larger than frames_window ({window})")
    return DetectionSettings(**kw)


def loads_bounded(text: str | bytes | bytearray, max_bytes: int = MAX_SET_BYTES) -> Any:
    """JSON as an untrusted sender may write it (edge_agent.untrusted): at most `max_bytes`,
    finite numbers of at most 16 digits only (NaN and Infinity cannot be compared or echoed)."""
    if len(text) > max_bytes:
        raise RoiError(f"{len(text)} bytes is more than the {max_bytes} an ROI set may have")
    try:
        return read_json(text, max_bytes=max_bytes, max_int_digits=_MAX_INT_DIGITS)
    except UntrustedJSONError as err:
        raise RoiError(str(err)) from None


def parse_roi_set(payload: bytes | bytearray | str | dict[str, Any], max_rois: int = MAX_ROIS) -> RoiSet:
    """Validate an ROI set (bytes or str of JSON, or a decoded dict); RoiError says what is wrong."""
    if isinstance(payload, (bytes, bytearray, memoryview)):
        if len(payload) > MAX_SET_BYTES:
            raise RoiError(f"ROI set of {len(payload)} bytes is larger than {MAX_SET_BYTES}")
        try:
            payload = bytes(payload).decode("utf-8")
        except UnicodeDecodeError as err:
            raise RoiError(f"ROI set is not UTF-8: {err}") from None
    if isinstance(payload, str):
        if not payload.strip():
            raise RoiError("ROI set is empty")
        try:
            payload = loads_bounded(payload)
        except RoiError as err:
            raise RoiError(f"ROI set: {err}") from None
    if not isinstance(payload, dict):
        raise RoiError(f"ROI set must be a JSON object, got {type(payload).__name__}")
    version = payload.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or not 0 <= version <= MAX_VERSION:
        raise RoiError(f"version: must be an integer from 0 to {MAX_VERSION}, got {_short(version)}")
    detection = _parse_detection(payload.get("detection"))
    rois_raw = payload.get("rois", [])
    if rois_raw is None:
        rois_raw = []
    if not isinstance(rois_raw, list):
        raise RoiError(f"rois: must be a list, got {type(rois_raw).__name__}")
    if len(rois_raw) > max_rois:
        raise RoiError(f"rois: at most {max_rois} regions, got {len(rois_raw)}")
    rois: list[Roi] = []
    seen: set[str] = set()
    for index, raw in enumerate(rois_raw):
        roi = _parse_roi(raw, index)
        if roi.id in seen:
            raise RoiError(f"roi {roi.id!r}: duplicate id")
        seen.add(roi.id)
        rois.append(roi)
    return RoiSet(version=version, rois=tuple(rois), detection=detection)


# --- filtering ----------------------------------------------------------------------------------


def apply_filters(objects: Sequence[DetectedObject], roi_set: RoiSet) -> list[DetectedObject]:
    """Objects that pass the camera's filters, each with the ids of the regions it is in.

    An object is in a region when the bottom-centre of its box is inside the polygon, its label
    is one of the region's labels and its score reaches the region's min_score (default: the
    camera threshold). When the set has regions, an object in none of them is dropped.
    """
    det = roi_set.detection
    labels = set(det.labels)
    kept: list[DetectedObject] = []
    for obj in objects:
        if (
            obj.label not in labels
            or obj.score < det.threshold
            or not det.min_area <= obj.area <= det.max_area
        ):
            continue
        if not roi_set.rois:
            kept.append(obj if not obj.rois else obj.with_rois(()))
            continue
        x, y = obj.bottom_centre
        inside = tuple(
            roi.id
            for roi in roi_set.rois
            if obj.label in roi.labels
            and obj.score >= (roi.min_score if roi.min_score is not None else det.threshold)
            and roi.contains(x, y)
        )
        if inside:
            kept.append(obj.with_rois(inside))
    return kept
