"""What listen_frame reports about itself and each camera it serves (docs/mqtt.md, stats).

With several instances (docs/listen_frame.md, "Several instances") a camera's counters are the
sum over the instances that analyse its frames, and only the camera's owner publishes them. Home
Assistant keeps long-term statistics of `dropped` (`total_increasing`): a figure that goes down
reads as a meter reset. So each instance reports its own cumulative per-camera counters in its
service stats (retained), every instance adds up the increments per (instance, camera), and a
new owner starts from the figure the previous owner published (`CounterTotals`).
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from edge_agent.listen_frame.state import CameraWindow
from edge_agent.mqtt.broker import redact_url
from edge_agent.untrusted import read_object


def camera_stats(
    cam: str,
    service_id: str,
    interval: float,
    totals: Counter[str],
    window: CameraWindow,
    detection: str,
    rois_version: int,
    live: Iterable[str],
) -> dict[str, Any]:
    """`<base>/<cam>/stats` (docs/mqtt.md, stats): one camera over the last interval.

    `totals`: the camera's counters summed over the instances (`CounterTotals.report`); `window`:
    what this instance saw of it during the interval; `live`: the live instances.
    """
    w = window
    c = totals
    return {
        "camera": cam,
        "service": service_id,
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
        "inferences_per_frame": round(w.inferences / w.analysed, 2) if w.analysed else None,
        "e2e_ms": round(w.e2e_ms / w.analysed, 2) if w.analysed else None,
        "detection": detection,
        "rois_version": rois_version,
        "services": sorted(f"listen_frame/{i}" for i in live),
    }


def service_stats(
    service_id: str,
    counters: Counter[str],
    *,
    workers: int,
    worker_restarts: int,
    cameras: int,
    live: Iterable[str],
    owned: int,
    run_id: str,
    per_camera: dict[str, dict[str, dict[str, int]]],
    hosted: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`<base>/listen_frame/<instance>/stats`: the instance's own counters, all cameras.

    `counters`: the instance's, with its channels' `bad_rois` and `bad_command` added; `owned`:
    the served cameras it owns; `per_camera`: camera -> {"counters": its own cumulative counters
    (`own_counters`), "totals": the totals over all instances as it knows them}; `hosted`: the
    cameras this process runs (`hosted_stats`), {} without any.
    """
    c = counters
    return {
        "service": service_id,
        "at": round(time.time(), 3),
        "frames_in": c["frames_in"],
        "analysed": c["analysed"],
        "inferences": c["inferences"],
        "motion_skipped": c["motion_skipped"],
        "dropped": c["dropped"],
        "workers": workers,
        "worker_restarts": worker_restarts,
        "cameras": cameras,
        "errors": {
            k: c[k]
            for k in (
                "decode",
                "too_large",
                "oversize",
                "bad_rois",
                "bad_command",
                "unknown_camera",
                "worker_died",
                "worker_hung",
                "unannounced",
                "bad_announce",
                "camera_cap",
                "not_allowed",
                "bad_detections",
                "bad_ack",
                "bad_stats",
                "bad_forget",
            )
        },
        "turned_smart": c["turned_smart"],
        "forgotten": c["forgotten"],
        "removed": c["removed"],  # forgotten at once: removed in Home Assistant (a `forget`)
        # Several instances: who is live, what this one owns, what it folded from the others.
        "instances": sorted(live),
        "owned": owned,
        "takeovers": c["takeovers"],
        "peer_detections": c["peer_detections"],
        "peer_ignored": c["peer_unknown"] + c["peer_other_version"],
        "own_echoes": c["own_echoes"],  # our own detections back from the broker: 0 with MQTT v5
        # Visits and their clips (docs/listen_frame.md, "Recording"): all cameras this one owns.
        "recording": {k: c[k] for k in RECORDING_COUNTERS},
        "run": run_id,
        # Per camera: this instance's own cumulative counters, and the totals over all instances
        # as it knows them (docs/listen_frame.md, "Several instances": stats).
        "per_camera": per_camera,
        # The IP cameras this process runs (camera/hosted.py): their state, never their source.
        "hosted": hosted or {},
    }


# ---- the cameras this process hosts ----------------------------------------------------------

