"""The one reader for JSON that arrives over MQTT or HTTP: anyone on the broker can publish.

`read_json(payload, max_bytes=…)` returns the parsed value or raises `UntrustedJSONError` (a
`ValueError`) with a short message that is safe to log:

- bounded before parsing: more than `max_bytes` is refused unread;
- bounded in depth: `[[[[…` of 16 KiB made Python's parser raise `RecursionError`, which is not
  a `ValueError` and escaped the handlers that caught those; it is caught here, and anything
  nested deeper than `max_depth` (16 by default: our payloads use 4) is refused too;
- JSON only: `NaN`, `Infinity` and numbers that overflow a float (`1e999`) are refused (Python
  reads them; Home Assistant and browsers cannot), so are integers of more than
  `max_int_digits` digits (Python's own limit is 4300, with a bare error).

Callers check the shape of what they get, count what they refuse and log it through
`edge_agent.ratelimit.RateLimitedLog` (`refuse()` does both), so a flood of bad messages is a
counter in stats and one log line per interval, never a traceback.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

from edge_agent.ratelimit import RateLimitedLog

MAX_DEPTH = 16
MAX_INT_DIGITS = 32


class UntrustedJSONError(ValueError):
    """Not JSON we read: too large, too deep, not JSON, or not numbers JSON has."""


def read_json(
    payload: bytes | bytearray | memoryview | str,
    *,
    max_bytes: int,
    max_depth: int = MAX_DEPTH,
    max_int_digits: int = MAX_INT_DIGITS,
) -> Any:
    """`payload` parsed, within the bounds; UntrustedJSONError says what is wrong."""
    if len(payload) > max_bytes:
        raise UntrustedJSONError(f"{len(payload)} bytes is more than the {max_bytes} allowed")
    if isinstance(payload, (bytearray, memoryview)):
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


def read_object(
    payload: bytes | bytearray | memoryview | str, *, max_bytes: int, **bounds: int
) -> dict[str, Any]:
    """`read_json` for the payloads that must be a JSON object (nearly all of ours)."""
    data = read_json(payload, max_bytes=max_bytes, **bounds)
    if not isinstance(data, dict):
        raise UntrustedJSONError("not a JSON object")
    return data


def refuse(
    counters: Counter[str], counter: str, bad: RateLimitedLog, key: str, msg: str, *args: object
) -> None:
    """Bad input from outside: counted under `counter`, logged at most once per `key` and interval."""
    counters[counter] += 1
    bad.warning(key, msg, *args)


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
