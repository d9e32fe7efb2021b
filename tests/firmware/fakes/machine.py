"""The `machine` of the ESP32 port, for the firmware's host tests: a watchdog that keeps a record."""

import time as _time

wdts = []
resets = []


class BoardReset(SystemExit):
    """machine.reset() on a board never returns: here it ends the firmware's run."""


class WDT:
    def __init__(self, id=0, timeout=5000):
        self.timeout = timeout
        self.feeds = 0
        self.max_gap_ms = 0.0
        self._last = _time.monotonic()
        wdts.append(self)

    def feed(self):
        now = _time.monotonic()
        self.max_gap_ms = max(self.max_gap_ms, (now - self._last) * 1000)
        self._last = now
        self.feeds += 1

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
