"""One supervision policy for the smart camera's pipeline and listen_frame's workers
(edge_agent/supervisor.py): restart backoff, a restart-rate window, heartbeats, a job deadline.

The policy's arithmetic is checked on its own; `Supervised` with real child processes that die;
and the job deadline with the real dispatcher, model and worker processes: a worker stopped with
SIGSTOP while it holds a frame (a worker that hangs, with no hook in the worker) is killed and
replaced, its frame counted as `worker_hung`, and detection goes on.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from edge_agent.supervisor import ChildProcess, JobDeadline, Ready, RestartPolicy, Supervised


def test_backoff_doubles_to_a_cap_and_a_stable_run_starts_again():
    policy = RestartPolicy(first=1.0, longest=30.0, stable_after=60.0, max_restarts=100, window=600.0)
    delays = [policy.next(ran_for=2.0, now=float(i)) for i in range(8)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert policy.next(ran_for=61.0, now=9.0) == 1.0  # it had run for a while: a new series


def test_workers_come_back_at_once_then_back_off():
    policy = RestartPolicy(first=0.5, longest=30.0, stable_after=60.0, immediate=1, max_restarts=100)
    assert [policy.next(ran_for=1.0, now=float(i)) for i in range(5)] == [0.0, 0.5, 1.0, 2.0, 4.0]
    assert policy.next(ran_for=100.0, now=5.0) == 0.0


def test_too_many_restarts_in_the_window_and_the_child_is_given_up():
    policy = RestartPolicy(first=0.5, immediate=1, max_restarts=5, window=60.0)
    assert all(policy.next(ran_for=1.0, now=t) is not None for t in (0, 1, 2, 3, 4))
    assert policy.next(ran_for=1.0, now=5.0) is None and policy.gave_up
    assert policy.next(ran_for=100.0, now=1000.0) is None  # given up stays given up
    # Restarts spread wider than the window never give up.
    spread = RestartPolicy(first=0.5, immediate=1, max_restarts=5, window=60.0)
    assert all(spread.next(ran_for=20.0, now=20.0 * i) is not None for i in range(50))


def test_the_job_deadline_is_n_times_the_usual_job_with_a_floor():
    deadline = JobDeadline(factor=10.0, floor=5.0)
    assert deadline.limit() == 5.0  # nothing measured yet
    for seconds in (0.05, 0.06, 0.07, 3.0):  # one slow job does not move the median much
        deadline.observe(seconds)
    assert deadline.usual() == pytest.approx(0.065) and deadline.limit() == 5.0
    for _ in range(10):
        deadline.observe(0.9)
    assert deadline.limit() == pytest.approx(9.0)


def exits_at_once(conn) -> None:
    """A child that fails to start, every time (a camera that cannot be opened)."""
    os._exit(3)


def beats_once(conn) -> None:
    """A child that says Ready, then hangs without a heartbeat."""
    conn.send(Ready({"pid": os.getpid()}))
    time.sleep(60)


def test_a_child_that_keeps_dying_is_restarted_with_backoff_then_given_up():
    policy = RestartPolicy(first=0.05, longest=0.2, immediate=1, max_restarts=3, window=60.0)
    sup = Supervised("quitter", lambda: ChildProcess(exits_at_once, (), "quitter"), policy)
    sup.start()
    delays = []
    deadline = time.monotonic() + 60
    while not sup.gave_up and time.monotonic() < deadline:
        now = time.monotonic()
        if sup.due(now):
            sup.restart()
        elif (reason := sup.problem(now)) is not None:
            assert reason == "exited with code 3"
            delays.append(sup.failed(reason, now))
        time.sleep(0.01)
    assert delays == [0.0, 0.05, 0.1, None] and sup.restarts == 3 and sup.child is None


def test_a_silent_child_is_taken_as_hung_and_replaced():
    policy = RestartPolicy(first=0.05, immediate=1)
    sup = Supervised(
        "sleeper", lambda: ChildProcess(beats_once, (), "sleeper"), policy, heartbeat_timeout=0.5
    )
    child = sup.start()
    child.wait_ready(60)
    assert sup.problem() is None
    deadline = time.monotonic() + 30
    while (reason := sup.problem()) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reason == "silent for 0 s" or reason.startswith("silent for")
    assert sup.failed(reason, kill=True) == 0.0 and not child.alive
    assert sup.due() and sup.restart().pid != child.pid
    sup.child.stop(1.0)


# ---- the job deadline in listen_frame's dispatcher, with the real model ------------------------


def test_a_worker_that_hangs_on_a_frame_is_killed_replaced_and_counted(model_path, media_dir):
    from edge_agent.detect.rois import RoiSet
    from edge_agent.listen_frame.pool import Dispatcher, Frame
    from edge_agent.listen_frame.worker import WorkerConfig
    from tests.support.frames import video_jpegs

    jpegs = video_jpegs(media_dir / "opencv_vtest.avi", 4, step=10)
    results: list[tuple[str, int]] = []
    lost: list[tuple[str, str]] = []
    cond = threading.Condition()

    def on_result(frame, result):
        with cond:
            results.append((frame.cam, result.job_id))
            cond.notify_all()

    def on_lost(frame, reason):
        with cond:
            lost.append((frame.cam, reason))
            cond.notify_all()

    def wait(predicate, timeout=60.0):
        deadline = time.monotonic() + timeout
        with cond:  # woken by results; readiness is polled
            while not predicate():
                assert time.monotonic() < deadline, (results, lost)
                cond.wait(0.05)

    dispatcher = Dispatcher(
        2,
        WorkerConfig(str(model_path)),
        on_result,
        on_lost,
        deadline=JobDeadline(factor=10.0, floor=1.0),  # the floor a busy machine still keeps
    )
    dispatcher.start()
    try:

        def frame(cam: str, i: int = 0) -> Frame:
            return Frame(cam, jpegs[i % len(jpegs)], time.time(), time.time(), RoiSet())

        dispatcher.submit(frame("warm"))
        wait(lambda: len(results) == 1)
        frozen = dispatcher.workers[0]
        frozen_pid = frozen.child.pid
        os.kill(frozen_pid, signal.SIGSTOP)  # hangs inside the interpreter: no exit, no answer
        try:
            # Worker 0 is free, so it is given the first of these; worker 1 serves the rest.
            for cam in ("a", "b"):
                dispatcher.submit(frame(cam))
            wait(lambda: ("a", "worker_hung") in lost or ("b", "worker_hung") in lost)
        finally:
            try:
                os.kill(frozen_pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        hung_cam = next(cam for cam, reason in lost if reason == "worker_hung")
        assert dispatcher.hung == 1 and lost == [(hung_cam, "worker_hung")]
        # Replaced: a new process in its slot, the frozen one gone.
        wait(lambda: dispatcher.workers[0].ready and dispatcher.workers[0].child.pid != frozen_pid)
        assert dispatcher.restarts == 1
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and os.path.exists(f"/proc/{frozen_pid}"):
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{frozen_pid}")
        # Detection goes on, on both workers: a frame of each of 4 cameras is answered.
        before = len(results)
        for i, cam in enumerate(("c", "d", "e", "f")):
            dispatcher.submit(frame(cam, i))
        wait(lambda: {"c", "d", "e", "f"} <= {cam for cam, _ in results[before:]})
        assert not dispatcher.failed and dispatcher.hung == 1
    finally:
        dispatcher.stop()


def test_a_smart_camera_whose_detector_keeps_dying_gives_up_and_exits_1(
    mosquitto, tmp_path, model_path, monkeypatch, caplog
):
    # A source that cannot be opened: the detector process says Fatal and exits, every time.
    from edge_agent.camera import config as camcfg
    from edge_agent.camera import smart
    from edge_agent.mqtt.broker import BrokerSettings

    monkeypatch.setattr(
        smart,
        "restart_policy",
        lambda: RestartPolicy(first=0.05, longest=0.1, max_restarts=2, window=60.0),  # not 10 in 10 min
    )
    raw = {
        "mode": "smart",
        "source": str(tmp_path / "missing.mp4"),
        "camera_id": "gone",
        "model": str(model_path),
        "state_dir": str(tmp_path / "state"),
        "state_wait": 0.1,
        "discovery": False,
        "base_topic": "sup" + os.urandom(3).hex(),
    }
    cfg = camcfg.CameraConfig.from_validated(camcfg.CAMERA_SCHEMA(raw), env={})
    camera = smart.SmartCamera(cfg, BrokerSettings(mosquitto.host, mosquitto.port))
    result: list[int] = []
    runner = threading.Thread(target=lambda: result.append(camera.run()), daemon=True)
    runner.start()
    runner.join(120)
    assert result == [1], caplog.text[-3000:]
    assert camera.child_restarts == 2 and camera.supervised.gave_up
    assert "restarted 2 times within 60 s: giving up" in caplog.text
