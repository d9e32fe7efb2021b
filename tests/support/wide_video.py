"""A 16:9 video made from the shared 4:3 `opencv_vtest.avi` (768x576) for the aspect tests (issue 22).

The middle 768x432 of each frame (rows 72-503: the walkers' heads and feet stay in) is cut out,
scaled to `size` (1280x720, an HD stream's) and written with OpenCV's own MJPG writer into a
directory the test owns (never the repository). `to_wide` maps a box normalised to vtest's frame
into the wide video's, so a box found on the original can be looked for on the wide one.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

SOURCE_SIZE = (768, 576)
CROP = (0, 72, 768, 432)  # x, y, w, h in vtest's pixels: 16:9


def wide_frames(media: Path, count: int, size: tuple[int, int] = (1280, 720)) -> list[np.ndarray]:
    """The first `count` frames of vtest, cropped to 16:9 and scaled to `size` (BGR)."""
    x, y, w, h = CROP
    cap = cv2.VideoCapture(str(media / "opencv_vtest.avi"))
    frames = []
    try:
        while len(frames) < count:
            ok, bgr = cap.read()
            if not ok:
                break
            assert (bgr.shape[1], bgr.shape[0]) == SOURCE_SIZE, bgr.shape
            frames.append(cv2.resize(bgr[y : y + h, x : x + w], size, interpolation=cv2.INTER_AREA))
    finally:
        cap.release()
    assert len(frames) == count, f"vtest gave {len(frames)} frames, {count} wanted"
    return frames


def write_wide_video(
    media: Path, directory: Path, size: tuple[int, int] = (1280, 720), count: int = 60, fps: float = 10.0
) -> Path:
    """A 16:9 AVI (MJPG) of `count` vtest frames at `size` in `directory`; its path."""
    path = directory / f"vtest_{size[0]}x{size[1]}.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened(), "OpenCV cannot write MJPG AVI"
    try:
        for frame in wide_frames(media, count, size):
            writer.write(frame)
    finally:
        writer.release()
    return path


def to_wide(box: tuple[float, float, float, float]) -> tuple[float, float, float, float] | None:
    """A box normalised to vtest's 768x576 frame, normalised to the 16:9 crop (None: outside it)."""
    x, y, w, h = CROP
    sw, sh = SOURCE_SIZE
    x0, y0, x1, y1 = box[0] * sw, box[1] * sh, box[2] * sw, box[3] * sh
    nx0, ny0 = (x0 - x) / w, (y0 - y) / h
    nx1, ny1 = (x1 - x) / w, (y1 - y) / h
    if ny1 <= 0 or ny0 >= 1:
        return None
    return (max(0.0, nx0), max(0.0, ny0), min(1.0, nx1), min(1.0, ny1))


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
