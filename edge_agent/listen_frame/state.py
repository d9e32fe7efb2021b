"""listen_frame's settings and its mutable state: per camera (`CameraState`, with its stats
window `CameraWindow`) and per instance (`InstanceState`). Nothing here imports the rest of
listen_frame: the service, the cluster and the stats builders all read these.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from edge_agent.events.settings import RecordingSettings
from edge_agent.ids import MAX_ROIS

if TYPE_CHECKING:
    from edge_agent.mqtt.broker import BrokerSettings
    from edge_agent.mqtt.channel import CameraChannel


@dataclass
class ListenFrameConfig:
    broker: BrokerSettings
    model_path: str
    base_topic: str = "bobby"
    instance: str = field(default_factory=lambda: socket.gethostname().split(".")[0] or "listen_frame")
    share_group: str | None = None
    workers: int = 0  # 0: one per core
    threads: int = 1
    labels_path: str | None = None
    threshold: float = 0.5
    motion_gate: bool = True  # until a camera's ROI set says otherwise
    max_payload: int = 2 * 1024 * 1024
    discovery: bool = True
    discovery_prefix: str = "homeassistant"
    stats_interval: float = 10.0
    snapshot_interval: float = 30.0  # during a visit, at most one last-person snapshot this often
    snapshot_quality: int = 80
    max_cameras: int = 64  # cameras served at most (docs/listen_frame.md, which cameras are served)
    allow_cameras: frozenset[str] | None = None  # served without an announce; None: announced ones
    forget_after: float = 7 * 24 * 3600.0  # offline and silent this long: discovery removed
    max_rois: int = MAX_ROIS
    max_megapixels: float = 16.0  # frames whose JPEG header declares more are refused undecoded
    # A worker on one frame for longer than max(factor x the usual job, floor) is hung: killed,
    # replaced, counted as worker_hung (edge_agent.supervisor.JobDeadline).
    job_deadline_factor: float = 10.0
    job_deadline_min: float = 5.0
    # Clips and snapshots of visits (docs/listen_frame.md, "Recording"); off by default.
    recording: RecordingSettings = field(default_factory=RecordingSettings)

    @property
    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else (os.cpu_count() or 1)


@dataclass
class CameraWindow:
    """What happened to one camera during the current stats interval."""

    analysed: int = 0
    inference_ms: float = 0.0
    e2e_ms: float = 0.0
    inferences: int = 0  # model runs: one per region (detect/regions.py), or 1 for the whole frame

    def add(self, inference_ms: float, e2e_ms: float, inferences: int = 1) -> None:
        self.analysed += 1
        self.inference_ms += inference_ms
        self.e2e_ms += e2e_ms
        self.inferences += inferences


@dataclass
class InstanceState:
    """This instance's own figures: its counters over all cameras, its run, its last report."""

    counters: Counter[str] = field(default_factory=Counter)
    # Tells a restart of an instance from a counter going down (CounterTotals).
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    own_stats_seen: bool = False  # our own counters reported: older retained ones are history
    stats_at: float = field(default_factory=time.monotonic)  # when the last stats went out


class CameraState:
    """A camera this instance has heard of: its channel, what it announced, its counters."""

    def __init__(self, cam: str, channel: CameraChannel) -> None:
        self.cam = cam
        self.channel = channel
        self.name: str | None = None
        self.mode: str | None = None
        self.sw_version: str | None = None
        self.platform: str | None = None  # its announce's (cameras.HOME_ASSISTANT_PLATFORM)
        self.counters: Counter[str] = Counter()
        self.window = CameraWindow()
        self.active = False  # frames seen since the last stats message
        self.settle_at: float | None = None  # when its retained state has surely arrived
        self.owned: bool | None = None  # whether this instance owned it when last looked at

    @property
    def served(self) -> bool:
        """Whether this service does the camera's detection (smart cameras do their own)."""
        return self.mode != "smart"
