"""Real JPEG frames made from ../shared/media (never stored in the repo)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2


@lru_cache(maxsize=8)
def video_jpegs(
    path: str, count: int, size: tuple[int, int] = (640, 480), quality: int = 80, step: int = 1
) -> tuple[bytes, ...]:
    """`count` frames of a video as JPEGs at `size`, every `step`-th decodable frame."""
    cap = cv2.VideoCapture(str(path))
    out: list[bytes] = []
    index = 0
    failures = 0
    while len(out) < count and failures < 50:
        ok, bgr = cap.read()
        if not ok:
            failures += 1
            continue
        if index % step == 0:
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
            ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
            assert ok
            out.append(buf.tobytes())
        index += 1
    cap.release()
    assert len(out) == count, f"{path}: only {len(out)} frames decoded"
    return tuple(out)


def still_jpeg(path: Path, size: tuple[int, int] | None = (640, 480), quality: int = 85) -> bytes:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert bgr is not None, path
    if size:
        bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()
