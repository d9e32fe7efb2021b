"""Several listen_frame instances in one shared-subscription group behave as one detector.

Real processes (`bobby-edge listen-frame`), a real Mosquitto, the real model and real media.
One visit gives one ON, one OFF and one arrival whatever the number of instances; an instance
SIGKILLed mid-visit gives no OFF, its frames go to the others and a survivor takes the camera
over within 3 s of its Last Will, with the entities available; restarted, it rejoins (and
takes its cameras back) without a second ON; all stopped, the entities are unavailable.

Only what needs processes is here; the cluster's logic (ownership, takeover, acknowledgements,
counters, the other instances' messages) is proved in-process in test_cluster_inproc.py.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid

import pytest

from edge_agent.listen_frame.ownership import rendezvous_owner
from tests.conftest import NO_PERSON_STILLS
from tests.support.feeder import Feeder
from tests.support.frames import still_jpeg, video_jpegs
from tests.support.mqtt import Collector
from tests.support.procs import Command, listen_frame, worker_pids

TAKEOVER_LIMIT = 3.0  # seconds from an instance's Last Will to its camera's new owner speaking
FPS = 6.0
# Fast debouncing (the defaults wait 10 s to switch off) and no motion gate: every frame inferred.
DETECTION = {"frames_needed": 2, "frames_window": 3, "clear_after": 3.0, "motion": False}


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
        feeder = Feeder.publishing(c, f"{t}/frame", people, FPS)
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

        # The owner's figures are the camera's, all instances' frames (its own share is 1 / count of
        # them): what its last three stats (one a second) count against the detections all instances
        # published over the same seconds, not against FPS (a busy machine analyses fewer frames
        # than it is sent).
        def owner_counts_every_instance() -> bool:
            recent = [json.loads(m.payload) | {"at": m.at} for m in c.on(f"{t}/stats") if m.at >= on.at][-4:]
            if len(recent) < 4:
                return False
            since, until = recent[0]["at"], recent[-1]["at"]
            answered = sum(1 for m in c.on(f"{t}/detections") if since < m.at <= until)
            reported = sum(s["analysed_fps"] * s["interval"] for s in recent[1:])
            return answered > 0 and reported >= 0.7 * answered

        c.wait_for(owner_counts_every_instance, 30, "the owner's analysed_fps counting every instance's")
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
        feeder.show(empty)
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
        # Every frame that came in is accounted for: analysed, or dropped for a newer one of its camera
        # (the workers were busy: how many depends on the machine's load, not on the instances), or
        # skipped; what is left is at most the frames in flight (one a camera waiting and one a worker
        # in each instance, the restarted one too, and those the killed one held).
        last = figures[-1]
        accounted = last["analysed"] + last["dropped"] + last["skipped"] + last["motion_skipped"]
        print(
            f"camera's counters at the end: {last['frames_in']} in, {last['analysed']} analysed, "
            f"{last['dropped']} dropped, {last['skipped'] + last['motion_skipped']} skipped"
        )
        assert last["analysed"] > 0 and 0 <= last["frames_in"] - accounted <= 4 * (count + 1), last

        # ---- all stopped: the entities follow the last owner's availability, now offline ---------
        feeder.close()
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
            feeder.close()
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
        feeder = Feeder.publishing(
            c, f"{t}/frame", video_jpegs(media_dir / "opencv_vtest.avi", 30, step=5), FPS
        )
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
            feeder.close()
        for proc in procs.values():
            proc.stop()
        c.close()


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
