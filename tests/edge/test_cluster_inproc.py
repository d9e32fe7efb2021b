"""listen_frame's instance cluster (edge_agent/listen_frame/cluster.py) in-process.

Each instance is its cluster, its registry and its cameras' real channels on a recording
publisher; what one instance publishes is handed to the others as the broker would. Who owns
which camera, a camera changing hands, the acknowledgements folded for Home Assistant, the
counters summed over instances and the other instances' messages read defensively, in
milliseconds. What needs real processes (a SIGKILL, a Last Will, the shared subscription, a
broker restart) stays in tests/edge/test_instances.py.
"""

from __future__ import annotations

import json
import logging

import pytest

from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.rois import parse_roi_set
from edge_agent.listen_frame.cameras import CameraRegistry
from edge_agent.listen_frame.cluster import Cluster, ClusterIdentity
from edge_agent.listen_frame.ownership import (
    RoiAcks,
    parse_ack,
    parse_peer_detections,
    peer_service,
    rendezvous_owner,
)
from edge_agent.listen_frame.state import CameraState, InstanceState
from edge_agent.listen_frame.stats import CounterTotals, parse_service_stats
from edge_agent.mqtt.channel import CameraChannel, ChannelHooks, ChannelSettings
from edge_agent.mqtt.messages import detections_json
from edge_agent.mqtt.topics import Topics
from edge_agent.ratelimit import RateLimitedLog
from tests.support.inproc import Published, RecordingPublisher, message

T = Topics("bobby")
ROIS = parse_roi_set({"version": 1, "rois": [], "detection": {"frames_needed": 1, "frames_window": 1}})


class Instance:
    """One listen_frame instance without its workers and its broker connection."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.client = RecordingPublisher()
        self.state = InstanceState()
        self.registry: CameraRegistry[CameraState] = CameraRegistry(
            self._new_camera, counters=self.state.counters
        )
        self.cluster = Cluster(
            ClusterIdentity(name, T),
            self.client.publish,
            self.registry,
            self.state,
            RateLimitedLog(logging.getLogger("test"), interval=60.0),
        )
        self.service_id = f"listen_frame/{name}"

    def _new_camera(self, cam_id: str) -> CameraState:  # as ListenFrame._new_camera wires it
        cam = CameraState(cam_id, None)  # type: ignore[arg-type]
        cam.channel = CameraChannel(
            self.client,
            cam_id,
            ChannelSettings(T, self.service_id, discovery_prefix=None),
            ROIS,
            ChannelHooks(
                owner=lambda: self.cluster.instances.owns(cam_id),
                ack=lambda version, ok, error, active: self.cluster.ack(cam_id, version, ok, error, active),
            ),
        )
        self.cluster.camera_added(cam)
        return cam

    def camera(self, cam_id: str) -> CameraState:
        cam, _ = self.registry.admit(cam_id)
        assert cam is not None
        cam.channel.settle()
        return cam

    def hears(self, *others: Instance) -> None:
        """Each other instance's retained availability, `online`."""
        for other in others:
            self.receive(Published(T.service_availability("listen_frame", other.name), b"online", 1, True))

    def receive(self, p: Published) -> None:
        """What the service's router does with the multi-instance topics (ListenFrame._route_cameras)."""
        msg = message(p.topic, p.payload, p.retain)
        parts = T.split(p.topic)
        assert parts is not None
        if parts[0] == "listen_frame":
            self.cluster.on_instance_message(parts[1], msg)
            return
        cam_id, rest = parts
        cam = self.registry.get(cam_id)
        if cam is not None and (rest in ("detections", "stats") or rest.startswith("rois/applied/")):
            self.cluster.on_peer_message(cam, rest, msg)
        elif cam is not None and rest.partition("/")[0] == "person":
            cam.channel.on_person_state(msg)  # the owner's person states (the router's table)

    def detections(self, cam: str, *objects: DetectedObject, at: float = 100.0) -> Published:
        """A detections message of this instance, as the service publishes one per analysed frame."""
        payload = detections_json(cam, self.service_id, at, at, at + 0.05, 30.0, (640, 480), 1, list(objects))
        return Published(T.detections(cam), payload.encode(), 0, False)


def deliver(published: list[Published], *to: Instance) -> None:
    for p in published:
        for instance in to:
            instance.receive(p)


def person() -> DetectedObject:
    return DetectedObject("person", 0.9, (0.2, 0.2, 0.4, 0.8), ())


def pair(cam: str = "door") -> tuple[Instance, Instance]:
    """Two instances that know each other, the first the camera's owner."""
    first, second = sorted(["a", "b"], key=lambda n: n != rendezvous_owner(cam, ["a", "b"]))
    a, b = Instance(first), Instance(second)
    a.hears(b)
    b.hears(a)
    return a, b


