"""The snapshot's captions never cover each other (edge_agent/detect/captions.py, the twin of the
card's frontend/src/labels.ts placement; the same cases as frontend/test/labels.test.ts)."""

from __future__ import annotations

import random

import cv2
import numpy as np

from edge_agent.detect.captions import intersects, place_captions
from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.imaging import draw_detections

# "person 56%" and "56%" at 7 px a character plus 8 px of padding, 18 px high (labels.test.ts).
FULL, SHORT = (78.0, 18.0), (29.0, 18.0)


def _sound(places, width: float, height: float) -> None:
    rects = [r for p in places if p is not None for r in [p[1]]]
    for r in rects:
        assert r[0] >= 0 and r[1] >= 0 and r[0] + r[2] <= width + 1e-9 and r[1] + r[3] <= height + 1e-9, r
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not intersects(a, b), (a, b)


def test_a_lone_person_caption_sits_on_its_box() -> None:
    [place] = place_captions([(100, 100, 160, 260)], [[FULL, SHORT]], [0.56], 640, 480, gap=2)
    assert place == (0, (100, 82, 78, 18))


def test_a_row_of_people_the_same_places_as_the_card() -> None:
    boxes = [(20 + i * 30, 200, 60 + i * 30, 330) for i in range(10)]
    places = place_captions(boxes, [[FULL, SHORT]] * 10, [0.5 + i * 0.04 for i in range(10)], 640, 480, gap=2)
    _sound(places, 640, 480)
    assert all(p is not None for p in places)
    # The surest keeps the place right above its box, as on the card (labels.test.ts).
    assert places[9] == (0, (290, 182, 78, 18))


def test_no_room_shortened_then_left_out() -> None:
    # One row of chips 120 px wide: "person 90%" and "60%"; a third finds no room at all.
    boxes = [(0, 0, 60, 30), (60, 0, 120, 30), (30, 0, 90, 30)]
    places = place_captions(boxes, [[FULL, SHORT]] * 3, [0.9, 0.6, 0.5], 120, 30, gap=2)
    assert places[0] is not None and places[0][0] == 0
    assert places[1] is not None and places[1][0] == 1
    assert places[2] is None
    _sound(places, 120, 30)


def test_random_crowds_never_overlap() -> None:
    rng = random.Random(18)
    for _ in range(200):
        width, height = rng.randint(320, 1000), rng.randint(240, 740)
        boxes = []
        for _ in range(rng.randint(1, 25)):
            w, h = rng.uniform(15, 120), rng.uniform(30, 200)
            x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
            boxes.append((x, y, x + w, y + h))
        places = place_captions(
            boxes, [[FULL, SHORT]] * len(boxes), [rng.random() for _ in boxes], width, height
        )
        _sound(places, width, height)
        if len(boxes) <= 10 and width >= 640 and height >= 480:
            assert all(p is not None for p in places)


def test_the_snapshot_of_a_crowd_has_captions_apart(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """draw_detections writes each caption where place_captions put it: no two text boxes meet."""
    written: list[tuple[str, tuple[int, int]]] = []
    real = cv2.putText

    def spy(img, text, org, face, scale, *args, **kwargs):  # type: ignore[no-untyped-def]
        written.append((text, org, scale))
        return real(img, text, org, face, scale, *args, **kwargs)

    monkeypatch.setattr(cv2, "putText", spy)
    rgb = np.zeros((480, 640, 3), np.uint8)
    # Eight people shoulder to shoulder, as in opencv_vtest.avi.
    objects = [
        DetectedObject("person", 0.5 + i / 20, (0.3 + i * 0.04, 0.3, 0.34 + i * 0.04, 0.5)) for i in range(8)
    ]
    draw_detections(rgb, objects)
    assert len(written) == 8
    boxes = []
    for text, (x, y), scale in written:
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        boxes.append((x, y - th, tw, th + base))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not intersects(a, b), (written, a, b)
