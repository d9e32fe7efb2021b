"""listen_frame's motion gate: one MotionState per camera, in the MQTT process.

Frames of one camera go to whichever worker is free, so no worker sees all of them; the state
(background, timers) stays here, where every frame passes in order. Each frame's job carries a
MotionCheck (the background, 80x60 floats, 19 kB pickled, about 10 µs; whether the frame must
be inferred anyway; whether it probably will be); the worker makes the thumbnail (a 1/8 decode,
or the luma of the frame it decoded for the model), decides, and sends the thumbnail back to be
learned. docs/performance.md ("Motion gate") compares this with per-worker backgrounds and with
gating in this process.
"""

from __future__ import annotations

import threading

import numpy as np

from edge_agent.detect.motion import Box, MotionCheck, MotionSettings, MotionState
from edge_agent.detect.rois import DetectionSettings


class CameraGates:
    """The gate state of every camera served; called from the MQTT and the dispatcher threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, MotionState] = {}
        self._settings: dict[str, DetectionSettings] = {}

    def check(
        self, cam: str, detection: DetectionSettings, now: float, person_on: bool
    ) -> MotionCheck | None:
        """A frame of `cam` arrived at `now`: what its job carries, None when its gate is off."""
        with self._lock:
            if self._settings.get(cam) is not detection:
                settings = MotionSettings.from_detection(detection)
                self._settings[cam] = detection
                if settings is None:
                    self._states.pop(cam, None)
                elif cam in self._states:
                    self._states[cam].configure(settings)
                else:
                    self._states[cam] = MotionState(settings)
            state = self._states.get(cam)
            return state.check(now, person_on) if state is not None else None

    def result(
        self,
        cam: str,
        received_at: float,
        thumb: np.ndarray | None,
        inferred: bool,
        person: bool,
        fraction: float | None = None,
        moved: bool | None = None,
        boxes: tuple[Box, ...] = (),
    ) -> None:
        """A worker's answer for a frame received at `received_at` (`fraction`: how much changed;
        `moved`: a blob big enough; `boxes`: the persons', kept for the regions of forced frames)."""
        with self._lock:
            state = self._states.get(cam)
            if state is None or thumb is None:
                return
            state.learn(thumb, received_at, fraction, moved)
            if inferred:
                state.inferred(received_at, person, boxes)

    def forget(self, cam: str) -> None:
        with self._lock:
            self._states.pop(cam, None)
            self._settings.pop(cam, None)
