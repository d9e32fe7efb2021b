"""The router (edge_agent/mqtt/routing.py) in-process: `TopicRouter`'s table and what Home
Assistant says under the discovery prefix, with real channels on a recording publisher."""

from __future__ import annotations

from edge_agent.detect.rois import RoiSet
from edge_agent.mqtt.channel import CameraChannel, ChannelHooks, ChannelSettings
from edge_agent.mqtt.routing import TopicRouter, home_assistant_message
from edge_agent.mqtt.topics import Topics
from tests.support.inproc import RecordingPublisher, message

T = Topics("bobby")


def recording_router() -> tuple[TopicRouter, list[tuple[str, str, str]]]:
    calls: list[tuple[str, str, str]] = []

    def handler(name: str):
        return lambda cam, msg: calls.append((name, cam, msg.topic))

    table = {"frame": handler("frame"), "rois": handler("rois"), "person/+": handler("person/+")}
    table["person"] = handler("person")
    return TopicRouter(T, table), calls


def test_a_topic_goes_to_the_handler_of_its_rest_with_the_camera():
    router, calls = recording_router()
    assert router.dispatch(message("bobby/porch/frame", b"jpeg"))
    assert router.dispatch(message("bobby/door-2/rois", b"{}"))
    assert router.dispatch(message("bobby/porch/person"))
    assert calls == [
        ("frame", "porch", "bobby/porch/frame"),
        ("rois", "door-2", "bobby/door-2/rois"),
        ("person", "porch", "bobby/porch/person"),
    ]


def test_one_more_level_goes_to_the_wildcard_entry():
    router, calls = recording_router()
    assert router.dispatch(message("bobby/porch/person/drive"))
    assert router.dispatch(message("bobby/porch/person/back_door"))
    assert calls == [
        ("person/+", "porch", "bobby/porch/person/drive"),
        ("person/+", "porch", "bobby/porch/person/back_door"),
    ]


def test_what_has_no_entry_is_not_handled():
    router, calls = recording_router()
    for topic in (
        "bobby/porch/stream/set",  # no entry
        "bobby/porch/rois/applied/a",  # `rois/+` has no entry
        "bobby/porch/person/drive/extra",  # two more levels
        "bobby/porch",  # no rest
        "other/porch/frame",  # another base topic
        "homeassistant/status",
    ):
        assert router.dispatch(message(topic)) is False, topic
    assert calls == []


class Channels:
    """Two settled cameras' real channels, publishing discovery to one recorder."""

    def __init__(self, prefix: str | None = "homeassistant") -> None:
        self.client = RecordingPublisher()
        self.removed: list[str] = []
        settings = ChannelSettings(T, "listen_frame/a", discovery_prefix=prefix)
        self.by_cam = {
            cam: CameraChannel(
                self.client,
                cam,
                settings,
                RoiSet(),
                ChannelHooks(removed_in_ha=lambda cam=cam: self.removed.append(cam)),
            )
            for cam in ("porch", "yard")
        }
        for channel in self.by_cam.values():
            channel.settle()

    def route(self, msg, prefix: str | None = "homeassistant") -> bool:
        return home_assistant_message(msg, prefix, lambda: list(self.by_cam.values()), self.by_cam.get)

    def configs(self) -> set[str]:
        return {p.topic for p in self.client.published if p.topic.startswith("homeassistant/") and p.payload}


def test_home_assistant_online_republishes_every_cameras_discovery():
    ch = Channels()
    first = ch.configs()
    assert any("bobby_porch" in t for t in first) and any("bobby_yard" in t for t in first)
    ch.client.take()
    assert ch.route(message("homeassistant/status", b"online"))
    assert ch.configs() == first  # all of them again
    ch.client.take()
    assert ch.route(message("homeassistant/status", b"offline"))  # handled: nothing to do
    assert ch.route(message("homeassistant/status", b" ONLINE \n"))
    assert ch.configs() == first


def test_a_config_of_one_of_ours_goes_to_its_camera_only():
    ch = Channels()
    trigger = ch.by_cam["yard"].discovery.trigger_config
    assert trigger.startswith("homeassistant/") and "bobby_yard" in trigger
    # HA deleted the yard's device: its MQTT integration empties the trigger's config (live).
    assert ch.route(message(trigger, b"", retain=False))
    assert ch.removed == ["yard"]
    # Another service's device, and a camera that is not ours: handled (ours to ignore), nothing done.
    assert ch.route(message("homeassistant/device_automation/frigate_yard/x/config", b""))
    assert ch.route(message("homeassistant/device_automation/bobby_attic/person/config", b""))
    assert ch.removed == ["yard"]


def test_topics_outside_the_prefix_or_without_discovery_are_not_home_assistants():
    ch = Channels()
    ch.client.take()
    assert ch.route(message("bobby/porch/rois", b"{}")) is False
    assert ch.route(message("homeassistantx/status", b"online")) is False
    assert ch.route(message("homeassistant/status", b"online"), prefix=None) is False
    assert ch.client.published == []
