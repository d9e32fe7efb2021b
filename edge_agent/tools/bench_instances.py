"""`bobby-edge bench --instances N`: N listen_frame instances on one machine, sharing the frames.

Measures the closed-loop throughput (as bench.py does for one instance) of N instances in one
shared-subscription group, each with W workers, next to one instance with N x W workers: what
running several instances costs (each one reads every other's detections, docs/listen_frame.md
"Several instances") against what one bigger instance gives. Also the session helpers bench.py
uses (a bench client, listen_frame processes on a base topic of their own).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge_agent.mqtt.client import user_properties
from edge_agent.procinfo import child_pids, cpu_seconds


class BenchClient:
    """Publishes frames and times the detections that come back."""

    def __init__(self, url: str, base: str) -> None:
        from edge_agent.mqtt.broker import BrokerSettings

        s = BrokerSettings.from_url(url)
        self.base = base
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.inference_ms: list[float] = []  # as the workers measured it (detections messages)
        self.received = 0
        self.since = 0.0  # frames captured before this (warm-up) are not counted
        self.on_detection: Callable[[str], None] | None = None
        self.pid = 0  # listen_frame's, once started
        self.pids: list[int] = []  # every instance's, once started
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"bobby-bench-{uuid.uuid4().hex[:6]}", protocol=mqtt.MQTTv5
        )
        self.client.on_message = self._on_message
        connected = threading.Event()
        self.client.on_connect = lambda *a: connected.set()
        self.client.connect(s.host, s.port)
        self.client.loop_start()
        if not connected.wait(10):
            raise SystemExit("bench: cannot connect to the broker")
        self.client.subscribe(f"{base}/+/detections", 0)
        self.client.subscribe(f"{base}/listen_frame/+/availability", 1)
        self.online = threading.Event()
        self.online_instances: set[str] = set()
        self.expected = 1  # instances that must be online before `online` is set

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if msg.topic.endswith("/availability"):
            if msg.payload == b"online":
                with self.lock:
                    self.online_instances.add(msg.topic)
                    if len(self.online_instances) >= self.expected:
                        self.online.set()
            return
        now = time.time()
        data = json.loads(msg.payload)
        if data["captured_at"] >= self.since:
            with self.lock:
                self.received += 1
                self.latencies.append((now - data["captured_at"]) * 1000.0)
                self.inference_ms.append(data["inference_ms"])
        if self.on_detection:
            self.on_detection(data["camera"])

    def publish(self, cam: str, jpeg: bytes) -> None:
        self.client.publish(
            f"{self.base}/{cam}/frame",
            jpeg,
            qos=0,
            properties=user_properties(captured_at=f"{time.time():.6f}"),
        )

    def reset(self, since: float = 0.0) -> None:
        with self.lock:
            self.received = 0
            self.latencies = []
            self.inference_ms = []
            self.since = since

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@contextmanager
def listen_frame_session(
    url: str, model: Path, workers: int, cams: list[str], instances: int = 1, extra: tuple[str, ...] = ()
) -> Iterator[BenchClient]:
    """`instances` listen_frame processes (one shared-subscription group when more than one) on a
    base topic of their own, each with `workers` workers, and a bench client on the same topics.

    listen_frame serves only cameras that announced themselves or that it is told to allow
    (docs/mqtt.md, "Limits and bad input"): the bench's cameras are allowed by name."""
    import subprocess

    base = f"bench{uuid.uuid4().hex[:6]}"
    client = BenchClient(url, base)
    client.expected = instances
    procs = []
    for i in range(instances):
        share = ["--share-group", "bench"] if instances > 1 else []
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "edge_agent",
                    "--log-level",
                    "WARNING",
                    "listen-frame",
                    "--broker",
                    url,
                    "--base-topic",
                    base,
                    "--model",
                    str(model),
                    "--workers",
                    str(workers),
                    "--instance",
                    f"bench{i}" if instances > 1 else "bench",
                    *share,
                    "--no-discovery",
                    "--stats-interval",
                    "60",
                    *(arg for cam in cams for arg in ("--allow-camera", cam)),
                    *extra,
                ],
                stdout=subprocess.DEVNULL,
            )
        )
    try:
        if not client.online.wait(60 + 15 * instances):
            raise SystemExit("bench: listen_frame did not come online")
        client.pid = procs[0].pid
        client.pids = [p.pid for p in procs]
        yield client
    finally:
        client.on_detection = None
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(20)
        client.close()


