"""Several listen_frame instances as one detector (docs/listen_frame.md, "Several instances").

The broker is the only coordinator. Every instance publishes `<base>/listen_frame/<instance>/
availability` (retained, Last Will `offline`) and reads everybody's, so each one knows the same set
of live instances. The **owner** of a camera, the one instance that publishes its person states,
arrival events, snapshots, discovery, stats and the aggregated ROI acknowledgement, is chosen
from that set by rendezvous (highest random weight) hashing: every instance computes the same
answer without talking to the others, and when an instance joins or leaves only the cameras it
wins or held change hands.

Every instance analyses the frames the broker hands it (shared subscription) and publishes their
`detections`; every instance folds the other instances' detections of the cameras it serves into
its own debouncer, so all of them hold the same person state, built from all of the camera's
analysed frames, and a new owner carries on without a second ON or a premature OFF.

Here: the live set and the owner (`Instances`), the other instances' `detections` read
defensively (`parse_peer_detections`), and the ROI acknowledgements of the instances folded into
the one `rois/applied` Home Assistant reads (`RoiAcks`).
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from edge_agent.detect.detection import DetectedObject
from edge_agent.ids import valid_instance, valid_roi_id
from edge_agent.mqtt.topics import OFFLINE, ONLINE
from edge_agent.untrusted import read_object

KIND = "listen_frame"
MAX_INSTANCES = 64  # live instances we keep track of; more are refused (and counted)
MAX_DETECTIONS_BYTES = 64 * 1024  # a detections message of ours is well under 10 kB
MAX_OBJECTS = 100  # the model reports at most 100 boxes per frame
MAX_ACK_BYTES = 4096
MAX_ERROR_CHARS = 300


def weight(cam: str, instance: str) -> int:
    """Rendezvous weight of (camera, instance): the same on every machine, every run."""
    digest = hashlib.blake2b(f"{cam}\x00{instance}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def rendezvous_owner(cam: str, instances: Iterable[str]) -> str | None:
    """The instance with the highest weight for `cam` (ties, which need a hash collision, by name)."""
    return max(instances, key=lambda i: (weight(cam, i), i), default=None)


class Instances:
    """The live listen_frame instances on one base topic, as their retained availability says.

    This instance counts as live from the start: it owns everything until it hears of others.
    `on_change(joined, left)` is called (outside the lock) whenever the set changes.
    """

    def __init__(
        self,
        own: str,
        on_change: Callable[[set[str], set[str]], None] | None = None,
        max_instances: int = MAX_INSTANCES,
    ) -> None:
        self.own = own
        self.on_change = on_change
        self.max_instances = max_instances
        self._live: set[str] = {own}
        self._owners: dict[str, str] = {}  # camera -> owner, for the current live set
        self._lock = threading.Lock()
        self.refused = 0  # availability messages of instances past max_instances

    @property
    def live(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._live)

    def is_live(self, instance: str) -> bool:
        with self._lock:
            return instance in self._live

    def availability(self, instance: str, payload: bytes | bytearray) -> bool:
        """`<base>/listen_frame/<instance>/availability` arrived; True when the live set changed."""
        if instance == self.own or not valid_instance(instance):
            return False  # our own (perhaps the will of an earlier run): we know we are here
        state = payload.strip().decode("ascii", "replace").lower()
        with self._lock:
            if state == ONLINE and instance not in self._live:
                if len(self._live) >= self.max_instances:
                    self.refused += 1
                    return False
                self._live.add(instance)
                joined, left = {instance}, set()
            elif state in (OFFLINE, "") and instance in self._live:
                self._live.discard(instance)
                joined, left = set(), {instance}
            else:
                return False
            self._owners.clear()
        if self.on_change:
            self.on_change(joined, left)
        return True

    def owner(self, cam: str) -> str:
        with self._lock:
            owner = self._owners.get(cam)
            if owner is None:
                if len(self._owners) > 4096:  # camera ids of cameras long forgotten
                    self._owners.clear()
                owner = self._owners[cam] = rendezvous_owner(cam, self._live) or self.own
            return owner

    def owns(self, cam: str) -> bool:
        return self.owner(cam) == self.own


def _number(value: object, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) and low <= number <= high else None


@dataclass(frozen=True)
class PeerDetections:
    """Another instance's analysed frame, checked."""

    instance: str
    rois_version: int
    objects: list[DetectedObject]
    inference_ms: float | None
    e2e_ms: float | None  # received -> analysed on that instance (one clock, so comparable)


def peer_service(payload: bytes | bytearray) -> str | None:
    """The `service` a detections payload names, cheaply, for compact JSON as we publish it."""
    head = payload[:256]
    start = head.find(b'"service":"')
    if start < 0:
        return None
    start += len('"service":"')
    end = head.find(b'"', start)
    return head[start:end].decode("ascii", "replace") if end > 0 else None


