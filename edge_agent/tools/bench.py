"""`bobby-edge bench`: how fast listen_frame is, against the raw interpreter on this machine.

Prints, on the real model and 640x480 JPEG frames made from a video:
  1. the raw interpreter on one thread (inference only): the median of single invocations, and
     the sustained rate of a loop;
  2. JPEG decoding + inference in one thread (the per-frame work a worker cannot avoid);
  3. N raw interpreters in N processes at once (N = each worker count above 1): what the
     hardware gives when every process infers (it can be more than N x the one-thread figure:
     one lone process is not always given a core to itself, and frequency scaling differs);
     then N processes that decode the JPEG frames and detect, fed from memory: the most any
     detector of these frames gets here before MQTT, dispatching and the motion gate;
  4. listen_frame's sustained analysed frames per second through a real Mosquitto with 1, 2, …
     workers (closed loop: every camera has one frame outstanding, the next one is sent when its
     detections arrive), and its ratio to the LARGER of the two raw ceilings: workers x the
     median single invocation, and the N-at-once figure (both printed, and which one is used);
  5. end-to-end latency (frame published -> detections received) p50 / p95 at half of the
     capacity measured with the most workers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_agent.procinfo import child_pids, cpu_seconds, involuntary_switches, rss_mb
from edge_agent.tools.bench_instances import count_answers, listen_frame_session, start_closed_loop

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Event

    import numpy as np
    import numpy.typing as npt

# listen_frame's throughput with workers = cores, as a share of the larger raw ceiling (issue 12).
TARGET_RATIO = 0.88


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("bench", help="measure the detector and listen_frame (frames per second, latency)")
    p.add_argument("--model", help="TFLite model (default $BOBBY_MODEL or the downloaded one)")
    p.add_argument("--video", help="video to make frames from (default $BOBBY_MEDIA/opencv_vtest.avi)")
    p.add_argument("--frames", type=int, default=60, help="distinct frames to cycle through (default 60)")
    p.add_argument("--seconds", type=float, default=15.0, help="length of each measurement (default 15)")
    p.add_argument("--workers", default=None, help="worker counts to measure, e.g. 1,2 (default 1..cores)")
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    p.add_argument(
        "--instances",
        type=int,
        default=1,
        help="N > 1: N instances sharing the frames next to one instance with as many workers in all "
        "(--workers: workers per instance, default 1)",
    )
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


def measure_raw(model: Path, frames: list[bytes], seconds: float) -> dict[str, Any]:
    """Inference alone, one thread, as the interpreter does it with nothing around it."""
    from edge_agent.detect import imaging
    from edge_agent.detect.detector import Detector, load_interpreter

    interpreter, backend = load_interpreter(model, threads=1)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    outputs = [d["index"] for d in interpreter.get_output_details()]
    size = (int(inp["shape"][2]), int(inp["shape"][1]))
    inputs = [imaging.decode_jpeg(f, size)[0][None, ...] for f in frames]

    def loop(step: Callable[[int], object], seconds: float) -> tuple[int, float]:
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            step(n)
            n += 1
        return n, time.perf_counter() - start

    single_ms: list[float] = []
    single_cpu_ms: list[float] = []

    def infer(i: int) -> None:
        t, c = time.perf_counter(), time.thread_time()
        interpreter.set_tensor(inp["index"], inputs[i % len(inputs)])
        interpreter.invoke()
        for o in outputs:
            interpreter.get_tensor(o)
        single_ms.append((time.perf_counter() - t) * 1000.0)
        single_cpu_ms.append((time.thread_time() - c) * 1000.0)

    loop(infer, 1.0)  # warm-up: first invocations set up XNNPACK
    single_ms.clear()
    single_cpu_ms.clear()
    n, elapsed = loop(infer, seconds)
    median_ms = statistics.median(single_ms)

    detector = Detector(model, threads=1)
    decode_ms = []
    for _ in range(3):
        for f in frames:
            t = time.perf_counter()
            imaging.decode_jpeg(f, detector.input_size)
            decode_ms.append((time.perf_counter() - t) * 1000)
    n2, elapsed2 = loop(lambda i: detector.detect_jpeg(frames[i % len(frames)]), seconds / 2)
    return {
        "backend": backend,
        "decoder": imaging.jpeg_decoder(),
        "raw_fps": 1000.0 / median_ms,  # the median single invocation, as a rate
        "inference_ms": median_ms,
        # CPU time (thread_time): less moved by other processes than the wall clock
        "inference_cpu_ms": statistics.median(single_cpu_ms),
        "raw_loop_fps": n / elapsed,
        "decode_ms": statistics.median(decode_ms),
        "decode_and_detect_fps": n2 / elapsed2,
    }


def _raw_loop(
    model: str,
    inputs: Sequence[Any],  # JPEG frames (bytes) with `decode`, else model inputs (uint8 arrays)
    seconds: float,
    start: Event,
    results: Queue[float],
    decode: bool,
) -> None:
    from edge_agent.detect.detector import Detector, load_interpreter

    step: Callable[[Any], object]
    if decode:  # inputs are JPEG frames: decode and detect, as a worker does without the rest
        detector = Detector(model, threads=1)
        step = detector.detect_jpeg
    else:
        interpreter, _ = load_interpreter(model, threads=1)
        interpreter.allocate_tensors()
        index = interpreter.get_input_details()[0]["index"]

        def invoke(x: npt.NDArray[np.uint8]) -> None:
            interpreter.set_tensor(index, x)
            interpreter.invoke()

        step = invoke

    for x in inputs[:5]:  # warm-up
        step(x)
    start.wait()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step(inputs[n % len(inputs)])
        n += 1
    results.put(n / (time.perf_counter() - t0))


def measure_raw_parallel(
    model: Path, frames: list[bytes], processes: int, seconds: float, decode: bool = False
) -> float:
    """Total fps of `processes` raw interpreters running at once: what the hardware allows when
    every core infers (shared caches and memory make it less than processes x one). With
    `decode`, each process decodes the JPEG frames and detects: the most any detector fed
    these frames can give here, before receiving, dispatching and publishing them."""
    import multiprocessing as mp

    from edge_agent.detect import imaging

    ctx = mp.get_context("spawn")
    inputs = (
        frames[:10] if decode else [imaging.decode_jpeg(f, (300, 300))[0][None, ...] for f in frames[:10]]
    )
    start, results = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_raw_loop, args=(str(model), inputs, seconds, start, results, decode))
        for _ in range(processes)
    ]
    for p in procs:
        p.start()
    time.sleep(2.0)  # every interpreter loaded before the clock starts
    start.set()
    total: float = sum(results.get(timeout=seconds + 60) for _ in procs)
    for p in procs:
        p.join()
    return total


def measure_throughput(
    url: str, model: Path, frames: list[bytes], workers: int, seconds: float, broker_pid: int | None = None
) -> dict[str, Any]:
    """Analysed fps, RSS (MiB) of the MQTT process and of each worker, and the CPU milliseconds
    each process spent per analysed frame (where the time goes besides inference)."""
    workers_count = workers
    cams = [f"cam{i}" for i in range(2 * workers + 2)]
    with listen_frame_session(url, model, workers, cams) as client:
        start_closed_loop(client, frames, cams, seconds)
        # spawn also starts multiprocessing's resource tracker: a child with next to no memory
        worker_pids = sorted(child_pids(client.pid), key=lambda p: rss_mb(p) or 0.0, reverse=True)
        worker_pids = worker_pids[:workers_count]
        pids = {"listen_frame (MQTT)": client.pid, "mosquitto": broker_pid, "bench client": os.getpid()}
        pids |= {f"worker {i + 1}": p for i, p in enumerate(worker_pids)}
        cpu0 = {name: cpu_seconds(p) for name, p in pids.items() if p}
        switches0 = sum(involuntary_switches(p) for p in worker_pids)
        n, elapsed = count_answers(client, seconds)
        cpu = {name: (cpu_seconds(pids[name]) - c) * 1000.0 / max(1, n) for name, c in cpu0.items()}
        switches = sum(involuntary_switches(p) for p in worker_pids) - switches0
        with client.lock:
            inference = statistics.median(client.inference_ms) if client.inference_ms else 0.0
        return {
            "fps": n / elapsed,
            # the interpreter's time as the workers measured it, against the raw figure: is it slowed?
            "worker_inference_ms": inference,
            # how often the other processes on these cores took a worker's CPU, per analysed frame
            "worker_preemptions_per_frame": switches / max(1, n),
            "rss_main": rss_mb(client.pid) or 0.0,
            "rss_workers": [rss_mb(p) or 0.0 for p in worker_pids],
            "cpu_ms_per_frame": cpu,
        }


def measure_latency(
    url: str, model: Path, frames: list[bytes], workers: int, rate: float, seconds: float
) -> dict[str, Any]:
    cams = [f"cam{i}" for i in range(4)]
    with listen_frame_session(url, model, workers, cams) as client:
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
    if args.instances > 1:
        from edge_agent.tools.bench_instances import run_instances

        return run_instances(args, model, frames)

    raw = measure_raw(model, frames, args.seconds)
    print(
        f"raw interpreter, 1 thread ({raw['backend']}): median single invocation {raw['inference_ms']:.2f} ms "
        f"= {raw['raw_fps']:.1f} fps; sustained loop {raw['raw_loop_fps']:.1f} fps"
    )
    print(
        f"JPEG decode (640x480 -> 300x300, {raw['decoder']}): {raw['decode_ms']:.2f} ms; decode + detect, "
        f"1 thread: {raw['decode_and_detect_fps']:.1f} fps ({raw['decode_and_detect_fps'] / raw['raw_fps']:.0%} of raw)",
        flush=True,
    )

    # The ceiling for w workers: the larger of w x one (median single invocation) and w raw
    # interpreters measured at once, so that the ratio never flatters listen_frame.
    ceilings: dict[int, dict[str, Any]] = {}
    for w in sorted(set(worker_counts)):
        single = w * raw["raw_fps"]
        together = measure_raw_parallel(model, frames, w, args.seconds) if w > 1 else raw["raw_loop_fps"]
        basis = "at once" if together > single else "single"
        ceilings[w] = {"single": single, "at_once": together, "used": max(single, together), "basis": basis}
        if w > 1:
            print(
                f"raw interpreter, {w} processes at once: {together:.1f} fps in total "
                f"({together / single:.0%} of {w} x one = {single:.1f} fps)",
                flush=True,
            )
        # What decoding the JPEG costs on top, with nothing else running: the part of the gap
        # to the ceiling that no detector of JPEG frames avoids.
        decoding = (
            measure_raw_parallel(model, frames, w, args.seconds, decode=True)
            if w > 1
            else raw["decode_and_detect_fps"]
        )
        ceilings[w]["decode_and_detect"] = decoding
        if w > 1:
            print(
                f"JPEG decode + detect, {w} processes at once (no MQTT): {decoding:.1f} fps in total "
                f"= {decoding / ceilings[w]['used']:.1%} of the raw ceiling {ceilings[w]['used']:.1f} fps",
                flush=True,
            )

    def ceiling_text(w: int) -> str:
        c = ceilings[w]
        if w == 1:
            return f"raw {c['used']:.1f} fps (the larger of median single {c['single']:.1f} and loop {c['at_once']:.1f})"
        which = f"{w} at once" if c["basis"] == "at once" else f"{w} x median single"
        return f"{which} = {c['used']:.1f} fps (the larger of {w} x one {c['single']:.1f} and {w} at once {c['at_once']:.1f})"

    broker = Mosquitto().start()
    assert broker.proc is not None  # started
    results: dict[str, Any] = {
        "cores": cores,
        **raw,
        "raw_parallel_fps": {w: c["at_once"] for w, c in ceilings.items() if w > 1},
        "ceilings": ceilings,
        "listen_frame": {},
    }
    try:
        for w in worker_counts:
            m = measure_throughput(broker.url, model, frames, w, args.seconds, broker.proc.pid)
            fps, rss_main, rss_workers = m["fps"], m["rss_main"], m["rss_workers"]
            ratio = fps / ceilings[w]["used"]
            results["listen_frame"][w] = {
                "fps": fps,
                "ratio": ratio,
                "ratio_to_single": fps / ceilings[w]["single"],
                "ceiling_fps": ceilings[w]["used"],
                "ceiling_basis": ceilings[w]["basis"],
                "rss_mb": [rss_main, *rss_workers],
                "cpu_ms_per_frame": m["cpu_ms_per_frame"],
            }
            decoding = ceilings[w]["decode_and_detect"]
            results["listen_frame"][w]["ratio_to_decode_and_detect"] = fps / decoding
            print(
                f"listen_frame, {w} worker(s), through Mosquitto: {fps:.1f} fps = {ratio:.1%} of {ceiling_text(w)}; "
                f"{fps / decoding:.1%} of decode + detect alone ({decoding:.1f}); "
                f"memory {rss_main:.0f} MiB + {' + '.join(f'{r:.0f}' for r in rss_workers)} MiB (workers)",
                flush=True,
            )
            cpu = m["cpu_ms_per_frame"]
            share = raw["inference_cpu_ms"] / sum(cpu.values())
            results["listen_frame"][w]["inference_cpu_share"] = share
            results["listen_frame"][w]["worker_inference_ms"] = m["worker_inference_ms"]
            results["listen_frame"][w]["worker_preemptions_per_frame"] = m["worker_preemptions_per_frame"]
            print(
                f"  CPU per analysed frame: {sum(cpu.values()):.1f} ms in all ("
                + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())
                + f"); one inference is {raw['inference_cpu_ms']:.1f} ms of CPU = {share:.0%} of it"
                + (" (the ratio's limit when the workers fill every core)" if w == cores else ""),
                flush=True,
            )
            print(
                f"  in the workers: inference {m['worker_inference_ms']:.2f} ms (median, as they measured it; raw "
                f"{raw['inference_ms']:.2f}); preempted {m['worker_preemptions_per_frame']:.1f} times per analysed frame",
                flush=True,
            )
        top = max(worker_counts)
        capacity = results["listen_frame"][top]["fps"]
        lat = measure_latency(broker.url, model, frames, top, capacity / 2, args.seconds)
        results["latency"] = lat
        budget = 2 * raw["inference_ms"] + 10
        lat["budget_ms"] = budget
        print(
            f"latency at half load ({lat['rate']:.1f} fps, {top} workers): p50 {lat['p50_ms']:.1f} ms, "
            f"p95 {lat['p95_ms']:.1f} ms, max {lat['max_ms']:.1f} ms (target p95 < 2 x {raw['inference_ms']:.1f} + 10 = "
            f"{budget:.1f} ms: {'met' if lat['p95_ms'] < budget else 'NOT met'}); "
            f"{lat['received']}/{lat['sent']} frames answered"
        )
    finally:
        broker.stop()
    top = max(worker_counts)
    target = TARGET_RATIO * ceilings[top]["used"]
    fps = results["listen_frame"][top]["fps"]
    print(
        f"target: >= {TARGET_RATIO:.0%} of {ceiling_text(top)} = {target:.1f} fps with {top} worker(s): "
        f"{'met' if fps >= target else 'NOT met'} ({fps:.1f})"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0
