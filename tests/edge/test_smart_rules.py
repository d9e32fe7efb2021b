"""The smart camera follows listen_frame's rules: snapshot interval, and the ROI set's motion flag.

Two bugs of issue 19: the smart camera did not pass its `snapshot_interval` to its detector
process (which drew a snapshot every 2 s, the dataclass default), and its `--motion-gate` flag
turned on a gate the ROI set had turned off, where listen_frame's flag yields to the set
(docs/detection.md, motion gate). Both are checked here in the process' own objects.
"""

from __future__ import annotations

from dataclasses import replace
from multiprocessing import Pipe

import pytest

from edge_agent.camera.pipeline import Pipeline
from edge_agent.camera.pipeline_messages import PipelineConfig
from edge_agent.detect.motion import MotionSettings
from edge_agent.detect.rois import DetectionSettings, RoiSet
from edge_agent.listen_frame.gate import CameraGates
from tests.support.camera_config import smart_config


@pytest.mark.parametrize("interval", [None, 45.0])
def test_the_detector_process_gets_the_cameras_snapshot_interval(tmp_path, model_path, interval):
    from edge_agent.camera.smart import SmartCamera
    from edge_agent.mqtt.broker import BrokerSettings

    extra = {} if interval is None else {"snapshot_interval": interval}
    cfg = smart_config(tmp_path, model_path, **extra)
    camera = SmartCamera(cfg, BrokerSettings("127.0.0.1", 1))  # nothing listens; nothing is sent
    expected = 30.0 if interval is None else interval  # docs/mqtt.md: 30 s by default, as listen_frame
    assert cfg.snapshot_interval == expected
    assert camera.channel.settings.snapshot_interval == expected
    assert camera.pipeline_config().snapshot_interval == expected


def pipeline(motion: MotionSettings | None = None, snapshot_interval: float = 30.0) -> Pipeline:
    ctrl, _ = Pipe()
    out, _ = Pipe()
    cfg = PipelineConfig(
        "yard",
        "picamera2",
        (320, 240),
        5.0,
        True,
        "unused.tflite",
        1,
        RoiSet(),
        True,
        snapshot_interval=snapshot_interval,
        motion=motion,
    )
    return Pipeline(cfg, ctrl, out)


def test_the_pipeline_draws_snapshots_as_listen_frames_workers_are_asked_to():
    p = pipeline(snapshot_interval=30.0)
    # Before the state is on, every person frame is a candidate for the visit's first picture.
    assert p.snapshot_due(100.0, 99.0)
    # During a visit: at most one every snapshot_interval (it was 2 s whatever the setting).
    p.person_on = True
    assert not p.snapshot_due(100.0, 97.0)
    assert not p.snapshot_due(100.0, 75.0)
    assert p.snapshot_due(100.0, 70.0)


OWN = MotionSettings(pixel_threshold=25, area_threshold=0.05, max_skip=5.0)


def gate_of_listen_frame(detection: DetectionSettings) -> MotionSettings | None:
    gates = CameraGates()
    check = gates.check("yard", detection, 1000.0, False)
    return None if check is None else gates._states["yard"].settings


def gate_of_smart_camera(detection: DetectionSettings, own: MotionSettings | None) -> MotionSettings | None:
    p = pipeline(motion=own)
    p._configure_gate(RoiSet(detection=detection))
    return None if p.gate is None else p.gate.settings


@pytest.mark.parametrize("own", [None, OWN], ids=["set's thresholds", "--motion-gate"])
def test_the_roi_sets_motion_flag_decides_in_both_services(own):
    off = replace(DetectionSettings(), motion=False)
    on = replace(DetectionSettings(), motion=True, motion_sensitivity=5, clear_after=3.0)
    # The set turns the gate off: no gate, whatever the camera's own flag says.
    assert gate_of_listen_frame(off) is None
    assert gate_of_smart_camera(off, own) is None
    # The set turns it on: a gate, with the camera's own thresholds where it has them.
    expected = MotionSettings.from_detection(on) if own is None else replace(OWN, keepalive=1.5)
    assert gate_of_smart_camera(on, own) == expected
    assert gate_of_listen_frame(on) == MotionSettings.from_detection(on)
