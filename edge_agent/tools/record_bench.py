"""`bobby-edge record-bench`: what recording dumb cameras' visits costs (docs/performance.md,
"Recording").

1. The encoder alone: real 640x480 JPEG frames (opencv_vtest.avi) through `ClipWriter` (decode,
   H.264 encode, fragmented MP4 on disk), CPU time of this process (all its threads, x264's too)
   per frame, and what that is per camera at `--fps`.
2. listen_frame's detection throughput while `--cameras` cameras (people in view, so a visit and
   its clip last the whole measurement) send `--fps` frames a second each, with recording on and
   off: load cameras (a still without people) keep the detector saturated in a closed loop, and
   the analysed frames per second of all cameras are counted.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "record-bench", help="measure recording visits' clips: encoder CPU, detection while recording"
    )
    p.add_argument("--model", help="TFLite model (default $BOBBY_MODEL or the downloaded one)")
    p.add_argument("--video", help="video to make frames from (default $BOBBY_MEDIA/opencv_vtest.avi)")
    p.add_argument("--cameras", type=int, default=4, help="recorded cameras (default 4)")
    p.add_argument("--fps", type=float, default=4.0, help="frames a second of each recorded camera (4)")
    p.add_argument("--seconds", type=float, default=20.0, help="length of each measurement (default 20)")
    p.add_argument("--workers", type=int, default=0, help="listen_frame's workers (default: one per core)")
    p.add_argument("--rounds", type=int, default=2, help="measurements of each mode, alternated (2)")
    p.add_argument(
        "--encoder-only", action="store_true", help="only the encoder figure (no listen_frame, no broker)"
    )
    p.set_defaults(func=run)


def encoder_cost(frames: list[bytes], fps: float, count: int = 120) -> dict[str, float]:
    """CPU milliseconds per recorded frame (decode + encode + mux + write), this process."""
    from edge_agent.events.clip import ClipWriter
    from edge_agent.procinfo import cpu_seconds

    with tempfile.TemporaryDirectory(prefix="bobby-record-bench-") as d:
        writer = ClipWriter(Path(d) / "c.mp4.part", Path(d) / "c.mp4", fps)
        writer.add(frames[0], 0.0)  # the encoder opened outside the measurement
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        for i in range(1, count + 1):
            writer.add(frames[i % len(frames)], i / fps)
        result = writer.close()
        cpu = cpu_seconds() - cpu0
        wall = time.perf_counter() - wall0
        size = result.path.stat().st_size if result.path else 0
    per_frame = cpu * 1000.0 / count
    return {
        "cpu_ms_per_frame": per_frame,
        "wall_ms_per_frame": wall * 1000.0 / count,
        "core_percent_per_camera": per_frame * fps / 10.0,
        "kbit_per_s": size * 8 / 1000.0 / (count / fps),
    }


def _paced(client: Any, cams: list[str], frames: list[bytes], fps: float, stop: threading.Event) -> None:
    """The recorded cameras: each sends `fps` frames a second, frames cycling."""
    i = 0
    next_at = time.monotonic()
    while not stop.is_set():
        for cam in cams:
            client.publish(cam, frames[i % len(frames)])
        i += 1
        next_at += 1.0 / fps
        stop.wait(max(0.0, next_at - time.monotonic()))


def detection_with_recording(
    url: str,
    model: Path,
    people: list[bytes],
    empty: bytes,
    cams: int,
    fps: float,
    workers: int,
    seconds: float,
    rounds: int = 2,
) -> dict[str, Any]:
    from edge_agent.procinfo import child_pids, cpu_seconds
    from edge_agent.tools.bench_instances import count_answers, listen_frame_session

    workers = workers or (os.cpu_count() or 1)
    recorded = [f"rec{i}" for i in range(cams)]
    load = [f"load{i}" for i in range(2 * workers)]
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bobby-record-bench-") as media:
        modes = (
            ("without", ("--no-motion-gate",)),
            ("with", ("--no-motion-gate", "--record-dir", media, "--record-min-free-mb", "0")),
        )
        runs: dict[str, list[dict[str, float]]] = {"without": [], "with": []}
        for mode, extra in modes * rounds:  # alternated: a machine whose other load drifts
            with listen_frame_session(url, model, workers, recorded + load, extra=extra) as client:
                stop = threading.Event()
                pacer = threading.Thread(
                    target=_paced, args=(client, recorded, people, fps, stop), daemon=True
                )
                pacer.start()
                try:
                    time.sleep(4.0)  # the visits start (frames_needed), the clips open

                    # The load cameras keep one frame each outstanding (bench_instances.start_closed_loop,
                    # the recorded cameras' answers left out of the loop).
                    def next_frame(cam: str, client: Any = client) -> None:
                        if cam in load:
                            client.publish(cam, empty)

                    client.on_detection = next_frame
                    for cam in load:
                        next_frame(cam)
                    time.sleep(3.0)
                    client.reset()
                    pids = [client.pid, *child_pids(client.pid)]
                    cpu0 = sum(cpu_seconds(p) for p in pids)
                    n, elapsed = count_answers(client, seconds)
                    cpu = sum(cpu_seconds(p) for p in pids) - cpu0
                finally:
                    stop.set()
                    pacer.join(5)
                runs[mode].append(
                    {
                        "fps": n / elapsed,
                        "cpu_percent": cpu * 100.0 / elapsed,
                        "cpu_ms_per_frame": cpu * 1000.0 / n,
                    }
                )
        for mode, found in runs.items():
            keys = ("fps", "cpu_percent", "cpu_ms_per_frame")
            out[mode] = {k: sum(r[k] for r in found) / len(found) for k in keys}
            out[mode]["runs"] = [round(r["fps"], 1) for r in found]
        clips = list(Path(media).glob("*/*.mp4*"))
        out["files_written"] = len(clips)
    out["ratio"] = out["with"]["fps"] / out["without"]["fps"] if out["without"]["fps"] else 0.0
    return out


def run(args: argparse.Namespace) -> int:
    from edge_agent.detect.model import resolve_model
    from edge_agent.tools.bench import default_video, make_frames

    video = Path(args.video) if args.video else default_video()
    if video is None:
        raise SystemExit("record-bench: no video: pass --video or set BOBBY_MEDIA")
    people = make_frames(video, 40)
    enc = encoder_cost(people, args.fps)
    print(
        f"recording, 640x480 at {args.fps:g} fps (libx264 veryfast, crf 26, decode + encode + write): "
        f"{enc['cpu_ms_per_frame']:.1f} ms of CPU per frame = {enc['core_percent_per_camera']:.1f} % of "
        f"one core per recorded camera, {enc['kbit_per_s']:.0f} kbit/s on disk",
        flush=True,
    )
    cores = os.cpu_count() or 1
    spent = args.cameras * args.fps * enc["cpu_ms_per_frame"]  # CPU ms a second for the clips
    print(
        f"{args.cameras} cameras recording take {spent / 10.0:.0f} % of one core: detection keeps "
        f"{(cores * 1000.0 - spent) / (cores * 1000.0):.0%} of this machine's {cores} cores "
        "(the throughput ratio a saturated detector sees, from the figure above)",
        flush=True,
    )
    if args.encoder_only:
        return 0
    import cv2

    from edge_agent.detect import imaging
    from edge_agent.tools.local_broker import Mosquitto

    still = video.parent / "skimage_coffee.png"  # a scene without people: the detector's load
    bgr = cv2.imread(str(still)) if still.is_file() else None
    if bgr is None:
        raise SystemExit(f"record-bench: {still} is missing (a frame without people)")
    rgb = cv2.cvtColor(cv2.resize(bgr, (640, 480), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
    empty = imaging.encode_jpeg(rgb, 80)
    model = Path(resolve_model(args.model))
    broker = Mosquitto().start()
    try:
        m = detection_with_recording(
            broker.url, model, people, empty, args.cameras, args.fps, args.workers, args.seconds, args.rounds
        )
    finally:
        broker.stop()
    print(
        f"listen_frame, {args.cameras} cameras at {args.fps:g} fps + a saturating load: "
        f"{m['without']['fps']:.1f} analysed fps without recording, {m['with']['fps']:.1f} with "
        f"{args.cameras} cameras recording = {m['ratio']:.0%} "
        f"(runs {m['without']['runs']} and {m['with']['runs']}; listen_frame's CPU "
        f"{m['without']['cpu_percent']:.0f} % -> {m['with']['cpu_percent']:.0f} %, "
        f"{m['without']['cpu_ms_per_frame']:.1f} -> {m['with']['cpu_ms_per_frame']:.1f} ms per analysed frame; "
        f"{m['files_written']} clip files written)",
        flush=True,
    )
    return 0
