"""The integration's own ROI validation (it may not import edge_agent: HACS installs only it)."""

from __future__ import annotations

import pytest

from custom_components.bobby_camera.rois import (
    RoiError,
    as_rectangle,
    check_polygon,
    format_points,
    normalise_detection,
    normalise_roi,
    normalise_rois,
    parse_points,
    rectangle,
    roi_id,
)

SQUARE = [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Driveway", "driveway"),
        ("Front Door", "front_door"),
        ("Café-2", "cafe_2"),
        ("x" * 40, "x" * 32),
        ("unknown", "unknown"),
    ],
)
def test_roi_id(name: str, expected: str) -> None:
    """Region names become ids of the contract: ^[a-z0-9_-]{1,32}$."""
    assert roi_id(name) == expected


@pytest.mark.parametrize("name", ["", "  ", "!!!", "--"])
def test_roi_id_invalid(name: str) -> None:
    """A name without letters or digits has no id."""
    with pytest.raises(RoiError) as err:
        roi_id(name)
    assert err.value.key == "invalid_name"


def test_points_text_round_trip() -> None:
    """Percent text to pairs and back."""
    assert parse_points("10,40; 60,40\n60 100;(10, 100)") == [(10, 40), (60, 40), (60, 100), (10, 100)]
    assert format_points([[0.1, 0.4], [0.605, 0.4], [0.6, 1.0]]) == "10,40; 60.5,40; 60,100"


def test_rectangle() -> None:
    """Edges in percent to four corners clockwise; out of range and inverted refused."""
    assert rectangle(10, 10, 50, 50) == SQUARE
    with pytest.raises(RoiError) as err:
        rectangle(-1, 10, 50, 50)
    assert err.value.key == "point_out_of_range"
    assert as_rectangle(SQUARE) == (10, 10, 50, 50)


@pytest.mark.parametrize(
    "points",
    [
        [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]],  # three points
        [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.2, 0.5]],  # not axis-aligned
        [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.5, 0.1]],  # a corner twice
        [[0.1, 0.1], [0.5, 0.5], [0.5, 0.1], [0.1, 0.5]],  # corners across, not round
    ],
)
def test_not_a_rectangle(points: list[list[float]]) -> None:
    """Only an axis-aligned rectangle, corners in order, opens in the rectangle editor."""
    assert as_rectangle(points) is None


@pytest.mark.parametrize(
    ("points", "key"),
    [
        (SQUARE, None),
        ([[0.2, 0.1], [0.3, 0.5], [0.1, 0.5]], None),
        ([[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.3, 0.1]], "self_intersecting"),  # touches an edge
        ([[0.1, 0.1], [0.5, 0.1], [0.2, 0.1], [0.3, 0.5]], "self_intersecting"),  # folds back
        ([[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.5, 0.5]], "degenerate_polygon"),
        ([[0.1, 0.1], ["a", 0.1], [0.5, 0.5]], "invalid_points"),
        ([[0.1, 0.1], [0.5], [0.5, 0.5]], "invalid_points"),
        ([[0.1, 0.1], [float("nan"), 0.1], [0.5, 0.5]], "invalid_points"),
        ([[0.1, 0.1], [0.5, -0.1], [0.5, 0.5]], "point_out_of_range"),
    ],
)
def test_check_polygon(points: list, key: str | None) -> None:
    """Simple polygons pass; the first problem of the others is named."""
    error = check_polygon(points, "r")
    assert (error.key if error else None) == key


def test_normalise_roi() -> None:
    """Defaults filled in; bad names, ids, labels and scores refused with their keys."""
    assert normalise_roi({"name": " Lawn ", "points": SQUARE}) == {
        "id": "lawn",
        "name": "Lawn",
        "points": SQUARE,
        "labels": ["person"],
    }
    assert normalise_roi({"id": "zone-1", "points": SQUARE})["name"] == "zone-1"
    cases = [
        ({"points": SQUARE}, "invalid_name"),
        ({"name": "A", "id": "Bad Id", "points": SQUARE}, "invalid_name"),
        ({"name": "A", "points": SQUARE, "labels": "person"}, "invalid_labels"),
        ({"name": "A", "points": SQUARE, "labels": ["person", " "]}, "invalid_labels"),
        ({"name": "A", "points": SQUARE, "min_score": 1.5}, "invalid_min_score"),
        ({"name": "A", "points": SQUARE, "min_score": True}, "invalid_min_score"),
    ]
    for roi, key in cases:
        with pytest.raises(RoiError) as err:
            normalise_roi(roi)
        assert err.value.key == key, roi


def test_error_text() -> None:
    """The English fallback, for logs and aborts."""
    assert str(RoiError("self_intersecting", region="Door")) == 'region "Door": self intersecting'
    assert str(RoiError("invalid_area")) == "invalid area"


@pytest.mark.parametrize(
    ("detection", "key"),
    [
        ({"labels": "person"}, "invalid_labels"),
        ({"labels": []}, "invalid_labels"),
        ({"threshold": 2}, "invalid_threshold"),
        ({"min_area": 0.5, "max_area": 0.5}, "invalid_area"),
        ({"frames_needed": 2.5}, "invalid_frames"),
        ({"frames_needed": 0}, "invalid_frames"),
        ({"clear_after": -1}, "invalid_clear_after"),
        ({"clear_after": "10"}, "invalid_clear_after"),
        ({"colour": "red"}, "invalid_detection"),
        ({"regions": "yes"}, "invalid_detection"),
        ({"max_regions": 0}, "invalid_detection"),
        ({"max_regions": 9}, "invalid_detection"),
        ({"max_regions": 2.0}, "invalid_detection"),
    ],
)
def test_normalise_detection_invalid(detection: dict, key: str) -> None:
    """Every setting is checked before it is sent."""
    with pytest.raises(RoiError) as err:
        normalise_detection(detection)
    assert err.value.key == key


def test_normalise_detection_regions() -> None:
    """The regions-from-motion keys (issue 20) pass through when set, and only then."""
    assert "regions" not in normalise_detection({}) and "max_regions" not in normalise_detection({})
    out = normalise_detection({"regions": False, "max_regions": 2})
    assert out["regions"] is False and out["max_regions"] == 2


def test_normalise_rois_duplicates() -> None:
    """Two names that give the same id are one too many."""
    with pytest.raises(RoiError) as err:
        normalise_rois([{"name": "Door", "points": SQUARE}, {"name": "DOOR", "points": SQUARE}])
    assert (err.value.key, err.value.placeholders) == ("duplicate_name", {"region": "DOOR"})
