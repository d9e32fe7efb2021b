"""sd_notify: tell systemd that the agent is ready and alive (`Type=notify`, `WatchdogSec`).

No libsystemd: a datagram to `$NOTIFY_SOCKET` is the whole protocol. Its own module (it was in
`deploy/systemd.py`) so that the camera and the services use it without importing the
installer; `deploy/systemd.py` writes the unit that sets `WatchdogSec`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)


_lock = threading.Lock()
_watchdog_sent_at = 0.0
_loop_pings = False  # set once a caller other than the keep-alive thread pings the watchdog
# What systemd gave this process, taken out of the environment by start_watchdog() so that the
# detector child and other subprocesses do not inherit it (only the main process may notify).
_env: dict[str, str] | None = None


def notify(state: str) -> bool:
    """Tell systemd `state` ("READY=1", "WATCHDOG=1", "STOPPING=1", "STATUS=…"); False when not
    under a `Type=notify` unit (no $NOTIFY_SOCKET) or when the socket cannot be reached.

    A run loop may call `notify("WATCHDOG=1")` on every turn: pings are sent at most every
    WatchdogSec / 6, and from the first such call on, the keep-alive thread started by
    `start_watchdog()` stands down, so a loop that hangs gets the agent restarted.
    """
    global _watchdog_sent_at, _loop_pings
    if state == "WATCHDOG=1":
        now = time.monotonic()
        with _lock:
            _loop_pings = True
            if now - _watchdog_sent_at < watchdog_interval() / 2:
                return True
            _watchdog_sent_at = now
    return _send(state)


def _send(state: str) -> bool:
    env = os.environ if _env is None else _env
    address = env.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
        return True
    except OSError as err:
        log.debug("sd_notify %s: %s", state, err)
        return False


def watchdog_interval(env: Mapping[str, str] | None = None) -> float:
    """Seconds between pings: a third of systemd's WatchdogSec for this process (0: no watchdog)."""
    env = (os.environ if _env is None else _env) if env is None else env
    try:
        usec = int(env.get("WATCHDOG_USEC", "0"))
        pid = int(env.get("WATCHDOG_PID", str(os.getpid())))
    except ValueError:
        return 0.0
    if usec <= 0 or pid != os.getpid():
        return 0.0
    return usec / 1e6 / 3


def start_watchdog(stop: threading.Event) -> threading.Thread | None:
    """READY=1, then WATCHDOG=1 every third of WatchdogSec from a thread until `stop` is set or a
    run loop pings itself (see `notify`). None when systemd runs no watchdog for us."""
    global _env
    _env = {
        k: os.environ.pop(k) for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID") if k in os.environ
    }
    _send("READY=1")
    interval = watchdog_interval()
    if not interval:
        return None

    def keep_alive() -> None:
        while not stop.wait(interval) and not _loop_pings:
            _send("WATCHDOG=1")
        if stop.is_set():
            _send("STOPPING=1")

    _send("WATCHDOG=1")
    thread = threading.Thread(target=keep_alive, name="sd-watchdog", daemon=True)
    thread.start()
    return thread