# ---- who owns what ----------------------------------------------------------------------------------


def test_one_owner_among_the_live_instances_and_the_camera_moves_when_it_leaves():
    a, b = pair()
    door_a, door_b = a.camera("door"), b.camera("door")
    assert door_a.owned is True and door_b.owned is False
    assert a.cluster.instances.live == b.cluster.instances.live == {"a", "b"}
    b.client.take()
    b.receive(Published(T.service_availability("listen_frame", a.name), b"offline", 1, True))  # a's will
    assert door_b.owned is True and b.state.counters["takeovers"] == 1
    stats = b.client.last(T.stats("door"))
    assert stats is not None and stats.json()["service"] == b.service_id  # names itself at once
    assert stats.json()["services"] == [b.service_id]
    b.hears(a)  # a is back: it owns the door again, b stops speaking for it
    assert door_b.owned is False and b.state.counters["takeovers"] == 1


def test_a_visit_seen_by_both_instances_is_one_on_and_the_new_owner_carries_it_on():
    a, b = pair()
    door_a, door_b = a.camera("door"), b.camera("door")
    a.client.take()
    # b analyses the frames (the shared subscription gave them to b): its detections reach a.
    deliver([b.detections("door", person())], a)
    assert a.state.counters["peer_detections"] == 1 and door_a.active
    assert a.client.on(T.person("door")) == [b"ON"] and len(a.client.on(T.arrival("door"))) == 1
    door_b.channel.update([person()], 100.0)  # b's own frame: b follows, but says nothing
    assert b.client.on(T.person("door")) == []
    deliver(a.client.take(), b)  # b reads what the owner published (the retained ON)
    # a leaves: b takes over, and the broker has the ON already: no second ON, no arrival
    b.receive(Published(T.service_availability("listen_frame", a.name), b"offline", 1, True))
    assert door_b.owned and b.client.on(T.person("door")) == []
    assert b.client.on(T.arrival("door")) == []
    door_b.channel.tick(100.5)  # its first tick confirms the state (HA's expire_after)
    assert b.client.on(T.person("door")) == [b"ON"] and b.client.on(T.arrival("door")) == []


def test_peer_detections_that_do_not_belong_are_counted_not_folded():
    a, b = pair()
    door = a.camera("door")
    stranger = Instance("z")  # not live for a
    deliver([stranger.detections("door", person())], a)
    assert a.state.counters["peer_unknown"] == 1
    other_version = json.loads(b.detections("door", person()).payload)
    other_version["rois_version"] = 9
    a.receive(Published(T.detections("door"), json.dumps(other_version).encode(), 0, False))
    assert a.state.counters["peer_other_version"] == 1
    deliver([a.detections("door", person())], a)  # our own back from a broker without No Local
    assert a.state.counters["own_echoes"] == 1
    a.receive(Published(T.detections("door"), b"[" * 16384, 0, False))
    assert a.state.counters["bad_detections"] == 1
    assert door.channel.person_on() is False and a.state.counters["peer_detections"] == 0


# ---- acknowledgements ---------------------------------------------------------------------------------


def test_the_owner_publishes_the_folded_acknowledgement_once_every_instance_applied_it():
    a, b = pair()
    a.camera("door"), b.camera("door")
    roi_msg = message(T.cam("door", "rois"), json.dumps({"version": 2, "rois": []}).encode(), retain=True)
    a.registry.get("door").channel.on_rois(roi_msg)
    own = a.client.last(T.cam("door", "rois", "applied", a.name))
    assert own is not None and own.retain and own.json()["version"] == 2
    folded = a.client.last(T.rois_applied("door"))
    assert folded.json()["ok"] and set(folded.json()["services"]) == {a.service_id}  # b said nothing yet
    b.registry.get("door").channel.on_rois(roi_msg)
    assert b.client.on(T.rois_applied("door")) == []  # not the owner: its own ack only
    deliver(b.client.take(), a)
    folded = a.client.last(T.rois_applied("door")).json()
    assert folded["ok"] and folded["version"] == 2 and folded["service"] == a.service_id
    assert set(folded["services"]) == {a.service_id, b.service_id}
    n = len(a.client.on(T.rois_applied("door")))
    a.receive(Published(T.cam("door", "rois", "applied", b.name), b"{bad", 1, True))
    assert a.state.counters["bad_ack"] == 1 and len(a.client.on(T.rois_applied("door"))) == n


# ---- stats and counters -------------------------------------------------------------------------------


