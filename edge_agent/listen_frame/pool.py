"""Worker processes and the dispatcher that feeds them, latest frame first.

Each camera has one waiting slot: a new frame replaces a waiting one (the replaced frame is
counted as dropped), so a slow detector never builds a queue and never answers with stale
frames. Waiting cameras are served in the order they started waiting, so one busy camera cannot
starve the others. A worker that dies is replaced; the frame it held is counted as lost.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import selectors
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from edge_agent.detect.motion import MotionCheck
from edge_agent.detect.rois import RoiSet
from edge_agent.listen_frame.worker import Job, WorkerConfig, WorkerResult, run_worker
from edge_agent.supervisor import ChildProcess, ChildStartError, Fatal, Ready

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


class Worker:
    """A detector process (edge_agent.supervisor.ChildProcess) and the frame it is working on."""

    def __init__(self, index: int, config: WorkerConfig) -> None:
        self.index = index
        self.child = ChildProcess(run_worker, (config, index), f"worker {index}")
        self.job: tuple[int, Frame] | None = None
        self.gave_up = False

    @property
    def conn(self):
        return self.child.conn

    @property
    def process(self):
        return self.child.process

    @property
    def ready(self) -> bool:
        return self.child.ready.is_set()

    @property
    def info(self) -> dict:
        return self.child.info

    def wait_ready(self, timeout: float) -> None:
        self.child.wait_ready(timeout)

    def stop(self, timeout: float = 2.0) -> None:
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
    ) -> None:
        self.config = config
        self.on_result = on_result
        self.on_lost = on_lost
        self.start_timeout = start_timeout
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
            job = Job(self._job_ids, frame.cam, frame.jpeg, frame.roi_set, frame.want_snapshot, frame.motion)
            try:
                w.conn.send(job)
            except (OSError, ValueError):  # the worker died; its sentinel will say so
                self.on_lost(frame, "worker_died")
                continue
            w.job = (job.job_id, frame)

    def _replace(self, w: Worker) -> None:
        log.error(
            "worker %d (pid %s) died with exit code %s; starting a new one",
            w.index,
            w.process.pid,
            w.process.exitcode,
        )
        if w.job is not None:
            self.on_lost(w.job[1], "worker_died")
        w.child.stop(0.1)
        self.restarts += 1
        # Not waited for here: the others keep working while it loads; it says "ready" by pipe.
        self.workers[w.index] = Worker(w.index, self.config)

    def _starting(self, w: Worker) -> None:
        try:
            msg = w.conn.recv()
        except (EOFError, OSError):
            return  # died while loading: its sentinel brings it back here
        try:
            if not isinstance(msg, Ready | Fatal):
                raise ChildStartError(f"worker {w.index} said {type(msg).__name__} before it was ready")
            w.child.accept(msg)
            log.info("worker %d is back (pid %s)", w.index, w.info.get("pid"))
        except ChildStartError as err:
            # The model loaded at start-up, so this is rare (memory, a file removed): keep going
            # with the other workers rather than restart in a tight loop.
            log.error("%s; continuing without it", err)
            w.gave_up = True
            self._rebuild = True

    def _selector(self) -> selectors.BaseSelector:
        """Everything the dispatcher waits on, registered once (rebuilt when a worker changes)."""
        sel = selectors.DefaultSelector()
        sel.register(self._wake_r, selectors.EVENT_READ, ("wake", None))
        for w in self.workers:
            if not w.gave_up:
                sel.register(w.conn, selectors.EVENT_READ, ("conn", w))
                sel.register(w.process.sentinel, selectors.EVENT_READ, ("sentinel", w))
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
            events = sel.select()
            if self._stopping:
                break
            dead = []
            for key, _ in events:
                kind, w = key.data
                if kind == "wake":
                    with self._lock:
                        os.read(self._wake_r, 64)
                        self._woken = False
                elif kind == "sentinel":
                    dead.append(w)
                elif w in dead or self.workers[w.index] is not w:
                    continue
                elif not w.ready:
                    self._starting(w)
                else:
                    self._result(w)
            for w in dead:
                self._replace(w)
            if dead or self._rebuild:
                self._rebuild = False
                sel.close()
                sel = self._selector()
        sel.close()
