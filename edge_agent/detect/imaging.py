"""Image decoding, resizing, encoding and drawing for the detector.

Frames arrive as JPEG (from a dumb camera over MQTT, or from a smart camera's encoder), and the
model wants a small RGB array (300x300 for SSD MobileNet). The fastest path that keeps detection
quality was measured with `python -m edge_agent.tools.decode_bench` (see docs/detection.md, "Decoder"):
libjpeg-turbo through PyTurboJPEG, scaling during the IDCT where the frame is large enough
(`turbo_scale`), straight to RGB, then one bilinear `cv2.resize`; a frame decoded whole (640x480
for a 300x300 model) goes through its Y/Cb/Cr planes instead, resized before the colour
conversion (`_yuv_to_target`). Where libturbojpeg cannot be loaded,
OpenCV's decoder, which offers only 1/2, 1/4 and 1/8 (at 640x480, 1/2 is 320x240, below the
model input: it lost 4 % of the persons, so a 640x480 frame is decoded whole there).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

import cv2
import numpy as np
import numpy.typing as npt

from edge_agent.detect.captions import place_captions
from edge_agent.detect.detection import DetectedObject

if TYPE_CHECKING:
    from turbojpeg import TurboJPEG  # PyTurboJPEG has no type information: Any here

log = logging.getLogger(__name__)

# "opencv" forces the fallback decoder (for comparisons); anything else: libturbojpeg if it loads.
DECODER_ENV = "BOBBY_JPEG_DECODER"


class ImageDecodeError(ValueError):
    """Bytes or a file that do not decode as an image; the message says why."""


# Start-of-frame markers that carry the image size (baseline, progressive, lossless, arithmetic).
# C4 (DHT), C8 (JPG extension) and CC (DAC) share the range but are not frames.
_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
# Markers without a length field.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def _scan_header(data: bytes) -> tuple[tuple[int, int], int]:
    """Walk the JPEG marker segments up to the first scan: ((w, h), offset of the SOS marker)."""
    if not data:
        raise ImageDecodeError("empty data, not a JPEG")
    if data[:2] != b"\xff\xd8":
        kind = "PNG" if data[:8] == b"\x89PNG\r\n\x1a\n" else "data"
        raise ImageDecodeError(f"not a JPEG ({kind} without the FF D8 start-of-image marker)")
    size: tuple[int, int] | None = None
    i, n = 2, len(data)
    while i < n:
        if data[i] != 0xFF:
            raise ImageDecodeError(f"corrupt JPEG: expected a marker at byte {i}")
        while i < n and data[i] == 0xFF:  # fill bytes before a marker are allowed
            i += 1
        if i >= n:
            break
        marker = data[i]
        i += 1
        if marker in _STANDALONE:
            continue
        if marker == 0xD9:
            break
        if i + 2 > n:
            break
        length = int.from_bytes(data[i : i + 2], "big")
        if length < 2:
            raise ImageDecodeError(f"corrupt JPEG: bad segment length at byte {i}")
        if marker in _SOF_MARKERS:
            if i + 7 > n:
                break
            h = int.from_bytes(data[i + 3 : i + 5], "big")
            w = int.from_bytes(data[i + 5 : i + 7], "big")
            if w == 0 or h == 0:
                raise ImageDecodeError(f"corrupt JPEG: frame size {w}x{h}")
            size = (w, h)
        elif marker == 0xDA:  # start of scan: entropy-coded data follows
            if size is None:
                raise ImageDecodeError("corrupt JPEG: scan before any frame header")
            return size, i - 2
        i += length
    raise ImageDecodeError("truncated JPEG: the headers end before the image data")


def jpeg_dimensions(data: bytes) -> tuple[int, int]:
    """(width, height) from the SOF marker, without decoding the image."""
    return _scan_header(data)[0]


def _reduced_flag(size: tuple[int, int], target: tuple[int, int] | None) -> int:
    """The cheapest imdecode mode whose output is still at least `target` in both dimensions."""
    if target is None:
        return cv2.IMREAD_COLOR
    (w, h), (tw, th) = size, target
    if w >= 4 * tw and h >= 4 * th:
        return cv2.IMREAD_REDUCED_COLOR_4
    if w >= 2 * tw and h >= 2 * th:
        return cv2.IMREAD_REDUCED_COLOR_2
    return cv2.IMREAD_COLOR


def _load_turbojpeg() -> TurboJPEG:
    """A PyTurboJPEG decoder bound to libturbojpeg; raises when either is missing."""
    from turbojpeg import TurboJPEG

    return TurboJPEG()


# libjpeg-turbo's warnings (e.g. "Corrupt JPEG data: premature end of data segment") come out of
# PyTurboJPEG as Python warnings, once per frame: the frame still decodes, as with OpenCV (which
# lets libjpeg print them to stderr), and a stream of bad frames must not flood the log.
warnings.filterwarnings("ignore", category=UserWarning, module="turbojpeg")

_TJPF_RGB = 0  # TurboJPEG's pixel format constant for packed RGB (TJPF_RGB in turbojpeg.h)
_UNSET = object()
_turbo: object = _UNSET  # the TurboJPEG instance, None when the OpenCV fallback is in use
_turbo_scales: list[tuple[int, int]] = []  # its scaling factors <= 1, smallest first
_turbo_lock = threading.Lock()


def _turbo_decoder() -> TurboJPEG | None:
    global _turbo, _turbo_scales
    if _turbo is not _UNSET:
        return cast("TurboJPEG | None", _turbo)
    with _turbo_lock:
        if _turbo is _UNSET:
            tj = None
            if os.environ.get(DECODER_ENV, "").strip().lower() == "opencv":
                log.info("JPEG decoder: OpenCV (%s=opencv); scaled decoding by 1/2 and 1/4 only", DECODER_ENV)
            else:
                try:
                    tj = _load_turbojpeg()
                except Exception as err:  # ImportError, OSError (no library), RuntimeError (its version)
                    log.info(
                        "JPEG decoder: OpenCV; libturbojpeg unavailable (%s: %s), so no M/8 scaled decoding",
                        type(err).__name__,
                        str(err).splitlines()[0] if str(err) else "",
                    )
                else:
                    _turbo_scales = [f for f in tj.scaling_factors if f[0] <= f[1]]
                    log.info(
                        "JPEG decoder: libturbojpeg (PyTurboJPEG), scaled while decoding down to the model input"
                    )
            _turbo = tj
    return cast("TurboJPEG | None", _turbo)  # set above


def jpeg_decoder() -> str:
    """Which decoder `decode_jpeg` uses: "turbojpeg" or "opencv" (loads it on first call)."""
    return "opencv" if _turbo_decoder() is None else "turbojpeg"


def set_jpeg_decoder(name: str = "auto") -> str:
    """Choose the decoder again: "auto" (libturbojpeg if it loads) or "opencv"; returns the one in use."""
    global _turbo
    if name not in ("auto", "opencv"):
        raise ValueError(f"unknown JPEG decoder {name!r} (auto or opencv)")
    with _turbo_lock:
        _turbo = None if name == "opencv" else _UNSET
    return jpeg_decoder()


def _scaled(dim: int, factor: tuple[int, int]) -> int:
    return (dim * factor[0] + factor[1] - 1) // factor[1]  # libjpeg's TJSCALED: rounds up


def smallest_scale(
    size: tuple[int, int], target: tuple[int, int], factors: Sequence[tuple[int, int]]
) -> tuple[int, int]:
    """The smallest of `factors` (num, denom) that keeps `size` at least `target`; (1, 1) if none."""
    (w, h), (tw, th) = size, target
    ok = [f for f in factors if f[0] <= f[1] and _scaled(w, f) >= tw and _scaled(h, f) >= th]
    return min(ok, key=lambda f: f[0] / f[1], default=(1, 1))


# libjpeg-turbo has SIMD code for the full 8x8 IDCT and for the 4x4, 2x2 and 1x1 reduced ones
# (1/2, 1/4, 1/8); the other M/8 scales run in plain C. Measured by decode_bench for a 300x300
# input: at 640x480, 5/8 (400x300) cost 1.12 ms of CPU against 0.89 ms for a full decode and
# found fewer persons (339 against 357), so a SIMD scale comes first; at 1920x1080, 1/2 leaves
# 960x540, a 3.2x reduction that needs INTER_AREA (6.3 ms in all), where 3/8 (720x405, then
# bilinear) took 4.5 ms and found as many persons. Hence: the smallest SIMD scale not below the
# target, unless its output would need INTER_AREA, then the smallest M/8 scale not below it.
_SIMD_SCALES = ((1, 8), (1, 4), (1, 2), (1, 1))
# TJFLAG_FASTUPSAMPLE | TJFLAG_FASTDCT (plain chroma upsampling, the integer IDCT) for whole-frame
# decodes: at 640x480, 0.1 ms less and as many persons found (360 against 357; decode_bench).
# Not for scaled ones, where the IDCT is the scaled one anyway and at 1280x720 the fast
# upsampling found 355 persons against 358.
_TJ_FASTUPSAMPLE, _TJ_FASTDCT = 256, 2048
_TJ_FLAGS = _TJ_FASTUPSAMPLE | _TJ_FASTDCT
_TJCS_YCBCR = 1  # TJCS_YCbCr in turbojpeg.h: the colour space decode_header reports


def turbo_scale(size: tuple[int, int], target: tuple[int, int] | None) -> tuple[int, int]:
    """The scaling factor `decode_jpeg` asks libjpeg-turbo for, decoding `size` for `target`."""
    if target is None or _turbo_decoder() is None:
        return (1, 1)
    f = smallest_scale(size, target, [f for f in _SIMD_SCALES if f in _turbo_scales])
    (w, h), (tw, th) = size, target
    if max(_scaled(w, f) / tw, _scaled(h, f) / th) > _AREA_ABOVE:
        f = smallest_scale(size, target, _turbo_scales)
    return f


# Beyond this shrink factor bilinear resizing starts to alias (it reads only 2x2 source pixels).
_AREA_ABOVE = 3.0


def _resize_bgr_or_rgb(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    if img.shape[1] == w and img.shape[0] == h:
        return img
    # Bilinear is 2-3x faster than INTER_AREA at non-integer factors (640x480 -> 300x300: 1.6
    # against 4.3 ms) and found as many persons in decode_bench; AREA (which averages what it
    # drops) only for big reductions such as a 12 MP still.
    return cv2.resize(img, (w, h), interpolation=_interpolation((img.shape[1], img.shape[0]), size))


def decode_jpeg(
    data: bytes,
    target: tuple[int, int] | None = None,
    *,
    max_pixels: int | None = None,
    decoder: str = "auto",
) -> tuple[np.ndarray, tuple[int, int]]:
    """Decode a JPEG to RGB uint8, resized to `target` (w, h) when given; also the original (w, h).

    Raises ImageDecodeError for empty, non-JPEG, corrupt or truncated data, and for a frame whose
    header declares more than `max_pixels` pixels (checked before anything is decoded).
    `decoder="opencv"` skips libturbojpeg for this call (comparisons; the default picks the best
    one that loaded, see `jpeg_decoder()`).
    """
    if not isinstance(data, (bytes, bytearray)):
        data = bytes(data)  # memoryview (e.g. from a socket buffer) has no rfind
    size = _checked_size(data, max_pixels)
    if target is not None and decoder != "opencv":
        planes = _yuv_to_target(data, size, target)
        if planes is not None:
            return planes[0], size
    img, bgr = _decode(data, size, target, decoder)
    if target is not None:
        img = _resize_bgr_or_rgb(img, target)
    return (cv2.cvtColor(img, cv2.COLOR_BGR2RGB) if bgr else img), size


def decode_jpeg_with_luma(
    data: bytes, target: tuple[int, int], *, max_pixels: int | None = None
) -> tuple[np.ndarray, tuple[int, int], np.ndarray]:
    """`decode_jpeg(data, target)` and, from the same decode, the frame's luma (grey, at least
    `target` in both dimensions): listen_frame's worker makes the motion gate's thumbnail from it
    instead of decoding the JPEG a second time. Same errors as `decode_jpeg`."""
    if not isinstance(data, (bytes, bytearray)):
        data = bytes(data)
    size = _checked_size(data, max_pixels)
    planes = _yuv_to_target(data, size, target)
    if planes is not None:
        return planes[0], size, planes[1]
    img, bgr = _decode(data, size, target, "auto")
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY if bgr else cv2.COLOR_RGB2GRAY)
    img = _resize_bgr_or_rgb(img, target)
    return (cv2.cvtColor(img, cv2.COLOR_BGR2RGB) if bgr else img), size, grey


def _interpolation(src: tuple[int, int], target: tuple[int, int]) -> int:
    factor = max(src[0] / target[0], src[1] / target[1])
    return cv2.INTER_AREA if factor > _AREA_ABOVE else cv2.INTER_LINEAR


def _yuv_to_target(
    data: bytes, size: tuple[int, int], target: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray] | None:
    """(RGB at `target`, the luma plane) through libjpeg-turbo's YUV planes; None where that
    path does not apply (no libturbojpeg, a frame large enough for a scaled decode, odd sizes,
    grey or CMYK frames, a decode error: the caller decodes to RGB instead).

    A JPEG is stored as Y, Cb, Cr planes, the colour ones usually at half resolution. Decoding
    to RGB upsamples the colour planes to the whole frame and converts every pixel; resizing the
    planes to the model input first and converting there (90,000 pixels instead of 307,200 at
    640x480) costs 0.93 against 1.07 ms (decode_bench, docs/detection.md "Decoder"), and the
    Y plane gives the motion gate's thumbnail for 0.04 ms. Bilinear resizing and the YCbCr->RGB
    conversion are both linear, so the order changes only the rounding (under one grey level on
    average, tests/edge/test_imaging.py) and the persons found (the same 360 on opencv_vtest.avi).
    """
    tj = _turbo_decoder()
    w, h = size
    if tj is None or w % 2 or h % 2 or turbo_scale(size, target) != (1, 1):
        return None
    try:
        # Only YCbCr: an Adobe RGB-coded JPEG would hand back R, G, B planes as if Y, Cb, Cr,
        # and grey, CMYK and YCCK frames have no such three planes (20 µs, header only).
        if tj.decode_header(data)[3] != _TJCS_YCBCR:
            return None
        planes = tj.decode_to_yuv_planes(data, flags=_TJ_FASTDCT)
    except (OSError, ValueError):
        # a header or frame libturbojpeg refuses: decode_jpeg's RGB path, and OpenCV after
        # it, handle it (or raise ImageDecodeError)
        return None
    if len(planes) != 3:
        return None
    luma = planes[0][:h, :w]
    tw, th = target
    interpolation = _interpolation(size, target)
    y = cv2.resize(luma, (tw, th), interpolation=interpolation)
    cb, cr = (cv2.resize(p, (tw, th), interpolation=interpolation) for p in planes[1:])
    # JPEG's YCbCr is full-range BT.601, which is OpenCV's YCrCb (note the order).
    return cv2.cvtColor(cv2.merge((y, cr, cb)), cv2.COLOR_YCrCb2RGB), luma


def _checked_size(data: bytes, max_pixels: int | None) -> tuple[int, int]:
    """The frame's (w, h), after refusing a frame too large or cut short (nothing decoded yet)."""
    size, sos = _scan_header(data)
    if max_pixels is not None and size[0] * size[1] > max_pixels:
        raise ImageDecodeError(
            f"JPEG too large: {size[0]}x{size[1]} is {size[0] * size[1] / 1e6:.1f} MP, "
            f"the limit is {max_pixels / 1e6:.1f} MP"
        )
    # Entropy-coded data cannot contain FF D9 (FF is stuffed with 00), so an EOI after the first
    # scan is the end of the image. libjpeg would otherwise "decode" a truncated frame and fill
    # the rest with grey, which gives the model half a picture.
    if data.rfind(b"\xff\xd9") <= sos:
        raise ImageDecodeError(f"truncated JPEG: no end-of-image marker ({len(data)} bytes)")
    return size


