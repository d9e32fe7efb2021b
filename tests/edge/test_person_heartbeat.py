"""Person sensors across restarts (issue 18, the trigger trap): their states are confirmed every
`state_heartbeat` seconds and their HA sensors expire three heartbeats later instead of following
the publisher's own availability, so that a restart of listen_frame (or of a smart camera) does
not take them through `unavailable` -> `on`, which fires HA's core "occupied" trigger.

In-process, with the channel's publisher recorded (the real HA side is tests/ha/
test_discovery_schemas.py and tests/e2e/test_entity_churn.py).
"""

from __future__ import annotations

import json

from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.rois import parse_roi_set
from edge_agent.mqtt.channel import PERSON_EXPIRES_AFTER, CameraChannel, ChannelHooks, ChannelSettings
from edge_agent.mqtt.topics import Topics
from tests.edge.test_person_count import FakeClient

T = Topics()
CAM = "porch"
LF_AVAILABILITY = T.service_availability("listen_frame", "pi4")
ROIS = parse_roi_set(
    {
        "version": 1,
        "rois": [{"id": "door", "name": "Door", "points": [[0, 0], [1, 0], [1, 1], [0, 1]]}],
        "detection": {"clear_after": 30.0, "frames_needed": 1, "frames_window": 1},
    }
)


def channel(client: FakeClient, owner: list[bool] | None = None, smart: bool = False) -> CameraChannel:
    if smart:
        settings = ChannelSettings(T, f"camera/{CAM}", own_availability=T.availability(CAM))
        hooks = ChannelHooks()
    else:
        settings = ChannelSettings(T, "listen_frame/pi4", own_availability=LF_AVAILABILITY)
        hooks = ChannelHooks(
            availability_topics=lambda: [T.availability(CAM), LF_AVAILABILITY],
            owner=(lambda: owner[0]) if owner is not None else None,
        )
    return CameraChannel(client, CAM, settings, ROIS, hooks)


def person() -> DetectedObject:
    return DetectedObject("person", 0.9, (0.2, 0.2, 0.4, 0.8), ("door",))


def test_person_states_are_confirmed_every_heartbeat() -> None:
    client = FakeClient()
    ch = channel(client)
    heartbeat = ch.settings.state_heartbeat
    ch.settle()
    t = 1000.0
    ch.update([person()], t)  # ON at once (1 of 1)
    assert client.on(T.person(CAM)) == ["OFF", "ON"] and client.on(T.person(CAM, "door")) == ["OFF", "ON"]
    ch.tick(t + 0.5)  # the first tick after settling confirms what the broker has
    assert client.on(T.person(CAM))[-1] == "ON" and len(client.on(T.person(CAM))) == 3
    for i in range(1, int(heartbeat * 3)):  # 1.5 heartbeats of frames and ticks, no change
        ch.update([person()], t + 0.5 + i / 2)
        ch.tick(t + 0.5 + i / 2 + 0.1)
    assert len(client.on(T.person(CAM))) == 4  # one heartbeat in between
    ch.tick(t + 1.5 + 2 * heartbeat)
    states = client.on(T.person(CAM))
    assert states == ["OFF", "ON", "ON", "ON", "ON"], states
    assert client.on(T.person(CAM, "door")) == states
    assert all(retain for topic, _, retain in client.published if topic.startswith(T.person(CAM)))
    # after a reconnect (the broker may have lost them) at once, then every heartbeat again
    ch.reconnected()
    n = len(client.on(T.person(CAM)))
    ch.tick(t + 2.5 + 2 * heartbeat)
    assert len(client.on(T.person(CAM))) == n + 1


def test_only_the_owner_confirms() -> None:
    client = FakeClient()
    owner = [False]
    ch = channel(client, owner)
    ch.settle()
    ch.update([person()], 10.0)
    ch.tick(10.5)
    ch.tick(10.5 + ch.settings.state_heartbeat)  # a heartbeat's time, within clear_after
    assert client.on(T.person(CAM)) == []
    owner[0] = True
    ch.take_over()  # the ON it missed, then the heartbeats
    ch.tick(11.0 + ch.settings.state_heartbeat)
    assert client.on(T.person(CAM)) == ["ON", "ON"]


def test_person_sensors_expire_instead_of_following_the_service() -> None:
    client = FakeClient()
    ch = channel(client)
    configs = {topic.split("/")[-2]: payload for topic, payload in ch._discovery_configs().items()}
    expire = round(ch.settings.state_heartbeat * PERSON_EXPIRES_AFTER)
    for object_id in ("person", "person_door"):
        cfg = configs[object_id]
        assert cfg["expire_after"] == expire
        assert cfg["availability"] == [{"topic": T.availability(CAM)}]  # the camera's only
    other = configs["person_count"]
    assert "expire_after" not in other
    assert other["availability"] == [{"topic": T.availability(CAM)}, {"topic": LF_AVAILABILITY}]
    json.dumps(configs)  # publishable as it is

    smart = {t.split("/")[-2]: p for t, p in channel(FakeClient(), smart=True)._discovery_configs().items()}
    assert smart["person"]["expire_after"] == expire
    assert "availability" not in smart["person"] and "availability_mode" not in smart["person"]
    assert smart["person_count"]["availability"] == [{"topic": T.availability(CAM)}]
