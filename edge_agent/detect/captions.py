"""Where the snapshot writes its captions ("person 56%"), so that none covers another: the twin of
the dashboard card's placement (frontend/src/labels.ts, placeScoreLabels), without its "+N"
merging: a caption that finds no room is shortened to its score ("56%"), and one that still finds
none is left out (its box is drawn all the same). Pure; tests/edge/test_captions.py."""

from __future__ import annotations

from collections.abc import Sequence

# x, y, width, height in pixels
Rect = tuple[float, float, float, float]
Box = tuple[float, float, float, float]  # xmin, ymin, xmax, ymax in pixels


def intersects(a: Rect, b: Rect, gap: float = 0.0) -> bool:
    return (
        a[0] < b[0] + b[2] + gap
        and b[0] < a[0] + a[2] + gap
        and a[1] < b[1] + b[3] + gap
        and b[1] < a[1] + a[3] + gap
    )


def _candidates(box: Box, w: float, h: float, step: float) -> list[tuple[float, float]]:
    """The same places, in the same order, as labels.ts `candidates`."""
    x0, y0, x1, y1 = box
    right = x1 - w
    out = [
        (x0, y0 - h),
        (x0, y1),
        (x0, y0),
        (right, y0 - h),
        (right, y1),
        (x0, y1 - h),
        (right, y0),
        (right, y1 - h),
    ]
    for k in range(1, 7):
        for dx in (k * step, -k * step):
            out += [(x0 + dx, y0 - h), (x0 + dx, y1), (x0 + dx, y0)]
    for j in range(1, 5):
        for dx in (0, step, -step, 2 * step, -2 * step):
            out += [(x0 + dx, y0 - h - j * (h + step / 4)), (x0 + dx, y1 + j * (h + step / 4))]
    return out


def place_captions(
    boxes: Sequence[Box],
    sizes: Sequence[Sequence[tuple[float, float]]],
    priorities: Sequence[float],
    width: float,
    height: float,
    gap: float = 1.0,
) -> list[tuple[int, Rect] | None]:
    """For each box, (which of its captions, where) or None: `sizes[i]` are the (width, height) of
    box i's captions, longest first; the surest boxes (highest priority) are placed first."""
    placed: list[Rect] = []
    out: list[tuple[int, Rect] | None] = [None] * len(boxes)
    order = sorted(range(len(boxes)), key=lambda i: (-priorities[i], i))
    for i in order:
        for variant, (w, h) in enumerate(sizes[i]):
            if w > width or h > height:
                continue
            best: Rect | None = None
            best_cost = float("inf")
            for rank, (x, y) in enumerate(_candidates(boxes[i], w, h, h)):
                if rank >= best_cost:
                    break  # a cost is at least its rank: no later place can be cheaper
                r = (min(max(x, 0.0), width - w), min(max(y, 0.0), height - h), w, h)
                if any(intersects(r, p, gap) for p in placed):
                    continue
                covered = sum(_overlap(r, b) for j, b in enumerate(boxes) if j != i) / (w * h)
                cost = rank + 6 * covered
                if cost < best_cost:
                    best, best_cost = r, cost
            if best is not None:
                placed.append(best)
                out[i] = (variant, best)
                break
    return out


def _overlap(r: Rect, box: Box) -> float:
    dx = min(r[0] + r[2], box[2]) - max(r[0], box[0])
    dy = min(r[1] + r[3], box[3]) - max(r[1], box[1])
    return max(0.0, dx) * max(0.0, dy)
