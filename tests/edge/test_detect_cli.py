"""`bobby-edge detect` run as a real command on real stills."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NO_PERSON_STILLS, PERSON_STILLS

ROOT = Path(__file__).resolve().parents[2]


def detect(*args, model=None, env=None):
    full_env = {**os.environ, **(env or {})}
    if model is not None:
        full_env["BOBBY_MODEL"] = str(model)
    return subprocess.run(
        [sys.executable, "-m", "edge_agent", "detect", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=full_env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def json_run(model_path, media_dir):
    files = [media_dir / n for n in PERSON_STILLS + NO_PERSON_STILLS]
    r = detect(*files, "--json", model=model_path)
    return files, r


def test_json_lines_for_person_and_no_person_stills(json_run):
    files, r = json_run
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(f) for f in files]
    by_name = {Path(line["file"]).name: line for line in lines}
    for name in PERSON_STILLS:
        line = by_name[name]
        assert line["persons"] >= 1, line
        assert line["persons"] == len(line["objects"])
        for obj in line["objects"]:
            assert obj["label"] == "person" and 0.5 <= obj["score"] <= 1 and obj["rois"] == []
            xmin, ymin, xmax, ymax = obj["box"]
            assert 0 <= xmin < xmax <= 1 and 0 <= ymin < ymax <= 1
        assert line["ms"] > 0
    for name in NO_PERSON_STILLS:
        assert by_name[name]["persons"] == 0 and by_name[name]["objects"] == [], by_name[name]


def test_human_output_other_labels_and_broken_file(model_path, media_dir, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes((media_dir / "skimage_rocket.jpg").read_bytes()[:3000])
    missing = tmp_path / "missing.png"
    files = [media_dir / "skimage_camera.png", broken, missing, media_dir / "skimage_chelsea.png"]
    r = detect(*files, "--label", "person", "--label", "cat", "--model", model_path)
    assert r.returncode == 1
    out = r.stdout.splitlines()
    assert len(out) == 2, r.stdout
    assert out[0].startswith(f"{files[0]}: 1 person: person 0.")
    assert out[1].startswith(f"{files[3]}: 0 persons: cat 0.")
    assert f"{broken}: error: truncated JPEG" in r.stderr
    assert f"{missing}: error:" in r.stderr


def test_all_labels_and_threshold(model_path, media_dir):
    still = media_dir / "tflsupport_cats_and_dogs.jpg"
    r = detect(still, "--all-labels", "--threshold", "0.4", "--json", model=model_path)
    assert r.returncode == 0, r.stderr
    line = json.loads(r.stdout)
    labels = {o["label"] for o in line["objects"]}
    assert {"cat", "dog"} <= labels and line["persons"] == 0
    assert all(o["score"] >= 0.4 for o in line["objects"])


def test_missing_model_is_a_clear_error(media_dir, tmp_path):
    r = detect(media_dir / "skimage_camera.png", env={"BOBBY_MODEL": "", "BOBBY_CACHE": str(tmp_path)})
    assert r.returncode == 1
    assert "run `bobby-edge model download`" in r.stderr
    assert "Traceback" not in r.stderr
