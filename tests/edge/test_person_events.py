"""Person events HA can trust, against the real listen_frame, a real Mosquitto and real stills.

"Person detected" (the `arrival` topics) fires once per real arrival, never on an unchanged ROI
save or a restart of the service; person states are not republished unchanged; the detection
switch has a retained state from the moment a camera is served; the last-person image is sent at
a visit's start and then at most every snapshot_interval.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid

import pytest

from tests.conftest import NO_PERSON_STILLS, PERSON_STILLS
from tests.support.feeder import Feeder
from tests.support.frames import still_jpeg
from tests.support.mqtt import Collector
from tests.support.procs import listen_frame

CLEAR_AFTER = 1.5
FPS = 6.0


def roi_set(version: int, rois: list | None = None) -> bytes:
    return json.dumps(
        {
            "version": version,
            "rois": rois or [],
            "detection": {"frames_needed": 2, "frames_window": 3, "clear_after": CLEAR_AFTER},
        }
    ).encode()


@pytest.fixture(scope="module")
def stills(media_dir):
    return {
        "person": still_jpeg(media_dir / PERSON_STILLS[0]),
        "empty": still_jpeg(media_dir / NO_PERSON_STILLS[0]),
    }


@pytest.fixture
def setup(mosquitto, model_path):
    base = f"ev{uuid.uuid4().hex[:6]}"
    cam = "porch"
    client = Collector(mosquitto, [f"{base}/#"], announce_cameras=True)
    client.publish(f"{base}/{cam}/rois", roi_set(1), retain=True)
    cmd = listen_frame(mosquitto, model_path, base, "ev", "--workers", "1", "--snapshot-interval", "3")
    client.wait_payload(f"{base}/listen_frame/ev/availability", b"online", timeout=60)
    yield base, cam, client, cmd
    cmd.stop()
    client.close()


def states(client: Collector, topic: str) -> list[bytes]:
    """The states as they changed: the service also confirms an unchanged one (after settling,
    then every state_heartbeat seconds, 20 by default) for HA's `expire_after`."""
    return [p for i, p in enumerate(client.payloads(topic)) if i == 0 or client.payloads(topic)[i - 1] != p]


def since(client: Collector, topic: str, n: int) -> list[bytes]:
    return client.payloads(topic)[n:]


def wait_state(client: Collector, topic: str, value: bytes, timeout: float = 15.0) -> None:
    client.wait_for(lambda: client.last(topic) == value, timeout, f"{value!r} on {topic}")


def test_one_arrival_per_visit_and_none_on_unchanged_saves_or_a_restart(setup, stills, mosquitto, model_path):
    base, cam, client, cmd = setup
    t = f"{base}/{cam}"
    feeder = Feeder.publishing(client, f"{t}/frame", stills["empty"], FPS)
    try:
        # Served: the detection switch has its retained state without anyone toggling it.
        state = client.wait_json(f"{t}/detection/state", timeout=15)
        assert state["state"] == "ON"
        wait_state(client, f"{t}/person", b"OFF")

        for visit in (1, 2):
            feeder.show(stills["person"])
            wait_state(client, f"{t}/person", b"ON")
            time.sleep(1.0)
            feeder.show(stills["empty"])
            wait_state(client, f"{t}/person", b"OFF")
            time.sleep(0.3)  # the arrival follows its state; nothing more may come
            assert client.count(f"{t}/arrival") == visit
        arrival = json.loads(client.last(f"{t}/arrival"))
        assert arrival["camera"] == cam and arrival["roi"] is None and arrival["persons"] >= 1
        assert not any(m.retain for m in client.on(f"{t}/arrival"))
        assert states(client, f"{t}/person") == [b"OFF", b"ON", b"OFF", b"ON", b"OFF"]

        # A person in view; then the same ROI set saved again, twice: nothing republished.
        feeder.show(stills["person"])
        wait_state(client, f"{t}/person", b"ON")
        client.wait_for(lambda: client.count(f"{t}/arrival") == 3, 5, "the third arrival")
        before = (client.count(f"{t}/person"), client.count(f"{t}/arrival"))
        for _ in range(2):
            client.publish(f"{t}/rois", roi_set(1), retain=True)
        client.wait_for(lambda: client.count(f"{t}/rois/applied") >= 3, 10, "the acknowledgements")
        time.sleep(1.0)
        assert client.count(f"{t}/arrival") == before[1]
        assert since(client, f"{t}/person", before[0]) in ([], [b"ON"])  # at most a heartbeat

        # listen_frame restarts while the person stays: no OFF, no second arrival.
        cmd.stop()
        restarted = listen_frame(mosquitto, model_path, base, "ev", "--workers", "1")
        try:
            client.wait_for(
                lambda: client.count(f"{base}/listen_frame/ev/availability") >= 3, 60, "online again"
            )
            client.wait_for(
                lambda: json.loads(client.last(f"{t}/detections") or b"{}").get("persons", 0) >= 1,
                30,
                "detections after the restart",
            )
            time.sleep(CLEAR_AFTER + 1.0)
            assert client.count(f"{t}/arrival") == before[1]
            # ON confirmed after settling (and by heartbeats), never OFF in between
            assert set(since(client, f"{t}/person", before[0])) <= {b"ON"}
            assert client.last(f"{t}/person") == b"ON"
        finally:
            restarted.stop()
    finally:
        feeder.close()


def test_last_person_image_at_a_visits_start_then_every_snapshot_interval(setup, stills):
    base, cam, client, _ = setup
    t = f"{base}/{cam}"
    feeder = Feeder.publishing(client, f"{t}/frame", stills["person"], FPS)
    try:
        wait_state(client, f"{t}/person", b"ON")
        started = client.on(f"{t}/person")[-1].at
        client.wait_for(lambda: client.count(f"{t}/snapshot") >= 1, 10, "the first snapshot")
        first = client.on(f"{t}/snapshot")[0].at
        assert first - started < 2.0  # with the visit's start, not an interval later
        time.sleep(7.5)  # snapshot_interval is 3 s
    finally:
        feeder.close()
    visit = client.on(f"{t}/snapshot")
    assert 2 <= len(visit) <= 4, [round(m.at - started, 1) for m in visit]
    gaps = [b.at - a.at for a, b in itertools.pairwise(visit)]
    assert all(gap >= 2.5 for gap in gaps), gaps
