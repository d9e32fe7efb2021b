"""The README's main job, `bobby-edge demo` (what `make demo` runs), as a user runs it."""

from __future__ import annotations

import re

from tests.support.procs import Command


def test_demo_streams_a_video_and_prints_detections(media_dir, model_path):
    cmd = Command(
        "demo",
        "--source",
        str(media_dir / "opencv_vtest.avi"),
        "--model",
        str(model_path),
        "--fps",
        "4",
        "--workers",
        "1",
        "--duration",
        "12",
    )
    assert cmd.wait(90) == 0, cmd.output()[-3000:]
    out = cmd.output()
    assert "started Mosquitto on mqtt://127.0.0.1:" in out
    detections = re.findall(r"demo: (\d+) person\(s\)", out)
    assert len(detections) >= 5, out[-3000:]
    assert all(int(n) >= 1 for n in detections), detections
    assert "demo: person ON" in out


def test_demo_with_a_missing_source_says_so(model_path, tmp_path):
    cmd = Command("demo", "--source", str(tmp_path / "nothing.mp4"), "--model", str(model_path))
    assert cmd.wait(30) == 2
    assert "no such file" in cmd.output() and "Traceback" not in cmd.output()
