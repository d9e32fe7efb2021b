"""The one reader for JSON that arrives over MQTT, HTTP or the websocket: anyone on the broker can
publish, so nothing read here is trusted.

Twin: edge_agent/untrusted.py (the same rules; the integration is installed alone, so it keeps its
own copy). `read_json(payload, max_bytes=…)` returns the parsed value or raises
`UntrustedJSONError` (a `ValueError`) with a short message that is safe to log:

- bounded before parsing: more than `max_bytes` is refused unread;
- bounded in depth: `[[[[…` of 16 KiB makes Python's parser raise `RecursionError`, which is not
  a `ValueError`; it is caught here, and anything nested deeper than `max_depth` is refused too;
- JSON only: `NaN`, `Infinity`, numbers that overflow a float (`1e999`) and integers of more than
  `max_int_digits` digits are refused (Python reads them; HA's state machine and browsers cannot).

Callers check the shape of what they get and count what they refuse in a `Refusals` (a counter
per reason, shown in diagnostics, and one log line per reason a minute), never a traceback.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER

MAX_DEPTH = 16
MAX_INT_DIGITS = 32
# The bound of a message of the contract that has no bound of its own (announce, stats, acks, ROI
# sets, detection states): they are a few hundred bytes; a full ROI set of 32 regions of 64 points
# is about 40 KiB.
MAX_MESSAGE_BYTES = 64 * 1024
# Log a refused read or message at most this often per reason (the counter counts every one).
REFUSAL_LOG_INTERVAL = 60.0


class UntrustedJSONError(ValueError):
    """Not JSON we read: too large, too deep, not JSON, or not numbers JSON has."""


def read_json(
    payload: bytes | bytearray | str,
    *,
    max_bytes: int = MAX_MESSAGE_BYTES,
    max_depth: int = MAX_DEPTH,
    max_int_digits: int = MAX_INT_DIGITS,
) -> Any:
    """`payload` parsed, within the bounds; UntrustedJSONError says what is wrong."""
    if len(payload) > max_bytes:
        raise UntrustedJSONError(f"{len(payload)} bytes is more than the {max_bytes} allowed")
    if isinstance(payload, bytearray):
        payload = bytes(payload)

    def bounded_int(text: str) -> int:
        if len(text.lstrip("-")) > max_int_digits:
            raise UntrustedJSONError(f"number {text[:20]}... has more than {max_int_digits} digits")
        return int(text)

    try:
        data = json.loads(
            payload, parse_constant=_refuse_constant, parse_int=bounded_int, parse_float=_finite
        )
    except RecursionError:
        raise UntrustedJSONError(f"nested too deeply (more than {max_depth} levels)") from None
    except UntrustedJSONError:
        raise
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError
        raise UntrustedJSONError(f"not valid JSON: {str(err)[:80]}") from None
    if _brackets(payload) > max_depth and _deeper_than(data, max_depth):
        raise UntrustedJSONError(f"nested too deeply (more than {max_depth} levels)")
    return data


def read_object(payload: bytes | bytearray | str, *, max_bytes: int = MAX_MESSAGE_BYTES) -> dict[str, Any]:
    """`read_json` for the payloads that must be a JSON object (nearly all of ours)."""
    data = read_json(payload, max_bytes=max_bytes)
    if not isinstance(data, dict):
        raise UntrustedJSONError("not a JSON object")
    return data


def _refuse_constant(name: str) -> Any:
    raise UntrustedJSONError(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UntrustedJSONError(f"{text[:20]} is not a finite number")
    return value


def _brackets(payload: bytes | str) -> int:
    """How many arrays and objects the payload can hold at most (cheap: no walk for flat ones)."""
    if isinstance(payload, str):
        return payload.count("[") + payload.count("{")
    return payload.count(b"[") + payload.count(b"{")


def _deeper_than(data: Any, max_depth: int) -> bool:
    """Whether arrays and objects nest more than `max_depth` levels (a walk without recursion)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class Refusals:
    """What was refused, by reason: counted (diagnostics) and logged at most once a minute per reason."""

    def __init__(self, prefix: str) -> None:
        """`prefix` starts every log line (the camera, or the integration for what has no camera)."""
        self.prefix = prefix
        self.counts: Counter[str] = Counter()
        self._logged: dict[str, float] = {}

    def refuse(self, reason: str, message: str, *args: Any) -> None:
        """Count one refusal under `reason`; log it unless that reason was logged under a minute ago."""
        self.counts[reason] += 1
        # dt_util rather than time.monotonic(): HA's test clock drives it.
        at = dt_util.utcnow().timestamp()
        if at - self._logged.get(reason, -REFUSAL_LOG_INTERVAL) >= REFUSAL_LOG_INTERVAL:
            self._logged[reason] = at
            LOGGER.warning(
                "%s: " + message + " (refused so far: %s)", self.prefix, *args, self.counts[reason]
            )


# What arrives for no loaded camera (announces read by discovery and the user step's scan).
DATA_REFUSALS: HassKey[Refusals] = HassKey(f"{DOMAIN}_refusals")


def integration_refusals(hass: HomeAssistant) -> Refusals:
    """The refusals of the integration as a whole (no camera to count them under)."""
    if (refusals := hass.data.get(DATA_REFUSALS)) is None:
        refusals = hass.data[DATA_REFUSALS] = Refusals("Bobby Camera")
    return refusals
