"""The tests' broker: the same local Mosquitto that `bobby-edge demo` starts, and Mosquitto run on
a configuration file of a user's (the docs' and the compose folder's), adapted to a loopback port."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from edge_agent.tools.local_broker import Mosquitto, find_mosquitto, free_port

__all__ = ["Mosquitto", "free_port", "running_conf"]


@contextlib.contextmanager
def running_conf(conf: Path, port: int, timeout: float = 20.0) -> Iterator[subprocess.Popen[bytes]]:
    """Mosquitto on `conf` (whose listener is 127.0.0.1:`port`), once it listens; its log is
    `conf`'s folder's `log`, shown when it exits early. Stopped at the end."""
    log_path = conf.parent / "log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([find_mosquitto(), "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                assert proc.poll() is None, log_path.read_text()
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "mosquitto did not listen"
                    time.sleep(0.1)
            yield proc
        finally:
            proc.terminate()
            proc.wait(10)