def tree_cpu_seconds(pids: list[int]) -> float:
    """CPU time so far of these processes and their children (the workers)."""
    return sum(cpu_seconds(p) + sum(cpu_seconds(c) for c in child_pids(p)) for p in pids)


def start_closed_loop(client: BenchClient, frames: list[bytes], cams: list[str], seconds: float) -> None:
    """Every camera keeps one frame outstanding; the next goes when its detections arrive (the
    detector is never starved and never flooded). Warms up, then counts from zero."""
    counters = dict.fromkeys(cams, 0)

    def next_frame(cam: str) -> None:
        counters[cam] += 1
        client.publish(cam, frames[counters[cam] % len(frames)])

    client.on_detection = next_frame
    for cam in cams:
        next_frame(cam)
    time.sleep(min(3.0, seconds / 3))  # warm-up
    client.reset()


def count_answers(client: BenchClient, seconds: float) -> tuple[int, float]:
    """Frames answered during `seconds` of the running loop, and the time it took."""
    start = time.perf_counter()
    time.sleep(seconds)
    with client.lock:
        n = client.received
    elapsed = time.perf_counter() - start
    if n == 0:
        raise SystemExit(f"bench: listen_frame answered no frame in {seconds:.0f} s (its log above says why)")
    return n, elapsed


def closed_loop_fps(
    client: BenchClient, frames: list[bytes], cams: list[str], seconds: float
) -> tuple[float, float]:
    """The analysed frames per second of a closed loop, and the CPU milliseconds all listen_frame
    processes (MQTT processes and workers) spent per analysed frame: what several instances
    cost, less moved by other load on the machine than the rate."""
    start_closed_loop(client, frames, cams, seconds)
    cpu0 = tree_cpu_seconds(client.pids)
    n, elapsed = count_answers(client, seconds)
    return n / elapsed, (tree_cpu_seconds(client.pids) - cpu0) * 1000.0 / n


def measure_instances(
    url: str, model: Path, frames: list[bytes], instances: int, workers: int, seconds: float
) -> dict[str, Any]:
    """fps of one instance with instances x workers workers, then of `instances` with `workers` each."""
    total = instances * workers
    out: dict[str, Any] = {"instances": instances, "workers_each": workers, "total_workers": total}
    cams = [f"cam{i}" for i in range(2 * total + 2)]
    for key, (n, w) in (("one_instance", (1, total)), ("several", (instances, workers))):
        with listen_frame_session(url, model, w, cams, instances=n) as client:
            fps, cpu_ms = closed_loop_fps(client, frames, cams, seconds)
            out[key] = {"fps": fps, "cpu_ms_per_frame": cpu_ms, "processes": n}
            out[key]["worker_processes"] = sum(len(child_pids(p)) for p in client.pids)
    out["ratio"] = out["several"]["fps"] / out["one_instance"]["fps"] if out["one_instance"]["fps"] else 0.0
    return out


def run_instances(args: argparse.Namespace, model: Path, frames: list[bytes]) -> int:
    """`bench --instances N`: the comparison above, printed (and written to --json)."""
    from edge_agent.tools.local_broker import Mosquitto

    workers = int(args.workers.split(",")[0]) if args.workers else 1
    broker = Mosquitto().start()
    try:
        m = measure_instances(broker.url, model, frames, args.instances, workers, args.seconds)
    finally:
        broker.stop()
    one, several = m["one_instance"], m["several"]
    print(
        f"listen_frame, 1 instance with {m['total_workers']} worker(s): {one['fps']:.1f} fps, "
        f"{one['cpu_ms_per_frame']:.1f} ms of CPU per analysed frame",
        flush=True,
    )
    print(
        f"listen_frame, {m['instances']} instances with {m['workers_each']} worker(s) each (shared "
        f"subscription): {several['fps']:.1f} fps = {m['ratio']:.0%} of one instance, "
        f"{several['cpu_ms_per_frame']:.1f} ms of CPU per analysed frame "
        f"({several['cpu_ms_per_frame'] / one['cpu_ms_per_frame']:.0%})",
        flush=True,
    )
    if args.json:
        args.json.write_text(json.dumps(m, indent=2))
    return 0