def _decode(
    data: bytes, size: tuple[int, int], target: tuple[int, int] | None, decoder: str
) -> tuple[np.ndarray, bool]:
    """(the image at the decoder's reduced scale for `target`, whether it is BGR)."""
    tj = _turbo_decoder() if decoder != "opencv" else None
    refused = ""
    if tj is not None:
        try:
            scale = turbo_scale(size, target)
            flags = _TJ_FLAGS if scale == (1, 1) else 0
            return tj.decode(data, pixel_format=_TJPF_RGB, scaling_factor=scale, flags=flags), False
        except OSError as err:
            # libturbojpeg refuses what OpenCV may still read (e.g. CMYK): let OpenCV try.
            refused = f"libturbojpeg: {err}; "
    img = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), _reduced_flag(size, target))
    if img is None:
        raise ImageDecodeError(
            f"corrupt JPEG: {refused}OpenCV could not decode {len(data)} bytes ({size[0]}x{size[1]})"
        )
    return img, True


_TJPF_GRAY = 6  # TJPF_GRAY in turbojpeg.h
_CV_GREY_REDUCED = {
    8: cv2.IMREAD_REDUCED_GRAYSCALE_8,
    4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
    2: cv2.IMREAD_REDUCED_GRAYSCALE_2,
}


def decode_jpeg_grey(data: bytes, min_size: tuple[int, int]) -> np.ndarray:
    """The luma of a JPEG, decoded at the smallest of 1/8, 1/4, 1/2, 1 not below `min_size` (w, h).

    For the motion gate: at 1/8 libjpeg keeps only each 8x8 block's mean (the DC coefficient),
    half the cost of a full decode, and the averaging smooths sensor noise. Same errors as
    `decode_jpeg`.
    """
    if not isinstance(data, (bytes, bytearray)):
        data = bytes(data)
    size, sos = _scan_header(data)
    if data.rfind(b"\xff\xd9") <= sos:
        raise ImageDecodeError(f"truncated JPEG: no end-of-image marker ({len(data)} bytes)")
    num, denom = smallest_scale(size, min_size, _SIMD_SCALES)
    tj = _turbo_decoder()
    if tj is not None:
        try:
            plane: npt.NDArray[np.uint8] = tj.decode(
                data, pixel_format=_TJPF_GRAY, scaling_factor=(num, denom), flags=_TJ_FLAGS
            )
            return plane.reshape(plane.shape[:2])
        except OSError:
            pass  # as in decode_jpeg: OpenCV may still read it
    grey = cv2.imdecode(
        np.frombuffer(data, dtype=np.uint8), _CV_GREY_REDUCED.get(denom, cv2.IMREAD_GRAYSCALE)
    )
    if grey is None:
        raise ImageDecodeError(f"corrupt JPEG: could not decode {len(data)} bytes ({size[0]}x{size[1]})")
    return grey


