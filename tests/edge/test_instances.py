"""Several listen_frame instances in one shared-subscription group behave as one detector.

Real processes (`bobby-edge listen-frame`), a real Mosquitto, the real model and real media.
One visit gives one ON, one OFF and one arrival whatever the number of instances; an instance
SIGKILLed mid-visit gives no OFF, its frames go to the others and a survivor takes the camera
over within 3 s of its Last Will, with the entities available; restarted, it rejoins (and
takes its cameras back) without a second ON; all stopped, the entities are unavailable.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid

import pytest

from edge_agent.listen_frame.ownership import (
    RoiAcks,
    parse_ack,
    parse_peer_detections,
    peer_service,
    rendezvous_owner,
)
from edge_agent.listen_frame.stats import CounterTotals, parse_service_stats
from tests.conftest import NO_PERSON_STILLS
from tests.support.frames import still_jpeg, video_jpegs
from tests.support.mqtt import Collector
from tests.support.procs import Command, listen_frame, worker_pids

TAKEOVER_LIMIT = 3.0  # seconds from an instance's Last Will to its camera's new owner speaking
FPS = 6.0
# Fast debouncing (the defaults wait 10 s to switch off) and no motion gate: every frame inferred.
DETECTION = {"frames_needed": 2, "frames_window": 3, "clear_after": 3.0, "motion": False}


class Feeder:
    """A camera: frames at FPS from `frames` (switch it to end the visit) until stopped."""

    def __init__(self, client: Collector, topic: str, frames) -> None:
        self.client, self.topic, self.frames = client, topic, frames
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        i = 0
        while not self.stop_event.wait(1.0 / FPS):
            frames = self.frames
            try:
                self.client.publish(self.topic, frames[i % len(frames)], qos=0)
            except (RuntimeError, ValueError):
                pass  # the broker is away (the restart test): the camera carries on
            i += 1

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(5)


def service_of(payload: bytes) -> str:
    return json.loads(payload)["service"]


def changes(states: list[bytes]) -> list[bytes]:
    """States as they changed (an unchanged one is confirmed every heartbeat and after a takeover)."""
    return [p for i, p in enumerate(states) if i == 0 or states[i - 1] != p]


def owner_in(config: bytes, base: str) -> str:
    """The instance whose availability a discovery config follows (the camera's owner)."""
    topics = [a["topic"] for a in json.loads(config)["availability"]]
    prefix = f"{base}/listen_frame/"
    (owner,) = [t[len(prefix) : -len("/availability")] for t in topics if t.startswith(prefix)]
    return owner


@pytest.mark.parametrize("count", [2, 3])
def test_instances_act_as_one_detector(mosquitto, model_path, media_dir, count):
    base = f"multi{uuid.uuid4().hex[:6]}"
    cam = f"door-{uuid.uuid4().hex[:6]}"
    t = f"{base}/{cam}"
    # The person sensors follow the camera's availability only (they expire instead: issue 18);
    # the others follow the owner's too.
    config_topic = f"homeassistant/sensor/bobby_{cam}/person_count/config"
    names = ["a", "b", "c"][:count]
    c = Collector(mosquitto, [f"{base}/#", f"homeassistant/+/bobby_{cam}/#"])
    started = time.monotonic()

    def start(name: str):
        return listen_frame(mosquitto, model_path, base, name, "--workers", "1", "--share-group", "g")

    procs = {name: start(name) for name in names}
    feeder = None
    orphans: list[int] = []
    try:
        for name in names:
            c.wait_payload(f"{base}/listen_frame/{name}/availability", b"online", timeout=90)
        # The camera: announced, online, with an ROI set (as HA's editor saves it).
        c.publish(f"{t}/availability", b"online", retain=True)
        c.announce(t)
        c.publish(f"{t}/rois", json.dumps({"version": 1, "rois": [], "detection": DETECTION}), retain=True)
        ack = c.wait_json(f"{t}/rois/applied", lambda a: a["ok"] and len(a["services"]) == count, timeout=20)
        assert ack["version"] == 1 and set(ack["services"]) == {f"listen_frame/{n}" for n in names}
        for name in names:  # each instance's own acknowledgement, retained
            assert json.loads(c.wait_payload(f"{t}/rois/applied/{name}"))["ok"] is True

        # ---- a visit begins: one ON, from all instances' frames ----------------------------------
        people = video_jpegs(media_dir / "opencv_vtest.avi", 30, step=5)
        empty = [still_jpeg(media_dir / s) for s in NO_PERSON_STILLS]
        feeder = Feeder(c, f"{t}/frame", people)
        on = c.wait_first(f"{t}/person", lambda p: p == b"ON", timeout=30)
        owner = owner_in(c.wait_payload(config_topic), base)
        assert owner == rendezvous_owner(cam, names)
        # Every instance analyses its share of the frames; only the owner speaks for the camera.
        c.wait_for(
            lambda: (
                {service_of(p) for p in c.payloads(f"{t}/detections")} == {f"listen_frame/{n}" for n in names}
            ),
            what="detections from every instance",
        )
        stats = c.wait_json(f"{t}/stats", lambda s: s["analysed"] > 0, after=on.at)
        assert stats["service"] == f"listen_frame/{owner}"
        # The owner's figures are the camera's, all instances' frames (its own share is FPS / count).
        c.wait_json(f"{t}/stats", lambda s: s["analysed_fps"] >= 0.7 * FPS, after=on.at, timeout=10)
        time.sleep(1.0)

        # ---- the owner is SIGKILLed mid-visit ------------------------------------------------------
        orphans += worker_pids(procs[owner].pid)
        killed_at = time.monotonic()
        os.kill(procs[owner].pid, signal.SIGKILL)
        will = c.wait_first(
            f"{base}/listen_frame/{owner}/availability", lambda p: p == b"offline", after=killed_at
        )
        moved = c.wait_first(config_topic, lambda p: owner_in(p, base) != owner, after=killed_at)
        new_owner = owner_in(moved.payload, base)
        survivors = [n for n in names if n != owner]
        assert new_owner == rendezvous_owner(cam, survivors)
        assert moved.at - will.at < TAKEOVER_LIMIT, (
            f"discovery moved {moved.at - will.at:.2f} s after the will"
        )
        # Entities stay available: they follow the new owner's availability, which is online.
        assert c.last(f"{base}/listen_frame/{new_owner}/availability") == b"online"
        # The survivors get the frames and the new owner names itself in the camera's stats.
        flowing = c.wait_first(
            f"{t}/detections", lambda p: service_of(p) != f"listen_frame/{owner}", after=will.at
        )
        assert flowing.at - will.at < TAKEOVER_LIMIT
        named = c.wait_first(
            f"{t}/stats", lambda p: service_of(p) == f"listen_frame/{new_owner}", after=will.at
        )
        assert named.at - will.at < TAKEOVER_LIMIT
        time.sleep(2.0)  # the visit goes on under the new owner
        # no OFF, no second ON (the new owner confirms the ON: the heartbeat for HA's expire_after)
        assert changes([m.payload for m in c.on(f"{t}/person") if m.at >= on.at]) == [b"ON"]

        # ---- the killed instance comes back and takes its camera back, without a second ON -------
        restarted_at = time.monotonic()
        procs[owner] = start(owner)
        c.wait_first(f"{base}/listen_frame/{owner}/availability", lambda p: p == b"online", 90, restarted_at)
        back = c.wait_first(
            config_topic, lambda p: owner_in(p, base) == owner, timeout=20, after=restarted_at
        )
        c.wait_first(
            f"{t}/detections", lambda p: service_of(p) == f"listen_frame/{owner}", timeout=20, after=back.at
        )
        time.sleep(2.0)

        # ---- the visit ends: one OFF --------------------------------------------------------------
        feeder.frames = empty
        off = c.wait_first(f"{t}/person", lambda p: p == b"OFF", timeout=30, after=on.at)
        time.sleep(1.5)
        assert changes([m.payload for m in c.on(f"{t}/person") if m.at >= on.at]) == [b"ON", b"OFF"]
        assert c.on(f"{t}/person")[-1].payload == b"OFF"
        assert c.count(f"{t}/arrival") == 1
        arrival = json.loads(c.payloads(f"{t}/arrival")[0])
        assert arrival["service"] == f"listen_frame/{owner}"
        # The camera's counters only grow, across both changes of owner (HA's total_increasing).
        figures = [json.loads(p) for p in c.payloads(f"{t}/stats")]
        for key in ("frames_in", "analysed", "dropped"):
            values = [s[key] for s in figures]
            assert values == sorted(values), (key, values)
        assert figures[-1]["analysed"] >= 0.8 * figures[-1]["frames_in"] > 0

        # ---- all stopped: the entities follow the last owner's availability, now offline ---------
        feeder.stop()
        for name in reversed(names):
            procs[name].stop()
        last_owner = owner_in(c.last(config_topic), base)
        assert c.last(f"{base}/listen_frame/{last_owner}/availability") == b"offline"
        print(
            f"{count} instances: takeover {moved.at - will.at:.2f} s after the will, frames flowing "
            f"{flowing.at - will.at:.2f} s, stats {named.at - will.at:.2f} s; OFF {off.at - on.at:.1f} s "
            f"after ON; whole test {time.monotonic() - started:.0f} s"
        )
    finally:
        if feeder is not None:
            feeder.stop()
        for proc in procs.values():
            proc.stop()
        for pid in orphans:  # workers of the SIGKILLed instance, if they outlived it
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        c.close()


def test_broker_restart_mid_visit_with_two_instances(own_mosquitto, model_path, media_dir):
    """The broker restarts without persistence: its retained state is gone, and both instances
    reconnect. The camera's owner reads the states back, then publishes the person state again
    (ON, the visit goes on) once, with no arrival and no OFF."""
    broker = own_mosquitto
    base = f"brk{uuid.uuid4().hex[:6]}"
    t = f"{base}/porch"
    names = ["a", "b"]
    c = Collector(broker, f"{base}/#")
    procs = {
        n: listen_frame(broker, model_path, base, n, "--workers", "1", "--share-group", "g") for n in names
    }
    feeder = None
    try:
        for n in names:
            c.wait_payload(f"{base}/listen_frame/{n}/availability", b"online", timeout=90)
        c.announce(t)
        c.publish(f"{t}/rois", json.dumps({"version": 1, "rois": [], "detection": DETECTION}), retain=True)
        c.wait_json(f"{t}/rois/applied", lambda a: a["ok"] and len(a["services"]) == 2, timeout=20)
        feeder = Feeder(c, f"{t}/frame", video_jpegs(media_dir / "opencv_vtest.avi", 30, step=5))
        c.wait_first(f"{t}/person", lambda p: p == b"ON", timeout=30)
        time.sleep(1.0)
        broker.proc.kill()  # no goodbye, no persistence: every retained message is gone
        broker.proc.wait()
        time.sleep(1.0)
        broker.start()
        up = time.monotonic()
        for n in names:
            c.wait_first(f"{base}/listen_frame/{n}/availability", lambda p: p == b"online", 30, up)
        back = c.wait_first(f"{t}/person", lambda p: p == b"ON", timeout=15, after=up)
        time.sleep(4.0)  # the visit goes on: nothing else on the person topics
        # ON, and its confirmation once settled (the heartbeat for HA's expire_after)
        assert [m.payload for m in c.on(f"{t}/person") if m.at >= up] in ([b"ON"], [b"ON", b"ON"])
        assert c.count(f"{t}/arrival", after=up) == 0
        print(f"broker restart: person state back {back.at - up:.2f} s after the broker")
    finally:
        if feeder is not None:
            feeder.stop()
        for proc in procs.values():
            proc.stop()
        c.close()


# ---- the parts that read what other instances say (untrusted input) --------------------------------


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


def test_bench_compares_instances_with_one_instance(model_path, media_dir, tmp_path):
    out = tmp_path / "bench.json"
    cmd = Command(
        "bench",
        "--model",
        str(model_path),
        "--video",
        str(media_dir / "opencv_vtest.avi"),
        "--frames",
        "8",
        "--seconds",
        "2",
        "--instances",
        "2",
        "--json",
        str(out),
    )
    assert cmd.wait(180) == 0, cmd.output()[-3000:]
    text = cmd.output()
    assert "listen_frame, 1 instance with 2 worker(s):" in text, text
    assert "listen_frame, 2 instances with 1 worker(s) each (shared subscription):" in text, text
    figures = json.loads(out.read_text())
    assert figures["one_instance"]["fps"] > 0 and figures["several"]["fps"] > 0
    assert figures["several"]["processes"] == 2 and figures["total_workers"] == 2
