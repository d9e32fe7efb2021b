"""Regions from motion: the detector runs on square crops around what moved, at the model's size.

The model sees its 300x300 input. Shrunk whole, a 1280x720 frame loses 2.4x in height (a person
40 px tall becomes 17 px, below what SSD MobileNet finds), a 1920x1080 one 3.6x. As Frigate does
(frigate/util/object.py: `get_cluster_region`, `calculate_region` with its 1.35 multiplier,
`get_consolidated_object_detections`), the engine cuts square regions around the motion gate's
blobs (and around where a tracked person was), at least the model's input in size, runs the
model on each at full resolution, maps the boxes back to the frame, drops a box cut by a region's
edge where another region sees it whole, and merges the rest by non-maximum suppression.

Shared by listen_frame's workers and the smart camera's pipeline (`plan`, `detect`), so both
detect alike. The frame is decoded once, whole; the regions are slices of that decode.

When the whole frame is used instead (`plan` returns None): regions off; a frame the model input
nearly covers (shrinking it less than MIN_SHRINK: 640x480 and vtest's 768x576, the path of
before); no motion information (the gate off, the first frames of a scene, the 10 s refresh);
nothing moved and no tracked person; or the moving area is most of the frame (a region would
not fit, or the regions would cover more than MAX_COVER of it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.imaging import resize

if TYPE_CHECKING:
    from edge_agent.detect.detector import Detector
    from edge_agent.detect.motion import Judgement, MotionCheck
    from edge_agent.detect.rois import DetectionSettings

MIN_SHRINK = 2.0  # regions only where the whole frame is shrunk at least this much (both sides)
MARGIN = 1.35  # a region is this much larger than what it must contain (Frigate's multiplier)
MAX_COVER = 0.5  # regions covering more of the frame than this: the whole frame instead
EDGE = 0.02  # a box within this fraction of a region's side from its inner edge is "cut"
NMS_IOU = 0.4  # same label and at least this IoU (or MOST_INSIDE of the smaller): one object
MOST_INSIDE = 0.7
DEFAULT_MAX_REGIONS = 4
MAX_REGIONS = 8

Box = tuple[float, float, float, float]  # normalised xmin, ymin, xmax, ymax


@dataclass(frozen=True, slots=True)
class Region:
    """A square of the frame in pixels: x0, y0 inclusive, x1, y1 exclusive."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def side(self) -> int:
        return self.x1 - self.x0

    def to_json(self, size: tuple[int, int]) -> list[float]:
        w, h = size
        return [round(self.x0 / w, 4), round(self.y0 / h, 4), round(self.x1 / w, 4), round(self.y1 / h, 4)]


def uses_regions(size: tuple[int, int], model_size: tuple[int, int]) -> bool:
    """Whether a frame of `size` is big enough for regions to see more than the whole frame."""
    (w, h), (mw, mh) = size, model_size
    return w / mw >= MIN_SHRINK and h / mh >= MIN_SHRINK


def _square_around(
    box: tuple[float, float, float, float], min_side: int, size: tuple[int, int]
) -> Region | None:
    """The square region around a pixel box (MARGIN x its larger side, at least `min_side`),
    moved inside the frame; None when it does not fit in the frame."""
    w, h = size
    x0, y0, x1, y1 = box
    side = max(min_side, round(float(MARGIN * max(x1 - x0, y1 - y0))))
    if side > min(w, h):
        return None
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    left = round(float(min(max(cx - side / 2.0, 0), w - side)))
    top = round(float(min(max(cy - side / 2.0, 0), h - side)))
    return Region(left, top, left + side, top + side)