def parse_peer_detections(cam: str, payload: bytes | bytearray) -> PeerDetections:
    """A `detections` message from another listen_frame instance; ValueError says what is wrong.

    Untrusted input: bounded before parsing, every field checked, nothing but what the debouncer
    and the stats need is kept.
    """
    data = read_object(payload, max_bytes=MAX_DETECTIONS_BYTES)
    if data.get("camera") != cam:
        raise ValueError("its camera is not the topic's")
    service = data.get("service")
    if not isinstance(service, str) or not service.startswith(KIND + "/"):
        raise ValueError("not from a listen_frame instance")
    instance = service[len(KIND) + 1 :]
    if not valid_instance(instance):
        raise ValueError("invalid instance name")
    version = data.get("rois_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ValueError("rois_version must be a non-negative integer")
    raw = data.get("objects")
    if not isinstance(raw, list) or len(raw) > MAX_OBJECTS:
        raise ValueError(f"objects must be a list of at most {MAX_OBJECTS}")
    objects = []
    for item in raw:
        if not isinstance(item, dict):
            raise ValueError("an object is not a JSON object")
        label, score, box, rois = item.get("label"), item.get("score"), item.get("box"), item.get("rois", [])
        if not isinstance(label, str) or not 0 < len(label) <= 64:
            raise ValueError("label must be a string of 1 to 64 characters")
        if _number(score, 0.0, 1.0) is None:
            raise ValueError("score must be a number in 0..1")
        if not isinstance(box, list) or len(box) != 4 or any(_number(v, -0.01, 1.01) is None for v in box):
            raise ValueError("box must be 4 numbers in 0..1")
        if not isinstance(rois, list) or len(rois) > 64 or not all(valid_roi_id(r) for r in rois):
            raise ValueError("rois must be a list of region ids")
        # score and the 4 numbers of box: checked above
        corners = cast("tuple[float, float, float, float]", tuple(float(v) for v in box))
        objects.append(DetectedObject(label, float(cast("float", score)), corners, tuple(rois)))
    inference = _number(data.get("inference_ms"), 0.0, 1e6)
    received, analysed = _number(data.get("received_at"), 0, 1e11), _number(data.get("analysed_at"), 0, 1e11)
    e2e = (analysed - received) * 1000.0 if received and analysed and analysed >= received else None
    return PeerDetections(instance, version, objects, inference, e2e)


# ---- ROI acknowledgements -----------------------------------------------------------------------


def parse_ack(payload: bytes | bytearray) -> dict[str, Any] | None:
    """One instance's `rois/applied/<instance>`, checked; None when it is not one."""
    if not payload:
        return None
    try:
        data = read_object(payload, max_bytes=MAX_ACK_BYTES)
    except ValueError:
        return None
    if not isinstance(data.get("ok"), bool):
        return None
    version, active = data.get("version"), data.get("active_version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        return None
    if isinstance(active, bool) or not isinstance(active, int):
        return None
    error = data.get("error")
    return {
        "version": version,
        "ok": data["ok"],
        "error": str(error)[:MAX_ERROR_CHARS] if error is not None else None,
        "active_version": active,
    }


class RoiAcks:
    """Each instance's latest acknowledgement per camera, folded into the one HA reads.

    The aggregate is published when it means something: all live instances that serve the camera
    (those that acknowledged it at all) applied the newest version, or one of them refused it.
    While an instance has not answered yet, nothing is published (HA's own timeout catches an
    instance that never answers).
    """

    def __init__(self, own_service: str) -> None:
        self.own_service = own_service
        self._acks: dict[str, dict[str, dict[str, Any]]] = {}  # camera -> instance -> ack
        self._last: dict[str, str] = {}  # camera -> the aggregate last published (without `at`)
        self._lock = threading.Lock()

    def record(self, cam: str, instance: str, ack: dict[str, Any]) -> None:
        with self._lock:
            acks = self._acks.setdefault(cam, {})
            if instance in acks or len(acks) < MAX_INSTANCES:
                acks[instance] = ack

    def forget(self, cam: str) -> list[str]:
        """The camera is forgotten: the instances whose acknowledgement of it we had."""
        with self._lock:
            self._last.pop(cam, None)
            return sorted(self._acks.pop(cam, {}))

    def aggregate(self, cam: str, live: Iterable[str], force: bool = False) -> str | None:
        """The `rois/applied` payload to publish now, or None (nothing new, or still waiting).

        `force`: publish even when it says the same as the last one (an ack event of our own:
        whoever set the ROI set waits for an answer to each publish).
        """
        live = set(live)
        with self._lock:
            acks = {i: a for i, a in self._acks.get(cam, {}).items() if i in live}
            if not acks:
                return None
            versions = [a["version"] for a in acks.values() if a["version"] is not None]
            target = max(versions) if versions else None
            # A refusal of the newest version (or of something without a usable version).
            refused = sorted(
                i
                for i, a in acks.items()
                if not a["ok"] and (a["version"] is None or target is None or a["version"] >= target)
            )
            applied = all(a["ok"] and a["version"] == target for a in acks.values())
            if refused:
                who = refused[0]
                ack = acks[who]
                payload = {
                    "version": ack["version"],
                    "ok": False,
                    "error": f"{KIND}/{who}: {ack['error']}",
                    "active_version": ack["active_version"],
                    "service": f"{KIND}/{who}",
                }
            elif applied:
                payload = {
                    "version": target,
                    "ok": True,
                    "error": None,
                    "active_version": min(a["active_version"] for a in acks.values()),
                    "service": self.own_service,
                }
            else:
                return None
            payload["services"] = {f"{KIND}/{i}": acks[i] for i in sorted(acks)}
            text = json.dumps(payload, sort_keys=True)
            if not force and self._last.get(cam) == text:
                return None
            self._last[cam] = text
        return json.dumps({**payload, "at": round(time.time(), 3)})
