"""Pieces both camera modes share: switch states and signals (commands: `edge_agent.mqtt.channel`)."""

from __future__ import annotations

import json
import signal
import threading
import time
from dataclasses import dataclass, field

from edge_agent.mqtt.topics import OFF, ON


@dataclass
class SwitchState:
    """The state of an ON/OFF switch as published on `…/state` (retained JSON)."""

    on: bool = True
    request_id: str | None = None
    at: float = field(default_factory=time.time)

    @property
    def state(self) -> str:
        return ON if self.on else OFF

    def payload(self, **extra) -> str:
        return json.dumps({"state": self.state, "request_id": self.request_id, **extra, "at": self.at})

    @classmethod
    def from_retained(cls, payload: bytes) -> SwitchState | None:
        """Our own retained state from an earlier run; None when it is not one."""
        try:
            data = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict) or data.get("state") not in (ON, OFF):
            return None
        rid = data.get("request_id")
        at = data.get("at")
        return cls(
            on=data["state"] == ON,
            request_id=rid if isinstance(rid, str) else None,
            at=float(at) if isinstance(at, (int, float)) else time.time(),
        )


def install_stop_handlers(stop: threading.Event) -> None:
    """SIGTERM (systemd, docker stop) and SIGINT (Ctrl-C) end the main loop cleanly."""

    def handler(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
