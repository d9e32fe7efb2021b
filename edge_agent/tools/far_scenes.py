"""Test scenes with far, small people (issue 20), made from the shared media; nothing is stored.

Deterministic (seeded noise, fixed frame order): the benchmark (`tools/regions_bench.py`) and the
tests (`tests/edge/test_regions.py`) build the same frames from `../shared/media`:

- `far_walk`: a still background (a still of the shared media upscaled to the camera's size,
  plus light sensor noise, fresh in each frame) with opencv_vtest.avi's pedestrians walking in
  one corner, the whole vtest frame scaled down (`scale` 0.6 makes its people 25-60 px tall,
  median about 42 px; vtest itself is 768x576 with people of 40-110 px);
- person-free scenes of the same size: `still_noise` (the still with sensor noise), `flicker`
  (the still with its brightness going up and down, as auto exposure and clouds do, and
  rain-like streaks in every frame), `tree` (opencv_tree.avi, leaves in the wind, upscaled).

Frames are JPEG bytes (quality 80), as a camera publishes them; `*_rgb` give the decoded RGB
frames for the smart camera's pipeline.
"""

from __future__ import annotations

import functools
import itertools
from pathlib import Path
from typing import Any

import cv2
import numpy as np

BACKGROUND = "skimage_coffee.png"
WALK = "opencv_vtest.avi"
TREE = "opencv_tree.avi"
QUALITY = 80


def _jpeg(bgr: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])[1].tobytes()


