"""The reliability suite's parts: the real listen_frame as a process (`Service`, which is
tests/support/procs.py's ListenFrameService), dumb cameras as the broker sees them, memory of a
process tree from /proc, and figures printed and kept in the junit file.

Every test runs against a broker of its own (`own_mosquitto`): fuzzing leaves retained garbage,
and the restart test stops the broker. Figures go to docs/reliability.md with the command that
printed them.
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid

import pytest

from tests.conftest import NO_PERSON_STILLS, PERSON_STILLS
from tests.support.feeder import Feeder
from tests.support.frames import still_jpeg
from tests.support.mqtt import Collector
from tests.support.procs import ListenFrameService as Service  # noqa: F401 (the suite's name)


def strict_json(payload: bytes):
    """json.loads that refuses NaN and Infinity (not JSON; HA and browsers cannot read them)."""

    def refuse(name: str):
        raise ValueError(f"{name} in a published payload")

    return json.loads(payload, parse_constant=refuse)


class Cameras:
    """Dumb cameras as the broker sees them: a retained announce (and availability) each."""

    def __init__(self, client: Collector, base: str) -> None:
        self.client, self.base = client, base

    def announce(self, cam: str, name: str | None = None, **extra) -> None:
        body = {"id": cam, "name": name or cam, "mode": "dumb", "resolution": [640, 480], "fps": 2.0}
        self.client.publish(f"{self.base}/{cam}/announce", json.dumps({**body, **extra}), retain=True)
        self.client.publish(f"{self.base}/{cam}/availability", b"online", retain=True)

    def every_frame_inferred(self, cam: str, timeout: float = 20.0) -> None:
        """An ROI set that turns the motion gate off: every analysed frame is inferred and answered
        (the gate skips frames without motion, which would make capacity and answers depend on
        what the frames show)."""
        body = {"version": 1, "rois": [], "detection": {"motion": False}}
        self.client.publish(f"{self.base}/{cam}/rois", json.dumps(body), retain=True)
        self.client.wait_first(
            f"{self.base}/{cam}/rois/applied", lambda p: json.loads(p).get("ok") is True, timeout=timeout
        )

    def served(self, cam: str, timeout: float = 20.0) -> None:
        """Wait until listen_frame serves `cam`: its detection switch state is published."""
        self.client.wait_topic(f"{self.base}/{cam}/detection/state", timeout=timeout)

    def feeder(self, cam: str, frames: list[bytes], fps: float) -> Feeder:
        """`cam`'s frames at `fps` from a thread, each with its capture time (tests/support/feeder.py)."""
        return Feeder(lambda jpeg: self.frame(cam, jpeg, captured_at=time.time()), frames, fps)

    def frame(self, cam: str, jpeg: bytes, captured_at: float | None = None) -> None:
        props = None
        if captured_at is not None:
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties

            props = Properties(PacketTypes.PUBLISH)
            props.UserProperty = [("captured_at", f"{captured_at:.3f}")]
        self.client.publish(f"{self.base}/{cam}/frame", jpeg, qos=0, properties=props)


@pytest.fixture(scope="session")
def person_jpeg(media_dir) -> bytes:
    return still_jpeg(media_dir / PERSON_STILLS[0])


@pytest.fixture(scope="session")
def empty_jpeg(media_dir) -> bytes:
    return still_jpeg(media_dir / NO_PERSON_STILLS[0])


@pytest.fixture
def base() -> str:
    return f"rel{uuid.uuid4().hex[:6]}"


@pytest.fixture
def figure(request, record_testsuite_property):
    """figure("fuzz 10000 payloads, …"): printed (`-s` shows it) and kept as a property of the
    junit file's test suite (artifacts/junit-reliability.xml in `make test`)."""
    count = 0

    def emit(text: str) -> None:
        nonlocal count
        count += 1
        print(f"\nreliability: {text}", end="", flush=True)
        record_testsuite_property(f"{request.node.name}[{count}]", text)

    return emit


def percentile(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def wait_until(predicate, timeout: float, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


LIBJPEG_WARNING = re.compile(
    r"Corrupt JPEG data|Premature end of JPEG|Invalid JPEG|Bogus marker|JPEG datastream"
)
