"""Debounced person state: what `bobby/<cam>/person` and `bobby/<cam>/person/<roi>` publish.

A detector misses a person now and then, and sees a ghost now and then. The state goes on after
`frames_needed` of the last `frames_window` analysed frames had a person (one ghost does not
switch a light on) and off only after `clear_after` seconds without one (one missed frame does
not switch it off). Times are passed in (`now`), so the logic is testable and clock-agnostic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.rois import DetectionSettings

PERSON = "person"


class Debouncer:
    def __init__(self, frames_needed: int = 2, frames_window: int = 3, clear_after: float = 10.0) -> None:
        self.state = False
        self.last_seen: float | None = None
        self._window: deque[bool] = deque(maxlen=frames_window)
        self.configure(frames_needed, frames_window, clear_after)

    def configure(self, frames_needed: int, frames_window: int, clear_after: float) -> None:
        """New parameters; the current state and the most recent frames are kept."""
        if not 1 <= frames_needed <= frames_window:
            raise ValueError(
                f"need 1 <= frames_needed <= frames_window, got {frames_needed} and {frames_window}"
            )
        if clear_after < 0:
            raise ValueError(f"clear_after must be >= 0, got {clear_after}")
        self.frames_needed = frames_needed
        self.frames_window = frames_window
        self.clear_after = float(clear_after)
        self._window = deque(self._window, maxlen=frames_window)

    def _expired(self, now: float) -> bool:
        return self.last_seen is None or now - self.last_seen >= self.clear_after

    def _turn_off(self) -> bool:
        self.state = False
        # Frames from before the gap must not count towards switching on again.
        self._window.clear()
        return False

    def update(self, present: bool, now: float) -> bool | None:
        """One analysed frame; the new state when it changed, else None."""
        self._window.append(bool(present))
        if present:
            self.last_seen = now
            if not self.state and sum(self._window) >= self.frames_needed:
                self.state = True
                return True
            return None
        if self.state and self._expired(now):
            return self._turn_off()
        return None

    def tick(self, now: float) -> bool | None:
        """Time passing without frames (a camera that went quiet) may turn the state off."""
        # Strictly later than the last sighting: with clear_after 0 a tick at the same instant as
        # a frame with a person must not undo it.
        if self.state and self._expired(now) and (self.last_seen is None or now > self.last_seen):
            return self._turn_off()
        return None


class PersonTracker:
    """Debounced states of one camera: key None is the whole camera, a key roi_id that region.

    `update` takes the objects that passed `rois.apply_filters`: the camera sees a person when
    one of them is labelled person; a region is occupied when an object lists it in its `rois`
    (the region's own labels and min_score were applied by the filter).
    """

    def __init__(self, settings: DetectionSettings | None = None, roi_ids: Iterable[str] = ()) -> None:
        self.settings = settings or DetectionSettings()
        self._debouncers: dict[str | None, Debouncer] = {}
        self.reconfigure(self.settings, roi_ids)

    def _new(self) -> Debouncer:
        s = self.settings
        return Debouncer(s.frames_needed, s.frames_window, s.clear_after)

    def reconfigure(self, settings: DetectionSettings, roi_ids: Iterable[str]) -> None:
        """Keep the state of regions that still exist; removed ones vanish; new ones start off."""
        self.settings = settings
        wanted: list[str | None] = [None, *dict.fromkeys(roi_ids)]
        old = self._debouncers
        self._debouncers = {}
        for key in wanted:
            deb = old.get(key)
            if deb is None:
                deb = self._new()
            else:
                deb.configure(settings.frames_needed, settings.frames_window, settings.clear_after)
            self._debouncers[key] = deb

    @property
    def roi_ids(self) -> tuple[str, ...]:
        return tuple(k for k in self._debouncers if k is not None)

    def update(self, objects: Sequence[DetectedObject], now: float) -> dict[str | None, bool]:
        """One analysed frame; the states that changed."""
        in_roi: set[str] = set()
        camera = False
        for obj in objects:
            if obj.label == PERSON:
                camera = True
            in_roi.update(obj.rois)
        changes: dict[str | None, bool] = {}
        for key, deb in self._debouncers.items():
            present = camera if key is None else key in in_roi
            changed = deb.update(present, now)
            if changed is not None:
                changes[key] = changed
        return changes

    def seed(self, key: str | None, now: float) -> None:
        """A state that was ON before a restart: ON until `clear_after` passes without a person."""
        deb = self._debouncers.get(key)
        if deb is not None and not deb.state:
            deb.state = True
            deb.last_seen = now

    def clear(self, key: str | None) -> None:
        """A state another instance published OFF: OFF here too, as if it had expired here."""
        deb = self._debouncers.get(key)
        if deb is not None and deb.state:
            deb._turn_off()

    def tick(self, now: float) -> dict[str | None, bool]:
        changes: dict[str | None, bool] = {}
        for key, deb in self._debouncers.items():
            changed = deb.tick(now)
            if changed is not None:
                changes[key] = changed
        return changes

    def states(self) -> dict[str | None, bool]:
        return {key: deb.state for key, deb in self._debouncers.items()}


# The person count Home Assistant shows changes at most this often while someone stays in view
# (besides the prompt first count and the return to 0): 6 s keeps it under 11 changes a minute
# (issue 18: the per-frame count changed 494 times in 5 minutes of one visit).
COUNT_HOLD = 6.0


class PersonCount:
    """The person count of `bobby/<cam>/person_count`: quiet while people stay, prompt at both ends.

    The per-frame count (`detections`' `persons`) follows every analysed frame: people walking
    in a group make it 4, 5, 4, 6, 5 … several times a second. This one is what a dashboard and a
    recorder want, aligned with the camera-wide person state (`on`, from the `Debouncer`):

    - `0` while the state is OFF, and at once when it goes OFF;
    - when it goes ON: at once, the most persons in the frames seen since the last decision;
    - while it stays ON: every `hold` seconds at most, the most persons seen in that period; a
      period in which nobody was seen keeps the count (the state is still ON, `clear_after`
      decides when the visit is over);
    - `None` (nothing to say yet) while ON without a frame with a person: after a restart the
      state is seeded ON from the broker, whose count is then left as it is.

    So in `window` seconds of continuous presence it changes at most `window / hold + 1` times.
    `now` is passed in (clock-agnostic, testable).
    """

    def __init__(self, hold: float = COUNT_HOLD) -> None:
        if hold <= 0:
            raise ValueError(f"hold must be > 0, got {hold}")
        self.hold = float(hold)
        self.value: int | None = None  # what is shown; None: nothing yet (see above)
        self._peak = 0  # most persons in a frame since the period started
        self._period_start: float | None = None

    def update(self, persons: int, on: bool, now: float) -> int | None:
        """One analysed frame with `persons` persons, the state `on` after it; the new count
        when it changed, else None."""
        self._peak = max(self._peak, max(0, int(persons)))
        return self.decide(on, now)

    def decide(self, on: bool, now: float) -> int | None:
        """Time passing (also without frames); the new count when it changed, else None."""
        if not on:
            self._peak, self._period_start = 0, None
            return self._show(0)
        if not self.value:  # the visit starts (or a seeded ON sees its first person): at once
            if self._peak == 0:
                return None
            return self._start(self._peak, now)
        assert self._period_start is not None
        if now - self._period_start < self.hold:
            return None
        if self._peak == 0:  # nobody seen for a whole period, still ON: the count stays
            self._period_start = now
            return None
        return self._start(self._peak, now)

    def reset(self) -> int | None:
        """Detection switched off (every state OFF at once): 0."""
        self._peak, self._period_start = 0, None
        return self._show(0)

    def _start(self, value: int, now: float) -> int | None:
        self._peak, self._period_start = 0, now
        return self._show(value)

    def _show(self, value: int) -> int | None:
        if value == self.value:
            return None
        self.value = value
        return value