def _noisy(bgr: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    if sigma <= 0:
        return bgr.copy()
    noise = rng.normal(0.0, sigma, bgr.shape).astype(np.float32)
    noisy: np.ndarray = np.clip(bgr.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    return noisy


def still(media: Path, size: tuple[int, int]) -> np.ndarray:
    """The background still (BGR), upscaled to `size` (w, h)."""
    img = cv2.imread(str(Path(media) / BACKGROUND), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f"{BACKGROUND} not found in {media}")
    return cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)


def video(path: Path, count: int, start: int = 0) -> list[np.ndarray]:
    """`count` BGR frames of a video from frame `start` (looping back to its start if shorter)."""
    cap = cv2.VideoCapture(str(path))
    frames: list[np.ndarray] = []
    index = 0
    while len(frames) < count + start:
        ok, bgr = cap.read()
        if not ok:
            if index == 0:
                raise FileNotFoundError(f"cannot read {path}")
            cap.release()
            cap = cv2.VideoCapture(str(path))
            continue
        index += 1
        frames.append(bgr)
    cap.release()
    return frames[start:]


def walker_box(
    size: tuple[int, int],
    scale: float,
    corner: str = "top-right",
    rows: tuple[int, int] = (0, 576),
) -> tuple[int, int, int, int]:
    """Where the scaled vtest frame (its `rows` band) goes in a frame of `size`: (x0, y0, x1, y1)."""
    w, h = size
    pw, ph = round(768 * scale), round((rows[1] - rows[0]) * scale)
    margin = round(0.03 * h)
    x0 = w - pw - margin if "right" in corner else margin
    y0 = margin if "top" in corner else h - ph - margin
    return x0, y0, x0 + pw, y0 + ph


def far_walk_bgr(
    media: Path,
    size: tuple[int, int] = (1280, 720),
    count: int = 60,
    scale: float = 0.6,
    corner: str = "top-right",
    start: int = 100,
    sigma: float = 3.0,
    seed: int = 1,
    rows: tuple[int, int] = (0, 576),
) -> list[np.ndarray]:
    """BGR frames: vtest's walk (its `rows` band, the whole frame by default) scaled by `scale`
    into `corner` of the still at `size`."""
    bg = still(media, size)
    x0, y0, x1, y1 = walker_box(size, scale, corner, rows)
    rng = np.random.default_rng(seed)
    out = []
    for f in video(Path(media) / WALK, count, start):
        frame = bg.copy()
        band = f[rows[0] : rows[1]]
        frame[y0:y1, x0:x1] = cv2.resize(band, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        out.append(_noisy(frame, rng, sigma))
    return out


@functools.lru_cache(maxsize=2)
def _walk_background(media: str) -> np.ndarray:
    """vtest without its people: the median of every 8th of its 795 frames."""
    frames = video(Path(media) / WALK, 795)[::8]
    bg: np.ndarray = np.median(np.stack(frames), axis=0).astype(np.uint8)
    return bg


FAR_FEET = (90, 165)  # vtest rows where the kept walkers' feet are: people 31-56 px tall there


def far_only_bgr(
    media: Path, count: int = 60, start: int = 100, feet: tuple[int, int] = FAR_FEET
) -> list[np.ndarray]:
    """vtest frames with only its far walkers: each moving blob (the frame against vtest's
    median background, dilated so one person is one blob) whose feet are not within the rows
    `feet` is painted over with the background. People whose feet are at rows 90-165 of vtest
    are 31-56 px tall there (the model's boxes on the full-size frames), so scaled by 0.9 they
    are about 28-50 px tall."""
    frames = video(Path(media) / WALK, count, start)
    bg = _walk_background(str(media))
    out = []
    for f in frames:
        moving = (cv2.absdiff(f, bg).max(axis=2) > 25).astype(np.uint8)
        moving = cv2.dilate(moving, np.ones((31, 9), np.uint8))
        n, labels, stats, _ = cv2.connectedComponentsWithStats(moving)
        keep = np.zeros(f.shape[:2], bool)
        for i in range(1, n):
            bottom = stats[i, 1] + stats[i, 3] - 15  # the dilation's half height
            if stats[i, 4] > 300 and feet[0] <= bottom <= feet[1]:
                keep |= labels == i
        out.append(np.where(keep[:, :, None], f, bg))
    return out


def far_people_bgr(
    media: Path,
    size: tuple[int, int] = (1280, 720),
    count: int = 60,
    scale: float = 0.9,
    start: int = 100,
    sigma: float = 3.0,
    seed: int = 1,
) -> list[np.ndarray]:
    """BGR frames of the issue's target scene: vtest's far walkers only (`far_only_bgr`) scaled
    by `scale` into the top-right corner of the still at `size`, with sensor noise."""
    bg = still(media, size)
    x0, y0, x1, y1 = walker_box(size, scale)
    rng = np.random.default_rng(seed)
    out = []
    for f in far_only_bgr(media, count, start):
        frame = bg.copy()
        frame[y0:y1, x0:x1] = cv2.resize(f, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        out.append(_noisy(frame, rng, sigma))
    return out


def far_people(media: Path, size: tuple[int, int] = (1280, 720), count: int = 60, **kw: Any) -> list[bytes]:
    return [_jpeg(f) for f in far_people_bgr(media, size, count, **kw)]


def far_people_moving(
    media: Path, size: tuple[int, int] = (1280, 720), count: int = 60, **kw: Any
) -> list[bool]:
    """Which frames of `far_people` the people move in: at least 100 pixels differ by more than
    20 grey levels from the frame before (noise-free; the first frame counts as moving)."""
    clean = far_people_bgr(media, size, count, sigma=0.0, **kw)
    changed = [int((cv2.absdiff(a, b).max(axis=2) > 20).sum()) for a, b in itertools.pairwise(clean)]
    return [True] + [c >= 100 for c in changed]


def far_walk(media: Path, size: tuple[int, int] = (1280, 720), count: int = 60, **kw: Any) -> list[bytes]:
    return [_jpeg(f) for f in far_walk_bgr(media, size, count, **kw)]


def vtest(media: Path, count: int = 60, start: int = 100) -> list[bytes]:
    """opencv_vtest.avi itself (768x576, people 40-110 px tall), as JPEG frames."""
    return [_jpeg(f) for f in video(Path(media) / WALK, count, start)]


def far_stand(media: Path, size: tuple[int, int] = (1280, 720), count: int = 60, **kw: Any) -> list[bytes]:
    """One frame of the far walk, repeated with fresh sensor noise: people standing still."""
    first = far_walk_bgr(media, size, 1, sigma=0.0, **{k: v for k, v in kw.items() if k != "seed"})[0]
    rng = np.random.default_rng(kw.get("seed", 3))
    return [_jpeg(_noisy(first, rng, 3.0)) for _ in range(count)]


def still_noise(
    media: Path, size: tuple[int, int] = (1280, 720), count: int = 40, sigma: float = 6.0, seed: int = 1
) -> list[bytes]:
    """The still with fresh Gaussian sensor noise in each frame (motion_bench's quiet scene, bigger)."""
    bg = still(media, size)
    rng = np.random.default_rng(seed)
    return [_jpeg(_noisy(bg, rng, sigma)) for _ in range(count)]


def flicker(media: Path, size: tuple[int, int] = (1280, 720), count: int = 40, seed: int = 1) -> list[bytes]:
    """The still, its brightness swinging by up to +-20 levels, with 300 rain-like streaks (1 px
    wide, 6-16 px long, a little lighter than what they cross) at new places in each frame."""
    bg = still(media, size).astype(np.float32)
    rng = np.random.default_rng(seed)
    w, h = size
    out = []
    for i in range(count):
        frame = bg + 20.0 * np.sin(i * 0.7)
        streaks = np.zeros((h, w), np.float32)
        for x, y, length in zip(
            rng.integers(0, w, 300), rng.integers(0, h, 300), rng.integers(6, 17, 300), strict=True
        ):
            cv2.line(streaks, (int(x), int(y)), (int(x) + 1, int(y + length)), 25.0, 1)
        frame = frame + streaks[:, :, None] + rng.normal(0.0, 3.0, frame.shape)
        out.append(_jpeg(np.clip(frame, 0, 255).astype(np.uint8)))
    return out


def tree(media: Path, size: tuple[int, int] = (1280, 720), count: int = 60) -> list[bytes]:
    """opencv_tree.avi (leaves in the wind; no person), upscaled to `size`."""
    return [
        _jpeg(cv2.resize(f, size, interpolation=cv2.INTER_LINEAR)) for f in video(Path(media) / TREE, count)
    ]


def decoded(frames: list[bytes]) -> list[np.ndarray]:
    """JPEG frames as RGB arrays (the smart camera's pipeline gets RGB from its source)."""
    return [_rgb(f) for f in frames]


def _rgb(jpeg: bytes) -> np.ndarray:
    bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert bgr is not None  # our own frames
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
