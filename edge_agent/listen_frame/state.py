"""listen_frame's settings and what it keeps per camera (split from service.py)."""

from __future__ import annotations

import os
import socket
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from edge_agent.ids import MAX_ROIS
from edge_agent.listen_frame.stats import CameraWindow

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

    @property
    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else (os.cpu_count() or 1)


class CameraState:
    """A camera this instance has heard of: its channel, what it announced, its counters."""

    def __init__(self, cam: str, channel: CameraChannel) -> None:
        self.cam = cam
        self.channel = channel
        self.name: str | None = None
        self.mode: str | None = None
        self.sw_version: str | None = None
        self.counters: Counter[str] = Counter()
        self.window = CameraWindow()
        self.active = False  # frames seen since the last stats message
        self.settle_at: float | None = None  # when its retained state has surely arrived
        self.owned: bool | None = None  # whether this instance owned it when last looked at

    @property
    def served(self) -> bool:
        """Whether this service does the camera's detection (smart cameras do their own)."""
        return self.mode != "smart"
