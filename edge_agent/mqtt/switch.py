"""An ON/OFF switch over MQTT: `…/set` commands in, a retained `…/state` out (docs/mqtt.md).

Detection (every detection service) and streaming (both camera modes) behave the same way:

- a command (`ON`, `OFF` or JSON with a request id) is applied and answered on `…/state` at once,
  echoing the request id;
- at start-up, our own retained state from an earlier run is adopted (the switch survives a
  restart) unless a command came first; `settle()` ends that phase and publishes the state;
- after a reconnect the state is published again (the broker may have lost it).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt

if TYPE_CHECKING:
    from edge_agent.mqtt.publisher import Publisher

from edge_agent.mqtt.messages import CommandError, SwitchState, parse_switch
from edge_agent.ratelimit import RateLimitedLog

log = logging.getLogger(__name__)


class Switch:
    def __init__(
        self,
        name: str,
        mqtt_client: Publisher,
        state_topic: str,
        on_change: Callable[[SwitchState], None] | None = None,
        extra: dict[str, Any] | None = None,
        bad: RateLimitedLog | None = None,
        counters: MutableMapping[str, int] | None = None,
        label: str = "",
    ) -> None:
        self.name = name
        self.mqtt = mqtt_client
        self.state_topic = state_topic
        self.on_change = on_change
        self.extra = extra or {}
        self.bad = bad or RateLimitedLog(log, interval=10.0)
        self.counters: MutableMapping[str, int] = counters if counters is not None else Counter()
        self.label = label  # e.g. the camera id, in log lines
        self.state = SwitchState(on=True)
        self.commanded = False  # a command since start-up beats the retained state
        self.settled = False
        self._lock = threading.Lock()

    @property
    def on(self) -> bool:
        return self.state.on

    def on_set(self, msg: mqtt.MQTTMessage, answer: bool = True) -> None:
        """A command; `answer` False: followed, not answered (another publisher owns the state)."""
        try:
            on, request_id = parse_switch(msg.payload)
        except CommandError as err:
            self.counters["bad_command"] += 1
            self.bad.warning(
                f"cmd:{self.label}:{self.name}",
                "%s: refused a command on %s %r: %s",
                self.label,
                self.name,
                msg.payload[:80],
                err,
            )
            return
        self.commanded = True
        self.set(SwitchState(on=on, request_id=request_id))
        if answer:
            self.publish()  # a command is answered, even before the rest of the state is settled

    def on_state(self, msg: mqtt.MQTTMessage) -> None:
        """Our retained state from an earlier run (only before settle(), only without a command)."""
        if not msg.retain or self.commanded or self.settled:
            return
        state = SwitchState.from_retained(msg.payload)
        if state is not None and state.on != self.state.on:
            log.info("%s: %s %s (retained state from an earlier run)", self.label, self.name, state.state)
            self.set(state)

    def set(self, state: SwitchState) -> None:
        with self._lock:
            self.state = state
        log.info(
            "%s: %s %s%s",
            self.label,
            self.name,
            state.state,
            f" (request {state.request_id})" if state.request_id else "",
        )
        if self.on_change:
            self.on_change(state)

    def settle(self) -> None:
        self.settled = True
        self.publish()

    def publish(self) -> None:
        with self._lock:
            payload = self.state.payload(**self.extra)
        self.mqtt.publish(self.state_topic, payload, qos=1, retain=True)
