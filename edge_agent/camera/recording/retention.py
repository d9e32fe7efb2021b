"""Recording files on disk: their names, the file system's free space, and retention.

Retention deletes the camera's oldest recordings (never one being written) beyond an age, beyond
a total size, and while the file system has less free space than the floor (a fraction of its
size or a number of bytes, whichever is smaller). A recording is a chunk (`<cam>_<UTC time>.mp4`,
or an event clip of an older version, `<cam>_<UTC time>_event.mp4`) or a whole visit in the
camera's folder (`<cam>/<id>.mp4`, `<id>.jpg`, `<id>-clean.jpg`: deleted together, and never
while its clip is `<id>.mp4.part`). `PacketRecorder` runs it (recorder.py).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edge_agent.events.visit import EVENT_ID_RE

log = logging.getLogger(__name__)


def utc_stamp(t: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def file_pattern(cam: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(cam)}_(\d{{8}}T\d{{6}}Z)(?:-\d+)?(_event)?\.mp4$")


# A visit's files (edge_agent.events.files; that module needs this one, hence the pattern here).
VISIT_FILE_RE = re.compile(rf"({EVENT_ID_RE.pattern})(\.mp4|\.mp4\.part|\.jpg|-clean\.jpg)")


def visit_groups(directory: Path | None) -> list[list[Path]]:
    """The visits in a camera's folder, each as its files, oldest first (the id starts with its
    UTC time)."""
    if directory is None:
        return []
    groups: dict[str, list[Path]] = {}
    try:
        entries = list(Path(directory).iterdir())
    except OSError:
        return []
    for p in entries:
        m = VISIT_FILE_RE.fullmatch(p.name)
        if m is not None:
            groups.setdefault(m.group(1), []).append(p)
    return [sorted(files) for _, files in sorted(groups.items())]


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
    visits: Path | None = None,
    keep_visits: set[str] | frozenset[str] = frozenset(),
) -> Retention:
    """Delete this camera's oldest recordings beyond `max_age` seconds, beyond `max_bytes` in
    total, and while the file system has less than `min_free` bytes free: chunks in `directory`
    and whole visits in `visits` (the camera's folder), in the order of their UTC times.

    Files in `keep` (the ones being written), visits in `keep_visits`, visits whose clip is still
    `.part` (being written, or left by a killed process for the next start to close) and other
    files are never deleted, but count in the total. `deleted` lists every file deleted (a
    visit's clip and snapshots).
    """
    now = time.time() if now is None else now
    pattern = file_pattern(cam)

    def stamp(group: list[Path]) -> tuple[str, str]:
        m = pattern.match(group[0].name) or VISIT_FILE_RE.fullmatch(group[0].name)
        assert m is not None  # only matching names are listed
        return m.group(1)[:16], group[0].name

    def protected(group: list[Path]) -> bool:
        m = VISIT_FILE_RE.fullmatch(group[0].name)
        if m is None:
            return group[0] in keep
        return m.group(1) in keep_visits or any(p in keep or p.name.endswith(".part") for p in group)

    groups = [[p] for p in recorded_files(directory, cam)] + visit_groups(visits)
    groups.sort(key=stamp)
    return delete_oldest(directory, groups, protected, max_age, max_bytes, min_free, now)


def delete_oldest(
    directory: Path,
    groups: list[list[Path]],
    protected: Callable[[list[Path]], bool],
    max_age: float | None,
    max_bytes: int | None,
    min_free: int,
    now: float,
) -> Retention:
    """Delete whole groups of files (a chunk, a visit's files), in the order given (oldest first),
    while the group is older than `max_age` seconds (by its newest file's mtime), the groups
    total more than `max_bytes`, or the file system holding `directory` has less than `min_free`
    bytes free. Protected groups are never deleted, but count in the total; a file that cannot
    be deleted is logged and neither listed nor counted as freed."""
    sizes: dict[Path, tuple[int, float]] = {}
    for group in groups:
        for p in group:
            try:
                st = p.stat()
                sizes[p] = (st.st_size, st.st_mtime)
            except OSError:
                continue
    result = Retention([])
    space = disk_space(directory) if min_free else None
    free = space[1] if space else None
    total = sum(size for size, _ in sizes.values())
    for group in groups:
        present = [p for p in group if p in sizes]
        if not present or protected(group):
            continue
        size = sum(sizes[p][0] for p in present)
        mtime = max(sizes[p][1] for p in present)
        too_old = max_age is not None and now - mtime > max_age
        too_big = max_bytes is not None and total > max_bytes
        too_full = free is not None and free < min_free
        if not (too_old or too_big or too_full):
            continue
        for p in present:
            try:
                p.unlink()
            except FileNotFoundError:
                pass
            except OSError as err:
                log.warning("retention: cannot delete %s: %s", p, err)
                size -= sizes[p][0]
                continue
            result.deleted.append(p)
        total -= size
        result.freed += size
        if free is not None:  # measured again: blocks, not sizes, are what comes back
            space = disk_space(directory)
            free = space[1] if space else None
    if min_free:
        space = disk_space(directory)
        result.free = space[1] if space else None
        result.short = result.free is not None and result.free < min_free
    return result