HOSTED_STATES = ("starting", "running", "restarting", "failed")
MAX_HOSTED_ERROR = 160  # characters of a hosted camera's last error
MAX_HOSTED_CAMERAS = 16  # camera/hosted.py MAX_HOSTED
# `source rtsp://user:***@cam/x: why`: the source's name, which hosted errors start with (its
# colon gone when the URL ends in a secret query value: redact_url hides the value to a space).
_SOURCE_PREFIX = re.compile(r"^source \S+:? ")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")


def hosted_error(text: object, secrets: Iterable[str] = ()) -> str | None:
    """A hosted camera's error, short and without a URL or a password (for MQTT and HA).

    The source's login is hidden by the one redaction (`redact_url`) and any of `secrets`; the
    URL itself (host, path, user) is left out: the error names what failed, the add-on's
    `cameras` option says which camera it is.
    """
    if not text:
        return None
    clean = redact_url(str(text))
    for secret in sorted(secrets, key=len, reverse=True):
        clean = clean.replace(secret, "***")
    clean = _URL.sub("<url>", _SOURCE_PREFIX.sub("", clean))
    clean = " ".join(clean.split())
    return clean if len(clean) <= MAX_HOSTED_ERROR else clean[: MAX_HOSTED_ERROR - 1] + "…"


