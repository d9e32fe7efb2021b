"""Debounced person state: k of n frames on, clear_after seconds off, reconfiguration."""

from __future__ import annotations

import pytest

from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.person_state import Debouncer, PersonTracker
from edge_agent.detect.rois import DetectionSettings


def obj(label="person", rois=()) -> DetectedObject:
    return DetectedObject(label, 0.9, (0.1, 0.1, 0.3, 0.6), tuple(rois))


def test_two_of_three_turns_on():
    d = Debouncer(frames_needed=2, frames_window=3, clear_after=10)
    assert d.update(True, 0.0) is None and d.state is False  # one frame is not enough
    assert d.update(False, 0.5) is None
    assert d.update(True, 1.0) is True and d.state is True  # 2 of the last 3
    assert d.update(True, 1.5) is None  # no change, no report


def test_isolated_ghosts_do_not_turn_on():
    d = Debouncer(frames_needed=2, frames_window=3, clear_after=10)
    for t, present in enumerate([True, False, False, True, False, False, True]):
        assert d.update(present, float(t)) is None
    assert d.state is False


def test_clear_after_with_explicit_times():
    d = Debouncer(frames_needed=1, frames_window=1, clear_after=10)
    assert d.update(True, 100.0) is True
    assert d.update(False, 105.0) is None  # missed frames within clear_after: still on
    assert d.update(False, 109.9) is None
    assert d.update(True, 109.95) is None  # seen again: the clock restarts
    assert d.update(False, 119.9) is None
    assert d.update(False, 119.95) is False and d.state is False
    assert d.update(False, 130.0) is None


def test_tick_turns_off_when_frames_stop():
    d = Debouncer(frames_needed=2, frames_window=3, clear_after=5)
    d.update(True, 0.0)
    d.update(True, 1.0)
    assert d.tick(5.9) is None
    assert d.tick(6.0) is False
    assert d.tick(100.0) is None


def test_off_forgets_old_frames():
    d = Debouncer(frames_needed=2, frames_window=3, clear_after=5)
    d.update(True, 0.0)
    d.update(True, 1.0)
    assert d.tick(10.0) is False
    # The two frames before the gap must not make one new frame enough.
    assert d.update(True, 11.0) is None
    assert d.update(True, 12.0) is True


def test_clear_after_zero():
    d = Debouncer(frames_needed=1, frames_window=1, clear_after=0)
    assert d.update(True, 1.0) is True
    assert d.tick(1.0) is None  # same instant as the sighting
    assert d.update(False, 1.1) is False


def test_bad_parameters():
    with pytest.raises(ValueError):
        Debouncer(frames_needed=4, frames_window=3)
    with pytest.raises(ValueError):
        Debouncer(clear_after=-1)


def test_tracker_camera_and_regions():
    t = PersonTracker(DetectionSettings(frames_needed=2, frames_window=3, clear_after=10), ["door", "yard"])
    assert t.states() == {None: False, "door": False, "yard": False}
    assert t.update([obj(rois=["door"])], 0.0) == {}
    assert t.update([obj(rois=["door"])], 1.0) == {None: True, "door": True}
    # The person walks from the door into the yard.
    assert t.update([obj(rois=["yard"])], 2.0) == {}
    assert t.update([obj(rois=["yard"])], 3.0) == {"yard": True}
    assert t.update([obj(rois=["yard"])], 11.5) == {"door": False}
    assert t.update([], 21.0) == {}
    assert t.tick(21.5) == {None: False, "yard": False}
    assert t.states() == {None: False, "door": False, "yard": False}


def test_tracker_camera_counts_only_persons():
    t = PersonTracker(DetectionSettings(frames_needed=1, frames_window=1), ["drive"])
    # A car in a region that watches cars: the region is occupied, the camera has no person.
    assert t.update([obj("car", rois=["drive"])], 0.0) == {"drive": True}
    assert t.states()[None] is False


def test_tracker_reconfigure_keeps_surviving_regions():
    t = PersonTracker(DetectionSettings(frames_needed=1, frames_window=1, clear_after=10), ["door", "yard"])
    t.update([obj(rois=["door", "yard"])], 0.0)
    assert t.states() == {None: True, "door": True, "yard": True}
    t.reconfigure(DetectionSettings(frames_needed=2, frames_window=3, clear_after=30), ["door", "gate"])
    assert t.states() == {None: True, "door": True, "gate": False}
    assert t.roi_ids == ("door", "gate")
    # New clear_after applies to the kept state.
    assert t.tick(20.0) == {}
    assert t.tick(30.0) == {None: False, "door": False}
    # New frames_needed applies to the new region.
    assert t.update([obj(rois=["gate"])], 31.0) == {}
    assert t.update([obj(rois=["gate"])], 32.0) == {None: True, "gate": True}
