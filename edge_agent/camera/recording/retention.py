"""Recording files on disk: their names, the file system's free space, and retention.

Retention deletes the camera's oldest files (never one being written) beyond an age, beyond a
total size, and while the file system has less free space than the floor (a fraction of its size
or a number of bytes, whichever is smaller). `PacketRecorder` runs it (recorder.py).
"""

from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


def utc_stamp(t: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def file_pattern(cam: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(cam)}_(\d{{8}}T\d{{6}}Z)(?:-\d+)?(_event)?\.mp4$")


def recorded_files(directory: Path, cam: str) -> list[Path]:
    """This camera's chunks and clips, oldest first (by the UTC time in the name)."""
    pattern = file_pattern(cam)
    try:
        found = [p for p in Path(directory).iterdir() if pattern.match(p.name)]
    except OSError:
        return []

    def stamp(p: Path) -> tuple[str, str]:
        m = pattern.match(p.name)
        assert m is not None  # only matching names were kept
        return m.group(1), p.name

    return sorted(found, key=stamp)


def disk_space(directory: Path) -> tuple[int, int] | None:
    """(size, free for us) of the file system holding `directory` in bytes; None if unknown."""
    try:
        st = os.statvfs(directory)
    except OSError:
        return None
    return st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize


def free_floor(size: int, fraction: float, floor_bytes: int) -> int:
    """The free space to keep: `fraction` of the file system or `floor_bytes`, the smaller."""
    if fraction <= 0 or floor_bytes <= 0:
        return 0
    return min(int(size * fraction), floor_bytes)


@dataclass
class Retention:
    deleted: list[Path]
    freed: int = 0  # bytes of the deleted files
    free: int | None = None  # free bytes afterwards (None: unknown)
    short: bool = False  # the floor could not be reached by deleting this camera's files


def enforce_retention(
    directory: Path,
    cam: str,
    max_age: float | None,
    max_bytes: int | None,
    keep: set[Path],
    now: float | None = None,
    min_free: int = 0,
) -> Retention:
    """Delete this camera's oldest files beyond `max_age` seconds, beyond `max_bytes` in total, and
    while the file system has less than `min_free` bytes free.

    Files in `keep` (the ones being written) and other files are never deleted.
    """
    now = time.time() if now is None else now
    files = recorded_files(directory, cam)
    sizes = {}
    for p in files:
        try:
            st = p.stat()
            sizes[p] = (st.st_size, st.st_mtime)
        except OSError:
            continue
    result = Retention([])
    space = disk_space(directory) if min_free else None
    free = space[1] if space else None
    total = sum(size for size, _ in sizes.values())
    for p in files:
        if p not in sizes or p in keep:
            continue
        size, mtime = sizes[p]
        too_old = max_age is not None and now - mtime > max_age
        too_big = max_bytes is not None and total > max_bytes
        too_full = free is not None and free < min_free
        if not (too_old or too_big or too_full):
            continue
        try:
            p.unlink()
        except FileNotFoundError:
            pass
        except OSError as err:
            log.warning("retention: cannot delete %s: %s", p, err)
            continue
        total -= size
        result.deleted.append(p)
        result.freed += size
        if free is not None:  # measured again: blocks, not sizes, are what comes back
            space = disk_space(directory)
            free = space[1] if space else None
    if min_free:
        space = disk_space(directory)
        result.free = space[1] if space else None
        result.short = result.free is not None and result.free < min_free
    return result