def load_image(path: str | Path) -> np.ndarray:
    """Any still OpenCV reads (PNG, JPEG, BMP, ...) as RGB uint8; grey and alpha become RGB."""
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise ImageDecodeError(f"cannot read {path}: {err.strerror or err}") from None
    if not raw:
        raise ImageDecodeError(f"{path}: empty file")
    img = cv2.imdecode(np.frombuffer(raw, dtype=np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ImageDecodeError(f"{path}: not an image OpenCV can decode")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def resize(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to (w, h); a no-op (same array) when it already has that size."""
    return _resize_bgr_or_rgb(rgb, size)


def encode_jpeg(rgb: np.ndarray, quality: int = 80) -> bytes:
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    )
    if not ok:
        raise ValueError(f"JPEG encoding failed for an array of shape {rgb.shape}")
    return buf.tobytes()


# RGB colours: boxes of objects in a region stand out from the others.
_BOX_COLOUR = (0, 220, 0)
_BOX_IN_ROI_COLOUR = (255, 60, 0)
_ROI_COLOUR = (255, 210, 0)


def format_score(score: float) -> str:
    """A score as a whole percentage ("56%"), as the dashboard card writes it (frontend/src/labels.ts
    formatScore: the same rounding, half up)."""
    return f"{math.floor(min(max(score, 0.0), 1.0) * 100 + 0.5)}%"


def draw_detections(
    rgb: np.ndarray,
    objects: Sequence[DetectedObject],
    polygons: Sequence[Sequence[tuple[float, float]]] = (),
) -> np.ndarray:
    """A copy of `rgb` with ROI outlines, boxes and "label 56%" captions drawn on it; the captions
    never cover each other (shortened to "56%", or left out, where there is no room)."""
    out = np.ascontiguousarray(rgb).copy()
    h, w = out.shape[:2]
    thick = max(1, round(min(w, h) / 240))
    for poly in polygons:
        pts = np.array([[round(x * (w - 1)), round(y * (h - 1))] for x, y in poly], dtype=np.int32)
        if len(pts) >= 2:
            cv2.polylines(out, [pts], isClosed=True, color=_ROI_COLOUR, thickness=thick)
    font_scale = max(0.4, min(w, h) / 800)
    corners = []
    for obj in objects:
        xmin, ymin, xmax, ymax = obj.box
        p1 = (round(xmin * (w - 1)), round(ymin * (h - 1)))
        p2 = (round(xmax * (w - 1)), round(ymax * (h - 1)))
        cv2.rectangle(out, p1, p2, _BOX_IN_ROI_COLOUR if obj.rois else _BOX_COLOUR, thick)
        corners.append((*p1, *p2))
    # The captions on top of every box, placed so that none covers another (captions.py).
    texts = [(f"{o.label} {format_score(o.score)}", format_score(o.score)) for o in objects]
    metrics = [[cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, font_scale, 1) for t in pair] for pair in texts]
    sizes = [[(tw + 3, th + base + 3) for (tw, th), base in pair] for pair in metrics]
    places = place_captions(corners, sizes, [o.score for o in objects], w, h)
    for obj, pair, pair_metrics, place in zip(objects, texts, metrics, places, strict=True):
        if place is None:
            continue
        variant, (x, y, cw, ch) = place
        (_tw, th), _base = pair_metrics[variant]
        x0, y0 = round(x), round(y)
        colour = _BOX_IN_ROI_COLOUR if obj.rois else _BOX_COLOUR
        cv2.rectangle(out, (x0, y0), (x0 + round(cw) - 1, y0 + round(ch) - 1), colour, cv2.FILLED)
        cv2.putText(
            out,
            pair[variant],
            (x0 + 1, y0 + th + 1),
            cv2.FONT_HERSHEY_SIMPLEX,
            font_scale,
            (0, 0, 0),
            1,
            cv2.LINE_AA,
        )
    return out
