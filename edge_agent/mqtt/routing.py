"""Incoming messages to their handlers: a table per service, and what Home Assistant says.

Both detection services route `<base>/<cam>/<rest>` with a `TopicRouter` table (no if/elif
chain), and hand what arrives under the discovery prefix to `home_assistant_message`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import paho.mqtt.client as mqtt

from edge_agent.mqtt.topics import Topics

if TYPE_CHECKING:
    from edge_agent.mqtt.channel import CameraChannel

log = logging.getLogger(__name__)

Handler = Callable[[str, mqtt.MQTTMessage], None]


class TopicRouter:
    """`<base>/<cam>/<rest>` -> the handler registered for `<rest>`, called with (cam, msg)."""

    def __init__(self, topics: Topics, table: dict[str, Handler]) -> None:
        self.topics = topics
        self.table = table

    def dispatch(self, msg: mqtt.MQTTMessage) -> bool:
        parts = self.topics.split(msg.topic)
        if parts is None:
            return False
        cam, rest = parts
        handler = self.table.get(rest)
        if handler is None and "/" in rest:  # `person/+`: one more level, any name
            handler = self.table.get(rest.rpartition("/")[0] + "/+")
        if handler is None:
            return False
        handler(cam, msg)
        return True


def home_assistant_message(
    msg: mqtt.MQTTMessage,
    prefix: str | None,
    channels: Callable[[], list[CameraChannel]],
    channel_of: Callable[[str], CameraChannel | None],
    offline: Callable[[], object] | None = None,
) -> bool:
    """What Home Assistant says under the discovery prefix, the same for every service.

    Its birth (`<prefix>/status` = `online`, e.g. after a restart): every channel republishes
    discovery (a forgotten camera has no channel any more, or a forgotten one: nothing). Its will
    (`offline`: Home Assistant crashed or lost the broker): `offline()`, listen_frame's
    Cluster.home_assistant_offline for the cameras HA itself publishes. A config
    of one of our devices (`bobby_<cam>`), retained or emptied: to that camera's channel, which
    removes it if its region is gone, or learns that HA deleted the device. True when `msg` was
    one of these (handled or ignored).
    """
    if prefix is None or not msg.topic.startswith(prefix + "/"):
        return False
    if msg.topic == f"{prefix}/status":
        if msg.payload.strip().lower() == b"online":
            log.info("Home Assistant is online: republishing discovery")
            for channel in channels():
                channel.publish_discovery()
        elif msg.payload.strip().lower() == b"offline" and offline is not None:
            offline()
        return True
    parts = msg.topic.split("/")
    if len(parts) >= 3 and parts[-3].startswith("bobby_"):
        target = channel_of(parts[-3][len("bobby_") :])
        if target is not None:
            target.on_discovery_config(msg)
    return True
