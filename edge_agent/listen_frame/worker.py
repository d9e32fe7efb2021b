"""The detector worker process: loads the model once, then decodes, detects and filters frames.

It talks to the dispatcher over one duplex pipe (edge_agent.supervisor: Ready / Fatal first,
then a WorkerResult for each Job, until Stop). Everything that costs CPU per frame (JPEG
decoding, inference, filtering, drawing a snapshot) happens here, outside the MQTT process, so
that Python's GIL never makes the MQTT loop wait for a detector.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import numpy as np

from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.motion import MotionCheck
from edge_agent.detect.rois import RoiSet
from edge_agent.supervisor import Fatal, Ready, Stop, child_setup


@dataclass(slots=True)
class Job:
    job_id: int
    cam: str
    jpeg: bytes
    roi_set: RoiSet
    want_snapshot: bool
    motion: MotionCheck | None = None  # None: the camera's motion gate is off
    snapshot_above: float = 0.0  # drawn only when the best person score is above this


@dataclass(slots=True)
class WorkerResult:
    """What a worker found in one Job's frame (the smart camera's is PipelineResult)."""

    job_id: int
    cam: str
    objects: list[DetectedObject] = field(default_factory=list)
    size: tuple[int, int] = (0, 0)
    inference_ms: float = 0.0
    decode_ms: float = 0.0
    snapshot: bytes | None = None
    error: str | None = None  # "decode": not a usable JPEG; "too_large": over max_pixels
    detail: str | None = None
    inferred: bool = True  # False: the motion gate saw no motion, the model did not run
    motion: float | None = None  # fraction of the gate's thumbnail that changed
    thumb: np.ndarray | None = None  # the gate's thumbnail, for the camera's background
    moved: bool | None = None  # the gate saw a blob big enough (Judgement.moved)
    inferences: int = 1  # model runs for this frame (one per region, or 1 for the whole frame)
    # the regions run ([x0, y0, x1, y1] normalised); None: the whole frame
    regions: list[list[float]] | None = None


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    model_path: str
    labels_path: str | None = None
    threads: int = 1
    snapshot_quality: int = 80
    # A JPEG header can declare 16000x16000 in 600 bytes, and libjpeg fills in what is missing:
    # frames declaring more pixels are refused before anything is decoded.
    max_pixels: int = 16_000_000
    log_level: int = logging.INFO  # the parent's (edge_agent.supervisor.child_setup)


SNAPSHOT_WIDTH = 640  # the last-person image is drawn on a decode no wider than this


def snapshot_jpeg(
    jpeg: bytes, size: tuple[int, int], objects: list[DetectedObject], roi_set: RoiSet, quality: int
) -> bytes:
    """The last-person image: boxes and regions drawn on a reduced decode (bounded memory)."""
    from edge_agent.detect import imaging

    w, h = size
    scale = min(1.0, SNAPSHOT_WIDTH / w)
    rgb, _ = imaging.decode_jpeg(jpeg, (max(1, round(w * scale)), max(1, round(h * scale))))
    drawn = imaging.draw_detections(rgb, objects, [list(r.points) for r in roi_set.rois])
    return imaging.encode_jpeg(drawn, quality)


def run_worker(conn: Connection, config: WorkerConfig, index: int) -> None:
    """Process entry point. First message out: Ready(info) or Fatal(message)."""
    child_setup(config.log_level)  # as the smart camera's pipeline: signals, logging
    log = logging.getLogger(f"edge_agent.listen_frame.worker{index}")
    try:
        from edge_agent.detect import imaging, regions
        from edge_agent.detect.detector import Detector
        from edge_agent.detect.motion import jpeg_thumbnail, thumbnail
        from edge_agent.detect.rois import apply_filters

        detector = Detector(config.model_path, labels=config.labels_path, threads=config.threads)
    except Exception as err:  # reported to the parent, which stops with a clear message
        conn.send(Fatal(f"{type(err).__name__}: {err}"))
        return
    conn.send(Ready({"pid": os.getpid(), "backend": detector.backend, "input_size": detector.input_size}))
    target = detector.input_size
    while True:
        try:
            job: Job | Stop = conn.recv()
        except EOFError:
            return
        if isinstance(job, Stop):
            return
        t0 = time.perf_counter()
        thumb, fraction = None, None
        try:
            width, height = imaging.jpeg_dimensions(job.jpeg)
            if width * height > config.max_pixels:
                conn.send(
                    WorkerResult(
                        job.job_id,
                        job.cam,
                        error="too_large",
                        detail=f"{width}x{height} is more than {config.max_pixels / 1e6:.0f} megapixels",
                    )
                )
                continue
            check = job.motion
            # Regions (detect/regions.py) need the frame at full resolution: it is decoded once,
            # whole, and the regions (or the whole frame, resized) are cut from that decode.
            use_regions = (
                check is not None
                and job.roi_set.detection.regions
                and regions.uses_regions((width, height), target)
            )
            full, judged = None, None
            if check is None:
                rgb, size = imaging.decode_jpeg(job.jpeg, target, max_pixels=config.max_pixels)
            else:
                if check.expect_inference and use_regions:
                    rgb = None
                    full, size = imaging.decode_jpeg(job.jpeg, None, max_pixels=config.max_pixels)
                    thumb = thumbnail(full)
                elif check.expect_inference:
                    # A moving (or forced) camera: one decode, the thumbnail averaged from its luma.
                    rgb, size, luma = imaging.decode_jpeg_with_luma(
                        job.jpeg, target, max_pixels=config.max_pixels
                    )
                    thumb = thumbnail(luma, size)
                else:
                    # A quiet camera: the gate first, on a 1/8-scale decode (half the cost of
                    # the whole one); most of its frames end here.
                    rgb, size = None, (width, height)
                    thumb = jpeg_thumbnail(job.jpeg)
                judged = check.judge(thumb)
                fraction = judged.fraction
                if not judged.infer:
                    conn.send(
                        WorkerResult(
                            job.job_id,
                            job.cam,
                            size=size,
                            decode_ms=(time.perf_counter() - t0) * 1000.0,
                            inferred=False,
                            motion=fraction,
                            thumb=thumb,
                            moved=judged.moved,
                        )
                    )
                    continue
                if use_regions and full is None:
                    full, size = imaging.decode_jpeg(job.jpeg, None, max_pixels=config.max_pixels)
                elif rgb is None and full is None:
                    rgb, size = imaging.decode_jpeg(job.jpeg, target, max_pixels=config.max_pixels)
        except imaging.ImageDecodeError as err:
            conn.send(WorkerResult(job.job_id, job.cam, error="decode", detail=str(err)))
            continue
        t1 = time.perf_counter()
        plan = None
        if full is not None:
            plan = regions.for_frame(check, judged, size, target, job.roi_set.detection)
            found, inferences = regions.detect(detector, full, plan)
        else:
            assert rgb is not None  # decoded above (full is None)
            found, inferences = detector.detect(rgb), 1
        objects = apply_filters(found, job.roi_set)
        t2 = time.perf_counter()
        snapshot = None
        best = max((o.score for o in objects if o.label == "person"), default=None)
        if job.want_snapshot and best is not None and best > job.snapshot_above:
            try:
                snapshot = snapshot_jpeg(job.jpeg, size, objects, job.roi_set, config.snapshot_quality)
            except Exception:  # a snapshot is a nicety: never lose the detections for it
                log.exception("could not draw the snapshot for %s", job.cam)
        conn.send(
            WorkerResult(
                job.job_id,
                job.cam,
                objects=objects,
                size=size,
                inference_ms=(t2 - t1) * 1000.0,
                decode_ms=(t1 - t0) * 1000.0,
                snapshot=snapshot,
                motion=fraction,
                thumb=thumb,
                moved=judged.moved if judged is not None else None,
                inferences=inferences,
                regions=[r.to_json(size) for r in plan] if plan else None,
            )
        )
