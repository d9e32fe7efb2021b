"""One camera's channel (edge_agent/mqtt/channel.py) in-process: messages in through its handlers,
what it publishes recorded instead of a broker. Milliseconds per test; the same channel behind a
real Mosquitto and real processes is tests/edge/test_listen_frame.py and test_smart_camera.py."""

from __future__ import annotations

import json

from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.rois import RoiSet, parse_roi_set
from edge_agent.mqtt.channel import CameraChannel, ChannelHooks, ChannelSettings
from edge_agent.mqtt.topics import Topics
from tests.support.inproc import RecordingPublisher, message

T = Topics("bobby")
CAM = "porch"
FAST = {"frames_needed": 1, "frames_window": 1, "clear_after": 2.0}


def rois(version: int, *ids: str, detection: dict | None = None) -> dict:
    square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
    return {
        "version": version,
        "rois": [{"id": i, "name": i.title(), "points": square} for i in ids],
        "detection": detection or FAST,
    }


def changes(states: list[bytes]) -> list[bytes]:
    """States as they changed (an unchanged one is confirmed every heartbeat, retained)."""
    return [p for i, p in enumerate(states) if i == 0 or states[i - 1] != p]


def person(*rois: str) -> DetectedObject:
    return DetectedObject("person", 0.9, (0.2, 0.2, 0.4, 0.8), rois)


class Camera:
    """A channel as a detection service holds it, on a recording publisher."""

    def __init__(self, hooks: ChannelHooks | None = None, prefix: str | None = None, roi_set=None) -> None:
        self.client = RecordingPublisher()
        settings = ChannelSettings(T, "listen_frame/a", discovery_prefix=prefix, snapshot_interval=30.0)
        self.channel = CameraChannel(
            self.client, CAM, settings, roi_set or parse_roi_set(rois(1, detection=FAST)), hooks
        )

    def rois(self, payload, retain: bool = True) -> None:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.channel.on_rois(message(T.cam(CAM, "rois"), raw, retain))

    def ack(self) -> dict:
        last = self.client.last(T.rois_applied(CAM))
        assert last is not None and last.retain and last.qos == 1
        return last.json()

    def states(self, roi: str | None = None) -> list[bytes]:
        return self.client.on(T.person(CAM, roi))


# ---- ROI sets -------------------------------------------------------------------------------------


def test_an_roi_set_is_applied_and_acknowledged_retained():
    cam = Camera()
    cam.rois(rois(3, "door", "drive"))
    ack = cam.ack()
    assert (ack["version"], ack["ok"], ack["error"], ack["active_version"]) == (3, True, None, 3)
    assert ack["service"] == "listen_frame/a"
    assert cam.channel.roi_set.version == 3 and [r.id for r in cam.channel.roi_set.rois] == ["door", "drive"]
    assert set(cam.channel.tracker.roi_ids) == {"door", "drive"}


def test_a_bad_roi_set_is_refused_with_the_reason_and_counted():
    cam = Camera()
    cam.rois(rois(2, "door"))
    cam.rois({"version": 5, "rois": [{"id": "x", "name": "X", "points": [[0, 0], [1, 1]]}]})
    ack = cam.ack()
    assert ack["ok"] is False and ack["version"] == 5 and ack["active_version"] == 2 and ack["error"]
    assert cam.channel.counters["bad_rois"] == 1 and cam.channel.roi_set.version == 2
    cam.rois(b"{not json")
    assert cam.ack()["ok"] is False and cam.ack()["version"] is None
    assert cam.channel.counters["bad_rois"] == 2


def test_an_older_set_is_refused_and_a_cleared_one_keeps_the_set_in_force():
    cam = Camera()
    cam.rois(rois(4, "door"))
    cam.rois(rois(3, "drive"))  # a late retained copy must not undo version 4
    ack = cam.ack()
    assert ack["ok"] is False and ack["version"] == 3 and "older" in ack["error"]
    assert cam.channel.roi_set.version == 4 and cam.channel.counters["bad_rois"] == 0
    n = len(cam.client.published)
    cam.rois(b"")  # the retained set was cleared: nothing changes, nothing is said
    assert cam.channel.roi_set.version == 4 and len(cam.client.published) == n


