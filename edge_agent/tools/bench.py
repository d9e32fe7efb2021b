"""`bobby-edge bench`: how fast listen_frame is, against the raw interpreter on this machine.

Prints, on the real model and 640x480 JPEG frames made from a video:
  1. the raw interpreter's frames per second on one thread (inference only: the ceiling);
  2. JPEG decoding + inference in one thread (the per-frame work a worker cannot avoid);
  3. listen_frame's sustained analysed frames per second through a real Mosquitto with 1, 2, …
     workers (closed loop: every camera has one frame outstanding, the next one is sent when its
     detections arrive), and its ratio to workers × the raw figure;
  4. end-to-end latency (frame published -> detections received) p50 / p95 at half of the
     capacity measured with workers = cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge_agent.mqtt.client import user_properties
from edge_agent.procinfo import child_pids, rss_mb


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure the detector and listen_frame (frames per second, latency)")
    p.add_argument("--model", help="TFLite model (default $BOBBY_MODEL or the downloaded one)")
    p.add_argument("--video", help="video to make frames from (default $BOBBY_MEDIA/opencv_vtest.avi)")
    p.add_argument("--frames", type=int, default=60, help="distinct frames to cycle through (default 60)")
    p.add_argument("--seconds", type=float, default=15.0, help="length of each measurement (default 15)")
    p.add_argument("--workers", default=None, help="worker counts to measure, e.g. 1,2 (default 1..cores)")
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    p.set_defaults(func=run)


def default_video() -> Path | None:
    media = os.environ.get("BOBBY_MEDIA")
    candidates = [Path(media) / "opencv_vtest.avi"] if media else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "media" / "opencv_vtest.avi")
    return next((c for c in candidates if c.is_file()), None)


def make_frames(video: Path, count: int) -> list[bytes]:
    import cv2

    from edge_agent.detect import imaging

    cap = cv2.VideoCapture(str(video))
    frames: list[bytes] = []
    while len(frames) < count:
        ok, bgr = cap.read()
        if not ok:
            break
        rgb = cv2.cvtColor(cv2.resize(bgr, (640, 480), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
        frames.append(imaging.encode_jpeg(rgb, 80))
    cap.release()
    if not frames:
        raise SystemExit(f"could not read frames from {video}")
    return frames


def measure_raw(model: Path, frames: list[bytes], seconds: float) -> dict:
    """Inference alone, one thread, as the interpreter does it with nothing around it."""
    from edge_agent.detect import imaging
    from edge_agent.detect.detector import Detector, load_interpreter

    interpreter, backend = load_interpreter(model, threads=1)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    outputs = [d["index"] for d in interpreter.get_output_details()]
    size = (int(inp["shape"][2]), int(inp["shape"][1]))
    inputs = [imaging.decode_jpeg(f, size)[0][None, ...] for f in frames]

    def loop(step, seconds: float) -> tuple[int, float]:
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            step(n)
            n += 1
        return n, time.perf_counter() - start

    def infer(i: int) -> None:
        interpreter.set_tensor(inp["index"], inputs[i % len(inputs)])
        interpreter.invoke()
        for o in outputs:
            interpreter.get_tensor(o)

    loop(infer, 1.0)  # warm-up: first invocations set up XNNPACK
    n, elapsed = loop(infer, seconds)
    raw_fps = n / elapsed

    detector = Detector(model, threads=1)
    decode_ms = []
    for f in frames:
        t = time.perf_counter()
        imaging.decode_jpeg(f, detector.input_size)
        decode_ms.append((time.perf_counter() - t) * 1000)
    n, elapsed = loop(lambda i: detector.detect_jpeg(frames[i % len(frames)]), seconds / 2)
    return {
        "backend": backend,
        "raw_fps": raw_fps,
        "inference_ms": 1000.0 / raw_fps,
        "decode_ms": statistics.median(decode_ms),
        "decode_and_detect_fps": n / elapsed,
    }


def _raw_loop(model: str, inputs: list, seconds: float, start, results) -> None:
    from edge_agent.detect.detector import load_interpreter

    interpreter, _ = load_interpreter(model, threads=1)
    interpreter.allocate_tensors()
    index = interpreter.get_input_details()[0]["index"]
    for x in inputs[:5]:  # warm-up
        interpreter.set_tensor(index, x)
        interpreter.invoke()
    start.wait()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        interpreter.set_tensor(index, inputs[n % len(inputs)])
        interpreter.invoke()
        n += 1
    results.put(n / (time.perf_counter() - t0))


def measure_raw_parallel(model: Path, frames: list[bytes], processes: int, seconds: float) -> float:
    """Total fps of `processes` raw interpreters running at once: what the hardware allows when
    every core infers (shared caches and memory make it less than processes x one)."""
    import multiprocessing as mp

    from edge_agent.detect import imaging

    ctx = mp.get_context("spawn")
    inputs = [imaging.decode_jpeg(f, (300, 300))[0][None, ...] for f in frames[:10]]
    start, results = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_raw_loop, args=(str(model), inputs, seconds, start, results))
        for _ in range(processes)
    ]
    for p in procs:
        p.start()
    time.sleep(2.0)  # every interpreter loaded before the clock starts
    start.set()
    total = sum(results.get(timeout=seconds + 60) for _ in procs)
    for p in procs:
        p.join()
    return total


class BenchClient:
    """Publishes frames and times the detections that come back."""

    def __init__(self, url: str, base: str) -> None:
        from edge_agent.mqtt.client import BrokerSettings

        s = BrokerSettings.from_url(url)
        self.base = base
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.received = 0
        self.since = 0.0  # frames captured before this (warm-up) are not counted
        self.on_detection = None
        self.pid = 0  # listen_frame's, once started
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

    def _on_message(self, client, userdata, msg) -> None:
        if msg.topic.endswith("/availability"):
            if msg.payload == b"online":
                self.online.set()
            return
        now = time.time()
        data = json.loads(msg.payload)
        if data["captured_at"] >= self.since:
            with self.lock:
                self.received += 1
                self.latencies.append((now - data["captured_at"]) * 1000.0)
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
            self.since = since

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@contextmanager
def listen_frame_session(url: str, model: Path, workers: int) -> Iterator[BenchClient]:
    """A listen_frame process on its own base topic, and a bench client on the same topics."""
    import subprocess

    base = f"bench{uuid.uuid4().hex[:6]}"
    client = BenchClient(url, base)
    proc = subprocess.Popen(
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
            "bench",
            "--no-discovery",
            "--stats-interval",
            "60",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        if not client.online.wait(60):
            raise SystemExit("bench: listen_frame did not come online")
        client.pid = proc.pid
        yield client
    finally:
        client.on_detection = None
        proc.terminate()
        proc.wait(20)
        client.close()


def measure_throughput(
    url: str, model: Path, frames: list[bytes], workers: int, seconds: float
) -> tuple[float, float, list[float]]:
    """(analysed fps, RSS of the MQTT process, RSS of each worker) in MiB."""
    workers_count = workers
    with listen_frame_session(url, model, workers) as client:
        cams = [f"cam{i}" for i in range(2 * workers + 2)]
        counters = dict.fromkeys(cams, 0)

        def next_frame(cam: str) -> None:
            counters[cam] += 1
            client.publish(cam, frames[counters[cam] % len(frames)])

        client.on_detection = next_frame
        for cam in cams:
            next_frame(cam)
        time.sleep(min(3.0, seconds / 3))  # warm-up
        client.reset()
        start = time.perf_counter()
        time.sleep(seconds)
        with client.lock:
            n = client.received
        fps = n / (time.perf_counter() - start)
        # spawn also starts multiprocessing's resource tracker: a child with next to no memory
        workers = [rss_mb(p) or 0.0 for p in child_pids(client.pid)]
        return fps, rss_mb(client.pid) or 0.0, sorted(workers, reverse=True)[:workers_count]


def measure_latency(
    url: str, model: Path, frames: list[bytes], workers: int, rate: float, seconds: float
) -> dict:
    with listen_frame_session(url, model, workers) as client:
        cams = [f"cam{i}" for i in range(4)]
        period = 1.0 / rate
        sent = 0
        start = time.perf_counter()
        warmup_end = start + 2.0
        measuring = False
        while True:
            now = time.perf_counter()
            if not measuring and now >= warmup_end:
                client.reset(since=time.time())
                measuring, sent, t0 = True, 0, now
            if measuring and now - t0 >= seconds:
                break
            client.publish(cams[sent % len(cams)], frames[sent % len(frames)])
            sent += 1
            next_at = (t0 if measuring else start) + sent * period
            time.sleep(max(0.0, next_at - time.perf_counter()))
        time.sleep(0.5)
        with client.lock:
            lat = sorted(client.latencies)
            received = client.received
        return {
            "rate": rate,
            "sent": sent,
            "received": received,
            "p50_ms": lat[len(lat) // 2],
            "p95_ms": lat[min(len(lat) - 1, int(len(lat) * 0.95))],
            "max_ms": lat[-1],
        }


def run(args: argparse.Namespace) -> int:
    from edge_agent.detect.detector import ModelError
    from edge_agent.detect.model import resolve_model
    from edge_agent.tools.local_broker import Mosquitto

    try:
        model = resolve_model(args.model)
    except ModelError as err:
        print(err, file=sys.stderr)
        return 2
    video = Path(args.video) if args.video else default_video()
    if video is None or not video.is_file():
        print("bench: no video: pass --video or set BOBBY_MEDIA", file=sys.stderr)
        return 2
    cores = os.cpu_count() or 1
    worker_counts = [int(w) for w in args.workers.split(",")] if args.workers else list(range(1, cores + 1))
    frames = make_frames(video, args.frames)
    print(
        f"bench: {len(frames)} frames 640x480 from {video.name}, model {model.name}, {cores} cores",
        flush=True,
    )

    raw = measure_raw(model, frames, args.seconds)
    print(
        f"raw interpreter, 1 thread ({raw['backend']}): {raw['raw_fps']:.1f} fps ({raw['inference_ms']:.2f} ms per inference)"
    )
    print(
        f"JPEG decode (640x480 -> 300x300): {raw['decode_ms']:.2f} ms; decode + detect, 1 thread: "
        f"{raw['decode_and_detect_fps']:.1f} fps ({raw['decode_and_detect_fps'] / raw['raw_fps']:.0%} of raw)",
        flush=True,
    )

    parallel = measure_raw_parallel(model, frames, cores, args.seconds) if cores > 1 else raw["raw_fps"]
    print(
        f"raw interpreter, {cores} processes at once: {parallel:.1f} fps in total "
        f"({parallel / (cores * raw['raw_fps']):.0%} of {cores} x one: the hardware's own ceiling)",
        flush=True,
    )

    broker = Mosquitto().start()
    results: dict = {"cores": cores, **raw, "raw_parallel_fps": parallel, "listen_frame": {}}
    try:
        for w in worker_counts:
            fps, rss_main, rss_workers = measure_throughput(broker.url, model, frames, w, args.seconds)
            ratio = fps / (w * raw["raw_fps"])
            results["listen_frame"][w] = {"fps": fps, "ratio": ratio, "rss_mb": [rss_main, *rss_workers]}
            ceiling = f", {fps / parallel:.0%} of {cores} raw at once" if w == cores and cores > 1 else ""
            print(
                f"listen_frame, {w} worker(s), through Mosquitto: {fps:.1f} fps = {ratio:.0%} of {w} x raw{ceiling}; "
                f"memory {rss_main:.0f} MiB + {' + '.join(f'{r:.0f}' for r in rss_workers)} MiB (workers)",
                flush=True,
            )
        top = max(worker_counts)
        capacity = results["listen_frame"][top]["fps"]
        lat = measure_latency(broker.url, model, frames, top, capacity / 2, args.seconds)
        results["latency"] = lat
        budget = 2 * raw["inference_ms"] + 10
        print(
            f"latency at half load ({lat['rate']:.1f} fps, {top} workers): p50 {lat['p50_ms']:.1f} ms, "
            f"p95 {lat['p95_ms']:.1f} ms, max {lat['max_ms']:.1f} ms (target p95 < {budget:.1f} ms); "
            f"{lat['received']}/{lat['sent']} frames answered"
        )
    finally:
        broker.stop()
    if cores in results["listen_frame"]:
        target = 0.8 * cores * raw["raw_fps"]
        fps = results["listen_frame"][cores]["fps"]
        print(
            f"target: >= 80% of {cores} cores x raw = {target:.1f} fps: {'met' if fps >= target else 'NOT met'} ({fps:.1f})"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0
