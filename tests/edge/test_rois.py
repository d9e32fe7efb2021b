"""ROI sets: validation messages, geometry, the bottom-centre rule and the filters."""

from __future__ import annotations

import json

import pytest

from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.rois import (
    DetectionSettings,
    Roi,
    RoiError,
    RoiSet,
    apply_filters,
    parse_roi_set,
    rect,
)

SQUARE = [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]


def one(roi: dict, **top) -> dict:
    return {"version": 1, "rois": [roi], **top}


def person(xmin, ymin, xmax, ymax, score=0.8, label="person") -> DetectedObject:
    return DetectedObject(label, score, (xmin, ymin, xmax, ymax))


def test_contract_example_parses_and_round_trips():
    payload = {
        "version": 7,
        "rois": [
            {
                "id": "driveway",
                "name": "Driveway",
                "points": [[0.05, 0.40], [0.60, 0.40], [0.60, 1.0], [0.05, 1.0]],
                "labels": ["person"],
                "min_score": 0.6,
            }
        ],
        "detection": {
            "labels": ["person"],
            "threshold": 0.5,
            "min_area": 0.0,
            "max_area": 1.0,
            "frames_needed": 2,
            "frames_window": 3,
            "clear_after": 10.0,
            "motion": True,
            "motion_sensitivity": 5,
            "motion_keepalive": 2.0,
            "regions": True,
            "max_regions": 4,
        },
    }
    s = parse_roi_set(json.dumps(payload).encode())
    assert s.version == 7 and s.rois[0].id == "driveway" and s.rois[0].min_score == 0.6
    assert s.to_json() == payload
    assert parse_roi_set(s.to_json()) == s
    assert parse_roi_set(json.dumps(s.to_json())) == s


def test_defaults_and_name_from_id():
    s = parse_roi_set({"version": 3, "rois": [{"id": "door", "points": SQUARE}]})
    roi = s.rois[0]
    assert roi.name == "door" and roi.labels == ("person",) and roi.min_score is None
    assert s.detection == DetectionSettings()
    assert parse_roi_set("{}") == RoiSet()
    assert parse_roi_set({"version": 0, "rois": []}).rois == ()


