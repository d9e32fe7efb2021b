"""`bobby-edge record-bench --encoder-only` runs and prints its figures (recorded in
docs/performance.md, "Recording (dumb cameras)", from a full run; not asserted here). The full
run (two listen_frame sessions a mode) is too long for the suite."""

from __future__ import annotations

import re

from tests.support.procs import Command


def test_record_bench_prints_the_encoder_figures(media_dir):
    cmd = Command("record-bench", "--video", str(media_dir / "opencv_vtest.avi"), "--encoder-only")
    assert cmd.wait(120) == 0, cmd.output()[-3000:]
    text = cmd.output()
    m = re.search(r"([\d.]+) ms of CPU per frame = ([\d.]+) % of one core per recorded camera", text)
    assert m and float(m[1]) > 0 and float(m[2]) > 0, text[-2000:]
    assert "kbit/s on disk" in text and "4 cameras recording take" in text
