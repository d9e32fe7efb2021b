"""Pieces both camera modes share: switch commands and states, rate-limited logs, signals."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from dataclasses import dataclass, field

from edge_agent.topics import OFF, ON


class CommandError(ValueError):
    """A `…/set` payload that is not ON, OFF or the JSON form; the message says why."""


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


def parse_switch_command(payload: bytes) -> tuple[bool, str | None]:
    """`ON` / `OFF`, or JSON `{"state": "ON", "request_id": "…"}` -> (on, request_id)."""
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise CommandError("payload is not UTF-8") from None
    if text in (ON, OFF):
        return text == ON, None
    if not text.startswith("{"):
        raise CommandError(f"expected ON, OFF or JSON {{\"state\": …}}, got {text[:40]!r}")
    try:
        data = json.loads(text)
    except ValueError as err:
        raise CommandError(f"invalid JSON: {err}") from None
    if not isinstance(data, dict):
        raise CommandError("JSON command must be an object")
    state = data.get("state")
    if state not in (ON, OFF):
        raise CommandError(f"'state' must be \"ON\" or \"OFF\", got {state!r}")
    rid = data.get("request_id")
    if rid is not None and (not isinstance(rid, str) or len(rid) > 64):
        raise CommandError("'request_id' must be a string of at most 64 characters")
    return state == ON, rid


class RateLimitedLog:
    """Log a kind of problem at most once per `interval` seconds, with how many were suppressed."""

    def __init__(self, logger: logging.Logger, interval: float = 30.0) -> None:
        self.logger = logger
        self.interval = interval
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}
        self._lock = threading.Lock()

    def warning(self, kind: str, msg: str, *args) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < self.interval:
                self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
                return
            self._last[kind] = now
            suppressed = self._suppressed.pop(kind, 0)
        if suppressed:
            msg += f" ({suppressed} similar suppressed)"
        self.logger.warning(msg, *args)


def install_stop_handlers(stop: threading.Event) -> None:
    """SIGTERM (systemd, docker stop) and SIGINT (Ctrl-C) end the main loop cleanly."""

    def handler(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