def test_only_the_owner_publishes_a_cameras_stats_every_instance_its_own_retained():
    a, b = pair()
    door_a, door_b = a.camera("door"), b.camera("door")
    for cam, n in ((door_a, 5), (door_b, 7)):
        cam.counters.update(frames_in=n, analysed=n, dropped=1)
        cam.active = True
        cam.window.add(30.0, 40.0)
    a.cluster.publish_stats(10.0, workers=2, worker_restarts=0)
    b.cluster.publish_stats(10.0, workers=1, worker_restarts=3)
    assert b.client.on(T.stats("door")) == []
    camera = a.client.last(T.stats("door")).json()
    assert camera["service"] == a.service_id and camera["frames_in"] == 5 and camera["analysed_fps"] == 0.1
    own_b = b.client.last(T.service_stats("listen_frame", b.name))
    assert own_b.retain and own_b.qos == 1
    figures = own_b.json()
    assert figures["workers"] == 1 and figures["worker_restarts"] == 3 and figures["owned"] == 0
    assert figures["per_camera"]["door"]["counters"]["frames_in"] == 7 and figures["run"] == b.state.run_id
    assert figures["instances"] == sorted([a.name, b.name])
    assert not door_a.active and door_a.window.analysed == 0  # a new interval
    # a reads b's counters and sums them into the camera's figures
    deliver([own_b], a)
    door_a.active = True
    a.cluster.publish_stats(10.0, workers=2, worker_restarts=0)
    camera = a.client.last(T.stats("door")).json()
    assert camera["frames_in"] == 12 and camera["dropped"] == 2


def test_a_new_owner_starts_from_the_figures_the_last_owner_published():
    a, b = pair()
    door_a, door_b = a.camera("door"), b.camera("door")
    door_a.counters.update(frames_in=50, dropped=4)
    door_a.active = True
    a.cluster.publish_stats(10.0, workers=1, worker_restarts=0)
    deliver([a.client.last(T.stats("door"))], b)  # b never saw a's service stats: only the camera's
    door_b.counters.update(frames_in=3)
    b.receive(Published(T.service_availability("listen_frame", a.name), b"offline", 1, True))
    taken = b.client.last(T.stats("door")).json()
    assert taken["service"] == b.service_id and taken["frames_in"] >= 50 and taken["dropped"] >= 4


def test_our_own_retained_stats_of_this_run_are_not_counted_twice():
    a = Instance("a")
    door = a.camera("door")
    door.counters.update(frames_in=10)
    door.active = True
    a.cluster.publish_stats(10.0, workers=1, worker_restarts=0)
    deliver([a.client.last(T.service_stats("listen_frame", "a"))], a)  # ours, back from the broker
    door.active = True
    a.cluster.publish_stats(10.0, workers=1, worker_restarts=0)
    assert a.client.last(T.stats("door")).json()["frames_in"] == 10


def test_bad_stats_of_other_instances_are_counted_and_ignored():
    a, b = pair()
    a.camera("door")
    for payload in (b"[" * 16384, b"x" * 300_000, b'{"per_camera": 3}'):
        a.receive(Published(T.service_stats("listen_frame", b.name), payload, 1, True))
    a.receive(Published(T.stats("door"), b'{"frames_in": -1}', 0, False))
    assert a.state.counters["bad_stats"] == 4


# ---- the parts that read what other instances say (untrusted input), moved from test_instances.py ----


def test_rendezvous_moves_only_the_cameras_of_the_instance_that_left():
    cams = [f"cam{i}" for i in range(200)]
    three = {cam: rendezvous_owner(cam, ["a", "b", "c"]) for cam in cams}
    two = {cam: rendezvous_owner(cam, ["a", "b"]) for cam in cams}
    assert all(three[cam] == two[cam] for cam in cams if three[cam] != "c")
    assert 40 < sum(1 for o in three.values() if o == "c") < 90  # about a third each


