"""listen_frame's `recording:` settings (docs/listen_frame.md, "Recording"): where a dumb
camera's visits are written and how long they are kept. Validated here, for the config file,
the command line and the add-on's options alike."""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class RecordingSettings:
    """listen_frame's `recording:` section (defaults as the smart camera's recorder)."""

    enabled: bool = False
    directory: str = "recordings"  # the add-on: /media/bobby_camera; files go in <directory>/<cam>/
    pre_roll: float = 3.0  # seconds of frames before the visit's start
    post_roll: float = 5.0  # seconds after its end
    max_clip_seconds: float = 300.0
    max_age_days: float = 7.0  # 0: kept by age forever
    max_mb: float = 2048.0  # per camera; 0: no size cap
    min_free_mb: float = 1024.0  # the free-space floor: the smaller of this and min_free_percent
    min_free_percent: float = 10.0  # (either 0: no floor)
    crf: int = 26
    queue_frames: int = 64  # frames waiting for the encoder, at most (then dropped, counted)
    ring_mb: float = 8.0  # the pre-roll ring's bytes, at most

    @property
    def max_age(self) -> float | None:
        return self.max_age_days * 86400.0 if self.max_age_days > 0 else None

    @property
    def max_bytes(self) -> int | None:
        return int(self.max_mb * MiB) if self.max_mb > 0 else None


def validate_recording(raw: object) -> RecordingSettings:
    """The `recording:` section of a config file (a mapping) to settings; ValueError says why not."""
    if raw is None:
        return RecordingSettings()
    if isinstance(raw, RecordingSettings):
        return raw
    if not isinstance(raw, dict):
        raise ValueError("recording: must be a mapping (enabled, directory, pre_roll, ...)")
    fields = RecordingSettings.__dataclass_fields__
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ValueError(f"recording: unknown key(s) {', '.join(map(str, unknown))}")
    values: dict[str, object] = {}
    limits = {
        "pre_roll": (0.0, 30.0),
        "post_roll": (0.0, 60.0),
        "max_clip_seconds": (5.0, 3600.0),
        "max_age_days": (0.0, 3650.0),
        "max_mb": (0.0, 10_000_000.0),
        "min_free_mb": (0.0, 10_000_000.0),
        "min_free_percent": (0.0, 90.0),
        "crf": (0, 51),
        "queue_frames": (1, 10_000),
        "ring_mb": (0.1, 1024.0),
    }
    for key, value in raw.items():
        if key == "enabled":
            if not isinstance(value, bool):
                raise ValueError("recording.enabled: true or false")
        elif key == "directory":
            if not isinstance(value, str) or not value.strip() or "\x00" in value:
                raise ValueError("recording.directory: a folder path")
            value = value.strip()
        else:
            lo, hi = limits[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"recording.{key}: a number from {lo} to {hi}")
            if not lo <= value <= hi:
                raise ValueError(f"recording.{key}: {value} is not from {lo} to {hi}")
            value = int(value) if isinstance(fields[key].default, int) else float(value)
        values[key] = value
    settings = RecordingSettings(**values)  # type: ignore[arg-type]
    if settings.pre_roll + settings.post_roll >= settings.max_clip_seconds:
        raise ValueError("recording: pre_roll + post_roll must be shorter than max_clip_seconds")
    return settings