def test_the_service_may_acknowledge_itself():
    acks: list[tuple] = []
    cam = Camera(ChannelHooks(ack=lambda *a: acks.append(a), apply_rois=lambda s: s.version != 7))
    cam.rois(rois(6))
    cam.rois(rois(7))  # not in force yet (the smart camera's detector applies it later)
    assert acks == [(6, True, None, 6)]
    assert cam.client.on(T.rois_applied(CAM)) == []  # the hook publishes, not the channel


# ---- the detection switch -------------------------------------------------------------------------


def test_the_detection_switch_answers_a_command_and_clears_the_states():
    changed: list[bool] = []
    cam = Camera(ChannelHooks(on_detection=changed.append))
    cam.channel.settle()
    cam.channel.update([person()], 10.0)
    assert cam.states() == [b"OFF", b"ON"]
    cam.channel.on_detection_set(
        message(T.cam(CAM, "detection", "set"), json.dumps({"state": "OFF", "request_id": "r1"}))
    )
    state = cam.client.last(T.detection_state(CAM))
    assert state.retain and state.json()["state"] == "OFF" and state.json()["request_id"] == "r1"
    assert state.json()["service"] == "listen_frame/a"
    assert changed == [False] and cam.states()[-1] == b"OFF"  # nobody watching: OFF at once
    n = len(cam.states())
    cam.channel.update([person()], 11.0)  # a frame analysed before the switch: ignored
    assert len(cam.states()) == n
    cam.channel.on_detection_set(message(T.cam(CAM, "detection", "set"), b"maybe"))
    assert cam.channel.counters["bad_command"] == 1 and cam.channel.detection.on is False


def test_the_retained_switch_state_of_an_earlier_run_is_adopted_until_settled():
    cam = Camera()
    off = json.dumps({"state": "OFF", "request_id": None, "at": 1.0})
    cam.channel.on_detection_state(message(T.detection_state(CAM), off, retain=True))
    assert cam.channel.detection.on is False
    cam.channel.settle()
    assert cam.client.last(T.detection_state(CAM)).json()["state"] == "OFF"
    on = json.dumps({"state": "ON", "request_id": None, "at": 2.0})
    cam.channel.on_detection_state(message(T.detection_state(CAM), on, retain=True))
    assert cam.channel.detection.on is False  # settled: our own state coming back, not a command


# ---- person states, arrivals, snapshots -----------------------------------------------------------


def test_a_visit_is_one_on_one_arrival_and_one_off():
    cam = Camera(roi_set=parse_roi_set(rois(1, "door", detection=FAST)))
    cam.channel.settle()
    assert cam.states() == [b"OFF"] and cam.states("door") == [b"OFF"]
    for i in range(8):
        cam.channel.update([person("door")], 100.0 + i / 4)
        cam.channel.tick(100.0 + i / 4 + 0.1)
    assert changes(cam.states()) == [b"OFF", b"ON"] and changes(cam.states("door")) == [b"OFF", b"ON"]
    arrivals = cam.client.on(T.arrival(CAM))
    assert len(arrivals) == 1 and json.loads(arrivals[0])["camera"] == CAM
    assert len(cam.client.on(T.arrival(CAM, "door"))) == 1
    assert all(not p.retain for p in cam.client.published if p.topic.startswith(T.arrival(CAM)))
    cam.channel.tick(102.5)  # within clear_after of the last person
    assert cam.states()[-1] == b"ON"
    cam.channel.tick(104.5)
    assert changes(cam.states()) == [b"OFF", b"ON", b"OFF"] and cam.states("door")[-1] == b"OFF"
    assert cam.channel.counters["arrivals"] == 2  # the camera's and the region's


def test_a_state_on_before_a_restart_is_carried_on_without_a_second_arrival():
    cam = Camera()
    cam.channel.on_person_state(message(T.person(CAM), b"ON", retain=True))  # ours, from the broker
    cam.channel.settle()
    assert cam.states() == []  # the broker has it already
    cam.channel.update([person()], 50.0)
    assert cam.states() == [] and cam.client.on(T.arrival(CAM)) == []


