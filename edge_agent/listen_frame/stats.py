"""What listen_frame reports about itself and each camera it serves (docs/mqtt.md, stats)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge_agent.listen_frame.service import CameraState, ListenFrame


@dataclass
class CameraWindow:
    """What happened to one camera during the current stats interval."""

    analysed: int = 0
    inference_ms: float = 0.0
    e2e_ms: float = 0.0

    def add(self, inference_ms: float, e2e_ms: float) -> None:
        self.analysed += 1
        self.inference_ms += inference_ms
        self.e2e_ms += e2e_ms


def camera_stats(self: ListenFrame, cam: CameraState, interval: float) -> dict:
    """`<base>/<cam>/stats` (docs/mqtt.md, stats): one camera over the last interval."""
    w = cam.window
    c = cam.counters
    return {
        "camera": cam.cam,
        "service": self.service_id,
        "at": round(time.time(), 3),
        "interval": interval,
        "frames_in": c["frames_in"],
        "analysed": c["analysed"],
        "dropped": c["dropped"],
        "skipped": c["skipped"],
        "motion_skipped": c["motion_skipped"],
        "errors": {k[len("error_") :]: v for k, v in c.items() if k.startswith("error_")},
        "analysed_fps": round(w.analysed / interval, 2),
        "inference_ms": round(w.inference_ms / w.analysed, 2) if w.analysed else None,
        "e2e_ms": round(w.e2e_ms / w.analysed, 2) if w.analysed else None,
        "detection": cam.channel.detection.state,
        "rois_version": cam.channel.roi_set.version,
    }


def service_stats(self: ListenFrame) -> dict:
    """`<base>/listen_frame/<instance>/stats`: the instance's own counters, all cameras."""
    c = Counter(self.counters)
    with self.lock:
        for cam in self.registry.values():
            c.update({k: cam.channel.counters[k] for k in ("bad_rois", "bad_command")})
    return {
        "service": self.service_id,
        "at": round(time.time(), 3),
        "frames_in": c["frames_in"],
        "analysed": c["analysed"],
        "motion_skipped": c["motion_skipped"],
        "dropped": c["dropped"],
        "workers": len(self.dispatcher.workers),
        "worker_restarts": self.dispatcher.restarts,
        "cameras": len(self.registry.cameras),
        "errors": {
            k: c[k]
            for k in (
                "decode",
                "oversize",
                "bad_rois",
                "bad_command",
                "unknown_camera",
                "worker_died",
                "unannounced",
                "bad_announce",
                "camera_cap",
                "not_allowed",
            )
        },
        "turned_smart": c["turned_smart"],
        "forgotten": c["forgotten"],
    }
