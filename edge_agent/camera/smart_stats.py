"""What a smart camera reports: its stats message and the live view's status page."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from edge_agent.mqtt.topics import OFF, ON
from edge_agent.procinfo import rss_mb

if TYPE_CHECKING:
    from edge_agent.camera.smart import SmartCamera


def cpu_temperature() -> float | None:
    """°C from the first thermal zone (a Pi has one), None where the board has none."""
    try:
        return round(int(open("/sys/class/thermal/thermal_zone0/temp").read().strip()) / 1000.0, 1)
    except (OSError, ValueError):
        return None


def smart_stats(self: SmartCamera, interval: float) -> dict:
    """`<base>/<cam>/stats` of a smart camera (docs/mqtt.md, stats)."""
    with self.lock:
        cs = dict(self.child_stats)
        w, self.window = self.window, {"analysed": 0, "e2e_ms": 0.0}
        recording = cs.get("recording")
    rec_state = (
        "off"
        if recording is None
        else recording["state"]
        if recording["state"] == "ok"
        else f"error: {recording['error']}"
    )
    return {
        "camera": self.cam,
        "service": self.service_id,
        "at": round(time.time(), 3),
        "interval": interval,
        "frames_in": cs.get("captured", 0),
        "analysed": cs.get("analysed", 0),
        "dropped": cs.get("dropped", 0),
        "errors": {
            "bad_rois": self.channel.counters["bad_rois"],
            "bad_command": self.channel.counters["bad_command"],
        },
        "capture_fps": cs.get("capture_fps"),
        "analysed_fps": cs.get("analysed_fps"),
        "inference_ms": cs.get("inference_ms"),
        "e2e_ms": round(w["e2e_ms"] / w["analysed"], 2) if w["analysed"] else None,
        "motion_skipped": cs.get("motion_skipped", 0),
        "motion_checked": cs.get("motion_checked", 0),
        "detection": self.detection.state,
        "stream": self.stream.state,
        "rois_version": self.roi_set.version,
        "rois_apply_ms": self.last_apply_ms,
        "child_restarts": self.child_restarts,
        "viewers": self.http.viewers if self.http else 0,
        "cpu_temp": cpu_temperature(),
        "rss_mb": rss_mb(),
        "child_rss_mb": rss_mb(self.child.pid) if self.child and self.child.alive else None,
        "recording_state": rec_state,
        "recording": recording,
        "clips": self.counters["clips"],
        "source": cs.get("source"),
    }


def smart_status(self: SmartCamera) -> dict:
    """What the live view's status page shows."""
    with self.lock:
        states = self.channel.tracker.states()
        roi_set = self.roi_set
        cs = dict(self.child_stats)
    return {
        "camera": self.cam,
        "name": self.name,
        "person": ON if states.get(None) else OFF,
        "regions": {k: (ON if v else OFF) for k, v in states.items() if k is not None},
        "detection": self.detection.state,
        "stream": self.stream.state,
        "rois": roi_set.to_json(),
        "stats": {k: v for k, v in cs.items() if not isinstance(v, dict)}
        | {"child_restarts": self.child_restarts},
    }
