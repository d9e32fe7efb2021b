"""What crosses the pipes between the smart camera (smart.py) and its detector process (pipeline.py).

`PipelineConfig` starts the child; then parent → child (`ctrl`): SetRois, SetDetection,
SetViewers, PersonChanged, KeepCandidate, WriteSnapshot, Stop; child → parent (`out`): Ready,
Fatal, Heartbeat (edge_agent.supervisor), PipelineResult, LiveFrame, Snapshot, RoisApplied,
PipelineStats, SnapshotWritten, Clip.
All are pickled: plain frozen dataclasses, no behaviour.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from edge_agent.camera.recording.recorder import RecordSettings
from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.motion import MotionSettings
from edge_agent.detect.rois import RoiSet


@dataclass(frozen=True)
class PipelineConfig:
    camera_id: str
    source: str
    size: tuple[int | None, int | None]  # asked; the frames' size follows the source's aspect
    fps: float
    loop: bool
    model_path: str
    threads: int
    roi_set: RoiSet
    detection_on: bool
    stats_interval: float = 10.0
    view_quality: int = 75
    snapshot_interval: float = 30.0  # the camera's snapshot_interval (smart.py passes it)
    snapshot_quality: int = 80
    motion: MotionSettings | None = None  # the camera's own motion flags; None: the ROI set's
    record: RecordSettings | None = None
    log_level: int = logging.INFO


# ---- parent -> child ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetRois:
    roi_set: RoiSet
    sent_at: float


@dataclass(frozen=True, slots=True)
class SetDetection:
    on: bool


@dataclass(frozen=True, slots=True)
class SetViewers:
    count: int


@dataclass(frozen=True, slots=True)
class PersonChanged:
    """The debounced camera-wide state changed: a visit starts or ends (its clip with it)."""

    on: bool
    at: float
    visit_id: str | None = None


@dataclass(frozen=True, slots=True)
class KeepCandidate:
    """Keep the analysed frame captured at `captured_at`: the next visit's snapshot, perhaps
    (VisitTracker.frame said "candidate")."""

    captured_at: float


@dataclass(frozen=True, slots=True)
class WriteSnapshot:
    """Write the frame captured at `captured_at` (a recent person frame, or the kept candidate)
    as the visit's best snapshot: `<id>-clean.jpg` and `<id>.jpg` (boxes and captions)."""

    visit_id: str
    captured_at: float


# ---- child -> parent ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LiveFrame:
    jpeg: bytes
    captured_at: float


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A drawn frame with a person in it (the parent decides whether it is published)."""

    jpeg: bytes


@dataclass(frozen=True, slots=True)
class RoisApplied:
    version: int
    sent_at: float
    applied_at: float


@dataclass(frozen=True, slots=True)
class PipelineStats:
    stats: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SnapshotWritten:
    """The answer to WriteSnapshot: both files are there (ok), or why not."""

    visit_id: str
    captured_at: float
    ok: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Clip:
    """What became of a visit's clip (recording.recorder.ClipReport's fields)."""

    visit_id: str
    ok: bool
    path: str | None
    start: float
    end: float
    duration: float | None
    recovered: bool = False


@dataclass
class PipelineResult:
    """What the detector found in one captured frame (listen_frame's is WorkerResult)."""

    captured_at: float
    analysed_at: float
    inference_ms: float
    size: tuple[int, int]
    rois_version: int
    objects: list[DetectedObject] = field(default_factory=list)
    # The regions run ([x0, y0, x1, y1] normalised); None: the whole frame.
    regions: list[list[float]] | None = None
