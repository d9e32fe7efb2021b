"""What a part that publishes needs of the MQTT client: `Publisher` (ManagedClient is one).

In a module of its own, imported by the channel, the discovery publisher and the switch alike,
so that none of them imports another back (tests/edge/test_import_graph.py).
"""

from __future__ import annotations

from typing import Protocol

import paho.mqtt.client as mqtt


class Publisher(Protocol):
    """The part of ManagedClient a channel uses (a test may pass anything with these two)."""

    def publish(
        self, topic: str, payload: mqtt.PayloadType, qos: int = 0, retain: bool = False
    ) -> object: ...  # pragma: no cover

    def subscribe(self, topic: str, qos: int = 0) -> object: ...  # pragma: no cover
