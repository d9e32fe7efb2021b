"""The person count Home Assistant shows (`bobby/<cam>/person_count`, issue 18): prompt when a
visit starts and ends, quiet while people stay.

The rule itself (detect/person_state.PersonCount) and the channel that publishes it, in-process
(milliseconds); then the real listen_frame on a real Mosquitto with real stills.
"""

from __future__ import annotations

import itertools
import json
import random
import time
import uuid

import pytest

from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.person_state import COUNT_HOLD, PersonCount
from edge_agent.detect.rois import parse_roi_set
from edge_agent.mqtt.channel import CameraChannel, ChannelSettings
from edge_agent.mqtt.topics import Topics
from tests.conftest import NO_PERSON_STILLS
from tests.support.feeder import Feeder
from tests.support.frames import still_jpeg, video_jpegs
from tests.support.mqtt import Collector
from tests.support.procs import listen_frame


def test_first_person_and_the_return_to_zero_are_prompt() -> None:
    count = PersonCount(hold=6)
    assert count.value is None  # nothing said yet
    assert count.decide(on=False, now=0.1) == 0  # OFF: 0, once
    assert count.decide(on=False, now=0.2) is None
    assert count.update(3, on=False, now=0.25) is None  # a person, not ON yet (debouncing): 0
    assert count.update(2, on=False, now=0.5) is None  # a person, the state not yet ON
    assert count.update(3, on=True, now=0.75) == 3  # ON: at once, that frame's count
    assert count.update(5, on=True, now=1.0) is None  # held: the period is not over
    assert count.decide(on=False, now=2.0) == 0  # OFF: 0 at once, whatever the period
    assert count.update(1, on=True, now=2.5) == 1  # a new visit: at once again


def test_while_people_stay_the_count_is_the_most_seen_per_period() -> None:
    count = PersonCount(hold=6)
    assert count.update(2, on=True, now=0.0) == 2
    for t, n in [(1, 4), (2, 3), (3, 2), (5.9, 3)]:
        assert count.update(n, on=True, now=t) is None
    assert count.update(1, on=True, now=6.0) == 4  # the most persons in 0..6 s
    assert count.update(4, on=True, now=7.0) is None
    assert count.decide(on=True, now=12.0) is None  # 4 again (seen at 7 s): unchanged
    assert count.value == 4
    # Nobody seen for a whole period, still ON (clear_after not over): the count stays.
    assert count.update(0, on=True, now=15.0) is None
    assert count.decide(on=True, now=18.5) is None and count.value == 4
    assert count.update(1, on=True, now=20.0) is None
    assert count.decide(on=True, now=24.6) == 1


def test_changes_are_bounded_in_continuous_fluctuating_presence() -> None:
    # 5 minutes of a group walking by at 4 analysed frames a second: the per-frame count changes
    # on most frames (as on opencv_vtest.avi); the shown count at most every COUNT_HOLD seconds.
    rng = random.Random(18)
    count = PersonCount()
    frames = [rng.randint(2, 7) for _ in range(5 * 60 * 4)]
    raw_changes = sum(1 for a, b in itertools.pairwise(frames) if a != b)
    shown = []
    for i, n in enumerate(frames):
        now = i / 4
        if (changed := count.update(n, on=True, now=now)) is not None:
            shown.append((now, changed))
        if i % 2 and (changed := count.decide(on=True, now=now + 0.1)) is not None:  # timer ticks
            shown.append((now + 0.1, changed))
    assert raw_changes > 800
    assert len(shown) <= 5 * 60 / COUNT_HOLD + 1, shown
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(shown)]
    assert min(gaps) >= COUNT_HOLD
    assert all(v == 7 for _, v in shown[1:])  # the most of each 6 s period: the group's size


def test_a_state_seeded_on_after_a_restart_leaves_the_count_until_a_person_is_seen() -> None:
    count = PersonCount()
    assert count.decide(on=True, now=0.0) is None and count.value is None  # the broker's count stays
    assert count.update(0, on=True, now=1.0) is None
    assert count.update(2, on=True, now=2.0) == 2
    assert count.reset() == 0 and count.reset() is None  # detection switched off
    with pytest.raises(ValueError):
        PersonCount(hold=0)


class FakeClient:
    """What a channel publishes (the broker's side is the real-listen_frame test below)."""

    def __init__(self) -> None:
        self.published: list[tuple[str, bytes | str, bool]] = []

    def publish(self, topic, payload, qos=0, retain=False):
        self.published.append((topic, payload, retain))

    def subscribe(self, topic, qos=0):
        pass

    def on(self, topic: str) -> list:
        return [p for t, p, _ in self.published if t == topic]


def person(score: float = 0.8) -> DetectedObject:
    return DetectedObject("person", score, (0.1, 0.1, 0.3, 0.6), ())


