"""JPEG decoding: sizes, the reduced-decode choice, and clean errors on bad bytes."""

from __future__ import annotations

import io
import logging
import sys
import time

import cv2
import numpy as np
import pytest
from PIL import Image

from edge_agent.detect import imaging
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


# --- libturbojpeg (PyTurboJPEG) and the OpenCV fallback --------------------------------------


@pytest.fixture
def fresh_decoder():
    """Each test chooses the decoder anew; afterwards the normal choice is restored."""
    imaging.set_jpeg_decoder("auto")
    yield
    imaging.set_jpeg_decoder("auto")


def test_turbojpeg_is_the_decoder_here(fresh_decoder):
    # scripts/setup.sh installs libturbojpeg0 and pyproject.toml PyTurboJPEG: the fast path must
    # be the one tested, not silently the fallback.
    assert imaging.jpeg_decoder() == "turbojpeg", "libturbojpeg did not load: apt-get install libturbojpeg0"


@pytest.mark.parametrize(
    "size, scale",
    [((640, 480), (1, 1)), ((1280, 720), (1, 2)), ((1920, 1080), (3, 8)), ((4000, 3000), (1, 8))],
)
def test_turbo_scale_keeps_at_least_the_model_input(fresh_decoder, size, scale):
    assert imaging.turbo_scale(size, (300, 300)) == scale
    assert imaging.turbo_scale(size, None) == (1, 1)
    assert imaging.smallest_scale((640, 480), (300, 300), [(1, 2), (5, 8), (1, 1)]) == (5, 8)


@pytest.mark.parametrize(
    "frame, target",
    [((640, 480), (300, 300)), ((640, 480), None), ((1920, 1080), (300, 300)), ((512, 512), (300, 300))],
)
def test_turbojpeg_matches_opencv(fresh_decoder, vtest_frame, frame, target):
    jpeg = encode_jpeg(resize(vtest_frame, frame), quality=80)
    rgb, size = decode_jpeg(jpeg, target)
    ref, ref_size = decode_jpeg(jpeg, target, decoder="opencv")
    want = target or frame
    assert size == ref_size == frame
    assert rgb.shape == ref.shape == (want[1], want[0], 3) and rgb.dtype == np.uint8
    # Same picture in the same channel order; the scaled IDCT and bilinear resize differ a little.
    diff = np.abs(rgb.astype(int) - ref.astype(int))
    assert diff.mean() < 4, diff.mean()
    assert np.abs(rgb.astype(int) - ref[..., ::-1].astype(int)).mean() > diff.mean() + 5


