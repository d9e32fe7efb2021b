"""The smart camera's last good ROI set, kept on disk across restarts.

A malformed retained set after a restart is refused and must not leave the camera with no
regions: the camera starts with the set it last applied.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from edge_agent.detect.rois import RoiError, RoiSet, parse_roi_set
from edge_agent.ratelimit import RateLimitedLog

log = logging.getLogger(__name__)


class RoiStore:
    def __init__(self, path: Path, bad: RateLimitedLog | None = None) -> None:
        self.path = path
        self.bad = bad or RateLimitedLog(log, interval=10.0)

    def load(self) -> RoiSet | None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            log.warning("cannot read the last good ROI set %s: %s", self.path, err)
            return None
        try:
            roi_set = parse_roi_set(data)
        except RoiError as err:  # written by us, so only a damaged file: start without it
            log.warning("ignoring the stored ROI set %s: %s", self.path, err)
            return None
        log.info(
            "starting with ROI set version %d (%d region(s)) from %s",
            roi_set.version,
            len(roi_set.rois),
            self.path,
        )
        return roi_set

    def clear(self) -> None:
        """The camera was removed in Home Assistant: a new entry starts again from version 1, which
        a stored newer set would refuse."""
        try:
            self.path.unlink(missing_ok=True)
        except OSError as err:
            log.warning("cannot remove the stored ROI set %s: %s", self.path, err)

    def save(self, roi_set: RoiSet) -> None:
        """Atomically and durably (a power cut leaves the old file or the new one); failures are logged."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "w") as f:
                f.write(json.dumps(roi_set.to_json()))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)  # the rename itself survives a power cut
            finally:
                os.close(dir_fd)
        except OSError as err:
            self.bad.warning(
                "rois_file",
                "cannot keep the ROI set in %s: %s (it will not survive a restart "
                "with a malformed retained set)",
                self.path,
                err,
            )
