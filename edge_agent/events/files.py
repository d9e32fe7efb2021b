"""The files of a visit (docs/mqtt.md, "events"), under a camera's folder:

    <root>/<cam>/<id>.mp4.part    the clip while it is written (fragmented MP4)
    <root>/<cam>/<id>.mp4         the clip once closed (renamed: only a closed clip has this name)
    <root>/<cam>/<id>.jpg         the best snapshot, boxes and captions drawn
    <root>/<cam>/<id>-clean.jpg   the same frame, nothing drawn

Names are built only from a valid camera id and a valid event id. Snapshots are written to a
temporary name and renamed (`atomic_write`): a reader never sees half a JPEG. Retention here
deletes whole visits (all their files), oldest first, beyond an age, a total size and while the
file system has less free space than the floor; never a visit being written.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from edge_agent.camera.recording.retention import delete_oldest, visit_groups
from edge_agent.events.visit import EVENT_ID_RE, valid_event_id
from edge_agent.ids import valid_camera_id

PART = ".mp4.part"
SUFFIXES = (".mp4", PART, ".jpg", "-clean.jpg")


@dataclass(frozen=True)
class VisitFiles:
    clip: Path
    part: Path
    snapshot: Path
    clean: Path

    def all(self) -> tuple[Path, ...]:
        return (self.clip, self.part, self.snapshot, self.clean)


def camera_dir(root: Path | str, cam: str) -> Path:
    if not valid_camera_id(cam):
        raise ValueError(f"not a camera id: {cam!r}")
    return Path(root) / cam


def visit_files(root: Path | str, cam: str, event_id: str) -> VisitFiles:
    if not valid_event_id(event_id):
        raise ValueError(f"not an event id: {event_id!r}")
    d = camera_dir(root, cam)
    return VisitFiles(
        d / f"{event_id}.mp4", d / f"{event_id}{PART}", d / f"{event_id}.jpg", d / f"{event_id}-clean.jpg"
    )


def visit_state(root: Path | str, cam: str, event_id: str) -> Path:
    """`<root>/<cam>/.<id>.visit.json`: the visit's last message, kept while its clip is written
    so that the `end` published after a crash has its fields (hidden: not one of its files)."""
    files = visit_files(root, cam, event_id)
    return files.clip.with_name(f".{event_id}.visit.json")


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary name in the same folder, then rename over `path` (a reader sees the
    old file or the new one, never half of one). The temporary file goes on any error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def event_id_of(name: str) -> str | None:
    """The event id of one of a visit's file names, else None."""
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem if EVENT_ID_RE.fullmatch(stem) else None
    return None


def leftover_parts(root: Path | str, cam: str) -> list[Path]:
    """Clips a service left unfinished (killed mid-visit), oldest first."""
    d = camera_dir(root, cam)
    try:
        return sorted(p for p in d.iterdir() if p.name.endswith(PART) and event_id_of(p.name))
    except OSError:
        return []


def recorded_cameras(root: Path | str) -> list[str]:
    try:
        return sorted(p.name for p in Path(root).iterdir() if p.is_dir() and valid_camera_id(p.name))
    except OSError:
        return []


def remove_stale_temporaries(directory: Path, older_than: float = 60.0, now: float | None = None) -> int:
    """Temporary snapshot files a killed writer left (`.<name>.<hex>.tmp`)."""
    now = time.time() if now is None else now
    n = 0
    try:
        for p in directory.iterdir():
            if p.name.startswith(".") and p.name.endswith(".tmp"):
                try:
                    if now - p.stat().st_mtime > older_than:
                        p.unlink()
                        n += 1
                except OSError:
                    pass
    except OSError:
        pass
    return n


@dataclass
class VisitRetention:
    deleted: list[str] = field(default_factory=list)  # event ids
    freed: int = 0
    free: int | None = None
    short: bool = False  # the floor not reached by deleting this camera's visits


def enforce_visit_retention(
    directory: Path,
    max_age: float | None,
    max_bytes: int | None,
    min_free: int = 0,
    keep: set[str] | frozenset[str] = frozenset(),
    now: float | None = None,
) -> VisitRetention:
    """Delete whole visits of one camera's folder, oldest first (by the id's time), beyond
    `max_age` seconds (by the newest file's mtime), beyond `max_bytes` in total, and while the
    file system has less than `min_free` bytes free. Visits in `keep` are never deleted."""
    now = time.time() if now is None else now

    def kept(group: list[Path]) -> bool:
        return event_id_of(group[0].name) in keep

    done = delete_oldest(directory, visit_groups(directory), kept, max_age, max_bytes, min_free, now)
    ids = (event_id_of(p.name) for p in done.deleted)
    deleted = list(dict.fromkeys(vid for vid in ids if vid is not None))  # in order, once each
    return VisitRetention(deleted, done.freed, done.free, done.short)
