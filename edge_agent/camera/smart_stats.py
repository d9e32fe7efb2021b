"""What a smart camera reports: its stats message and the live view's status page.

Pure builders: the camera (smart.py) takes the figures under its lock and passes them in.
"""

from __future__ import annotations

import time
from typing import Any

from edge_agent.mqtt.topics import OFF, ON


def cpu_temperature() -> float | None:
    """°C from the first thermal zone (a Pi has one), None where the board has none."""
    try:
        return round(int(open("/sys/class/thermal/thermal_zone0/temp").read().strip()) / 1000.0, 1)
    except (OSError, ValueError):
        return None


def smart_stats(
    *,
    cam: str,
    service_id: str,
    interval: float,
    child_stats: dict[str, Any],
    window: dict[str, float],  # analysed frames and their summed end-to-end ms
    errors: dict[str, int],
    detection: str,
    stream: str,
    rois_version: int,
    rois_apply_ms: float | None,
    child_restarts: int,
    viewers: int,
    cpu_temp: float | None,
    rss: float | None,
    child_rss: float | None,
    clips: int,
) -> dict[str, Any]:
    """`<base>/<cam>/stats` of a smart camera (docs/mqtt.md, stats), from the figures the camera
    took under its lock: its child's latest stats and its own window over the interval."""
    cs = child_stats
    w = window
    recording = cs.get("recording")
    rec_state = (
        "off"
        if recording is None
        else recording["state"]
        if recording["state"] == "ok"
        else f"error: {recording['error']}"
    )
    return {
        "camera": cam,
        "service": service_id,
        "at": round(time.time(), 3),
        "interval": interval,
        "frames_in": cs.get("captured", 0),
        "analysed": cs.get("analysed", 0),
        "dropped": cs.get("dropped", 0),
        "errors": errors,
        "capture_fps": cs.get("capture_fps"),
        "analysed_fps": cs.get("analysed_fps"),
        "inference_ms": cs.get("inference_ms"),
        "inferences_per_frame": cs.get("inferences_per_frame"),
        "e2e_ms": round(w["e2e_ms"] / w["analysed"], 2) if w["analysed"] else None,
        "motion_skipped": cs.get("motion_skipped", 0),
        "motion_checked": cs.get("motion_checked", 0),
        "detection": detection,
        "stream": stream,
        "rois_version": rois_version,
        "rois_apply_ms": rois_apply_ms,
        "child_restarts": child_restarts,
        "viewers": viewers,
        "cpu_temp": cpu_temp,
        "rss_mb": rss,
        "child_rss_mb": child_rss,
        "recording_state": rec_state,
        "recording": recording,
        "clips": clips,
        "source": cs.get("source"),
    }


def smart_status(
    *,
    cam: str,
    name: str | None,
    states: dict[str | None, bool],
    detection: str,
    stream: str,
    rois: dict[str, Any],
    child_stats: dict[str, Any],
    child_restarts: int,
) -> dict[str, Any]:
    """What the live view's status page shows: `states` are the tracker's (None: the whole frame)."""
    return {
        "camera": cam,
        "name": name,
        "person": ON if states.get(None) else OFF,
        "regions": {k: (ON if v else OFF) for k, v in states.items() if k is not None},
        "detection": detection,
        "stream": stream,
        "rois": rois,
        "stats": {k: v for k, v in child_stats.items() if not isinstance(v, dict)}
        | {"child_restarts": child_restarts},
    }