def test_unknown_top_level_keys_are_ignored():
    s = parse_roi_set({"version": 2, "rois": [], "editor": {"zoom": 2}})
    assert s.version == 2


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        ("", "empty"),
        ("[1, 2]", "must be a JSON object"),
        ({"version": -1}, "version: must be an integer from 0 to"),
        ({"version": 2**53}, "version: must be an integer from 0 to 9007199254740991"),
        (
            {"rois": [{"id": f"r{i}", "points": SQUARE} for i in range(33)]},
            "rois: at most 32 regions, got 33",
        ),
        (
            one({"id": "door", "points": [[i / 100, (i % 2) / 2] for i in range(65)]}),
            "roi 'door': needs 3 to 64 points, got 65",
        ),
        (one({"id": "door", "points": SQUARE, "name": "x" * 65}), "roi 'door': name must be .* at most 64"),
        (
            one({"id": "door", "points": SQUARE, "labels": ["person"] * 17}),
            "labels: must be a list of 1 to 16",
        ),
        ({"version": "7"}, "version: must be an integer"),
        ({"version": True}, "version: must be an integer"),
        ({"rois": {"id": "a"}}, "rois: must be a list"),
        ({"rois": ["door"]}, r"rois\[0\]: must be an object"),
        (one({"id": "Door", "points": SQUARE}), r"rois\[0\]: id must be 1 to 32 characters"),
        (one({"id": "a" * 33, "points": SQUARE}), r"rois\[0\]: id must be"),
        (one({"points": SQUARE}), r"rois\[0\]: id must be"),
        (
            {"rois": [{"id": "door", "points": SQUARE}, {"id": "door", "points": SQUARE}]},
            "roi 'door': duplicate id",
        ),
        (one({"id": "door", "points": SQUARE[:2]}), "roi 'door': needs 3 to 64 points, got 2"),
        (
            one({"id": "door", "points": [[i / 100, (i % 2) / 2] for i in range(65)]}),
            "needs 3 to 64 points, got 65",
        ),
        (one({"id": "door", "points": "0,0 1,1"}), "roi 'door': points must be a list"),
        (
            one({"id": "door", "points": [[0, 0], [1, 0], [1.2, 1]]}),
            r"roi 'door': point 2 \[1.2, 1\] is out of range",
        ),
        (one({"id": "door", "points": [[0, 0], [1, 0], [0.5, -0.1]]}), "roi 'door': point 2 .* out of range"),
        (one({"id": "door", "points": [[0, 0], [1, 0], ["a", 1]]}), "roi 'door': point 2 must be"),
        (one({"id": "door", "points": [[0, 0], [1, 0], [1]]}), "roi 'door': point 2 must be"),
        (one({"id": "door", "points": [[0, 0], [1, 0], [True, 1]]}), "roi 'door': point 2 must be"),
        (one({"id": "door", "points": [[0, 0], [0.5, 0.5], [1, 1]]}), "roi 'door': polygon has no area"),
        (
            one({"id": "door", "points": [[0, 0], [1, 1], [1, 0], [0, 1]]}),
            "roi 'door': polygon is self-intersecting",
        ),
        (
            one({"id": "door", "points": [[0, 0], [1, 0], [1, 1], [0.5, 0], [0, 1]]}),
            "roi 'door': polygon is self-intersecting",
        ),
        (
            one({"id": "door", "points": [[0, 0], [1, 0], [1, 0], [0, 1]]}),
            "roi 'door': point 2 repeats point 1",
        ),
        (
            one({"id": "door", "points": SQUARE, "labels": []}),
            "roi 'door': labels: must be a list of 1 to 16 label strings",
        ),
        (
            one({"id": "door", "points": SQUARE, "labels": "person"}),
            "roi 'door': labels: must be a list of 1 to 16 label strings",
        ),
        (
            one({"id": "door", "points": SQUARE, "min_score": 1.5}),
            "roi 'door': min_score: must be a number from 0 to 1",
        ),
        (one({"id": "door", "points": SQUARE, "colour": "red"}), "roi 'door': unknown key"),
        (one({"id": "door", "points": SQUARE, "name": ""}), "roi 'door': name must be"),
        ({"detection": {"threshold": 2}}, "detection.threshold: must be a number from 0 to 1, got 2"),
        ({"detection": {"treshold": 0.4}}, "detection: unknown key.*treshold"),
        ({"detection": {"labels": []}}, "detection.labels: must be a list of 1 to 16 label strings"),
        (
            {"detection": {"min_area": 0.5, "max_area": 0.2}},
            r"min_area \(0.5\) is larger than max_area \(0.2\)",
        ),
        ({"detection": {"max_area": 1.5}}, "detection.max_area: must be a number"),
        ({"detection": {"frames_needed": 4}}, r"frames_needed \(4\) is larger than frames_window \(3\)"),
        ({"detection": {"frames_window": 31}}, "detection.frames_window: must be an integer from 1 to 30"),
        ({"detection": {"frames_needed": 0}}, "detection.frames_needed: must be an integer from 1 to 30"),
        ({"detection": {"frames_needed": 1.5}}, "detection.frames_needed: must be an integer"),
        ({"detection": {"clear_after": 3601}}, "detection.clear_after: must be a number from 0 to 3600"),
        ({"detection": {"clear_after": float("nan")}}, "detection.clear_after"),
        ({"detection": "fast"}, "detection: must be an object"),
    ],
)
def test_invalid_sets_are_refused_with_a_clear_message(payload, message):
    with pytest.raises(RoiError, match=message):
        parse_roi_set(payload)


def test_valid_concave_polygon_is_accepted():
    # An L shape: concave but simple.
    pts = [[0, 0], [0.6, 0], [0.6, 0.3], [0.3, 0.3], [0.3, 1], [0, 1]]
    roi = parse_roi_set(one({"id": "l-shape", "points": pts})).rois[0]
    assert roi.contains(0.1, 0.9) and roi.contains(0.5, 0.1)
    assert not roi.contains(0.5, 0.9)


def test_contains_edges_and_vertices_count_as_inside():
    r = rect("door", 0.2, 0.2, 0.6, 0.8)
    assert r.points == ((0.2, 0.2), (0.6, 0.2), (0.6, 0.8), (0.2, 0.8))
    assert r.name == "door"
    assert r.contains(0.4, 0.5)
    assert r.contains(0.2, 0.5) and r.contains(0.6, 0.8) and r.contains(0.4, 0.8)
    assert not r.contains(0.61, 0.5) and not r.contains(0.4, 0.81) and not r.contains(0.1, 0.1)
    tri = Roi("t", "t", ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0)))
    assert tri.contains(0.2, 0.2) and tri.contains(0.5, 0.5) and not tri.contains(0.6, 0.6)


def test_bottom_centre_rule():
    door = rect("door", 0.4, 0.5, 0.8, 0.8)
    s = RoiSet(version=1, rois=(door,))
    # Box centre inside the region, feet below it: not in it.
    in_front = person(0.5, 0.6, 0.7, 0.95)
    # Box centre above the region, feet inside: in it.
    feet_in = person(0.45, 0.1, 0.75, 0.7)
    # Box overlapping the region, bottom-centre left of it.
    beside = person(0.1, 0.5, 0.5, 0.75)
    kept = apply_filters([in_front, feet_in, beside], s)
    assert kept == [feet_in.with_rois(("door",))]


