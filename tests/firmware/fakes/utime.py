"""MicroPython's `utime` on CPython: `time` plus the ticks functions of the ESP32 port.

The ticks wrap at 2**30 ms as on the ESP32 (MicroPython's TICKS_PERIOD), and start 3 s before the
wrap, so that every test that runs longer than that crosses one: the firmware must only compare
ticks with ticks_diff().
"""

import threading as _threading
import time as _time
from time import gmtime, localtime, time_ns  # noqa: F401

_PERIOD = 1 << 30
_HALF = _PERIOD // 2
_OFFSET = _PERIOD - 3000 - _time.monotonic_ns() // 1_000_000
# What each thread asked to sleep, for the tests: the total in ms (the watchdog fake's
# max_unfed_sleep_ms), and, while a test sets _sleep_log to a list, each sleep as
# (thread id, time.monotonic() at the call, ms).
_slept_ms = {}
_sleep_log = None


def _slept(ms):
    tid = _threading.get_ident()
    _slept_ms[tid] = _slept_ms.get(tid, 0) + ms
    log = _sleep_log
    if log is not None:
        log.append((tid, _time.monotonic(), ms))


def time():
    # MicroPython's time() is whole seconds (an int), CPython's a float.
    return int(_time.time())


def ticks_ms():
    return (_time.monotonic_ns() // 1_000_000 + _OFFSET) & (_PERIOD - 1)


def ticks_us():
    return (_time.monotonic_ns() // 1000 + _OFFSET * 1000) & (_PERIOD - 1)


def ticks_add(ticks, delta):
    return (ticks + delta) & (_PERIOD - 1)


def ticks_diff(end, start):
    return ((end - start + _HALF) & (_PERIOD - 1)) - _HALF


def sleep(s):
    if s > 0:
        _slept(s * 1000)
        _time.sleep(s)


def sleep_ms(ms):
    if ms > 0:
        _slept(ms)
        _time.sleep(ms / 1000)


def sleep_us(us):
    if us > 0:
        _slept(us / 1000)
        _time.sleep(us / 1_000_000)
