"""A flood at 10x capacity for 30 s: memory stays flat, the newest frames are answered, and the
backlog is gone within 1 s of the end.

Capacity is measured first: the analysed frames per second of listen_frame with one worker on
this machine (frames offered faster than it can follow). Then several cameras send real video
frames, each stamped with its `captured_at`, at 10x that rate for 30 s. Memory is the resident
size of the service and every process below it (its workers), read from /proc.

The machine's load changes while the test runs (`make test` runs suites side by side), so the
rate answered during the flood is not compared with the capacity measured before it: the
capacity during the flood is the one before, scaled by how much longer the worker took per
inference during the flood than before (its own `inference_ms`, wall time in the worker, from
the cameras' stats every second): a worker that other processes preempt takes longer per frame,
a starved one (waiting for frames) does not.
Figures: docs/reliability.md, "Flood".
"""

from __future__ import annotations

import itertools
import threading
import time

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.reliability.conftest import Cameras, Service, percentile, strict_json
from tests.support.frames import video_jpegs
from tests.support.mqtt import Collector

CAMERAS = 5
FACTOR = 10
DURATION = 30.0
RSS_WITHIN_MB = 30.0
BACKLOG_WITHIN = 1.0


class Sender(threading.Thread):
    """Publishes `rate` frames per second round-robin over `cams` for `duration` seconds."""

    def __init__(self, client, base: str, cams: list[str], frames, rate: float, duration: float) -> None:
        super().__init__(daemon=True)
        self.client, self.base, self.cams, self.frames = client, base, cams, frames
        self.rate, self.duration = rate, duration
        self.sent = 0
        self.started = self.ended = 0.0  # monotonic

    def run(self) -> None:
        self.started = time.monotonic()
        interval = 1.0 / self.rate
        next_at = self.started
        while (now := time.monotonic()) < self.started + self.duration:
            if now < next_at:
                time.sleep(next_at - now)
            props = Properties(PacketTypes.PUBLISH)
            props.UserProperty = [("captured_at", f"{time.time():.3f}")]
            cam = self.cams[self.sent % len(self.cams)]
            self.client.publish(
                f"{self.base}/{cam}/frame", self.frames[self.sent % len(self.frames)], qos=0, properties=props
            )
            self.sent += 1
            next_at += interval
        self.ended = time.monotonic()


def detections_between(
    watch: Collector,
    base: str,
    cams: list[str],
    start: float,
    end: float | None = None,
    *,
    kind: str = "detections",
):
    topics = {f"{base}/{c}/{kind}" for c in cams}
    return [
        m for m in list(watch.messages) if m.topic in topics and m.at >= start and (end is None or m.at < end)
    ]


def inference_ms(watch: Collector, base: str, cams: list[str], start: float, end: float) -> tuple[float, int]:
    """The mean `inference_ms` per analysed frame over `cams`' stats arriving in [start, end) (each
    weighted by the frames it covers), and the frames they cover."""
    total = frames = 0.0
    for m in detections_between(watch, base, cams, start, end, kind="stats"):
        data = strict_json(m.payload)
        n = data["analysed_fps"] * data["interval"]
        if data["inference_ms"] is not None and n > 0:
            total += data["inference_ms"] * n
            frames += n
    return (total / frames if frames else float("nan")), round(frames)


