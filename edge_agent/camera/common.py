"""Pieces both camera modes share: the stop signals (switch states: `edge_agent.mqtt.messages`)."""

from __future__ import annotations

import signal
import threading

from edge_agent.mqtt.messages import SwitchState

__all__ = ["SwitchState", "install_stop_handlers"]  # SwitchState: kept importable from here


def install_stop_handlers(stop: threading.Event) -> None:
    """SIGTERM (systemd, docker stop) and SIGINT (Ctrl-C) end the main loop cleanly."""

    def handler(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
