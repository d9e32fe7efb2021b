"""Home Assistant's will in listen_frame, in-process: the cameras HA publishes itself go offline.

A Home Assistant camera published by the integration (ha_source.py, announce `platform:
home_assistant`) goes through HA's MQTT client, which has no Last Will per camera. When HA's own
will arrives (`homeassistant/status` = `offline`), the owner of each such camera publishes its
`offline` (retained) in its place; nothing else is touched. The router's part (routing.py) and the
cluster's (cluster.py Cluster.home_assistant_offline) with real channels and registries on a
recording publisher, as ListenFrame wires them (service.py _route_cameras, _on_announce).
"""

from __future__ import annotations

import json
import time

from edge_agent.listen_frame.cameras import Announce
from edge_agent.mqtt.routing import home_assistant_message
from tests.edge.test_cluster_inproc import Instance, T, pair, person
from tests.support.inproc import Published, message

HA_STATUS = "homeassistant/status"


def announce(cam: str, platform: str | None) -> bytes:
    return json.dumps({"id": cam, "name": cam.capitalize(), "mode": "dumb", "platform": platform}).encode()


def announced(instance: Instance, cam_id: str, platform: str | None):
    """A served camera whose announce was read (ListenFrame._on_announce keeps its platform)."""
    cam = instance.camera(cam_id)
    cam.platform = Announce.parse(cam_id, announce(cam_id, platform)).platform
    return cam


def route(instance: Instance, payload: bytes) -> bool:
    """What ListenFrame._route_cameras does with HA's status (its `offline=` is the cluster's)."""
    return home_assistant_message(
        message(HA_STATUS, payload),
        "homeassistant",
        lambda: [cam.channel for cam in instance.registry.values()],
        lambda cam_id: cam.channel if (cam := instance.registry.get(cam_id)) is not None else None,
        offline=instance.cluster.home_assistant_offline,
    )


def test_the_platform_of_an_announce_is_kept_and_a_bad_one_is_none():
    assert Announce.parse("yard", announce("yard", "home_assistant")).platform == "home_assistant"
    assert Announce.parse("door", announce("door", "picamera2")).platform == "picamera2"
    for bad in (None, 7, "", "x" * 33, ["home_assistant"]):
        payload = json.dumps({"id": "door", "mode": "dumb", "platform": bad}).encode()
        assert Announce.parse("door", payload).platform is None, bad  # not refused: only read


def test_home_assistants_will_takes_its_own_cameras_offline_and_nothing_else():
    a = Instance("a")  # alone: it owns every camera
    announced(a, "yard", "home_assistant")
    announced(a, "door", "picamera2")  # its own Last Will speaks for it
    announced(a, "shed", None)
    assert all(a.cluster.instances.owns(cam) for cam in ("yard", "door", "shed"))
    a.client.take()
    assert route(a, b"offline")
    assert a.client.take() == [Published(T.availability("yard"), b"offline", 1, True)]
    assert list(a.registry.offline_since) == ["yard"]  # no frames expected: forgotten after forget_after
    assert a.registry.gone(time.time() + a.registry.forget_after + 1) == ["yard"]
    # A second will (HA lost the broker again before coming back): nothing new to say.
    assert route(a, b" OFFLINE\n")
    assert a.client.take() == []
    # HA is back (its birth): the integration publishes `online` (retained) itself; listen_frame
    # does not speak for the camera.
    assert route(a, b"online")
    assert T.availability("yard") not in a.client.topics()
    a.registry.availability("yard", b"online")  # the integration's `online`, read back
    assert "yard" not in a.registry.offline_since


def test_only_the_owner_publishes_and_the_other_instance_follows_it():
    owner, other = pair("yard")
    for instance in (owner, other):
        announced(instance, "yard", "home_assistant")
    assert owner.cluster.instances.owns("yard") and not other.cluster.instances.owns("yard")
    owner.client.take()
    other.client.take()
    assert route(other, b"offline") and other.client.take() == []
    assert "yard" not in other.registry.offline_since
    assert route(owner, b"offline")
    said = owner.client.take()
    assert said == [Published(T.availability("yard"), b"offline", 1, True)]
    # The retained `offline` reaches every instance as the camera's availability (the router's table).
    for p in said:
        other.registry.availability("yard", p.payload)
    assert "yard" in other.registry.offline_since


def test_the_person_state_clears_as_for_any_camera_without_frames():
    a = Instance("a")
    yard = announced(a, "yard", "home_assistant")
    a.client.take()  # its settled state (OFF)
    yard.channel.update([person()], 100.0)
    assert a.client.on(T.person("yard")) == [b"ON"]
    assert route(a, b"offline")
    yard.channel.tick(100.5)
    assert a.client.on(T.person("yard")) == [b"ON", b"ON"]  # the heartbeat, unchanged
    yard.channel.tick(100.0 + 3600)  # no frame since: its clear_after long past
    assert a.client.last(T.person("yard")).payload == b"OFF"
