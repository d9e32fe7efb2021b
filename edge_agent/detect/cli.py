"""`bobby-edge detect IMAGE...`: run the detector on stills, one line per image.

A quick check that the model, the runtime and the thresholds do what one expects, and the same
engine (decode, filters) that listen_frame and the smart cameras run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge_agent.detect.detection import DetectedObject


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("detect", help="detect persons (or other objects) in image files")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="JPEG, PNG or any image OpenCV reads")
    p.add_argument(
        "--model", default=None, help="TFLite SSD model (default $BOBBY_MODEL, then the downloaded one)"
    )
    p.add_argument("--labels", default=None, help="label file (default: beside the model, or packed in it)")
    p.add_argument("--threshold", type=float, default=0.5, help="minimum score (default 0.5)")
    p.add_argument(
        "--label",
        action="append",
        dest="labels_wanted",
        metavar="LABEL",
        help="label to report (repeatable; default person)",
    )
    p.add_argument("--all-labels", action="store_true", help="report every label the model knows")
    p.add_argument("--threads", type=int, default=1, help="inference threads (default 1)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=run)


def _human(path: str, persons: int, objects: list[DetectedObject]) -> str:
    noun = "person" if persons == 1 else "persons"
    line = f"{path}: {persons} {noun}"
    if objects:
        line += ": " + ", ".join(
            f"{o.label} {o.score:.2f} [{','.join(f'{v:.2f}' for v in o.box)}]" for o in objects
        )
    return line


def run(args: argparse.Namespace) -> int:
    # Heavy imports here, not at module level: `bobby-edge --help` must not load OpenCV.
    from edge_agent.detect.detector import Detector
    from edge_agent.detect.imaging import ImageDecodeError, load_image
    from edge_agent.detect.model import ModelError, resolve_model
    from edge_agent.detect.rois import DetectionSettings, RoiSet, apply_filters

    if not 0.0 <= args.threshold <= 1.0:
        print(f"bobby-edge detect: --threshold must be within 0..1, got {args.threshold}", file=sys.stderr)
        return 2
    try:
        detector = Detector(
            resolve_model(args.model), labels=args.labels, threads=args.threads, min_score=args.threshold
        )
    except ModelError as err:
        print(f"bobby-edge detect: {err}", file=sys.stderr)
        return 1
    wanted = tuple(args.labels_wanted or ("person",))
    roi_set = RoiSet(detection=DetectionSettings(labels=wanted, threshold=args.threshold))
    status = 0
    for name in args.images:
        path = Path(name)
        try:
            raw = path.read_bytes()
            if raw[:2] == b"\xff\xd8":
                found, _ = detector.detect_jpeg(raw)
            else:
                found = detector.detect_image(load_image(path))
        except (OSError, ImageDecodeError) as err:
            reason = str(getattr(err, "strerror", None) or err)
            reason = reason.removeprefix(f"{path}: ")  # load_image names the file itself
            print(f"{name}: error: {reason}", file=sys.stderr)
            status = 1
            continue
        if args.all_labels:
            objects = [o for o in found if o.score >= args.threshold]
        else:
            objects = apply_filters(found, roi_set)
        persons = sum(1 for o in objects if o.label == "person")
        if args.json:
            line = json.dumps(
                {
                    "file": name,
                    "persons": persons,
                    "objects": [o.to_json() for o in objects],
                    "ms": round(detector.last_inference_ms, 1),
                }
            )
        else:
            line = _human(name, persons, objects)
        print(line, flush=True)
    return status
