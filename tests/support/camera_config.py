"""A smart camera's validated configuration for in-process tests (no broker, no process)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edge_agent.camera import config as camcfg


def smart_config(tmp_path: Path, model_path: Path, **extra: Any) -> camcfg.CameraConfig:
    """The smart camera `yard` on the (faked) Pi camera, its state in `tmp_path`/state; `extra`
    options added, validated as a config file's are."""
    raw = {
        "mode": "smart",
        "source": "picamera2",
        "camera_id": "yard",
        "model": str(model_path),
        "state_dir": str(tmp_path / "state"),
        **extra,
    }
    return camcfg.CameraConfig.from_validated(camcfg.CAMERA_SCHEMA(raw), env={})