def test_only_the_owner_publishes_and_a_new_owner_publishes_only_what_differs():
    owner = [False]
    cam = Camera(ChannelHooks(owner=lambda: owner[0]))
    cam.channel.settle()
    cam.channel.update([person()], 10.0)  # the debouncer follows, nothing published
    assert cam.states() == [] and cam.client.on(T.arrival(CAM)) == []
    assert cam.channel.want_snapshot(10.0) is False  # no drawing for nothing
    owner[0] = True
    cam.channel.take_over()
    assert cam.states() == [b"ON"]  # the state it missed, as it is: not an arrival
    assert cam.client.on(T.arrival(CAM)) == []
    cam.channel.take_over()
    assert cam.states() == [b"ON"]  # nothing differs any more


def test_a_snapshot_at_the_visits_start_then_at_most_every_interval():
    cam = Camera()
    cam.channel.settle()
    assert cam.channel.want_snapshot(10.0)  # a visit may be starting
    cam.channel.offer_snapshot(b"jpeg-1", 10.0)  # before the ON: kept as the candidate
    assert cam.client.on(T.snapshot(CAM)) == []
    cam.channel.update([person()], 10.1)  # ON: the candidate is the visit's first picture
    assert cam.client.on(T.snapshot(CAM)) == [b"jpeg-1"]
    assert cam.channel.want_snapshot(20.0) is False
    cam.channel.offer_snapshot(b"jpeg-2", 20.0)
    assert cam.client.on(T.snapshot(CAM)) == [b"jpeg-1"]
    assert cam.channel.want_snapshot(40.2)
    cam.channel.update([person()], 40.2)
    cam.channel.offer_snapshot(b"jpeg-3", 40.2)
    assert cam.client.on(T.snapshot(CAM)) == [b"jpeg-1", b"jpeg-3"]
    assert cam.client.last(T.snapshot(CAM)).retain


# ---- discovery and forgetting ---------------------------------------------------------------------


def test_discovery_once_settled_and_stale_region_entities_removed():
    cam = Camera(prefix="homeassistant", roi_set=parse_roi_set(rois(1, "door", "drive")))
    assert not any(t.startswith("homeassistant/") for t in cam.client.topics())  # not before settling
    cam.channel.settle()
    published = {p.topic for p in cam.client.published if p.topic.startswith("homeassistant/") and p.payload}
    assert any("drive" in t for t in published) and any("door" in t for t in published)
    cam.rois(rois(2, "door"))  # drive is gone: its entities' configs are emptied
    emptied = {
        p.topic for p in cam.client.published if p.topic.startswith("homeassistant/") and not p.payload
    }
    assert emptied and all("drive" in t for t in emptied)


def test_a_forgotten_camera_empties_its_retained_topics_and_says_nothing_more():
    cam = Camera(prefix="homeassistant", roi_set=parse_roi_set(rois(1, "door")))
    cam.channel.settle()
    cam.channel.update([person("door")], 10.0)
    cam.client.take()
    cam.channel.forget([T.cam(CAM, "rois", "applied", "a")])
    emptied = cam.client.take()
    assert all(p.payload == b"" and p.retain for p in emptied)
    topics = {p.topic for p in emptied}
    for topic in (
        T.person(CAM),
        T.person(CAM, "door"),
        T.person_count(CAM),
        T.detection_state(CAM),
        T.snapshot(CAM),
        T.rois_applied(CAM),
        T.cam(CAM, "rois", "applied", "a"),
    ):
        assert topic in topics, topic
    assert any(t.startswith("homeassistant/") for t in topics)
    cam.channel.update([person("door")], 11.0)
    cam.channel.tick(30.0)
    cam.channel.offer_snapshot(b"jpeg", 30.0)
    cam.rois(rois(2, "door"))
    cam.channel.forget()
    assert cam.client.published == []


def test_reconnected_publishes_the_retained_state_again():
    cam = Camera(roi_set=RoiSet())
    cam.channel.settle()
    cam.channel.update([person()], 1.0)
    cam.channel.update([person()], 1.3)
    cam.channel.update([person()], 1.6)
    before = cam.states()[-1]
    cam.client.take()
    cam.channel.reconnected()
    again = {p.topic: p.payload for p in cam.client.take()}
    assert again[T.person(CAM)] == before and T.detection_state(CAM) in again
    cam.channel.reconnected(resync=True)  # other instances live: read back first, publish nothing
    assert cam.client.published == [] and cam.channel.settled is False
