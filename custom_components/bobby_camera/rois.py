"""The ROI set: validation and the payload of docs/mqtt.md ("ROI set").

Self-contained on purpose (HACS installs only this folder): it re-implements the few checks
listen_frame makes, so that a bad set is refused here, with a translated error, before it is sent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from homeassistant.util import slugify

from .const import (
    DEFAULT_LABELS,
    DETECTION_DEFAULTS,
    MAX_POINTS,
    MAX_ROIS,
    MIN_POINTS,
    OPT_DETECTION,
    OPT_ROIS,
    OPT_VERSION,
    valid_roi_id,
)

type Point = tuple[float, float]

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_PAIR_RE = re.compile(rf"\(?\s*({_NUMBER})\s*[, ]\s*({_NUMBER})\s*\)?")
_EPS = 1e-12


class RoiError(ValueError):
    """A ROI set that cannot be sent; `key` is a translation key (config/options errors, exceptions)."""

    def __init__(self, key: str, **placeholders: str) -> None:
        """Keep the translation key and its placeholders."""
        super().__init__(key, placeholders)
        self.key = key
        self.placeholders = {"region": "", **placeholders}

    def __str__(self) -> str:
        """English fallback text, for logs."""
        region = self.placeholders.get("region")
        where = f'region "{region}": ' if region else ""
        return f"{where}{self.key.replace('_', ' ')}"


def roi_id(name: str) -> str:
    """The ROI id for a region name: a slug of 1 to 32 characters of `a-z 0-9 _ -`."""
    slug = slugify(name.strip(), separator="_")[:32].strip("_")
    # HA's slugify turns a name without letters or digits into "unknown": not a name's id.
    if (slug == "unknown" and name.strip().lower() != "unknown") or not valid_roi_id(slug):
        raise RoiError("invalid_name", region=name)
    return slug


def parse_points(text: str) -> list[Point]:
    """Points in percent written as `x,y` pairs: `10,40; 60,40; 60,100` (also one pair per line)."""
    pairs = [p for p in re.split(r"[;\n]+|\)\s*,?\s*\(", text) if p.strip()]
    points: list[Point] = []
    for pair in pairs:
        match = _PAIR_RE.fullmatch(pair.strip().strip("()"))
        if not match:
            raise RoiError("invalid_points")
        points.append((float(match.group(1)), float(match.group(2))))
    return points


def format_points(points: Iterable[Sequence[float]]) -> str:
    """Normalised points back to the percent text that parse_points reads."""
    return "; ".join(f"{_pct(x)},{_pct(y)}" for x, y in points)


def _pct(value: float) -> str:
    return f"{round(value * 100, 2):g}"


def rectangle(left: float, top: float, right: float, bottom: float) -> list[list[float]]:
    """A rectangle given in percent as the four normalised corners, clockwise from top-left."""
    for value in (left, top, right, bottom):
        if not 0 <= value <= 100:
            raise RoiError("point_out_of_range")
    if left >= right or top >= bottom:
        raise RoiError("invalid_rectangle")
    x0, y0, x1, y1 = (round(v / 100, 6) for v in (left, top, right, bottom))
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def as_rectangle(points: Sequence[Sequence[float]]) -> tuple[float, float, float, float] | None:
    """(left, top, right, bottom) in percent when the points are an axis-aligned rectangle."""
    if len(points) != 4:
        return None
    xs = sorted({round(p[0], 6) for p in points})
    ys = sorted({round(p[1], 6) for p in points})
    if len(xs) != 2 or len(ys) != 2:
        return None
    corners = {(round(p[0], 6), round(p[1], 6)) for p in points}
    if corners != {(x, y) for x in xs for y in ys}:
        return None
    # The corners must go round the rectangle, not across it.
    if check_polygon(points, "") is not None:
        return None
    return (xs[0] * 100, ys[0] * 100, xs[1] * 100, ys[1] * 100)


def percent_points(points: Sequence[Point]) -> list[list[float]]:
    """Points in percent to normalised points, checked to be in range."""
    for x, y in points:
        if not (0 <= x <= 100 and 0 <= y <= 100):
            raise RoiError("point_out_of_range")
    return [[round(x / 100, 6), round(y / 100, 6)] for x, y in points]


def _cross(o: Sequence[float], a: Sequence[float], b: Sequence[float]) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _on_segment(p: Sequence[float], q: Sequence[float], r: Sequence[float]) -> bool:
    """Whether r, collinear with p-q, lies on the segment p-q."""
    return (
        min(p[0], q[0]) - _EPS <= r[0] <= max(p[0], q[0]) + _EPS
        and min(p[1], q[1]) - _EPS <= r[1] <= max(p[1], q[1]) + _EPS
    )


def _segments_touch(a: Sequence[float], b: Sequence[float], c: Sequence[float], d: Sequence[float]) -> bool:
    d1, d2 = _cross(c, d, a), _cross(c, d, b)
    d3, d4 = _cross(a, b, c), _cross(a, b, d)
    if ((d1 > _EPS and d2 < -_EPS) or (d1 < -_EPS and d2 > _EPS)) and (
        (d3 > _EPS and d4 < -_EPS) or (d3 < -_EPS and d4 > _EPS)
    ):
        return True
    return (
        (abs(d1) <= _EPS and _on_segment(c, d, a))
        or (abs(d2) <= _EPS and _on_segment(c, d, b))
        or (abs(d3) <= _EPS and _on_segment(a, b, c))
        or (abs(d4) <= _EPS and _on_segment(a, b, d))
    )


def check_polygon(points: Sequence[Sequence[float]], region: str) -> RoiError | None:
    """The first reason why normalised points are not a simple polygon, or None."""
    if len(points) < MIN_POINTS:
        return RoiError("too_few_points", region=region)
    if len(points) > MAX_POINTS:
        return RoiError("too_many_points", region=region)
    for point in points:
        if len(point) != 2 or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in point):
            return RoiError("invalid_points", region=region)
        if not (0 <= point[0] <= 1 and 0 <= point[1] <= 1):
            return RoiError("point_out_of_range", region=region)
    n = len(points)
    repeated = any(
        abs(points[i][0] - points[(i + 1) % n][0]) <= _EPS
        and abs(points[i][1] - points[(i + 1) % n][1]) <= _EPS
        for i in range(n)
    )
    if repeated or all(abs(_cross(points[0], points[1], p)) <= _EPS for p in points[2:]):
        return RoiError("degenerate_polygon", region=region)
    edges = [(points[i], points[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            a, b = edges[i]
            c, d = edges[j]
            if j == i + 1 or (i == 0 and j == n - 1):
                # Neighbours share a corner; they cross only by folding back over each other.
                shared, p, q = (b, a, d) if j == i + 1 else (a, b, c)
                if abs(_cross(shared, p, q)) <= _EPS and (
                    (p[0] - shared[0]) * (q[0] - shared[0]) + (p[1] - shared[1]) * (q[1] - shared[1]) > 0
                ):
                    return RoiError("self_intersecting", region=region)
                continue
            if _segments_touch(a, b, c, d):
                return RoiError("self_intersecting", region=region)
    return None


# The services' limits (docs/mqtt.md): a set outside them would be refused there.
# Twin: edge_agent/detect/rois.py parse_detection (frames 1..30, clear_after 0..3600 s).
MAX_FRAMES_WINDOW = 30
MAX_CLEAR_AFTER = 3600.0
MIN_MOTION_KEEPALIVE = 0.5
MAX_MOTION_KEEPALIVE = 60.0


def _score(value: Any, key: str, region: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise RoiError(key, region=region)
    return float(value)


def normalise_roi(roi: Mapping[str, Any]) -> dict[str, Any]:
    """One region as it is published; raises RoiError."""
    name = str(roi.get("name") or roi.get("id") or "").strip()
    if not name:
        raise RoiError("invalid_name", region="")
    rid = roi_id(name) if "id" not in roi else str(roi["id"])
    if not valid_roi_id(rid):
        raise RoiError("invalid_name", region=name)
    points = [list(p) if isinstance(p, (list, tuple)) else p for p in roi.get("points") or []]
    if error := check_polygon(points, name):
        raise error
    labels = roi.get("labels") or list(DEFAULT_LABELS)
    if isinstance(labels, str) or not all(isinstance(x, str) and x.strip() for x in labels):
        raise RoiError("invalid_labels", region=name)
    out: dict[str, Any] = {
        "id": rid,
        "name": name,
        "points": [[float(x), float(y)] for x, y in points],
        "labels": sorted({x.strip() for x in labels}),
    }
    if roi.get("min_score") is not None:
        out["min_score"] = _score(roi["min_score"], "invalid_min_score", name)
    return out


# Optional detection keys (not in DETECTION_DEFAULTS: published only when set).
OPTIONAL_DETECTION = ("regions", "max_regions")
MAX_REGIONS_PER_FRAME = 8


def normalise_detection(detection: Mapping[str, Any] | None) -> dict[str, Any]:
    """The detection settings with defaults filled in; raises RoiError."""
    merged = {**DETECTION_DEFAULTS, **(detection or {})}
    unknown = set(merged) - set(DETECTION_DEFAULTS) - set(OPTIONAL_DETECTION)
    if unknown:
        raise RoiError("invalid_detection")
    labels = merged["labels"]
    if isinstance(labels, str) or not labels or not all(isinstance(x, str) for x in labels):
        raise RoiError("invalid_labels")
    out = {
        "labels": sorted(set(labels)),
        "threshold": _score(merged["threshold"], "invalid_threshold", ""),
        "min_area": _score(merged["min_area"], "invalid_area", ""),
        "max_area": _score(merged["max_area"], "invalid_area", ""),
        "frames_needed": merged["frames_needed"],
        "frames_window": merged["frames_window"],
        "clear_after": merged["clear_after"],
    }
    if out["min_area"] >= out["max_area"]:
        raise RoiError("invalid_area")
    needed, window = out["frames_needed"], out["frames_window"]
    if (
        not all(isinstance(v, int) and not isinstance(v, bool) for v in (needed, window))
        or not 1 <= needed <= window <= MAX_FRAMES_WINDOW
    ):
        raise RoiError("invalid_frames")
    clear = out["clear_after"]
    if isinstance(clear, bool) or not isinstance(clear, (int, float)) or not 0 <= clear <= MAX_CLEAR_AFTER:
        raise RoiError("invalid_clear_after")
    out["clear_after"] = float(clear)
    # The motion gate (twin: edge_agent/detect/rois.py parse_detection): on/off, sensitivity 1..10,
    # keepalive 0.5..60 s.
    if not isinstance(merged["motion"], bool):
        raise RoiError("invalid_motion")
    sensitivity, keepalive = merged["motion_sensitivity"], merged["motion_keepalive"]
    if isinstance(sensitivity, bool) or not isinstance(sensitivity, int) or not 1 <= sensitivity <= 10:
        raise RoiError("invalid_motion")
    if (
        isinstance(keepalive, bool)
        or not isinstance(keepalive, (int, float))
        or not MIN_MOTION_KEEPALIVE <= keepalive <= MAX_MOTION_KEEPALIVE
    ):
        raise RoiError("invalid_motion")
    out.update(motion=merged["motion"], motion_sensitivity=sensitivity, motion_keepalive=float(keepalive))
    # Regions from motion (twin: edge_agent/detect/rois.py): optional, passed on only when set,
    # so that sets without them stay as they were (the services' defaults: on, at most 4).
    if "regions" in merged:
        if not isinstance(merged["regions"], bool):
            raise RoiError("invalid_detection")
        out["regions"] = merged["regions"]
    if "max_regions" in merged:
        v = merged["max_regions"]
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_REGIONS_PER_FRAME:
            raise RoiError("invalid_detection")
        out["max_regions"] = v
    return out


def normalise_rois(rois: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every region checked, ids unique, at most MAX_ROIS of them; raises RoiError."""
    rois = list(rois)
    if len(rois) > MAX_ROIS:
        # Counted before any region is checked: each one costs polygon checks and, once sent,
        # entities in HA (twin: edge_agent/ids.py MAX_ROIS).
        raise RoiError("too_many_regions", count=str(len(rois)), max=str(MAX_ROIS))
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for roi in rois:
        item = normalise_roi(roi)
        if item["id"] in seen:
            raise RoiError("duplicate_name", region=item["name"])
        seen.add(item["id"])
        out.append(item)
    return out


def build_payload(version: int, rois: list[dict[str, Any]], detection: dict[str, Any]) -> dict[str, Any]:
    """The retained message on `<base>/<cam>/rois`."""
    return {"version": version, "rois": rois, "detection": detection}


def stored_set(options: Mapping[str, Any]) -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
    """(version, rois, detection) as stored in a config entry's options."""
    return (
        int(options.get(OPT_VERSION, 0)),
        list(options.get(OPT_ROIS, [])),
        {**DETECTION_DEFAULTS, **options.get(OPT_DETECTION, {})},
    )