def test_flood_at_10x_capacity_for_30_s(own_mosquitto, model_path, media_dir, base, figure):
    broker = own_mosquitto
    frames = video_jpegs(media_dir / "opencv_vtest.avi", 60, step=3)
    service = Service(broker, model_path, base, 1)
    watch = Collector(broker, [f"{base}/#"])
    # wall clock = monotonic + offset, to compare arrivals with `captured_at`
    offset = time.time() - time.monotonic()
    try:
        service.wait_online(watch)
        cams = Cameras(watch, base)
        flood_cams = [f"flood{i}" for i in range(CAMERAS)]
        for cam in ["cap", *flood_cams]:
            cams.announce(cam)
        for cam in ["cap", *flood_cams]:
            cams.served(cam)
            cams.every_frame_inferred(cam)

        # Capacity: one camera offered 200 fps (more than one worker follows) for 5 s; the first
        # second is warm-up.
        probe = Sender(watch.client, base, ["cap"], frames, 200.0, 5.0)
        probe.start()
        probe.join()
        time.sleep(1.0)
        counted = detections_between(watch, base, ["cap"], probe.started + 1.0, probe.ended)
        capacity = len(counted) / (probe.ended - probe.started - 1.0)
        assert capacity > 0.5, f"listen_frame analysed {len(counted)} frames in 4 s\n{service.tail()}"
        # The worker's time per inference meanwhile (stats of the seconds after the warm-up).
        probe_ms, probe_n = inference_ms(watch, base, ["cap"], probe.started + 2.0, probe.ended + 1.0)
        assert probe_n > 0, f"no stats with analysed frames for the capacity camera\n{service.tail()}"
        rate = FACTOR * capacity
        time.sleep(2.0)  # settle
        rss_start = service.rss_mb()

        flood = Sender(watch.client, base, flood_cams, frames, rate, DURATION)
        flood.start()
        samples = []
        while flood.is_alive():
            samples.append(service.rss_mb())
            time.sleep(0.5)
        flood.join()
        end = flood.ended
        time.sleep(3.0)  # what still comes after the end is backlog
        rss_end = service.rss_mb()
        offered = flood.sent / (flood.ended - flood.started)

        during = detections_between(watch, base, flood_cams, flood.started, end)
        after = detections_between(watch, base, flood_cams, end)
        ages = [m.at + offset - strict_json(m.payload)["captured_at"] for m in during]
        answered = len(during) / (end - flood.started)
        gaps = [b.at - a.at for a, b in itertools.pairwise(during)]
        gaps.append(end - during[-1].at if during else DURATION)
        last_after = max((m.at - end for m in after), default=0.0)
        # The capacity during the flood: the one before, scaled by the worker's time per inference
        # before / during (the stats of every second of the flood, and of the last one after it).
        flood_ms, flood_n = inference_ms(watch, base, flood_cams, flood.started + 1.0, end + 1.5)
        during_capacity = capacity * probe_ms / flood_ms if flood_n else float("nan")
        # A frame waits at most one round over the cameras (latest frame wins per camera).
        age_bound = (CAMERAS + 2) / min(capacity, during_capacity) + 0.5
        # After the end at most one frame per camera waits (the latest wins) besides the one in the
        # worker: one round over the cameras, as for the age. A queue that kept the flood would go
        # on answering for tens of seconds (3000 frames at ~10 fps).
        backlog_bound = max(BACKLOG_WITHIN, age_bound)
        peak = max(samples, default=rss_start)
        figure(
            f"flood: capacity {capacity:.1f} fps (1 worker), offered {offered:.1f} fps "
            f"({offered / capacity:.1f}x) over {CAMERAS} cameras for {DURATION:.0f} s, "
            f"{flood.sent} frames; answered {answered:.1f} fps; worker {probe_ms:.1f} ms per inference "
            f"before, {flood_ms:.1f} ms during, so capacity {during_capacity:.1f} fps during the flood "
            f"(answered {answered / during_capacity:.2f} of it)"
        )
        figure(
            f"flood: RSS of service + workers {rss_start:.1f} MB at the start, peak {peak:.1f} MB "
            f"(+{peak - rss_start:.1f}), {rss_end:.1f} MB after (+{rss_end - rss_start:.1f}; limit +{RSS_WITHIN_MB:.0f})"
        )
        figure(
            f"flood: age of answered frames p50 {percentile(ages, 50):.2f} s, p95 {percentile(ages, 95):.2f} s, "
            f"max {max(ages, default=float('nan')):.2f} s (bound {age_bound:.2f} s); longest gap "
            f"{max(gaps):.2f} s; after the end {len(after)} answer(s), the last {last_after:.2f} s after "
            f"(limit {backlog_bound:.2f} s)"
        )
        problems = []
        if not service.alive() or service.tracebacks():
            problems.append(f"crash: alive={service.alive()} tracebacks={service.tracebacks()[:1]}")
        if offered < 0.9 * FACTOR * capacity:
            problems.append(f"the test offered only {offered:.1f} fps, not {FACTOR}x {capacity:.1f}")
        if peak - rss_start > RSS_WITHIN_MB or rss_end - rss_start > RSS_WITHIN_MB:
            problems.append(f"memory grew: {rss_start} -> peak {peak}, end {rss_end} MB; samples {samples}")
        if not answered >= 0.5 * during_capacity:  # also when the flood's stats never came (nan)
            problems.append(
                f"answered {answered:.1f} fps during the flood, capacity {during_capacity:.1f} during it "
                f"({flood_n} frames in its stats, {flood_ms:.1f} ms per inference; {probe_ms:.1f} ms and "
                f"{capacity:.1f} fps before)"
            )
        if percentile(ages, 95) > age_bound:
            problems.append(f"stale answers: p95 age {percentile(ages, 95):.2f} s > {age_bound:.2f} s")
        if max(gaps) > max(2.0, 2 * age_bound):
            problems.append(f"answers stopped for {max(gaps):.2f} s during the flood")
        if last_after > backlog_bound:
            problems.append(
                f"backlog: answers {last_after:.2f} s after the end (limit {backlog_bound:.2f} s)"
            )
        assert not problems, "\n".join(problems) + "\n" + service.tail(2000)
    finally:
        watch.close()
        service.stop()
