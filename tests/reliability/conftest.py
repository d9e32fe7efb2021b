"""The reliability suite's parts: the real listen_frame as a process, dumb cameras as the broker
sees them, memory of a process tree from /proc, and figures printed and kept in the junit file.

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
from pathlib import Path

import pytest

from edge_agent.procinfo import child_pids, rss_mb
from tests.conftest import NO_PERSON_STILLS, PERSON_STILLS
from tests.support.frames import still_jpeg
from tests.support.mqtt import Collector
from tests.support.procs import listen_frame

INSTANCE = "rel"


def strict_json(payload: bytes):
    """json.loads that refuses NaN and Infinity (not JSON; HA and browsers cannot read them)."""

    def refuse(name: str):
        raise ValueError(f"{name} in a published payload")

    return json.loads(payload, parse_constant=refuse)


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        for child in child_pids(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


class Service:
    """`python -m edge_agent listen-frame …` as a user runs it, with what the tests look at."""

    def __init__(self, broker, model_path: Path, base: str, workers: int = 1, *extra: str) -> None:
        self.base = base
        self.availability = f"{base}/listen_frame/{INSTANCE}/availability"
        self.stats_topic = f"{base}/listen_frame/{INSTANCE}/stats"
        # The default last-person image interval, as a user runs it.
        self.cmd = listen_frame(
            broker, model_path, base, INSTANCE, "--workers", str(workers), "--snapshot-interval", "30", *extra
        )

    @property
    def pid(self) -> int:
        return self.cmd.pid

    def wait_online(self, client: Collector, timeout: float = 60.0) -> None:
        try:  # a service that exited (bad settings, an import error) fails at once, with its log
            client.wait_for(
                lambda: client.last(self.availability) == b"online" or not self.alive(),
                timeout,
                "listen_frame online",
            )
        except AssertionError as err:
            raise AssertionError(f"{err}\n{self.tail()}") from None
        assert self.alive(), f"listen_frame exited with {self.cmd.proc.returncode}\n{self.tail()}"

    def workers(self) -> list[int]:
        """The detector processes: children whose command line is multiprocessing's spawn_main."""
        out = []
        for child in child_pids(self.pid):
            try:
                if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    out.append(child)
            except OSError:
                continue
        return out

    def rss_mb(self) -> float:
        """Resident memory of the service and every process below it (workers), in MiB."""
        return round(sum(rss_mb(p) or 0.0 for p in [self.pid, *descendants(self.pid)]), 1)

    def alive(self) -> bool:
        return self.cmd.proc.poll() is None

    def log(self) -> str:
        return self.cmd.output()

    def tail(self, chars: int = 4000) -> str:
        return f"--- listen_frame log (last {chars} chars) ---\n{self.log()[-chars:]}"

    def tracebacks(self) -> list[str]:
        """Each traceback in the log with the lines around it (what the lead needs to fix it)."""
        lines = self.log().splitlines()
        out = []
        for i, line in enumerate(lines):
            if "Traceback" in line:
                end = i + 1
                while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
                    end += 1  # the frames; the line after them is the exception
                out.append("\n".join(lines[max(0, i - 1) : end + 1]))
        return out

    def stop(self) -> None:
        self.cmd.stop()


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
