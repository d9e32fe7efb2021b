"""tests/edge runs spread over pytest-xdist processes by file (scripts/test.sh: `-n 4 --dist
loadfile`). The files are handed out in collection order, so the ones that take long should go
first: a long file started last would run on alone after the others have finished. Which files are
long is read from the tests themselves, so that a new file is placed without a list to keep: the
ones whose tests start real processes (a broker: the `mosquitto` fixtures) or are marked `slow`,
the most such tests first; the in-process files (milliseconds each) fill the gaps at the end.
Tests keep their order within a file."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.procs import FAKES

PROCESS_FIXTURES = {"mosquitto", "own_mosquitto"}


def weight(item: pytest.Item) -> int:
    w = 0
    if PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())):
        w += 1
    if item.get_closest_marker("slow") is not None:
        w += 10
    return w


HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The hook sees every collected item (`pytest tests` too): only this folder's are reordered,
    # among the places they already hold.
    places = [i for i, item in enumerate(items) if HERE in Path(item.fspath).parents]
    mine = [items[i] for i in places]
    per_file: Counter[str] = Counter()
    for item in mine:
        per_file[item.nodeid.split("::")[0]] += weight(item)
    mine.sort(key=lambda item: -per_file[item.nodeid.split("::")[0]])  # stable within a file
    for i, item in zip(places, mine, strict=True):
        items[i] = item


@pytest.fixture
def fake_picamera2(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`import picamera2` finds the driver-level fake (tests/edge/fakes/picamera2), imported afresh."""
    monkeypatch.syspath_prepend(str(FAKES))
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
    yield
    sys.modules.pop("picamera2", None)