def hosted_stats(status: dict[str, dict[str, Any]], secrets: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """`hosted` of the service stats from `CameraHost.status()`: per camera id its `state`
    (starting, running, restarting, failed), `restarts` and `last_error` (`hosted_error`)."""
    secrets = list(secrets)
    out: dict[str, dict[str, Any]] = {}
    for cam, st in sorted(status.items())[:MAX_HOSTED_CAMERAS]:
        state = st.get("state")
        out[cam] = {
            "state": state if state in HOSTED_STATES else "starting",
            "restarts": int(st.get("restarts") or 0),
            "last_error": hosted_error(st.get("last_error") or st.get("error"), secrets),
        }
    return out


# What the visits and clips of the cameras this instance owns did (listen_frame/events.py,
# recording.py): visits started; events sent; clips closed, cut at max_clip_seconds, failed;
# write errors; clips refused below the free-space floor; frames dropped by a full encoder queue;
# clips a killed run left, closed at start; snapshots written and not.
RECORDING_COUNTERS = (
    "visits",
    "event_start",
    "event_update",
    "event_end",
    "clips",
    "clips_cut",
    "clip_errors",
    "write_errors",
    "low_space",
    "record_dropped",
    "record_bad_frames",
    "clips_recovered",
    "snapshots_written",
    "snapshot_errors",
    "deleted",
)


# ---- counters summed over instances --------------------------------------------------------

COUNTERS = ("frames_in", "analysed", "dropped", "skipped", "motion_skipped")
ERROR_KEY_RE = re.compile(r"error_[a-z_]{1,32}")
MAX_ERROR_KINDS = 16
MAX_COUNTER = 2**53
MAX_SERVICE_STATS_BYTES = 256 * 1024
MAX_CAMERA_STATS_BYTES = 16 * 1024


def own_counters(counters: Counter[str]) -> dict[str, int]:
    """The cumulative per-camera counters an instance reports (errors as `error_<kind>`)."""
    out = {k: int(counters[k]) for k in COUNTERS}
    errors = sorted(k for k in counters if k.startswith("error_") and ERROR_KEY_RE.fullmatch(k))
    out.update({k: int(counters[k]) for k in errors[:MAX_ERROR_KINDS]})
    return out


def _counters(raw: object) -> dict[str, int] | None:
    if not isinstance(raw, dict) or len(raw) > len(COUNTERS) + MAX_ERROR_KINDS:
        return None
    out = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not (key in COUNTERS or ERROR_KEY_RE.fullmatch(key)):
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNTER:
            return None
        out[key] = value
    return out


@dataclass(frozen=True)
class PeerStats:
    """The per-camera part of another instance's service stats, checked."""

    run: str | None
    counters: dict[str, dict[str, int]]  # camera -> its own cumulative counters
    totals: dict[str, dict[str, int]]  # camera -> the totals it knows


def parse_service_stats(payload: bytes | bytearray, wanted: Callable[[str], bool]) -> PeerStats:
    """`<base>/listen_frame/<instance>/stats`, only the cameras `wanted(cam)` says we serve.

    Untrusted: bounded before parsing; a camera entry that is not well formed is skipped.
    """
    data = read_object(payload, max_bytes=MAX_SERVICE_STATS_BYTES)
    run = data.get("run")
    run = run[:64] if isinstance(run, str) else None
    per_camera = data.get("per_camera") or {}
    if not isinstance(per_camera, dict):
        raise ValueError("per_camera is not an object")
    counters, totals = {}, {}
    for cam, entry in per_camera.items():
        if not isinstance(entry, dict) or not wanted(cam):
            continue
        if (own := _counters(entry.get("counters"))) is not None:
            counters[cam] = own
        if (known := _counters(entry.get("totals"))) is not None:
            totals[cam] = known
    return PeerStats(run, counters, totals)


def parse_camera_stats(payload: bytes | bytearray) -> tuple[str | None, dict[str, int]]:
    """`<base>/<cam>/stats` of whichever service published it: (service, its counters).

    Untrusted (anyone can publish there): read by `read_object`; a ValueError says what is wrong.
    """
    data = read_object(payload, max_bytes=MAX_CAMERA_STATS_BYTES)
    errors = data.get("errors")
    flat = {k: data[k] for k in COUNTERS if k in data}
    if isinstance(errors, dict) and len(errors) <= MAX_ERROR_KINDS:
        flat.update({f"error_{k}": v for k, v in errors.items() if isinstance(k, str)})
    figures = _counters(flat)
    if figures is None:
        raise ValueError("counters are not non-negative integers")
    service = data.get("service")
    return (service if isinstance(service, str) else None), figures


class CounterTotals:
    """Per camera, each counter summed over the instances; it never goes down.

    `observe(instance, run, cam, values)` takes an instance's cumulative counters: the increment
    since its last report is added; a new run (or a smaller value) is a restart, so its value
    counts whole. `seen(cam, figures)` records a total another instance published or knows;
    when this instance takes a camera over (`take_over`), its figures start from at least those,
    so Home Assistant never sees a total go down when the owner changes.
    """

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], tuple[str | None, dict[str, int]]] = {}
        self._sums: dict[str, Counter[str]] = {}
        self._offset: dict[str, Counter[str]] = {}
        self._seen: dict[str, Counter[str]] = {}
        self._pending: set[str] = set()  # cameras just taken over: floor at the next report
        self._lock = threading.Lock()

    def observe(self, instance: str, run: str | None, cam: str, values: dict[str, int]) -> None:
        with self._lock:
            last_run, last = self._last.get((instance, cam), (None, {}))
            restarted = run != last_run
            sums = self._sums.setdefault(cam, Counter())
            for key, value in values.items():
                before = 0 if restarted else last.get(key, 0)
                sums[key] += value - before if value >= before else value
            self._last[(instance, cam)] = (run, dict(values))

    def seen(self, cam: str, figures: dict[str, int]) -> None:
        with self._lock:
            seen = self._seen.setdefault(cam, Counter())
            for key, value in figures.items():
                seen[key] = max(seen[key], value)

    def known(self, cam: str, limit: int) -> bool:
        """Whether `cam` has figures here, or there is room for it (at most `limit` cameras)."""
        with self._lock:
            return (
                cam in self._sums or cam in self._seen or len(self._sums.keys() | self._seen.keys()) < limit
            )

    def take_over(self, cam: str) -> None:
        with self._lock:
            self._pending.add(cam)

    def report(self, cam: str, floor: bool = True) -> Counter[str]:
        """The camera's totals; `floor`: first report since taking it over starts from `seen`."""
        with self._lock:
            sums = self._sums.get(cam, Counter())
            offset = self._offset.setdefault(cam, Counter())
            if floor and cam in self._pending:
                self._pending.discard(cam)
                for key, value in self._seen.get(cam, Counter()).items():
                    offset[key] = max(offset[key], value - sums[key])
            return Counter({k: sums[k] + offset[k] for k in {*COUNTERS, *sums, *offset}})

    def forget(self, cam: str) -> None:
        with self._lock:
            for key in [k for k in self._last if k[1] == cam]:
                del self._last[key]
            for table in (self._sums, self._offset, self._seen):
                table.pop(cam, None)
            self._pending.discard(cam)
