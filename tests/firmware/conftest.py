"""Host tests of the ESP32 firmware: the real firmware and umqtt.simple under CPython, a real
Mosquitto, fakes only for the hardware and port modules (tests/firmware/fakes, see its README)."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

FIRMWARE = ROOT / "esp_firmware"
FAKES = Path(__file__).resolve().parent / "fakes"
FETCH_UMQTT = FIRMWARE / "tools" / "fetch_umqtt.py"
FAKE_FREE_MEM = 3_500_000  # what gc.mem_free() says here (a 4 MB PSRAM board after boot)


@pytest.fixture(scope="session")
def umqtt_dir() -> Path:
    """The pinned micropython-umqtt.simple release from the package index (cached in .cache/)."""
    out = subprocess.run([sys.executable, str(FETCH_UMQTT)], check=True, capture_output=True, text=True)
    path = Path(out.stdout.strip().splitlines()[-1])
    assert (path / "umqtt" / "simple.py").is_file()
    return path


@pytest.fixture(scope="session", autouse=True)
def firmware_path(umqtt_dir):
    """Make `import bobby_cam` work as on the board: fakes first, then the firmware, then umqtt."""
    paths = [str(FAKES), str(FIRMWARE), str(umqtt_dir)]
    sys.path[:0] = paths
    had_mem_free = hasattr(gc, "mem_free")
    if not had_mem_free:
        gc.mem_free = lambda: FAKE_FREE_MEM
    yield paths
    for p in paths:
        sys.path.remove(p)
    if not had_mem_free:
        del gc.mem_free


@pytest.fixture(scope="session")
def camera_source(media_dir, tmp_path_factory) -> Path:
    """Eight frames of opencv_vtest.avi (pedestrians, 768x576) as JPEGs, for the fake camera."""
    import cv2

    out = tmp_path_factory.mktemp("camera-source")
    cap = cv2.VideoCapture(str(media_dir / "opencv_vtest.avi"))
    try:
        index = written = 0
        while written < 8:
            ok, frame = cap.read()
            assert ok, "opencv_vtest.avi ended early"
            if index % 60 == 0:  # every 6 s of video: different people in each
                cv2.imwrite(str(out / f"vtest_{index:04d}.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, 95])
                written += 1
            index += 1
    finally:
        cap.release()
    return out


@pytest.fixture
def hw(camera_source):
    """Fresh fake hardware for each test: camera, Wi-Fi, watchdog; sockets of a dropped link closed."""
    import camera
    import machine
    import network
    import usocket

    camera._reset_fakes(camera_source)
    network._reset_fakes()
    machine._reset_fakes()
    yield
    usocket._bury()
    usocket._set_heap(None)
