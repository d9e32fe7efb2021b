"""One score format across the dashboard card and the snapshot (issue 18): both write "56%".

The card's formatter is frontend/src/labels.ts `formatScore`, unit-tested in
frontend/test/labels.test.ts; the same cases are read from that test file and checked here
against the snapshot's formatter, so that the two cannot drift apart.
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_agent.detect import imaging
from edge_agent.detect.detection import DetectedObject
from edge_agent.detect.imaging import draw_detections, format_score

CARD_TESTS = Path(__file__).resolve().parents[2] / "frontend" / "test" / "labels.test.ts"


def _card_cases() -> list[tuple[float, str]]:
    text = CARD_TESTS.read_text(encoding="utf-8")
    return [(float(v), out) for v, out in re.findall(r'formatScore\((-?[\d.]+)\), "([^"]+)"', text)]


def test_the_card_cases_are_found() -> None:
    assert len(_card_cases()) >= 5


@pytest.mark.parametrize(("score", "expected"), _card_cases())
def test_the_same_text_as_the_card(score: float, expected: str) -> None:
    assert format_score(score) == expected


def test_half_rounds_up_as_in_javascript() -> None:
    # Python's round() rounds half to even (round(12.5) == 12); JavaScript's Math.round gives 13.
    assert format_score(0.125) == "13%"
    assert format_score(0.005) == "1%"
    assert format_score(0.0049) == "0%"


def test_the_snapshot_caption_is_a_percentage(monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[str] = []
    real = cv2.putText

    def spy(img, text, *args, **kwargs):  # type: ignore[no-untyped-def]
        written.append(text)
        return real(img, text, *args, **kwargs)

    monkeypatch.setattr(imaging.cv2, "putText", spy)
    rgb = np.zeros((240, 320, 3), np.uint8)
    out = draw_detections(rgb, [DetectedObject("person", 0.561, (0.25, 0.25, 0.75, 0.75))])
    assert written == ["person 56%"]
    assert out.any()
