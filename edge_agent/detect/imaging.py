"""Image decoding, resizing, encoding and drawing for the detector.

Frames arrive as JPEG (from a dumb camera over MQTT, or from a smart camera's encoder), and the
model wants a small RGB array (300x300 for SSD MobileNet). The fastest path that keeps detection
quality was measured with `python -m edge_agent.tools.decode_bench` (see docs/detection.md, "Decoder"):
OpenCV's libjpeg-turbo decode, asking libjpeg to scale by 1/2 or 1/4 during the IDCT only when
the scaled frame is still at least the model input in both dimensions (scaling a 640x480 frame to
320x240 for a 300x300 model lost 4 % of the persons), then one bilinear `cv2.resize`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from edge_agent.detect.detection import DetectedObject


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


# Beyond this shrink factor bilinear resizing starts to alias (it reads only 2x2 source pixels).
_AREA_ABOVE = 3.0


def _resize_bgr_or_rgb(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    if img.shape[1] == w and img.shape[0] == h:
        return img
    # Bilinear is 2-3x faster than INTER_AREA at non-integer factors (640x480 -> 300x300: 1.6
    # against 4.3 ms) and found as many persons in decode_bench; AREA (which averages what it
    # drops) only for big reductions such as a 12 MP still.
    factor = max(img.shape[1] / w, img.shape[0] / h)
    interpolation = cv2.INTER_AREA if factor > _AREA_ABOVE else cv2.INTER_LINEAR
    return cv2.resize(img, (w, h), interpolation=interpolation)


def decode_jpeg(data: bytes, target: tuple[int, int] | None = None) -> tuple[np.ndarray, tuple[int, int]]:
    """Decode a JPEG to RGB uint8, resized to `target` (w, h) when given; also the original (w, h).

    Raises ImageDecodeError for empty, non-JPEG, corrupt or truncated data.
    """
    if not isinstance(data, (bytes, bytearray)):
        data = bytes(data)  # memoryview (e.g. from a socket buffer) has no rfind
    size, sos = _scan_header(data)
    # Entropy-coded data cannot contain FF D9 (FF is stuffed with 00), so an EOI after the first
    # scan is the end of the image. libjpeg would otherwise "decode" a truncated frame and fill
    # the rest with grey, which gives the model half a picture.
    if data.rfind(b"\xff\xd9") <= sos:
        raise ImageDecodeError(f"truncated JPEG: no end-of-image marker ({len(data)} bytes)")
    flag = _reduced_flag(size, target)
    img = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flag)
    if img is None:
        raise ImageDecodeError(
            f"corrupt JPEG: OpenCV could not decode {len(data)} bytes ({size[0]}x{size[1]})"
        )
    if target is not None:
        img = _resize_bgr_or_rgb(img, target)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB), size


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


def draw_detections(
    rgb: np.ndarray,
    objects: Sequence[DetectedObject],
    polygons: Sequence[Sequence[tuple[float, float]]] = (),
) -> np.ndarray:
    """A copy of `rgb` with ROI outlines, boxes and "label score" captions drawn on it."""
    out = np.ascontiguousarray(rgb).copy()
    h, w = out.shape[:2]
    thick = max(1, round(min(w, h) / 240))
    for poly in polygons:
        pts = np.array([[round(x * (w - 1)), round(y * (h - 1))] for x, y in poly], dtype=np.int32)
        if len(pts) >= 2:
            cv2.polylines(out, [pts], isClosed=True, color=_ROI_COLOUR, thickness=thick)
    font_scale = max(0.4, min(w, h) / 800)
    for obj in objects:
        xmin, ymin, xmax, ymax = obj.box
        p1 = (round(xmin * (w - 1)), round(ymin * (h - 1)))
        p2 = (round(xmax * (w - 1)), round(ymax * (h - 1)))
        colour = _BOX_IN_ROI_COLOUR if obj.rois else _BOX_COLOUR
        cv2.rectangle(out, p1, p2, colour, thick)
        caption = f"{obj.label} {obj.score:.2f}"
        (tw, th), base = cv2.getTextSize(caption, cv2.FONT_HERSHEY_SIMPLEX, font_scale, 1)
        ty = p1[1] - 3 if p1[1] - th - base - 3 >= 0 else min(h - 1, p1[1] + th + 3)
        cv2.rectangle(out, (p1[0], ty - th - 2), (p1[0] + tw + 2, ty + base), colour, cv2.FILLED)
        cv2.putText(
            out, caption, (p1[0] + 1, ty), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (0, 0, 0), 1, cv2.LINE_AA
        )
    return out
