"""The payloads of docs/mqtt.md that the services build or parse (no I/O here).

- switch commands (`…/set`: `ON` / `OFF` or JSON with a request id) and switch states;
- the `detections` message of an analysed frame and the `arrival` event;
- ROI acknowledgements on `…/rois/applied`;
- `forget`: a camera removed in Home Assistant.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from edge_agent.mqtt.topics import OFF, ON
from edge_agent.untrusted import UntrustedJSONError, read_json, read_object

if TYPE_CHECKING:
    from edge_agent.detect.detection import DetectedObject

MAX_COMMAND_BYTES = 1024  # a switch command: ON, OFF or {"state": …, "request_id": (64 chars)}
MAX_STATE_BYTES = 4096  # a switch's retained state: the same, with `at` and a few extra fields


class CommandError(ValueError):
    """A `…/set` payload that is not ON, OFF or the JSON form; the message says why."""


def parse_switch(payload: bytes | bytearray) -> tuple[bool, str | None]:
    """`ON` / `OFF` (any case), or JSON `{"state": "ON", "request_id": "…"}` -> (on, request id)."""
    if len(payload) > MAX_COMMAND_BYTES:
        raise CommandError(f"{len(payload)} bytes; a command is at most {MAX_COMMAND_BYTES}")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise CommandError("payload is not UTF-8") from None
    if text.upper() in (ON, OFF):
        return text.upper() == ON, None
    if not text.startswith("{"):
        raise CommandError(f'expected ON, OFF or JSON {{"state": …}}, got {text[:40]!r}')
    try:
        data = read_json(text, max_bytes=MAX_COMMAND_BYTES)
    except UntrustedJSONError as err:  # once a RecursionError (deeply nested arrays) escaped here
        raise CommandError(f"invalid JSON: {err}") from None
    if not isinstance(data, dict):
        raise CommandError("a JSON command must be an object")
    state = data.get("state")
    if state not in (ON, OFF, ON.lower(), OFF.lower(), "On", "Off"):
        raise CommandError(f'\'state\' must be "ON" or "OFF", got {str(state)[:40]!r}')
    state = state.upper()
    rid = data.get("request_id")
    if rid is not None and (not isinstance(rid, str) or len(rid) > 64):
        raise CommandError("'request_id' must be a string of at most 64 characters")
    return state == ON, rid


def older_set_error(version: int, active: int) -> str:
    """Why a set older than the one in force is refused (a late retained copy must not undo it)."""
    return f"version {version} is older than the version in force ({active})"


def detections_json(
    cam: str,
    service: str,
    captured_at: float,
    received_at: float,
    analysed_at: float,
    inference_ms: float,
    size: tuple[int, int],
    rois_version: int,
    objects: Sequence[DetectedObject],
    regions: list[list[float]] | None = None,
) -> str:
    """The `detections` payload of one analysed frame (docs/mqtt.md, detections); compact JSON.
    `regions`: the regions the model ran on ([x0, y0, x1, y1] normalised), when not the whole frame."""
    payload: dict[str, object] = {
        "camera": cam,
        "service": service,
        "captured_at": round(captured_at, 3),
        "received_at": round(received_at, 3),
        "analysed_at": round(analysed_at, 3),
        "inference_ms": round(inference_ms, 2),
        "size": list(size),
        "rois_version": rois_version,
        "persons": sum(1 for o in objects if o.label == "person"),
        "objects": [o.to_json() for o in objects],
    }
    if regions:
        payload["regions"] = regions
    return json.dumps(payload, separators=(",", ":"))


def claimed_version(payload: bytes | bytearray) -> int | None:
    """The `version` a refused ROI set claims, to echo it in the acknowledgement (None if unusable)."""
    from edge_agent.detect.rois import MAX_VERSION, RoiError, loads_bounded

    try:
        version = loads_bounded(payload).get("version")
    except (RoiError, AttributeError):
        return None
    ok = isinstance(version, int) and not isinstance(version, bool) and 0 <= version <= MAX_VERSION
    return version if ok else None


def rois_ack(version: int | None, ok: bool, error: str | None, active_version: int, service: str) -> str:
    """The `rois/applied` payload (docs/mqtt.md, acknowledgements)."""
    return json.dumps(
        {
            "version": version,
            "ok": ok,
            "error": error,
            "active_version": active_version,
            "service": service,
            "at": round(time.time(), 3),
        }
    )


@dataclass
class SwitchState:
    """The state of an ON/OFF switch as published on `…/state` (retained JSON)."""

    on: bool = True
    request_id: str | None = None
    at: float = field(default_factory=time.time)

    @property
    def state(self) -> str:
        return ON if self.on else OFF

    def payload(self, **extra: object) -> str:
        return json.dumps({"state": self.state, "request_id": self.request_id, **extra, "at": self.at})

    @classmethod
    def from_retained(cls, payload: bytes | bytearray) -> SwitchState | None:
        """Our own retained state from an earlier run; None when it is not one (anyone can publish
        there: read bounded, edge_agent.untrusted)."""
        try:
            data = read_object(payload, max_bytes=MAX_STATE_BYTES)
        except UntrustedJSONError:
            return None
        if data.get("state") not in (ON, OFF):
            return None
        rid = data.get("request_id")
        at = data.get("at")
        return cls(
            on=data["state"] == ON,
            request_id=rid if isinstance(rid, str) else None,
            at=float(at) if isinstance(at, (int, float)) and math.isfinite(at) else time.time(),
        )


def arrival_json(cam: str, roi: str | None, persons: int, service: str, at: float) -> str:
    """The `arrival` event: a person arrived in the camera's view or in one region (OFF -> ON)."""
    return json.dumps(
        {"camera": cam, "roi": roi, "persons": persons, "service": service, "at": round(at, 3)},
        separators=(",", ":"),
    )


