"""A worker killed with SIGKILL: frames sent after the kill are answered within 2 s.

listen_frame runs two workers (the default on a 2-core machine) and a camera sends real video
frames at 10 fps. First one worker is killed (the other carries on while it is replaced), then,
once both are back, every worker at once (nothing answers until a replacement has loaded the
model). Figures: docs/reliability.md, "Killed worker".
"""

from __future__ import annotations

import signal
import time

from tests.reliability.conftest import Cameras, Service, strict_json, wait_until
from tests.support.frames import video_jpegs
from tests.support.mqtt import Collector
from tests.support.procs import kill

WITHIN = 2.0
FPS = 10.0


def answered_after(watch: Collector, topic: str, wall: float, mono: float, timeout: float = 30.0) -> float:
    """Seconds from `mono` to the first answer for a frame captured after `wall`."""
    m = watch.wait_first(topic, lambda p: strict_json(p)["captured_at"] >= wall, timeout=timeout, after=mono)
    return m.at - mono


def test_killed_worker_answering_again_within_2_s(own_mosquitto, model_path, media_dir, base, figure):
    broker = own_mosquitto
    service = Service(broker, model_path, base, 2)
    watch = Collector(broker, [f"{base}/#"])
    feeder = None
    try:
        service.wait_online(watch)
        cams = Cameras(watch, base)
        cams.announce("k")
        cams.served("k")
        cams.every_frame_inferred("k")
        frames = video_jpegs(media_dir / "opencv_vtest.avi", 30, step=4)
        feeder = cams.feeder("k", frames, FPS)
        topic = f"{base}/k/detections"
        watch.wait_first(topic, timeout=30)
        workers = service.workers()
        assert len(workers) == 2, workers
        results = {}
        for phase, victims in (("one of 2 workers", workers[:1]), ("both workers", None)):
            victims = victims or service.workers()
            time.sleep(1.0)  # answers flowing
            wall, mono = time.time(), time.monotonic()
            for pid in victims:
                kill(pid, signal.SIGKILL)
            try:
                again = answered_after(watch, topic, wall, mono)
            except AssertionError:
                again = float("inf")
            replaced = wait_until(
                lambda v=victims: len(service.workers()) == 2 and not set(service.workers()) & set(v), 30
            )
            back = time.monotonic() - mono if replaced else float("inf")
            results[phase] = again
            figure(
                f"killed worker ({phase}, SIGKILL): answering again {again:.2f} s after the kill "
                f"(limit {WITHIN} s), 2 workers again after {back:.2f} s"
            )
        assert service.alive(), service.tail()
        late = {k: v for k, v in results.items() if v > WITHIN}
        assert not late, f"answers came back later than {WITHIN} s: {late}\n{service.tail(3000)}"
    finally:
        if feeder is not None:
            feeder.close()
        watch.close()
        service.stop()