def _overlap(a: Region, b: Region) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def plan(
    size: tuple[int, int],
    model_size: tuple[int, int],
    moved: tuple[Box, ...] | list[Box],
    tracked: tuple[Box, ...] | list[Box] = (),
    max_regions: int = DEFAULT_MAX_REGIONS,
) -> list[Region] | None:
    """The regions for a frame of `size` (w, h): around the boxes that `moved` and those of the
    `tracked` persons (normalised), merged where they overlap, at most `max_regions`; None: run
    the model on the whole frame."""
    if max_regions < 1 or not uses_regions(size, model_size):
        return None
    w, h = size
    boxes = [(b[0] * w, b[1] * h, b[2] * w, b[3] * h) for b in (*moved, *tracked)]
    if not boxes:
        return None
    min_side = max(model_size)
    # Each cluster: (the pixel box it must contain, its region).
    clusters: list[tuple[tuple[float, float, float, float], Region]] = []
    for box in boxes:
        region = _square_around(box, min_side, size)
        if region is None:
            return None
        clusters.append((box, region))
    merged = True
    while merged:  # merge overlapping regions until none overlap
        merged = False
        for i in range(len(clusters)):
            for j in range(i + 1, len(clusters)):
                if _overlap(clusters[i][1], clusters[j][1]):
                    content = _union(clusters[i][0], clusters[j][0])
                    region = _square_around(content, min_side, size)
                    if region is None:
                        return None
                    clusters[i] = (content, region)
                    del clusters[j]
                    merged = True
                    break
            if merged:
                break
    while len(clusters) > max_regions:  # too many: merge the pair whose region grows least
        best = None
        for i in range(len(clusters)):
            for j in range(i + 1, len(clusters)):
                content = _union(clusters[i][0], clusters[j][0])
                region = _square_around(content, min_side, size)
                if region is None:
                    continue
                if best is None or region.side < best[0].side:
                    best = (region, content, i, j)
        if best is None:
            return None
        region, content, i, j = best
        clusters[i] = (content, region)
        del clusters[j]
    regions = [r for _, r in clusters]
    if sum(r.side * r.side for r in regions) > MAX_COVER * w * h:
        return None
    return regions


def _iou_or_inside(a: Box, b: Box) -> tuple[float, float]:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    union = area_a + area_b - inter
    smaller = min(area_a, area_b)
    return (inter / union if union > 0 else 0.0), (inter / smaller if smaller > 0 else 0.0)


def merge(found: list[tuple[DetectedObject, bool]]) -> list[DetectedObject]:
    """One object per thing seen by several regions: (object, cut by its region's edge) pairs,
    whole boxes before cut ones, then by score; a box of the same label overlapping a kept one
    (IoU >= NMS_IOU, or MOST_INSIDE of the smaller inside the other) is dropped."""
    ordered = sorted(found, key=lambda oc: (oc[1], -oc[0].score))
    kept: list[DetectedObject] = []
    for obj, _cut in ordered:
        duplicate = False
        for k in kept:
            if k.label != obj.label:
                continue
            iou, inside = _iou_or_inside(k.box, obj.box)
            if iou >= NMS_IOU or inside >= MOST_INSIDE:
                duplicate = True
                break
        if not duplicate:
            kept.append(obj)
    kept.sort(key=lambda o: -o.score)
    return kept


def detect(
    detector: Detector, rgb: np.ndarray, regions: list[Region] | None
) -> tuple[list[DetectedObject], int]:
    """(objects with boxes normalised to the whole frame, inferences run) for an RGB frame at its
    full size; `regions` None: the whole frame, resized to the model input."""
    if not regions:
        return detector.detect(resize(rgb, detector.input_size)), 1
    h, w = rgb.shape[:2]
    found: list[tuple[DetectedObject, bool]] = []
    for r in regions:
        crop = rgb[r.y0 : r.y1, r.x0 : r.x1]
        side = r.side
        edge = EDGE * side
        for obj in detector.detect(resize(crop, detector.input_size)):
            bx0, by0, bx1, by1 = (v * side for v in obj.box)
            # An edge of the region that is not the frame's: a box touching it may be cut.
            cut = (
                (bx0 <= edge and r.x0 > 0)
                or (by0 <= edge and r.y0 > 0)
                or (bx1 >= side - edge and r.x1 < w)
                or (by1 >= side - edge and r.y1 < h)
            )
            box = ((r.x0 + bx0) / w, (r.y0 + by0) / h, (r.x0 + bx1) / w, (r.y0 + by1) / h)
            found.append((DetectedObject(obj.label, obj.score, box), cut))
    return merge(found), len(regions)


def for_frame(
    check: MotionCheck | None,
    judged: Judgement | None,
    size: tuple[int, int],
    model_size: tuple[int, int],
    settings: DetectionSettings,
) -> list[Region] | None:
    """The regions for a frame the motion gate let through: `check` its MotionCheck, `judged` its
    Judgement, `settings` the camera's DetectionSettings (`regions`, `max_regions`). The whole
    frame (None) without motion information: no check (gate off), no background yet (a new
    scene), the 10 s refresh (a person the gate missed must be found anywhere)."""
    if check is None or judged is None or not settings.regions:
        return None
    if check.background is None or check.force in ("start", "refresh"):
        return None
    return plan(size, model_size, judged.boxes, check.tracked, settings.max_regions)