# ---- forget: a camera removed in Home Assistant (docs/mqtt.md, forget) --------------------------

MAX_FORGET_BYTES = 1024
FORGET_TEXT_MAX = 64  # `by` and `reason`


@dataclass(frozen=True)
class Forget:
    """`<base>/<cam>/forget`: who asked for the camera to be forgotten, and why (both optional)."""

    by: str | None = None
    reason: str | None = None
    at: float | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "by": self.by,
                "reason": self.reason,
                "at": round(self.at if self.at is not None else time.time(), 3),
            },
            separators=(",", ":"),
        )

    @classmethod
    def parse(cls, payload: bytes | bytearray) -> Forget:
        """A JSON object (every key optional, unknown ones ignored); CommandError says why not.

        Bounded before it is parsed: anyone on the broker can publish one. An empty payload is
        not a forget (the marker was cleared) and is not parsed here.
        """
        if len(payload) > MAX_FORGET_BYTES:
            raise CommandError(f"{len(payload)} bytes; a forget is at most {MAX_FORGET_BYTES}")
        try:
            data = read_json(payload, max_bytes=MAX_FORGET_BYTES)
        except UntrustedJSONError as err:
            raise CommandError(f"not JSON: {err}") from None
        if not isinstance(data, dict):
            raise CommandError("a forget must be a JSON object")
        texts = {}
        for key in ("by", "reason"):
            value = data.get(key)
            if value is not None and (not isinstance(value, str) or len(value) > FORGET_TEXT_MAX):
                raise CommandError(f"{key!r} must be a string of at most {FORGET_TEXT_MAX} characters")
            texts[key] = value
        at = data.get("at")
        if at is not None and (
            isinstance(at, bool) or not isinstance(at, (int, float)) or not math.isfinite(at) or at < 0
        ):
            raise CommandError("'at' must be a time in Unix seconds")
        return cls(texts["by"], texts["reason"], float(at) if at is not None else None)
