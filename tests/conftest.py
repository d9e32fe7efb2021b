"""Settings shared by every test suite: where the model and media are, and a real broker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.mosquitto import Mosquitto

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("BOBBY_SHARED", ROOT.parent / "shared"))
MODEL = Path(
    os.environ.get("BOBBY_MODEL", SHARED / "models" / "coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite")
)
MEDIA = Path(os.environ.get("BOBBY_MEDIA", SHARED / "media"))

PERSON_STILLS = ["skimage_astronaut.png", "skimage_camera.png", "tflsupport_segmentation_input_rotation0.jpg"]
NO_PERSON_STILLS = [
    "skimage_coffee.png",
    "skimage_chelsea.png",
    "skimage_rocket.jpg",
    "skimage_motorcycle_left.png",
    "tflsupport_cats_and_dogs.jpg",
    "picamera2_dog.png",
]


@pytest.fixture(scope="session")
def model_path() -> Path:
    assert MODEL.is_file(), f"model not found at {MODEL}: set BOBBY_MODEL (or BOBBY_SHARED)"
    return MODEL


@pytest.fixture(scope="session")
def media_dir() -> Path:
    assert MEDIA.is_dir(), f"media not found at {MEDIA}: set BOBBY_MEDIA (or BOBBY_SHARED)"
    return MEDIA


@pytest.fixture(scope="session")
def mosquitto():
    """One broker for the session; tests use their own base topics to stay apart."""
    broker = Mosquitto().start()
    yield broker
    broker.stop()


@pytest.fixture
def own_mosquitto():
    """A broker of the test's own, for tests that stop or restart it."""
    broker = Mosquitto().start()
    yield broker
    broker.stop()
