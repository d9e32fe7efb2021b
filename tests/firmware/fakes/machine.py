"""The `machine` of the ESP32 port, for the firmware's host tests: a watchdog that keeps a record."""

import threading as _threading
import time as _time

import utime as _utime

wdts = []
resets = []


class BoardReset(SystemExit):
    """machine.reset() on a board never returns: here it ends the firmware's run."""


class WDT:
    """Records the longest wall-clock gap between feeds (`max_gap_ms`, what a real watchdog
    sees: `starved`) and the most the feeding thread slept between two feeds
    (`max_unfed_sleep_ms`, from utime's sleeps). The latter shows a wait that does not feed
    however busy the machine is, whereas the wall-clock gap also holds the time the board's
    thread waited for the CPU and the broker's answers."""

    def __init__(self, id=0, timeout=5000):
        self.timeout = timeout
        self.feeds = 0
        self.max_gap_ms = 0.0
        self.max_unfed_sleep_ms = 0.0
        self._last = _time.monotonic()
        self._slept_at_feed = {}  # thread id -> its utime sleep total at its last feed
        wdts.append(self)

    def feed(self):
        now = _time.monotonic()
        self.max_gap_ms = max(self.max_gap_ms, (now - self._last) * 1000)
        self._last = now
        self.feeds += 1
        tid = _threading.get_ident()
        slept = _utime._slept_ms.get(tid, 0)
        if tid in self._slept_at_feed:
            self.max_unfed_sleep_ms = max(self.max_unfed_sleep_ms, slept - self._slept_at_feed[tid])
        self._slept_at_feed[tid] = slept

    @property
    def starved(self):
        """Whether a real watchdog would have reset the board by now."""
        return self.max_gap_ms > self.timeout or (_time.monotonic() - self._last) * 1000 > self.timeout


def reset():
    resets.append(_time.time())
    raise BoardReset("machine.reset()")


def soft_reset():
    reset()


def unique_id():
    return b"\x24\x0a\xc4\x12\x34\x56"


def freq(hz=None):
    return 240_000_000


def _reset_fakes():
    wdts.clear()
    resets.clear()
