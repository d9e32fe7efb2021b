"""The integration is self-contained (HACS installs only its folder), so it names the MQTT
contract's topics, ids and defaults itself: here they are checked against edge_agent's, the
other side of docs/mqtt.md, so that the two cannot drift apart."""

from __future__ import annotations

import pytest

from custom_components.bobby_camera import const
from custom_components.bobby_camera.rois import (
    MAX_REGIONS_PER_FRAME,
    OPTIONAL_DETECTION,
    RoiError,
    normalise_detection,
    normalise_rois,
)
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
    "stream_set",
    "stream_state",
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
    assert const.CAMERA_ID_RE.pattern == edge_ids.CAMERA_ID_RE.pattern
    assert const.ROI_ID_RE.pattern == edge_ids.ROI_ID_RE.pattern
    assert const.INSTANCE_RE.pattern == edge_ids.INSTANCE_RE.pattern
    assert const.BASE_TOPIC_RE.pattern == edge_ids.BASE_TOPIC_RE.pattern
    assert const.BASE_TOPIC_MAX == edge_ids.BASE_TOPIC_MAX
    assert const.MAX_ROIS == edge_ids.MAX_ROIS
    assert const.DEFAULT_BASE_TOPIC == edge_topics.DEFAULT_BASE
    edge_defaults = DetectionSettings().to_json()
    # The regions keys are optional on our side (sent only when the user set them), so the
    # service's own defaults apply; every other default is the same on both sides.
    assert set(OPTIONAL_DETECTION) <= set(edge_defaults)
    assert {k: v for k, v in edge_defaults.items() if k not in OPTIONAL_DETECTION} == const.DETECTION_DEFAULTS
    # Our bound on max_regions is the service's: the largest value each side takes is the same.
    normalise_detection({"max_regions": MAX_REGIONS_PER_FRAME})
    parse_roi_set({"version": 1, "rois": [], "detection": {"max_regions": MAX_REGIONS_PER_FRAME}})
    with pytest.raises(RoiError):
        normalise_detection({"max_regions": MAX_REGIONS_PER_FRAME + 1})
    with pytest.raises(EdgeRoiError):
        parse_roi_set({"version": 1, "rois": [], "detection": {"max_regions": MAX_REGIONS_PER_FRAME + 1}})


BASE_TOPICS = [
    "bobby",
    "home/cams",
    "a/b/c/d",
    "bobby-2_x",
    "/bobby/",
    "/bobby",
    "bobby/",
    "a//b",
    "bob+",
    "bob#",
    "a/+/b",
    "",
    "/",
    "x" * 128,
    "x" * 129,
    "x" * 200,
    "bobby\n",
    "bob by",
    "bob\tby",
    "bob\x00by",
    "$SYS",
    "$SYS/x",
    "a/$b",
    "caméra",
]


@pytest.mark.parametrize("base", BASE_TOPICS)
def test_base_topic_rule_agrees(base: str) -> None:
    """The set-up flow accepts exactly the base topics the services accept."""
    assert const.valid_base_topic(base) == edge_ids.valid_base_topic(base)


def test_base_topic_rule_refuses_what_it_must() -> None:
    good = {"bobby", "home/cams", "a/b/c/d", "bobby-2_x", "x" * 128, "a/$b", "caméra"}
    assert {b for b in BASE_TOPICS if const.valid_base_topic(b)} == good


ID_CASES = ["garden", "Garden-2_x", "g" * 64, "g" * 65, "", "garden\n", "gar den", "gar/den", "gar+", "été"]


@pytest.mark.parametrize("value", [*ID_CASES, "front_door", "Front", "a" * 33, "door\n"])
def test_id_rules_agree(value: str) -> None:
    """Camera ids, region ids and instance names: the same rule on both sides, with fullmatch
    (a trailing newline passes `re.match` with `$`)."""
    assert const.valid_camera_id(value) == edge_ids.valid_camera_id(value)
    assert const.valid_roi_id(value) == edge_ids.valid_roi_id(value)
    assert const.valid_instance(value) == edge_ids.valid_instance(value)
    if value.endswith("\n"):
        assert not const.valid_camera_id(value)
        assert not const.valid_roi_id(value)


SQUARE = [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]
TOO_MANY = [{"id": f"r{i}", "name": f"R{i}", "points": SQUARE} for i in range(const.MAX_ROIS + 1)]


def test_region_cap_in_the_integration() -> None:
    """HA takes MAX_ROIS regions and refuses one more, before it checks any of them."""
    normalise_rois(TOO_MANY[:-1])
    parse_roi_set({"version": 1, "rois": TOO_MANY[:-1]})
    with pytest.raises(RoiError) as err:
        normalise_rois(TOO_MANY)
    assert err.value.key == "too_many_regions"
    assert err.value.placeholders["max"] == "32"


def test_region_cap_in_the_services() -> None:
    with pytest.raises(EdgeRoiError):
        parse_roi_set({"version": 1, "rois": TOO_MANY})


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
        {"motion": False, "motion_sensitivity": 10, "motion_keepalive": 60},
        {"motion_sensitivity": 11},
        {"motion_keepalive": 0.4},
        {"motion": "yes"},
    ],
)
def test_integration_never_publishes_detection_settings_the_services_refuse(detection) -> None:
    try:
        published = normalise_detection(detection)
    except RoiError:
        return  # refused in HA already, with a translated error
    parse_roi_set({"version": 1, "rois": [], "detection": published})