def test_peer_detections_are_checked_before_they_reach_the_debouncer():
    good = {
        "camera": "door",
        "service": "listen_frame/b",
        "received_at": 100.0,
        "analysed_at": 100.04,
        "inference_ms": 30.0,
        "rois_version": 3,
        "objects": [{"label": "person", "score": 0.8, "box": [0.1, 0.2, 0.3, 0.9], "rois": ["drive"]}],
    }
    peer = parse_peer_detections("door", json.dumps(good).encode())
    assert peer.instance == "b" and peer.rois_version == 3 and round(peer.e2e_ms) == 40
    assert peer.objects[0].label == "person" and peer.objects[0].rois == ("drive",)
    assert peer_service(json.dumps(good, separators=(",", ":")).encode()) == "listen_frame/b"
    bad = [
        b"x" * 70_000,
        b"{not json",
        b"[1, 2]",
        json.dumps({**good, "camera": "other"}).encode(),
        json.dumps({**good, "service": "camera/door"}).encode(),
        json.dumps({**good, "service": "listen_frame/bad name"}).encode(),
        json.dumps({**good, "rois_version": "3"}).encode(),
        json.dumps({**good, "objects": [{"label": "person", "score": 2, "box": [0, 0, 1, 1]}]}).encode(),
        json.dumps({**good, "objects": [{"label": "person", "score": 0.9, "box": [0, 0, 1]}]}).encode(),
        json.dumps(
            {**good, "objects": [{"label": "person", "score": 0.9, "box": [0, 0, 1, 1], "rois": ["A B"]}]}
        ).encode(),
        json.dumps({**good, "objects": [good["objects"][0]] * 101}).encode(),
        b'{"camera": "door", "service": "listen_frame/b", "rois_version": 3, "objects": [], "x": NaN}',
    ]
    for payload in bad:
        with pytest.raises(ValueError):
            parse_peer_detections("door", payload)


def ack(version, ok=True, error=None, active=None) -> dict:
    return parse_ack(
        json.dumps(
            {"version": version, "ok": ok, "error": error, "active_version": active or version}
        ).encode()
    )


def test_roi_acknowledgements_are_folded_for_home_assistant():
    acks = RoiAcks("listen_frame/a")
    acks.record("door", "a", ack(5))
    assert acks.aggregate("door", {"a", "b"}) is not None  # b has not said anything: it does not serve it
    acks.record("door", "b", ack(4))  # b still runs 4: wait for it
    assert acks.aggregate("door", {"a", "b"}) is None
    acks.record("door", "b", ack(5))
    folded = json.loads(acks.aggregate("door", {"a", "b"}))
    assert folded["ok"] is True and folded["version"] == 5 and folded["service"] == "listen_frame/a"
    assert set(folded["services"]) == {"listen_frame/a", "listen_frame/b"}
    assert acks.aggregate("door", {"a", "b"}) is None  # nothing new
    assert acks.aggregate("door", {"a", "b"}, force=True) is not None  # an answer to a publish
    acks.record("door", "b", ack(6, ok=False, error="roi 'x': polygon is self-intersecting", active=5))
    folded = json.loads(acks.aggregate("door", {"a", "b"}))
    assert folded["ok"] is False and folded["service"] == "listen_frame/b"
    assert folded["error"] == "listen_frame/b: roi 'x': polygon is self-intersecting"
    assert json.loads(acks.aggregate("door", {"a"}))["ok"] is True  # b left: a's own answer stands
    for payload in (
        b"",
        b"x" * 5000,
        b'{"ok": "yes", "active_version": 1}',
        b'{"ok": true, "active_version": true}',
    ):
        assert parse_ack(payload) is None


def test_counters_summed_over_instances_never_go_down():
    totals = CounterTotals()
    totals.observe("a", "run1", "door", {"dropped": 5, "analysed": 100})
    totals.observe("b", "run1", "door", {"dropped": 2, "analysed": 90})
    totals.observe("a", "run1", "door", {"dropped": 7, "analysed": 150})
    assert totals.report("door")["dropped"] == 9
    totals.observe("a", "run2", "door", {"dropped": 1, "analysed": 10})  # a restarted: a new start
    assert totals.report("door")["dropped"] == 10 and totals.report("door")["analysed"] == 250
    totals.observe("b", "run1", "door", {"dropped": 0, "analysed": 5})  # smaller: a restart too
    assert totals.report("door")["dropped"] == 10
    # A new owner that missed history starts from the figure the last owner published.
    late = CounterTotals()
    late.observe("a", "run2", "door", {"dropped": 1, "analysed": 10})
    late.seen("door", {"dropped": 10, "analysed": 255})
    assert late.report("door")["dropped"] == 1  # not the owner: its own sums
    late.take_over("door")
    assert late.report("door")["dropped"] == 10 and late.report("door")["analysed"] == 255
    late.observe("a", "run2", "door", {"dropped": 3, "analysed": 20})
    assert late.report("door")["dropped"] == 12 and late.report("door")["analysed"] == 265
    with pytest.raises(ValueError):
        parse_service_stats(b"x" * 300_000, lambda cam: True)
    peer = parse_service_stats(
        json.dumps(
            {
                "run": "r",
                "per_camera": {
                    "door": {"counters": {"dropped": 3}, "totals": {"dropped": 9}},
                    "bad": {"counters": {"dropped": -1}},
                    "evil": {"counters": {"__class__": 1}},
                },
            }
        ).encode(),
        lambda cam: True,
    )
    assert peer.counters == {"door": {"dropped": 3}} and peer.totals == {"door": {"dropped": 9}}
