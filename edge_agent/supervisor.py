"""Child processes, supervised: the smart camera's pipeline and listen_frame's detector workers.

Detection runs in a child process, never in a thread of the MQTT process: inference holds the
CPU and, through Python's GIL, would starve the MQTT loop. Both services treat their children
the same way, here:

- spawned, never forked: the parent runs paho's and aiohttp's threads, and a fork can copy a
  lock that one of them holds into the child;
- a ready handshake: the child's first message is `Ready(info)` or `Fatal(message)`;
- heartbeats: every message from the child counts (`beat()`), so a hung child can be told from
  a busy one;
- stopped with `Stop()`, then join -> terminate -> kill;
- restarted with backoff (`RestartBackoff`): at once after a long run, doubling for one that
  keeps dying.

Messages are small dataclasses (picklable, named fields), dispatched on their type.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

CTX = mp.get_context("spawn")


@dataclass(frozen=True, slots=True)
class Ready:
    """Child -> parent, first: started (model loaded, camera open); what it runs on."""

    info: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Fatal:
    """Child -> parent: cannot (go on) working; the message says why."""

    message: str


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """Child -> parent: alive, even with nothing else to say."""

    at: float


@dataclass(frozen=True, slots=True)
class Stop:
    """Parent -> child: finish what you are doing and exit."""


class ChildStartError(RuntimeError):
    """The child did not say Ready in time, or said Fatal; the message says which."""


class ChildProcess:
    """One run of a child process and the pipe ends the parent holds.

    `target(conn, [events,] *args)` runs in the child. `conn` is duplex; with `events=True` the
    child also gets a one-way pipe to the parent for what it reports (so that a reader thread in
    the parent never competes with the control messages it sends).
    """

    def __init__(self, target: Callable[..., None], args: tuple, name: str, *, events: bool = False) -> None:
        self.name = name
        self.conn, child_conn = CTX.Pipe(duplex=True)
        child_pipes: list[Connection] = [child_conn]
        self.events: Connection | None = None
        if events:
            self.events, child_events = CTX.Pipe(duplex=False)
            child_pipes.append(child_events)
        self.process = CTX.Process(target=target, args=(*child_pipes, *args), name=name, daemon=True)
        self.process.start()
        for pipe in child_pipes:
            pipe.close()
        self.started = time.monotonic()
        self.last_beat = self.started
        self.info: dict = {}
        self.ready = threading.Event()
        self._send_lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    @property
    def exitcode(self) -> int | None:
        return self.process.exitcode

    @property
    def reports(self) -> Connection:
        """Where the child's messages arrive."""
        return self.events or self.conn

    def send(self, msg: Any) -> bool:
        """To the child; False when it is gone (its exit is noticed elsewhere)."""
        with self._send_lock:
            try:
                self.conn.send(msg)
                return True
            except (BrokenPipeError, EOFError, OSError, ValueError):
                return False

    def beat(self) -> None:
        self.last_beat = time.monotonic()

    def silent_for(self) -> float:
        return time.monotonic() - self.last_beat

    def accept(self, msg: Ready | Fatal) -> None:
        """The handshake's answer: Ready marks the child ready; Fatal raises ChildStartError."""
        if isinstance(msg, Fatal):
            raise ChildStartError(f"{self.name} could not start: {msg.message}")
        self.info = msg.info
        self.ready.set()

    def wait_ready(self, timeout: float) -> dict:
        """Block until the child says Ready (its info) or Fatal, or `timeout` passes."""
        if not self.reports.poll(timeout):
            raise ChildStartError(f"{self.name} did not start within {timeout:.0f} s")
        try:
            msg = self.reports.recv()
        except (EOFError, OSError):
            raise ChildStartError(f"{self.name} exited while starting") from None
        if not isinstance(msg, Ready | Fatal):
            raise ChildStartError(f"{self.name} said {type(msg).__name__} before it was ready")
        self.accept(msg)
        self.beat()
        return self.info

    def stop(self, timeout: float = 10.0) -> None:
        """Ask it to stop; after `timeout`, terminate; after 5 s more, kill."""
        self.send(Stop())
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        for pipe in (self.conn, self.events):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass


class RestartBackoff:
    """How long to wait before starting a child again.

    A child that ran for `stable_after` seconds is restarted after `first`; one that keeps
    dying waits twice as long each time, up to `longest`, so a broken camera or model does not
    spin the CPU.
    """

    def __init__(self, first: float = 1.0, longest: float = 30.0, stable_after: float = 60.0) -> None:
        self.first = first
        self.longest = longest
        self.stable_after = stable_after
        self.delay = first

    def next(self, ran_for: float) -> float:
        self.delay = self.first if ran_for > self.stable_after else min(self.delay * 2, self.longest)
        return self.delay