@pytest.mark.parametrize(
    "subsampling", [cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444]
)
@pytest.mark.parametrize("frame", [(640, 480), (1920, 1080), (641, 479)])
def test_model_input_through_the_yuv_planes_is_the_rgb_decode(fresh_decoder, vtest_frame, subsampling, frame):
    """decode_jpeg resizes libjpeg-turbo's Y, Cb, Cr planes and converts at the model input
    (640x480); frames it does not apply to (scaled decodes, odd sizes) take the RGB decode.
    Either way the model gets the same picture, and decode_jpeg_with_luma the frame's luma."""
    bgr = cv2.cvtColor(resize(vtest_frame, frame), cv2.COLOR_RGB2BGR)
    _, buf = cv2.imencode(
        ".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 80, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, subsampling]
    )
    jpeg = buf.tobytes()
    through_planes = imaging._yuv_to_target(jpeg, frame, (300, 300)) is not None
    assert through_planes == (frame == (640, 480))
    rgb, size = decode_jpeg(jpeg, (300, 300))
    via_rgb = resize(
        imaging._turbo_decoder().decode(jpeg, pixel_format=0, flags=imaging._TJ_FLAGS), (300, 300)
    )
    assert size == frame and rgb.shape == (300, 300, 3) and rgb.dtype == np.uint8
    diff = np.abs(rgb.astype(int) - via_rgb.astype(int))
    if frame == (640, 480):  # the order of resizing and converting changes only the rounding
        assert diff.mean() < 1.0 and np.percentile(diff, 99) <= 4, (diff.mean(), diff.max())
    rgb2, size2, luma = imaging.decode_jpeg_with_luma(jpeg, (300, 300))
    assert size2 == frame and np.array_equal(rgb2, rgb)
    assert luma.ndim == 2 and luma.shape[0] >= 300 and luma.shape[1] >= 300
    grey = cv2.cvtColor(
        cv2.resize(bgr, (luma.shape[1], luma.shape[0]), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY
    )
    assert np.abs(luma.astype(int) - grey.astype(int)).mean() < 3.0
    with pytest.raises(ImageDecodeError, match="too large"):
        imaging.decode_jpeg_with_luma(jpeg, (300, 300), max_pixels=frame[0] * frame[1] - 1)


def test_a_grey_jpeg_takes_the_rgb_decode_and_opencv_gives_the_luma_too(fresh_decoder, vtest_frame):
    grey = cv2.cvtColor(resize(vtest_frame, (640, 480)), cv2.COLOR_RGB2GRAY)
    jpeg = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
    assert imaging._yuv_to_target(jpeg, (640, 480), (300, 300)) is None  # one plane: the RGB decode
    rgb, _ = decode_jpeg(jpeg, (300, 300))
    assert rgb.shape == (300, 300, 3) and np.array_equal(rgb[..., 0], rgb[..., 2])
    assert np.abs(rgb[..., 0].astype(int) - resize(grey, (300, 300)).astype(int)).mean() < 2.0
    imaging.set_jpeg_decoder("opencv")  # no libturbojpeg: the luma comes from OpenCV's decode
    rgb2, size, luma = imaging.decode_jpeg_with_luma(jpeg, (300, 300))
    assert size == (640, 480) and luma.shape == (480, 640) and rgb2.shape == (300, 300, 3)
    assert np.abs(rgb2.astype(int) - rgb.astype(int)).mean() < 2.0


@pytest.fixture
def vtest_frame(media_dir) -> np.ndarray:
    cap = cv2.VideoCapture(str(media_dir / "opencv_vtest.avi"))
    for _ in range(40):  # a frame with pedestrians, not the first
        ok, bgr = cap.read()
    cap.release()
    assert ok
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def test_falls_back_to_opencv_when_libturbojpeg_cannot_load(fresh_decoder, monkeypatch, caplog, vga_jpeg):
    def no_library():
        raise OSError("libturbojpeg.so.0: cannot open shared object file: No such file or directory")

    monkeypatch.setattr(imaging, "_load_turbojpeg", no_library)
    imaging.set_jpeg_decoder("auto")
    with caplog.at_level(logging.INFO, logger="edge_agent.detect.imaging"):
        assert imaging.jpeg_decoder() == "opencv"
        rgb, size = decode_jpeg(vga_jpeg, (300, 300))
        decode_jpeg(vga_jpeg, (300, 300))
    assert size == (640, 480) and rgb.shape == (300, 300, 3)
    assert abs(int(rgb[150, 290, 0]) - 250) < 10 and rgb[150, 5, 0] < 15  # RGB order kept
    said = [r.getMessage() for r in caplog.records if "JPEG decoder" in r.getMessage()]
    assert len(said) == 1 and "OpenCV" in said[0] and "cannot open shared object" in said[0], said
    assert imaging.turbo_scale((1920, 1080), (300, 300)) == (1, 1)  # OpenCV's own reduced modes apply
    with pytest.raises(ImageDecodeError, match="truncated"):
        decode_jpeg(vga_jpeg[:-100], (300, 300))


def test_a_missing_python_package_also_falls_back(fresh_decoder, monkeypatch):
    monkeypatch.setitem(sys.modules, "turbojpeg", None)  # `import turbojpeg` raises ImportError
    imaging.set_jpeg_decoder("auto")
    assert imaging.jpeg_decoder() == "opencv"


def test_environment_forces_opencv(fresh_decoder, monkeypatch):
    monkeypatch.setenv(imaging.DECODER_ENV, "opencv")
    imaging.set_jpeg_decoder("auto")
    assert imaging.jpeg_decoder() == "opencv"
    with pytest.raises(ValueError, match="unknown"):
        imaging.set_jpeg_decoder("pillow")


@pytest.mark.parametrize("decoder", ["auto", "opencv"])
def test_corrupt_jpegs_raise_decode_error_with_either_decoder(fresh_decoder, vga_jpeg, decoder):
    sof = vga_jpeg.index(b"\xff\xc0")
    seven_bit = vga_jpeg[: sof + 4] + b"\x07" + vga_jpeg[sof + 5 :]  # sample precision 7: invalid
    with pytest.raises(ImageDecodeError, match="corrupt JPEG"):
        decode_jpeg(seven_bit, (300, 300), decoder=decoder)
    dqt = vga_jpeg.index(b"\xff\xdb")
    no_tables = vga_jpeg[:dqt] + b"\xff\xfe" + vga_jpeg[dqt + 2 :]  # quantisation tables made a comment
    with pytest.raises(ImageDecodeError, match="corrupt JPEG"):
        decode_jpeg(no_tables, (300, 300), decoder=decoder)
    for bad in (b"", vga_jpeg[: len(vga_jpeg) // 2], b"\xff\xd8" + b"\x00garbage" * 10):
        with pytest.raises(ImageDecodeError):
            decode_jpeg(bad, (300, 300), decoder=decoder)


def test_cmyk_jpeg_goes_to_opencv_when_libturbojpeg_refuses_it(fresh_decoder):
    buf = io.BytesIO()
    Image.new("CMYK", (64, 48), (0, 255, 255, 0)).save(buf, "JPEG")  # pure red in CMYK
    rgb, size = decode_jpeg(buf.getvalue(), (32, 24))
    assert size == (64, 48) and rgb.shape == (24, 32, 3)
    assert rgb[12, 16, 0] > 200 and rgb[12, 16, 1] < 40 and rgb[12, 16, 2] < 40


def test_greyscale_jpeg_decodes_to_rgb(fresh_decoder):
    grey = cv2.imencode(".jpg", np.full((48, 64), 128, np.uint8))[1].tobytes()
    rgb, _ = decode_jpeg(grey)
    assert rgb.shape == (48, 64, 3) and abs(int(rgb.mean()) - 128) <= 2


def huge_header(width: int, height: int) -> bytes:
    """A JPEG's headers declaring width x height, with a few bytes of scan data: what issue 10's
    631-byte "16000x16000" frame looks like to a parser."""
    small = encode_jpeg(gradient(16, 16), quality=50)
    sof = small.index(b"\xff\xc0")
    return small[: sof + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + small[sof + 9 :]


@pytest.mark.filterwarnings("ignore:Corrupt JPEG data")  # the 640x480 one has 16x16 of data
def test_huge_declared_dimensions_are_read_without_decoding(fresh_decoder):
    data = huge_header(60000, 50000)  # 3 gigapixels: 9 GB as RGB
    assert len(data) < 1000
    start = time.perf_counter()
    for _ in range(1000):
        assert jpeg_dimensions(data) == (60000, 50000)
    assert (time.perf_counter() - start) / 1000 < 0.001  # a header walk, well under a millisecond
    # The cap is checked before any decoding, and before the end-of-image check: a buffer cut
    # right after its headers is refused as too large, not as truncated.
    sos = data.index(b"\xff\xda")
    headers_only = data[: sos + 2 + int.from_bytes(data[sos + 2 : sos + 4], "big")]
    for d in (data, headers_only):
        with pytest.raises(ImageDecodeError, match="too large: 60000x50000 is 3000.0 MP"):
            decode_jpeg(d, (300, 300), max_pixels=16_000_000)
    assert decode_jpeg(huge_header(640, 480), (300, 300), max_pixels=640 * 480)[1] == (640, 480)
