"""A worker that hangs (SIGSTOP: alive, silent, holding its frame) is killed at its job deadline,
replaced, and counted as `worker_hung` in the camera's and the service's stats; detection goes on.

Before the one supervision policy (issue 19) such a worker kept its frame and its slot for ever,
silently. listen_frame runs two workers and `--job-deadline-min 1` (the deadline is
max(10 x the usual job, 1 s)); a camera sends real frames at 10 fps. Figures:
docs/reliability.md, "Hung worker".
"""

from __future__ import annotations

import os
import signal
import time

from tests.reliability.conftest import Cameras, Service, strict_json, wait_until
from tests.reliability.test_worker_kill import FPS, answered_after
from tests.support.frames import video_jpegs
from tests.support.mqtt import Collector

DEADLINE_MIN = 1.0


def hung_count(watch: Collector, topic: str) -> int:
    payload = watch.last(topic)
    return strict_json(payload).get("errors", {}).get("worker_hung", 0) if payload else 0


def test_a_hung_worker_is_killed_at_its_deadline_replaced_and_counted(
    own_mosquitto, model_path, media_dir, base, figure
):
    service = Service(own_mosquitto, model_path, base, 2, "--job-deadline-min", str(DEADLINE_MIN))
    watch = Collector(own_mosquitto, [f"{base}/#"])
    feeder = None
    frozen = None
    try:
        service.wait_online(watch)
        cams = Cameras(watch, base)
        cams.announce("h")
        cams.served("h")
        cams.every_frame_inferred("h")
        feeder = cams.feeder("h", video_jpegs(media_dir / "opencv_vtest.avi", 30, step=4), FPS)
        topic = f"{base}/h/detections"
        watch.wait_first(topic, timeout=30)
        workers = service.workers()
        assert len(workers) == 2, workers
        time.sleep(1.0)  # answers flowing, the usual job measured
        frozen = workers[0]
        wall, mono = time.time(), time.monotonic()
        os.kill(frozen, signal.SIGSTOP)
        again = answered_after(watch, topic, wall, mono)  # the other worker carries on
        counted = watch.wait_for(
            lambda: hung_count(watch, service.stats_topic) >= 1 and hung_count(watch, f"{base}/h/stats") >= 1,
            30,
            "worker_hung in the service's and the camera's stats",
        )
        counted_after = time.monotonic() - mono
        replaced = wait_until(
            lambda: (
                len(service.workers()) == 2
                and frozen not in service.workers()
                and not os.path.exists(f"/proc/{frozen}")
            ),
            30,
        )
        back = time.monotonic() - mono
        # Detection goes on with two workers: frames captured now are answered.
        wall2, mono2 = time.time(), time.monotonic()
        later = answered_after(watch, topic, wall2, mono2)
        service_stats = strict_json(watch.last(service.stats_topic))
        log = service.log()
        figure(
            f"hung worker (SIGSTOP, --job-deadline-min {DEADLINE_MIN:g}): the other worker answered "
            f"{again:.2f} s after the stop; worker_hung counted in stats {counted_after:.2f} s after; "
            f"2 workers again after {back:.2f} s; worker_restarts {service_stats.get('worker_restarts')}"
        )
        assert counted and replaced, service.tail()
        assert later < 5.0, f"answered {later:.2f} s after the replacement\n{service.tail()}"
        assert "hung, killed" in log and service_stats["worker_restarts"] >= 1
        assert service.alive() and service.tracebacks() == [], service.tail()
    finally:
        if frozen is not None:
            try:
                os.kill(frozen, signal.SIGCONT)
            except ProcessLookupError:
                pass
        if feeder is not None:
            feeder.close()
        watch.close()
        service.stop()
