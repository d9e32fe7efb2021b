"""Which JPEG decoder to use for the detector: `python -m edge_agent.tools.decode_bench`.

Times the ways of turning a camera JPEG (640x480 by default) into the model's 300x300 RGB input
(OpenCV, Pillow, libturbojpeg through PyTurboJPEG with its M/8 DCT scaling) and checks that each
gives the same detections (persons per frame, real model) on the pedestrian video and on the
stills of the shared media that show people. The figures are in docs/detection.md ("Decoder").
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

import cv2
import numpy as np
import numpy.typing as npt
import PIL
from PIL import Image

from edge_agent.detect import imaging
from edge_agent.detect.imaging import decode_jpeg, encode_jpeg, load_image, resize

if TYPE_CHECKING:
    from edge_agent.detect.detector import Detector

FRAME = (640, 480)


def _cv(data: bytes, flag: int) -> np.ndarray:
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), flag)
    assert bgr is not None  # the bench's own frames
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


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


def _tj(data: bytes, factor: tuple[int, int] | None, flags: int = 0) -> np.ndarray:
    """libturbojpeg (PyTurboJPEG) straight to RGB, scaled by `factor` during the IDCT."""
    tj = imaging._turbo_decoder()
    assert tj is not None  # the turbojpeg rows run only when it loaded (TURBO_ROWS)
    rgb: npt.NDArray[np.uint8] = tj.decode(data, pixel_format=0, scaling_factor=factor, flags=flags)
    return rgb


def _tj_smallest(data: bytes, target: tuple[int, int]) -> np.ndarray:
    """The smallest of all M/8 factors whose output is still at least the target."""
    tj = imaging._turbo_decoder()
    assert tj is not None  # as in _tj
    factor = imaging.smallest_scale(imaging.jpeg_dimensions(data), target, tj.scaling_factors)
    return _tj(data, factor)


def engine(data: bytes, target: tuple[int, int]) -> np.ndarray:
    """What the detector uses: imaging.decode_jpeg (header check, then its decoder's best path)."""
    return decode_jpeg(data, target)[0]


def engine_opencv(data: bytes, target: tuple[int, int]) -> np.ndarray:
    """imaging.decode_jpeg's fallback where libturbojpeg is missing (the engine before PyTurboJPEG)."""
    return decode_jpeg(data, target, decoder="opencv")[0]


# The first row is the reference for the quality columns: a full decode.
DECODERS: dict[str, Callable[[bytes, tuple[int, int]], np.ndarray]] = {
    "opencv, area resize": lambda d, t: _area(_cv(d, cv2.IMREAD_COLOR), t),
    "pillow, area resize": lambda d, t: _area(_pil(d, False), t),
    "opencv, bilinear": lambda d, t: _linear(_cv(d, cv2.IMREAD_COLOR), t),
    "pillow draft 1/2, bilin.": lambda d, t: _linear(_pil(d, True), t),
    "opencv reduced-2, bilin.": lambda d, t: _linear(_cv(d, cv2.IMREAD_REDUCED_COLOR_2), t),
    "opencv reduced-4, bilin.": lambda d, t: _linear(_cv(d, cv2.IMREAD_REDUCED_COLOR_4), t),
    "turbojpeg 1/1, bilinear": lambda d, t: _linear(_tj(d, None), t),
    "turbojpeg M/8, bilinear": lambda d, t: _linear(_tj_smallest(d, t), t),
    "turbojpeg 1/2, bilinear": lambda d, t: _linear(_tj(d, (1, 2)), t),
    # TJFLAG_FASTDCT | TJFLAG_FASTUPSAMPLE: the integer IDCT and plain chroma upsampling
    "turbojpeg 1/1 fast, bilin.": lambda d, t: _linear(_tj(d, None, imaging._TJ_FLAGS), t),
    "decode_jpeg, opencv": engine_opencv,
    "decode_jpeg (engine)": engine,
}
TURBO_ROWS = [name for name in DECODERS if name.startswith("turbojpeg")]


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
    """Fastest of `repeat` rounds, in CPU ms per frame (the process's, all threads), per decoder.

    Rounds go through all decoders in turn, so that load from other processes hits them alike;
    CPU time rather than the wall clock, because on a shared machine a round is often preempted,
    and the minimum because such load only ever adds time.
    """
    best = {name: float("inf") for name in DECODERS}
    for _ in range(repeat):
        for name, fn in DECODERS.items():
            start = time.process_time()
            for data in jpegs:
                fn(data, target)
            best[name] = min(best[name], (time.process_time() - start) * 1000 / len(jpegs))
    return best


STILLS_WITH_PEOPLE = (  # from /work/shared/media/MANIFEST.tsv, column "person"
    "skimage_astronaut.png",
    "skimage_camera.png",
    "tflsupport_segmentation_input_rotation0.jpg",
)


def still_jpegs(media: Path, quality: int = 80) -> dict[str, bytes]:
    """The stills that show people, as the JPEGs a camera would send (a JPEG file as it is)."""
    out = {}
    for name in STILLS_WITH_PEOPLE:
        path = media / name
        if path.is_file():
            out[name] = path.read_bytes() if path.suffix == ".jpg" else encode_jpeg(load_image(path), quality)
    return out


def persons(
    detector: Detector,
    fn: Callable[[bytes, tuple[int, int]], np.ndarray],
    data: bytes,
    target: tuple[int, int],
) -> list[float]:
    return sorted((o.score for o in detector.detect(fn(data, target)) if o.label == "person"), reverse=True)


def main(argv: list[str] | None = None) -> int:
    shared = Path(os.environ.get("BOBBY_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    media = Path(os.environ.get("BOBBY_MEDIA", shared / "media"))
    p = argparse.ArgumentParser(
        prog="python -m edge_agent.tools.decode_bench", description=__doc__.splitlines()[0]
    )
    p.add_argument("--video", type=Path, default=media / "opencv_vtest.avi")
    p.add_argument("--model", default=None, help="model for the quality check (default: resolve_model)")
    p.add_argument("--frames", type=int, default=50)
    p.add_argument("--step", type=int, default=15, help="take every Nth video frame (spread over the clip)")
    p.add_argument("--repeat", type=int, default=15)
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
    size = cast("tuple[int, int]", tuple(int(v) for v in args.size.lower().split("x")))  # WxH
    jpegs = video_jpegs(args.video, args.frames, args.step, size)
    if imaging.jpeg_decoder() == "turbojpeg":
        tj = imaging._turbo_decoder()
        assert tj is not None  # jpeg_decoder() said so
        factor = imaging.turbo_scale(size, target)
        smallest = imaging.smallest_scale(size, target, tj.scaling_factors)
        turbo = (
            f"libturbojpeg via PyTurboJPEG; for {size[0]}x{size[1]} the engine decodes at "
            f"{factor[0]}/{factor[1]}, the smallest M/8 is {smallest[0]}/{smallest[1]}"
        )
    else:
        turbo = "libturbojpeg not loaded: its rows are left out"
        for name in TURBO_ROWS:
            DECODERS.pop(name)
    print(
        f"{len(jpegs)} JPEG frames {size[0]}x{size[1]} quality 80 from {args.video.name}, "
        f"mean {sum(map(len, jpegs)) // len(jpegs)} bytes; target {target[0]}x{target[1]}; "
        f"OpenCV {cv2.__version__}, Pillow {PIL.__version__}; {turbo}"
    )
    for fn in DECODERS.values():  # warm up caches and lazy imports before timing
        fn(jpegs[0], target)

    print(f"{'decoder':24} {'CPU ms':>9} {'persons':>8} {'frames differing':>17} {'mean |score diff|':>18}")
    reference: list[int] | None = None
    ref_scores: list[list[float]] = []
    timings = time_decoders(jpegs, target, args.repeat)
    for name, fn in DECODERS.items():
        ms = timings[name]
        scores = [persons(detector, fn, data, target) for data in jpegs]
        counts = [len(s) for s in scores]
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

    stills = still_jpegs(media)
    if stills:
        print("\nstills with people (persons found, best score):")
        names = list(stills)
        print(f"{'decoder':24} " + " ".join(f"{n[:26]:>28}" for n in names))
        for name, fn in DECODERS.items():
            cells = []
            for still in names:
                found = persons(detector, fn, stills[still], target)
                w, h = imaging.jpeg_dimensions(stills[still])
                cells.append(f"{w}x{h}: {len(found)}, {found[0] if found else 0:.2f}")
            print(f"{name:24} " + " ".join(f"{c:>28}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
