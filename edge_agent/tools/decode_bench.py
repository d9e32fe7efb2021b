"""Which JPEG decoder to use for the detector: `python -m edge_agent.tools.decode_bench`.

Times four ways of turning a 640x480 camera JPEG into the model's 300x300 RGB input, and checks
that each gives the same detections (persons per frame, real model) on the pedestrian video.
The figures are in docs/detection.md ("Decoder").
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from edge_agent.detect.imaging import decode_jpeg, encode_jpeg, resize

FRAME = (640, 480)


def _cv(data: bytes, flag: int) -> np.ndarray:
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), flag), cv2.COLOR_BGR2RGB)


def _pil(data: bytes, draft: bool) -> np.ndarray:
    img = Image.open(io.BytesIO(data))
    if draft:
        # libjpeg DCT scaling to 1/2: draft never goes below the size asked for, and 300x300
        # would leave a 640x480 frame unscaled, so ask for half the frame.
        img.draft("RGB", (img.width // 2, img.height // 2))
    return np.asarray(img.convert("RGB"))


def _area(rgb: np.ndarray, target: tuple[int, int]) -> np.ndarray:
    return cv2.resize(rgb, target, interpolation=cv2.INTER_AREA)


def _linear(rgb: np.ndarray, target: tuple[int, int]) -> np.ndarray:
    return cv2.resize(rgb, target, interpolation=cv2.INTER_LINEAR)


def engine(data: bytes, target: tuple[int, int]) -> np.ndarray:
    """What the detector uses: imaging.decode_jpeg (header check, reduced decode when big enough)."""
    return decode_jpeg(data, target)[0]


# The first row is the reference for the quality columns: a full decode.
DECODERS: dict[str, Callable[[bytes, tuple[int, int]], np.ndarray]] = {
    "opencv, area resize": lambda d, t: _area(_cv(d, cv2.IMREAD_COLOR), t),
    "pillow, area resize": lambda d, t: _area(_pil(d, False), t),
    "opencv, bilinear": lambda d, t: _linear(_cv(d, cv2.IMREAD_COLOR), t),
    "pillow draft 1/2, bilin.": lambda d, t: _linear(_pil(d, True), t),
    "opencv reduced-2, bilin.": lambda d, t: _linear(_cv(d, cv2.IMREAD_REDUCED_COLOR_2), t),
    "opencv reduced-4, bilin.": lambda d, t: _linear(_cv(d, cv2.IMREAD_REDUCED_COLOR_4), t),
    "decode_jpeg (engine)": engine,
}


def video_jpegs(
    video: Path, count: int, step: int, size: tuple[int, int] = FRAME, quality: int = 80
) -> list[bytes]:
    cap = cv2.VideoCapture(str(video))
    out: list[bytes] = []
    index = 0
    while len(out) < count:
        ok, frame = cap.read()
        if not ok:
            break
        if index % step == 0:
            rgb = cv2.cvtColor(resize(frame, size), cv2.COLOR_BGR2RGB)
            out.append(encode_jpeg(rgb, quality))
        index += 1
    cap.release()
    if not out:
        raise SystemExit(f"no frames read from {video}")
    return out


def time_decoders(jpegs: list[bytes], target: tuple[int, int], repeat: int) -> dict[str, float]:
    """Fastest of `repeat` rounds, in ms per frame, for each decoder.

    Rounds go through all decoders in turn, so that load from other processes hits them alike,
    and the minimum is taken because such load only ever adds time.
    """
    best = {name: float("inf") for name in DECODERS}
    for _ in range(repeat):
        for name, fn in DECODERS.items():
            start = time.perf_counter()
            for data in jpegs:
                fn(data, target)
            best[name] = min(best[name], (time.perf_counter() - start) * 1000 / len(jpegs))
    return best


def main(argv: list[str] | None = None) -> int:
    shared = Path(os.environ.get("BOBBY_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    p = argparse.ArgumentParser(
        prog="python -m edge_agent.tools.decode_bench", description=__doc__.splitlines()[0]
    )
    p.add_argument(
        "--video",
        type=Path,
        default=Path(os.environ.get("BOBBY_MEDIA", shared / "media")) / "opencv_vtest.avi",
    )
    p.add_argument("--model", default=None, help="model for the quality check (default: resolve_model)")
    p.add_argument("--frames", type=int, default=50)
    p.add_argument("--step", type=int, default=15, help="take every Nth video frame (spread over the clip)")
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--size", default="640x480", help="frame size WxH the video is scaled to before encoding")
    args = p.parse_args(argv)

    from edge_agent.detect.detector import Detector
    from edge_agent.detect.model import resolve_model

    if args.model is None and not os.environ.get("BOBBY_MODEL"):
        default = shared / "models" / "coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite"
        args.model = default if default.is_file() else None
    detector = Detector(resolve_model(args.model), min_score=args.threshold)
    target = detector.input_size
    size = tuple(int(v) for v in args.size.lower().split("x"))
    jpegs = video_jpegs(args.video, args.frames, args.step, size)
    print(
        f"{len(jpegs)} JPEG frames {size[0]}x{size[1]} quality 80 from {args.video.name}, "
        f"mean {sum(map(len, jpegs)) // len(jpegs)} bytes; target {target[0]}x{target[1]}; "
        f"OpenCV {cv2.__version__}, Pillow {Image.__version__}"
    )
    for fn in DECODERS.values():  # warm up caches and lazy imports before timing
        fn(jpegs[0], target)

    reference: list[int] | None = None
    print(f"{'decoder':24} {'ms/frame':>9} {'persons':>8} {'frames differing':>17} {'mean |score diff|':>18}")
    ref_scores: list[list[float]] = []
    timings = time_decoders(jpegs, target, args.repeat)
    for name, fn in DECODERS.items():
        ms = timings[name]
        counts, scores = [], []
        for data in jpegs:
            objs = [o for o in detector.detect(fn(data, target)) if o.label == "person"]
            counts.append(len(objs))
            scores.append(sorted((o.score for o in objs), reverse=True))
        if reference is None:
            reference, ref_scores = counts, scores
        differing = sum(1 for a, b in zip(counts, reference, strict=False) if a != b)
        diffs = [
            abs(a - b) for s, r in zip(scores, ref_scores, strict=False) for a, b in zip(s, r, strict=False)
        ]
        mean_diff = statistics.fmean(diffs) if diffs else 0.0
        print(f"{name:24} {ms:9.2f} {sum(counts):8d} {differing:11d} of {len(jpegs):<3d} {mean_diff:18.3f}")
    print(
        f"(persons: total over all frames at score >= {args.threshold:.2f}; differences are against the first row)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