def test_the_channel_publishes_the_count_retained_with_the_person_state() -> None:
    client = FakeClient()
    roi_set = parse_roi_set({"version": 1, "rois": [], "detection": {"clear_after": 2.0}})
    channel = CameraChannel(client, "porch", ChannelSettings(Topics(), "camera/porch", None), roi_set)
    count_topic = "bobby/porch/person_count"
    channel.settle()
    assert client.on(count_topic) == ["0"]  # nobody: 0 from the start
    t = 100.0
    channel.update([person()], t)
    assert client.on("bobby/porch/person") == ["OFF"]
    channel.update([person(), person()], t + 0.25)  # 2 of 3 frames: ON, with that frame's 2
    topics = [topic for topic, _, _ in client.published]
    assert topics[-3:] == ["bobby/porch/person", "bobby/porch/arrival", count_topic]  # at once
    assert client.on(count_topic) == ["0", "2"]
    assert all(retain for topic, _, retain in client.published if topic == count_topic)
    for i in range(40):  # 10 s of 1 to 4 persons, changing every frame
        now = t + 0.5 + i / 4
        channel.update([person()] * (1 + i % 4), now)
        channel.tick(now + 0.01)
    counts = client.on(count_topic)
    assert counts[-1] == "4" and len(counts) <= 2 + 10 / COUNT_HOLD + 1, counts
    channel.tick(t + 11.0)
    channel.tick(t + 13.0)  # clear_after without a person: OFF and 0 together
    assert client.on("bobby/porch/person")[-1] == "OFF" and client.on(count_topic)[-1] == "0"
    assert [topic for topic, _, _ in client.published][-2:] == ["bobby/porch/person", count_topic]
    n = len(client.published)
    channel.tick(t + 20.0)
    assert len(client.published) == n  # nothing republished unchanged
    channel.reconnected()  # the broker may have lost it: again
    assert client.on(count_topic)[-1] == "0" and len(client.on(count_topic)) == len(counts) + 2


FPS = 6.0


def test_listen_frame_publishes_a_quiet_count(mosquitto, model_path, media_dir) -> None:
    """The real listen_frame on opencv_vtest.avi (a group walking: the per-frame count changes on
    many frames): the count comes with the ON, then at most every COUNT_HOLD seconds, and goes
    to 0 with the OFF."""
    base = f"pc{uuid.uuid4().hex[:6]}"
    cam = "porch"
    people = video_jpegs(str(media_dir / "opencv_vtest.avi"), 60, step=3)
    empty = still_jpeg(media_dir / NO_PERSON_STILLS[0])
    client = Collector(mosquitto, [f"{base}/#"], announce_cameras=True)
    roi_set = {"version": 1, "rois": [], "detection": {"clear_after": 2.0}}
    client.publish(f"{base}/{cam}/rois", json.dumps(roi_set).encode(), retain=True)
    cmd = listen_frame(mosquitto, model_path, base, "pc", "--workers", "1")
    walk = None
    person_topic, count_topic = f"{base}/{cam}/person", f"{base}/{cam}/person_count"
    try:
        client.wait_payload(f"{base}/listen_frame/pc/availability", b"online", timeout=60)
        walk = Feeder.publishing(client, f"{base}/{cam}/frame", empty, FPS)
        client.wait_payload(count_topic, b"0", timeout=60)  # nobody: 0 from the start
        t_walk = time.monotonic()
        walk.show(people)
        on = client.wait_first(person_topic, lambda p: p == b"ON", timeout=60, after=t_walk)
        first = client.wait_first(count_topic, lambda p: p != b"0", timeout=10, after=t_walk)
        assert abs(first.at - on.at) < 1.0, "the first count came long after the ON"
        time.sleep(4 * COUNT_HOLD)
        walk.show(empty)
        t_gone = time.monotonic()
        off = client.wait_first(person_topic, lambda p: p == b"OFF", timeout=30, after=t_gone)
        zero = client.wait_first(count_topic, lambda p: p == b"0", timeout=10, after=t_gone)
        assert abs(zero.at - off.at) < 1.0, "the count went to 0 long after the OFF"

        in_visit = [m for m in client.on(count_topic) if first.at <= m.at < zero.at]
        persons = [
            json.loads(m.payload)["persons"]
            for m in client.on(f"{base}/{cam}/detections")
            if on.at <= m.at < t_gone
        ]
        raw = sum(1 for a, b in itertools.pairwise(persons) if a != b)
        window = zero.at - first.at
        shown = [(round(m.at - first.at, 1), m.payload.decode()) for m in in_visit]
        print(f"per-frame count changed {raw} times, the published count {len(in_visit)}: {shown}")
        assert all(m.retain is False for m in in_visit)  # live copies (retained on the broker)
        assert len(in_visit) <= window / COUNT_HOLD + 1, shown
        assert raw > len(in_visit), f"the walk should change the per-frame count more often: {persons}"
        fresh = Collector(mosquitto, count_topic)  # retained: a later subscriber gets it at once
        try:
            msg = fresh.wait_first(count_topic, timeout=5)
            assert msg.retain and msg.payload == b"0"
        finally:
            fresh.close()
    finally:
        if walk is not None:
            walk.close()
        cmd.stop()
        client.close()