def test_roi_set_that_excludes_everyone_gives_no_person():
    corner = rect("corner", 0.0, 0.0, 0.1, 0.1)
    objs = [person(0.3, 0.3, 0.5, 0.9), person(0.6, 0.2, 0.8, 0.95)]
    assert apply_filters(objs, RoiSet(version=1, rois=(corner,))) == []
    # No regions: the whole frame counts.
    assert apply_filters(objs, RoiSet()) == objs


def test_global_filters_labels_threshold_area():
    s = RoiSet(
        detection=DetectionSettings(labels=("person", "car"), threshold=0.5, min_area=0.01, max_area=0.5)
    )
    ok = person(0.1, 0.1, 0.3, 0.5)  # area 0.08
    low = person(0.1, 0.1, 0.3, 0.5, score=0.49)
    dog = person(0.1, 0.1, 0.3, 0.5, label="dog")
    car = person(0.1, 0.1, 0.3, 0.5, label="car")
    tiny = person(0.1, 0.1, 0.15, 0.15)  # area 0.0025
    huge = person(0.0, 0.0, 0.9, 0.9)  # area 0.81
    assert apply_filters([ok, low, dog, car, tiny, huge], s) == [ok, car]
    exact = person(0.1, 0.1, 0.3, 0.5, score=0.5)
    assert apply_filters([exact], s) == [exact]


def test_per_roi_labels_and_min_score():
    strict = rect("strict", 0.0, 0.0, 1.0, 1.0, min_score=0.8)
    cars = rect("cars", 0.0, 0.0, 1.0, 1.0, labels=("car",))
    s = RoiSet(
        version=2, rois=(strict, cars), detection=DetectionSettings(labels=("person", "car"), threshold=0.5)
    )
    p_hi = person(0.1, 0.1, 0.3, 0.5, score=0.9)
    p_mid = person(0.1, 0.1, 0.3, 0.5, score=0.6)
    car = person(0.1, 0.1, 0.3, 0.5, score=0.6, label="car")
    kept = apply_filters([p_hi, p_mid, car], s)
    assert kept == [p_hi.with_rois(("strict",)), car.with_rois(("cars",))]


def test_object_in_several_rois_lists_each():
    a = rect("a", 0.0, 0.0, 0.6, 1.0)
    b = rect("b", 0.4, 0.0, 1.0, 1.0)
    s = RoiSet(version=1, rois=(a, b))
    obj = person(0.4, 0.2, 0.6, 0.9)  # bottom-centre x 0.5: in both
    assert apply_filters([obj], s)[0].rois == ("a", "b")


def test_detected_object_json_and_geometry():
    o = DetectedObject("person", 0.87654, (0.123456, 0.2, 0.523456, 0.7), ("door",))
    assert o.to_json() == {
        "label": "person",
        "score": 0.877,
        "box": [0.1235, 0.2, 0.5235, 0.7],
        "rois": ["door"],
    }
    assert o.area == pytest.approx(0.4 * 0.5)
    assert o.bottom_centre == pytest.approx((0.323456, 0.7))
    assert o.with_rois(["x"]).rois == ("x",) and o.rois == ("door",)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b'{"version": NaN, "rois": []}', "NaN is not a number JSON allows"),
        (b'{"version": 1, "detection": {"threshold": Infinity}}', "Infinity is not a number JSON allows"),
        (b'{"version": -Infinity}', "-Infinity is not a number JSON allows"),
        (b'{"version": ' + b"9" * 5000 + b"}", "has more than 16 digits"),
        (b"[" * 100_000 + b"]" * 100_000, "larger than 65536"),
        (b"[" * 30_000 + b"]" * 30_000, "nested too deeply"),
        (b'{"version": 1, "rois": [], "pad": "' + b"x" * 70_000 + b'"}', "larger than 65536"),
    ],
)
def test_hostile_payloads_are_refused_before_or_while_parsing(payload, message):
    # Each of these once raised something other than RoiError (a traceback in the handler), or
    # passed and made the service publish invalid JSON.
    with pytest.raises(RoiError, match=message):
        parse_roi_set(payload)


def test_claimed_version_is_echoed_only_when_usable():
    from edge_agent.mqtt.messages import claimed_version

    assert claimed_version(b'{"version": 7, "rois": 3}') == 7
    assert claimed_version(b'{"version": ' + b"9" * 5000 + b"}") is None
    assert claimed_version(b'{"version": NaN}') is None
    assert claimed_version(b"not json") is None
