"""Far and small people: regions from motion against the whole frame (docs/detection.md, issue 20).

    python -m edge_agent.tools.regions_bench --model MODEL --media MEDIA_DIR [--frames 120]

Runs the engine's own code, in this process, as the smart camera's pipeline does (the motion gate
on its RGB frames, `regions.plan`, `regions.detect`, the filters at threshold 0.5, the debouncer),
on the scenes of `tools/far_scenes.py` at 10 fps (frame times simulated, so the machine's load does
not change which frames are analysed), once with regions off (the whole frame shrunk to the model
input) and once on (the default: at most 4). For each scene and mode it prints: frames analysed,
inferences per analysed frame, the share of frames with a person found (scenes with people) or
the frames with a false person (scenes without), when the person state went ON, and the CPU
(this process's, gate + decode-free detection) per analysed frame and per camera-hour at 10 fps.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_agent.tools import far_scenes

if TYPE_CHECKING:
    import numpy as np

    from edge_agent.detect.detector import Detector


def run_scene(
    detector: Detector,
    frames_rgb: Sequence[np.ndarray],
    regions_on: bool,
    max_regions: int = 4,
    fps: float = 10.0,
    moving: Sequence[bool] | None = None,
    sensitivity: int | None = None,
) -> dict[str, Any]:
    from edge_agent.detect import regions
    from edge_agent.detect.motion import MotionGate, MotionSettings
    from edge_agent.detect.person_state import PersonTracker
    from edge_agent.detect.rois import DetectionSettings, RoiSet, apply_filters

    det = DetectionSettings()
    if sensitivity is not None:
        det = dataclasses.replace(det, motion_sensitivity=sensitivity)
    roi_set = RoiSet(detection=det)
    settings = MotionSettings.from_detection(det)
    assert settings is not None  # the default set has its motion gate on
    gate = MotionGate(settings)
    tracker = PersonTracker(det, ())
    analysed = inferences = with_person = persons_found = 0
    moving_analysed = moving_found = 0
    on_at = None
    cpu0 = time.process_time()
    for i, rgb in enumerate(frames_rgb):
        now = 1000.0 + i / fps
        person_on = bool(tracker.states().get(None))
        moves = moving is not None and moving[i]
        if not gate.should_analyse(rgb, now, person_on):
            tracker.tick(now)
            continue
        plan = None
        if regions_on and gate.last is not None and gate.last_check is not None:
            check, judged = gate.last_check, gate.last
            if check.background is not None and check.force not in ("start", "refresh"):
                plan = regions.plan(
                    (rgb.shape[1], rgb.shape[0]),
                    detector.input_size,
                    judged.boxes,
                    check.tracked,
                    max_regions,
                )
        objects, n = regions.detect(detector, rgb, plan)
        kept = apply_filters(objects, roi_set)
        persons = [o for o in kept if o.label == "person"]
        gate.analysed(bool(persons), now, tuple(o.box for o in persons))
        tracker.update(kept, now)
        analysed += 1
        inferences += n
        with_person += bool(persons)
        persons_found += len(persons)
        moving_analysed += moves
        moving_found += moves and bool(persons)
        if on_at is None and tracker.states().get(None):
            on_at = now - 1000.0
    cpu = time.process_time() - cpu0
    n = len(frames_rgb)
    return {
        "frames": n,
        "analysed": analysed,
        "inferences": inferences,
        "with_person": with_person,
        "persons": persons_found,
        "moving": sum(moving) if moving is not None else None,
        "moving_analysed": moving_analysed,
        "moving_found": moving_found,
        "on_at": on_at,
        "cpu": cpu,
        "per_hour": cpu / (n / fps) * 3600.0,
    }


def decode_cost(jpegs: list[bytes], target: tuple[int, int], rounds: int = 5) -> tuple[float, float]:
    """CPU ms per frame (the best of `rounds`) of the worker's two ways to decode a moving frame:
    scaled for the whole frame with the luma thumbnail (regions off or small frames), and whole
    at full resolution with the thumbnail averaged from it (regions)."""
    from edge_agent.detect import imaging
    from edge_agent.detect.motion import thumbnail

    def scaled(jpeg: bytes) -> None:
        _, size, luma = imaging.decode_jpeg_with_luma(jpeg, target)
        thumbnail(luma, size)

    def full(jpeg: bytes) -> None:
        rgb, _ = imaging.decode_jpeg(jpeg, None)
        thumbnail(rgb)

    best = []
    for fn in (scaled, full):
        times = []
        for _ in range(rounds):
            t0 = time.process_time()
            for jpeg in jpegs:
                fn(jpeg)
            times.append((time.process_time() - t0) / len(jpegs) * 1000.0)
        best.append(min(times))
    return best[0], best[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m edge_agent.tools.regions_bench", description=__doc__.splitlines()[0]
    )
    p.add_argument("--model", required=True, help="TFLite SSD model")
    p.add_argument(
        "--media",
        required=True,
        help="the shared media (opencv_vtest.avi, opencv_tree.avi, skimage_coffee.png)",
    )
    p.add_argument("--frames", type=int, default=120, help="frames per scene at 10 fps (default 120)")
    p.add_argument("--max-regions", type=int, default=4)
    p.add_argument("--sensitivity", type=int, default=None, help="motion_sensitivity (default: the set's, 5)")
    p.add_argument("--only", default=None, help="run only the scenes whose name contains this")
    args = p.parse_args(argv)

    from edge_agent.detect.detector import Detector

    media = Path(args.media)
    n = args.frames
    detector = Detector(args.model, threads=1)
    scenes: list[tuple[str, bool, Callable[[], list[bytes]]]] = [
        (
            "target: people 30-50 px walking (vtest's far walkers), 1280x720",
            True,
            lambda: far_scenes.far_people(media, (1280, 720), n),
        ),
        ("people 25-60 px walking, 1280x720", True, lambda: far_scenes.far_walk(media, (1280, 720), n)),
        (
            "people 20-55 px walking, 1280x720",
            True,
            lambda: far_scenes.far_walk(media, (1280, 720), n, scale=0.5),
        ),
        ("people 25-60 px walking, 1920x1080", True, lambda: far_scenes.far_walk(media, (1920, 1080), n)),
        (
            "people 20-55 px walking, 1920x1080",
            True,
            lambda: far_scenes.far_walk(media, (1920, 1080), n, scale=0.5),
        ),
        (
            "people 17-40 px walking, 1280x720",
            True,
            lambda: far_scenes.far_walk(media, (1280, 720), n, scale=0.4),
        ),
        ("opencv_vtest.avi at full size, 768x576", True, lambda: far_scenes.vtest(media, n)),
        (
            "no person: still + sensor noise, 1280x720",
            False,
            lambda: far_scenes.still_noise(media, (1280, 720), n),
        ),
        (
            "no person: flicker + rain streaks, 1280x720",
            False,
            lambda: far_scenes.flicker(media, (1280, 720), n),
        ),
        ("no person: opencv_tree.avi, 1280x720", False, lambda: far_scenes.tree(media, (1280, 720), n)),
        (
            "no person: still + sensor noise, 640x480",
            False,
            lambda: far_scenes.still_noise(media, (640, 480), n),
        ),
    ]
    print(
        f"regions_bench: {n} frames per scene at 10 fps, backend {detector.backend}, threshold 0.5, "
        f"motion sensitivity {args.sensitivity or 5}",
        flush=True,
    )
    for size in ((1280, 720), (1920, 1080)) if not args.only else ():
        scaled_ms, full_ms = decode_cost(far_scenes.far_walk(media, size, 20), detector.input_size)
        print(
            f"listen_frame worker, a moving {size[0]}x{size[1]} frame: scaled decode for the whole frame + "
            f"thumbnail {scaled_ms:.2f} ms of CPU; full-resolution decode (regions) + thumbnail {full_ms:.2f} ms",
            flush=True,
        )
    for name, people, make in scenes:
        if args.only and args.only not in name:
            continue
        frames = far_scenes.decoded(make())
        moving = far_scenes.far_people_moving(media, (1280, 720), n) if name.startswith("target") else None
        for regions_on in (False, True):
            r = run_scene(
                detector, frames, regions_on, args.max_regions, moving=moving, sensitivity=args.sensitivity
            )
            mode = f"regions (max {args.max_regions})" if regions_on else "whole frame"
            found = (
                f"person found in {r['with_person']} of {r['frames']} frames ({r['with_person'] / r['frames']:.0%}), "
                f"{r['persons']} persons in all, ON after {r['on_at']:.1f} s"
                if people and r["on_at"] is not None
                else f"person found in {r['with_person']} of {r['frames']} frames, never ON"
                if people
                else f"false person in {r['with_person']} frames"
            )
            if r["moving"]:
                found += (
                    f"; people move in {r['moving']} frames: {r['moving_analysed']} analysed "
                    f"({r['moving_analysed'] / r['moving']:.0%}), person found in {r['moving_found']} "
                    f"({r['moving_found'] / r['moving']:.0%})"
                )
            per = r["inferences"] / r["analysed"] if r["analysed"] else 0.0
            cpu_ms = r["cpu"] / r["analysed"] * 1000 if r["analysed"] else 0.0
            print(
                f"{name} | {mode}: analysed {r['analysed']} of {r['frames']}, {per:.2f} inferences per analysed "
                f"frame; {found}; CPU {cpu_ms:.1f} ms per analysed frame, {r['per_hour']:.0f} s per camera-hour",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
