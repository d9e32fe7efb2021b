"""Child processes, supervised: the smart camera's pipeline and listen_frame's detector workers.

Detection runs in a child process, never in a thread of the MQTT process: inference holds the
CPU and, through Python's GIL, would starve the MQTT loop. Both services treat their children
with one policy, here (Frigate's `frigate/watchdog.py` is the model: restart what died or got
stuck, and stop restarting what keeps dying):

- spawned, never forked: the parent runs paho's and aiohttp's threads, and a fork can copy a
  lock that one of them holds into the child;
- one entry set-up (`child_setup`): Ctrl-C ignored (the parent decides when children stop),
  logging configured like the parent's;
- a ready handshake: the child's first message is `Ready(info)` or `Fatal(message)`;
- heartbeats: every message from the child counts (`beat()`); a child silent for longer than
  its `heartbeat_timeout` is taken as hung;
- a deadline per job (`JobDeadline`): a worker that takes longer than N x its usual job (with a
  floor) is hung too: killed, replaced, counted (`worker_hung`);
- stopped with `Stop()`, then join -> terminate -> kill;
- restarted by `Supervised` with a `RestartPolicy`: exponential backoff (capped) for a child
  that keeps dying, and a restart-rate window: more restarts than that within it and the child
  is given up (`gave_up`), which the service reports and acts on (docs/reliability.md).

Messages are small dataclasses (picklable, named fields), dispatched on their type.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

CTX = mp.get_context("spawn")
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
log = logging.getLogger(__name__)


def child_setup(log_level: int) -> None:
    """The first thing a child process does (the pipeline's and the workers' entry points).

    SIGINT is ignored: a Ctrl-C in a terminal goes to the whole process group, and the parent
    decides when its children stop (with Stop, then SIGTERM, then SIGKILL). Logging is set up as
    in the parent (a spawned child starts with none), at the parent's level.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    logging.basicConfig(level=log_level, format=LOG_FORMAT)


@dataclass(frozen=True, slots=True)
class Ready:
    """Child -> parent, first: started (model loaded, camera open); what it runs on."""

    info: dict[str, Any] = field(default_factory=dict)


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

    def __init__(
        self, target: Callable[..., None], args: tuple[object, ...], name: str, *, events: bool = False
    ) -> None:
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
        self.info: dict[str, Any] = {}
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

    def wait_ready(self, timeout: float) -> dict[str, Any]:
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


class RestartPolicy:
    """When a child that stopped is started again, or whether it is given up.

    Backoff: a child that ran for `stable_after` seconds starts a new series; in a series the
    first `immediate` restarts happen at once (a killed worker is back as fast as a model loads),
    then each waits `first`, doubling, up to `longest`, so a broken camera or model does not spin
    the CPU. Rate window (Frigate's MAX_RESTARTS in RESTART_WINDOW_S): a child restarted
    `max_restarts` times within `window` seconds is given up: `next()` says None from then on.
    """

    def __init__(
        self,
        *,
        first: float = 1.0,
        longest: float = 30.0,
        stable_after: float = 60.0,
        immediate: int = 0,
        max_restarts: int = 10,
        window: float = 600.0,
    ) -> None:
        self.first = first
        self.longest = longest
        self.stable_after = stable_after
        self.immediate = immediate
        self.max_restarts = max_restarts
        self.window = window
        self.series = 0  # restarts since the child last ran for stable_after
        self.times: deque[float] = deque()  # when the restarts within the window were decided
        self.gave_up = False

    def next(self, ran_for: float, now: float | None = None) -> float | None:
        """The delay before the next start of a child that ran `ran_for` seconds; None: give up."""
        now = time.monotonic() if now is None else now
        while self.times and now - self.times[0] > self.window:
            self.times.popleft()
        if self.gave_up or len(self.times) >= self.max_restarts:
            self.gave_up = True
            return None
        self.times.append(now)
        self.series = 1 if ran_for > self.stable_after else self.series + 1
        if self.series <= self.immediate:
            return 0.0
        delay: float = self.first * 2 ** (self.series - self.immediate - 1)
        return min(delay, self.longest)


class Supervised:
    """One child kept running: started, watched, restarted by its RestartPolicy, or given up.

    `spawn()` makes a new ChildProcess. The owner calls `problem(now)` (died, or silent past
    `heartbeat_timeout`) and `failed(reason, now)` when something is wrong with it, then
    `restart()` when `due(now)`; `gave_up` says that the policy stopped restarting it.
    """

    def __init__(
        self,
        name: str,
        spawn: Callable[[], ChildProcess],
        policy: RestartPolicy,
        heartbeat_timeout: float | None = None,
    ) -> None:
        self.name = name
        self.spawn = spawn
        self.policy = policy
        self.heartbeat_timeout = heartbeat_timeout
        self.child: ChildProcess | None = None
        self.restart_at: float | None = None
        self.restarts = 0

    @property
    def gave_up(self) -> bool:
        return self.policy.gave_up

    def start(self) -> ChildProcess:
        self.restart_at = None
        self.child = self.spawn()
        return self.child

    def problem(self, now: float | None = None) -> str | None:
        """Why the running child must be replaced (it died, or stopped beating), or None."""
        child = self.child
        if child is None:
            return None
        if not child.alive:
            return f"exited with code {child.exitcode}"
        if self.heartbeat_timeout is not None and child.silent_for() > self.heartbeat_timeout:
            return f"silent for {self.heartbeat_timeout:.0f} s"
        return None

    def failed(
        self, reason: str, now: float | None = None, *, kill: bool = False, stop_timeout: float = 1.0
    ) -> float | None:
        """The child died or hung (`kill`: SIGKILL it first): stopped, and its restart scheduled
        after the policy's delay (returned), or given up (None)."""
        now = time.monotonic() if now is None else now
        child, self.child = self.child, None
        ran_for = now - child.started if child is not None else 0.0
        if child is not None:
            if kill and child.alive:
                child.process.kill()  # also a stopped (SIGSTOP) or hung process
            child.stop(stop_timeout)
        delay = self.policy.next(ran_for, now)
        pid = child.pid if child is not None else None
        if delay is None:
            log.error(
                "%s (pid %s) %s; restarted %d times within %.0f s: giving up",
                self.name,
                pid,
                reason,
                self.policy.max_restarts,
                self.policy.window,
            )
            self.restart_at = None
        else:
            log.error("%s (pid %s) %s; restarting in %.1f s", self.name, pid, reason, delay)
            self.restart_at = now + delay
        return delay

    def due(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        return self.child is None and self.restart_at is not None and now >= self.restart_at

    def restart(self) -> ChildProcess:
        self.restarts += 1
        return self.start()


class JobDeadline:
    """How long one job may take before its worker counts as hung: N x the usual, with a floor.

    The usual is the median of the last `window` jobs' durations as the parent sees them (sent
    to answered), so a slow machine or a big model has a later deadline; the floor keeps a
    busy machine's pauses from being taken for hangs. `deadline = max(factor x median, floor)`.
    """

    def __init__(self, factor: float = 10.0, floor: float = 5.0, window: int = 50) -> None:
        self.factor = factor
        self.floor = floor
        self._recent: deque[float] = deque(maxlen=window)
        self._lock = threading.Lock()

    def observe(self, seconds: float) -> None:
        with self._lock:
            self._recent.append(seconds)

    def usual(self) -> float | None:
        with self._lock:
            return statistics.median(self._recent) if self._recent else None

    def limit(self) -> float:
        usual = self.usual()
        return max(self.factor * usual, self.floor) if usual is not None else self.floor
