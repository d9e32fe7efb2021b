"""JPEG decoding: sizes, the reduced-decode choice, and clean errors on bad bytes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.imaging import (
    ImageDecodeError,
    _reduced_flag,
    decode_jpeg,
    draw_detections,
    encode_jpeg,
    jpeg_dimensions,
    load_image,
    resize,
)


def gradient(w: int, h: int) -> np.ndarray:
    """An RGB test card whose channels differ, so that a BGR/RGB swap shows."""
    x = np.linspace(0, 255, w, dtype=np.float32)[None, :].repeat(h, 0)
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None].repeat(w, 1)
    return np.stack([x, y, np.full_like(x, 40)], axis=2).astype(np.uint8)


@pytest.fixture(scope="module")
def vga_jpeg() -> bytes:
    return encode_jpeg(gradient(640, 480), quality=90)


def test_dimensions_from_header(vga_jpeg):
    assert jpeg_dimensions(vga_jpeg) == (640, 480)
    assert jpeg_dimensions(encode_jpeg(gradient(123, 77))) == (123, 77)


def test_decode_full_size_keeps_rgb_order(vga_jpeg):
    rgb, size = decode_jpeg(vga_jpeg)
    assert size == (640, 480)
    assert rgb.shape == (480, 640, 3) and rgb.dtype == np.uint8
    # Red grows left to right, green top to bottom, blue is constant 40.
    assert rgb[240, 630, 0] > 240 and rgb[240, 5, 0] < 15
    assert rgb[470, 320, 1] > 240 and rgb[5, 320, 1] < 15
    assert abs(int(rgb[240, 320, 2]) - 40) < 6


@pytest.mark.parametrize("target", [(300, 300), (320, 240), (160, 120), (1280, 960)])
def test_decode_resizes_to_target_and_reports_original(vga_jpeg, target):
    rgb, size = decode_jpeg(vga_jpeg, target)
    assert size == (640, 480)
    assert rgb.shape == (target[1], target[0], 3)
    # Same picture, whichever path: compare with a full decode resized the same way.
    ref = resize(decode_jpeg(vga_jpeg)[0], target)
    assert np.abs(rgb.astype(int) - ref.astype(int)).mean() < 4


def test_reduced_decode_only_when_it_stays_at_least_the_target():
    assert _reduced_flag((640, 480), None) == cv2.IMREAD_COLOR
    assert _reduced_flag((640, 480), (300, 300)) == cv2.IMREAD_COLOR  # 320x240 would be too small
    assert _reduced_flag((640, 480), (320, 240)) == cv2.IMREAD_REDUCED_COLOR_2
    assert _reduced_flag((1280, 720), (300, 300)) == cv2.IMREAD_REDUCED_COLOR_2
    assert _reduced_flag((1280, 1280), (300, 300)) == cv2.IMREAD_REDUCED_COLOR_4
    assert _reduced_flag((1920, 1080), (300, 300)) == cv2.IMREAD_REDUCED_COLOR_2  # 1080 < 4 * 300


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda j: b"", "empty"),
        (lambda j: j[: len(j) // 2], "truncated"),
        (lambda j: j[:200], "truncated"),
        (lambda j: cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes(), "PNG"),
        (lambda j: b"hello, not an image", "not a JPEG"),
        (lambda j: b"\xff\xd8" + b"\x00garbage" * 10, "corrupt"),
        (lambda j: b"\xff\xd8\xff\xd9", "truncated"),
    ],
    ids=["empty", "half", "headers-only", "png", "text", "garbage-after-soi", "soi-eoi"],
)
def test_bad_data_raises_decode_error(vga_jpeg, make, message):
    data = make(vga_jpeg)
    with pytest.raises(ImageDecodeError, match=message):
        decode_jpeg(data, (300, 300))
    with pytest.raises(ImageDecodeError):
        jpeg_dimensions(data) if message != "truncated" else decode_jpeg(data)


def test_corrupt_frame_header_raises(vga_jpeg):
    # Zero the SOF height/width: libjpeg cannot decode a 0x0 frame.
    sof = vga_jpeg.index(b"\xff\xc0")
    broken = vga_jpeg[: sof + 5] + b"\x00\x00\x00\x00" + vga_jpeg[sof + 9 :]
    with pytest.raises(ImageDecodeError, match="frame size"):
        decode_jpeg(broken)


def test_memoryview_is_accepted(vga_jpeg):
    rgb, size = decode_jpeg(memoryview(vga_jpeg), (300, 300))
    assert size == (640, 480) and rgb.shape == (300, 300, 3)


def test_load_image_png_grey_and_missing(media_dir, tmp_path):
    grey = load_image(media_dir / "skimage_camera.png")  # a greyscale PNG
    assert grey.ndim == 3 and grey.shape[2] == 3
    assert np.array_equal(grey[..., 0], grey[..., 1])
    with pytest.raises(ImageDecodeError, match="cannot read"):
        load_image(tmp_path / "nope.png")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(ImageDecodeError, match="not an image"):
        load_image(bad)


def test_draw_detections_draws_on_a_copy():
    rgb = np.zeros((240, 320, 3), np.uint8)
    obj = DetectedObject("person", 0.9, (0.25, 0.25, 0.75, 0.75))
    out = draw_detections(rgb, [obj], [[(0.1, 0.1), (0.9, 0.1), (0.9, 0.9)]])
    assert rgb.max() == 0, "input must not be modified"
    assert out.shape == rgb.shape and out[:, :, :].max() > 0
    left_edge = round(0.25 * 319)
    assert out[120, left_edge].any(), "box edge drawn"
    assert not out[143, 128].any(), "inside of the box (off the ROI outline) left empty"
