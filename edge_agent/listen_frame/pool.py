"""Worker processes and the dispatcher that feeds them, latest frame first.

Each camera has one waiting slot: a new frame replaces a waiting one (the replaced frame is
counted as dropped), so a slow detector never builds a queue and never answers with stale
frames. Waiting cameras are served in the order they started waiting, so one busy camera cannot
starve the others.

The workers are supervised as the smart camera's pipeline is (edge_agent.supervisor): a worker
that dies is replaced (at once, then with backoff if it keeps dying; given up after 5 restarts
within a minute), and the frame it held is counted as lost (`worker_died`). A worker that takes
longer on one frame than its job deadline (N x the usual job, with a floor: `JobDeadline`) is
hung: killed, replaced, its frame counted as lost (`worker_hung`); the other workers carry on.
With every worker given up, `on_failed` tells the service, which stops with status 1.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import selectors
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from edge_agent.detect.motion import MotionCheck
from edge_agent.detect.rois import RoiSet
from edge_agent.listen_frame.worker import Job, WorkerConfig, WorkerResult, run_worker
from edge_agent.supervisor import (
    ChildProcess,
    ChildStartError,
    Fatal,
    JobDeadline,
    Ready,
    RestartPolicy,
    Supervised,
)

log = logging.getLogger(__name__)

WorkerStartError = ChildStartError  # a worker that could not load the model


@dataclass(slots=True)
class Frame:
    cam: str
    jpeg: bytes
    received_at: float
    captured_at: float
    roi_set: RoiSet
    want_snapshot: bool = False
    motion: MotionCheck | None = None  # the motion gate's check for this frame; None: gate off
    # The snapshot is drawn only when the frame's best person score is above this (a visit's
    # best snapshot so far, listen_frame/events.py): no drawing for a frame that would not win.
    snapshot_above: float = 0.0


def worker_policy() -> RestartPolicy:
    """A worker that dies is back at once; one that keeps dying waits 0.5, 1, 2 … 30 s; five
    restarts within a minute (Frigate's watchdog figures) and it is given up."""
    return RestartPolicy(first=0.5, longest=30.0, stable_after=60.0, immediate=1, max_restarts=5, window=60.0)


class Worker:
    """One worker slot: its supervised detector process (edge_agent.supervisor) and its job."""

    def __init__(self, index: int, config: WorkerConfig) -> None:
        self.index = index
        self.supervised = Supervised(
            f"worker {index}",
            lambda: ChildProcess(run_worker, (config, index), f"worker {index}"),
            worker_policy(),
        )
        self.supervised.start()
        self.job: tuple[int, Frame] | None = None
        self.job_started = 0.0  # time.monotonic() when the job was sent
        self.gave_up = False  # could not load the model again, or kept dying

    @property
    def child(self) -> ChildProcess | None:
        return self.supervised.child

    @property
    def conn(self) -> Connection:
        child = self.child
        assert child is not None  # Supervised keeps one from start() until stop()
        return child.conn

    @property
    def process(self) -> BaseProcess:
        child = self.child
        assert child is not None  # as in conn
        return child.process

    @property
    def ready(self) -> bool:
        child = self.child
        return child is not None and child.ready.is_set()

    @property
    def info(self) -> dict[str, Any]:
        child = self.child
        return child.info if child is not None else {}

    def wait_ready(self, timeout: float) -> None:
        child = self.child
        assert child is not None  # as in conn
        child.wait_ready(timeout)

    def stop(self, timeout: float = 2.0) -> None:
        if self.child is not None:
            self.child.stop(timeout)


ResultHandler = Callable[[Frame, WorkerResult], None]
LostHandler = Callable[[Frame, str], None]


class Dispatcher:
    """Owns the workers and the per-camera waiting slots; runs in its own thread."""

    def __init__(
        self,
        workers: int,
        config: WorkerConfig,
        on_result: ResultHandler,
        on_lost: LostHandler,
        start_timeout: float = 60.0,
        deadline: JobDeadline | None = None,
        on_failed: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.on_result = on_result
        self.on_lost = on_lost
        self.on_failed = on_failed
        self.start_timeout = start_timeout
        self.deadline = deadline or JobDeadline()
        self.workers = [Worker(i, config) for i in range(workers)]
        self._waiting: OrderedDict[str, Frame] = OrderedDict()
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._woken = False
        self._stopping = False
        self._rebuild = False  # the set of workers to wait on changed
        self._thread = threading.Thread(target=self._run, name="bobby-dispatcher", daemon=True)
        self._job_ids = 0
        self.dropped = 0
        self.restarts = 0
        self.hung = 0  # workers killed for overrunning their job deadline
        self.failed = False  # every worker given up

    def start(self) -> None:
        try:
            for w in self.workers:
                w.wait_ready(self.start_timeout)
        except WorkerStartError:
            for w in self.workers:
                w.stop(0.5)
            raise
        info = self.workers[0].info
        log.info(
            "%d worker(s) ready (%s, input %sx%s)",
            len(self.workers),
            info.get("backend"),
            *info.get("input_size", ("?", "?")),
        )
        self._thread.start()

    # Called from the MQTT thread.
    def submit(self, frame: Frame) -> bool:
        """Queue `frame` as its camera's waiting frame; False when it replaced (dropped) one."""
        with self._lock:
            replaced = self._waiting.get(frame.cam)
            if replaced is not None:
                self.dropped += 1
                if replaced.motion is not None and replaced.motion.force and frame.motion is not None:
                    # A frame the gate forced (a scene's start, a keepalive) passes its turn on.
                    frame.motion = dataclasses.replace(
                        frame.motion, force=frame.motion.force or replaced.motion.force
                    )
                self._waiting[frame.cam] = frame  # keeps the camera's place in the order
            else:
                self._waiting[frame.cam] = frame
            wake = not self._woken
            self._woken = True
        if wake:
            try:
                os.write(self._wake_w, b"x")
            except BlockingIOError:
                pass
        return replaced is None

    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def stop(self) -> None:
        self._stopping = True
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass
        if self._thread.is_alive():
            self._thread.join(5)
        for w in self.workers:
            w.stop()
        os.close(self._wake_r)
        os.close(self._wake_w)

    # The dispatcher thread.
    def _next_frame(self) -> Frame | None:
        with self._lock:
            if not self._waiting:
                return None
            _, frame = self._waiting.popitem(last=False)
            return frame

    def _assign(self) -> None:
        for w in self.workers:
            if w.job is not None or not w.ready:
                continue
            frame = self._next_frame()
            if frame is None:
                return
            self._job_ids += 1
            job = Job(
                self._job_ids,
                frame.cam,
                frame.jpeg,
                frame.roi_set,
                frame.want_snapshot,
                frame.motion,
                frame.snapshot_above,
            )
            try:
                w.conn.send(job)
            except (OSError, ValueError):  # the worker died; its sentinel will say so
                self.on_lost(frame, "worker_died")
                continue
            w.job = (job.job_id, frame)
            w.job_started = time.monotonic()

    def _replace(self, w: Worker, reason: str, lost: str = "worker_died", kill: bool = False) -> None:
        """The worker died (or hung: `kill`): its frame counted as `lost`, a new one scheduled."""
        if w.job is not None:
            frame, w.job = w.job[1], None
            self.on_lost(frame, lost)
        # Not waited for here: the others keep working while a new one loads; it says "ready" by pipe.
        if w.supervised.failed(reason, kill=kill, stop_timeout=0.1) is None:
            w.gave_up = True
            self._check_failed()

    def _check_failed(self) -> None:
        if all(w.gave_up for w in self.workers) and not self.failed:
            self.failed = True
            log.error("no worker left: listen_frame cannot detect any more")
            if self.on_failed is not None:
                self.on_failed()

    def _overrun(self, now: float) -> bool:
        """Workers past their job deadline: killed and replaced; True when there were some."""
        limit = self.deadline.limit()
        usual = self.deadline.usual()
        found = False
        for w in self.workers:
            if w.job is None or now - w.job_started <= limit:
                continue
            found = True
            self.hung += 1
            usual_text = f"{usual * 1000:.0f} ms" if usual is not None else "unknown"
            self._replace(
                w,
                f"took more than {limit:.1f} s on a frame of {w.job[1].cam} (usual job {usual_text}): hung, killed",
                lost="worker_hung",
                kill=True,
            )
        return found

    def _restart_due(self, now: float) -> bool:
        started = False
        for w in self.workers:
            if not w.gave_up and w.supervised.due(now):
                w.supervised.restart()
                self.restarts += 1
                started = True
        return started

    def _next_timeout(self, now: float) -> float | None:
        """How long the dispatcher may wait for its pipes: until a job's deadline or a restart."""
        times = [w.job_started + self.deadline.limit() for w in self.workers if w.job is not None]
        times += [w.supervised.restart_at for w in self.workers if w.supervised.restart_at is not None]
        return max(0.0, min(times) - now + 0.01) if times else None

    def _starting(self, w: Worker) -> None:
        try:
            msg = w.conn.recv()
        except (EOFError, OSError):
            return  # died while loading: its sentinel brings it back here
        try:
            if not isinstance(msg, Ready | Fatal):
                raise ChildStartError(f"worker {w.index} said {type(msg).__name__} before it was ready")
            child = w.child
            assert child is not None  # its message came through it
            child.accept(msg)
            log.info("worker %d is back (pid %s)", w.index, w.info.get("pid"))
        except ChildStartError as err:
            # The model loaded at start-up, so this is rare (memory, a file removed): keep going
            # with the other workers rather than restart in a tight loop.
            log.error("%s; continuing without it", err)
            w.gave_up = True
            w.stop(0.5)
            self._rebuild = True
            self._check_failed()

    def _selector(self) -> selectors.BaseSelector:
        """Everything the dispatcher waits on, registered once (rebuilt when a worker changes)."""
        sel = selectors.DefaultSelector()
        sel.register(self._wake_r, selectors.EVENT_READ, ("wake", None, None))
        for w in self.workers:
            child = w.child
            if not w.gave_up and child is not None:
                sel.register(child.conn, selectors.EVENT_READ, ("conn", w, child))
                sel.register(child.process.sentinel, selectors.EVENT_READ, ("sentinel", w, child))
        return sel

    def _result(self, w: Worker) -> None:
        try:
            result: WorkerResult = w.conn.recv()
        except (EOFError, OSError):
            return  # died mid-frame: handled through its sentinel
        if w.job is None:
            log.warning("worker %d sent a result nobody asked for; ignored", w.index)
            return
        frame = w.job[1]
        w.job = None
        if result.inferred and not result.error:  # the usual job: what the deadline scales from
            self.deadline.observe(time.monotonic() - w.job_started)
        # The worker gets its next frame before we publish this one's results: it would
        # otherwise sit idle for the length of the publishing.
        self._assign()
        try:
            self.on_result(frame, result)
        except Exception:
            log.exception("handling a result of %s failed", frame.cam)

    def _run(self) -> None:
        sel = self._selector()
        while not self._stopping:
            self._assign()
            events = sel.select(self._next_timeout(time.monotonic()))
            if self._stopping:
                break
            dead = []
            for key, _ in events:
                kind, w, child = key.data
                if kind == "wake":
                    with self._lock:
                        os.read(self._wake_r, 64)
                        self._woken = False
                elif child is not w.child:
                    continue  # a worker replaced in this round
                elif kind == "sentinel":
                    dead.append(w)
                elif w in dead:
                    continue
                elif not w.ready:
                    self._starting(w)
                else:
                    self._result(w)
            for w in dead:
                if w.child is not None:
                    self._replace(w, f"died with exit code {w.child.exitcode}")
            now = time.monotonic()
            changed = bool(dead) | self._overrun(now) | self._restart_due(now)
            if changed or self._rebuild:
                self._rebuild = False
                sel.close()
                sel = self._selector()
        sel.close()
