"""The integration is self-contained (HACS installs only its folder), so it names the MQTT
contract's topics, ids and defaults itself: here they are checked against edge_agent's, the
other side of docs/mqtt.md, so that the two cannot drift apart."""

from __future__ import annotations

import pytest

from custom_components.bobby_camera import const
from custom_components.bobby_camera.rois import RoiError, normalise_detection, normalise_rois
from edge_agent import ids as edge_ids
from edge_agent.detect.rois import DetectionSettings, parse_roi_set
from edge_agent.detect.rois import RoiError as EdgeRoiError
from edge_agent.mqtt import topics as edge_topics

TOPICS = [
    "availability",
    "announce",
    "frame",
    "rois",
    "rois_applied",
    "detection_set",
    "detection_state",
    "stats",
]


@pytest.mark.parametrize("name", TOPICS)
def test_topic_names_agree(name: str) -> None:
    ours = getattr(const.Topics("home/bobby", "garden"), name)
    theirs = getattr(edge_topics.Topics("home/bobby"), name)("garden")
    assert ours == theirs


def test_service_availability_matches_every_instance() -> None:
    theirs = edge_topics.Topics("bobby").service_availability("listen_frame", "pi4")
    pattern = const.Topics("bobby", "garden").service_availability
    assert pattern.replace("+", "pi4") == theirs


def test_ids_and_defaults_agree() -> None:
    # The integration's patterns may carry ^ and $; the character rules must be the same.
    assert const.CAMERA_ID_RE.pattern.strip("^$") == edge_ids.CAMERA_ID_RE.pattern
    assert const.ROI_ID_RE.pattern.strip("^$") == edge_ids.ROI_ID_RE.pattern
    assert const.DEFAULT_BASE_TOPIC == edge_topics.DEFAULT_BASE
    assert DetectionSettings().to_json() == const.DETECTION_DEFAULTS


@pytest.mark.parametrize(
    "points",
    [
        [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]],  # valid rectangle
        [[0, 0], [1, 1], [1, 0], [0, 1]],  # bow tie
        [[0.1, 0.1], [0.5, 0.5]],  # too few points
        [[0.1, 0.1], [1.2, 0.1], [0.5, 0.9]],  # out of range
    ],
)
def test_both_sides_accept_and_refuse_the_same_regions(points) -> None:
    edge_ok = ha_ok = True
    try:
        parse_roi_set({"version": 1, "rois": [{"id": "r", "name": "R", "points": points}]})
    except EdgeRoiError:
        edge_ok = False
    try:
        normalise_rois([{"id": "r", "name": "R", "points": points}])
    except RoiError:
        ha_ok = False
    assert edge_ok == ha_ok


@pytest.mark.parametrize(
    "detection",
    [
        {"frames_needed": 2, "frames_window": 30},
        {"frames_needed": 2, "frames_window": 31},
        {"clear_after": 3600},
        {"clear_after": 3601},
        {"threshold": 1.5},
        {"frames_needed": 4, "frames_window": 3},
        {"treshold": 0.5},
    ],
)
def test_integration_never_publishes_detection_settings_the_services_refuse(detection) -> None:
    try:
        published = normalise_detection(detection)
    except RoiError:
        return  # refused in HA already, with a translated error
    parse_roi_set({"version": 1, "rois": [], "detection": published})
