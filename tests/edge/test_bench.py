"""`bobby-edge bench` runs end to end and prints every figure (the figures themselves are
recorded in docs/performance.md from a run on a quiet machine, not asserted here)."""

from __future__ import annotations

import json

from tests.support.procs import Command


def test_bench_prints_every_figure(model_path, media_dir, tmp_path):
    out = tmp_path / "bench.json"
    cmd = Command(
        "bench",
        "--model",
        str(model_path),
        "--video",
        str(media_dir / "opencv_vtest.avi"),
        "--frames",
        "8",
        "--seconds",
        "1.5",
        "--workers",
        "1,2",
        "--json",
        str(out),
    )
    assert cmd.wait(180) == 0, cmd.output()[-3000:]
    text = cmd.output()
    for line in (
        "raw interpreter, 1 thread",
        "median single invocation",
        "JPEG decode",
        "listen_frame, 1 worker(s), through Mosquitto",
        "of decode + detect alone",
        "JPEG decode + detect, 2 processes at once (no MQTT)",
        "listen_frame, 2 worker(s), through Mosquitto",
        "CPU per analysed frame",
        "in the workers: inference",
        "latency at half load",
        "target: >= 88%",
    ):
        assert line in text, text
    figures = json.loads(out.read_text())
    assert figures["raw_fps"] > 0 and figures["listen_frame"]["1"]["fps"] > 0
    assert figures["listen_frame"]["2"]["fps"] > 0 and figures["ceilings"]["2"]["decode_and_detect"] > 0
    assert figures["latency"]["received"] > 0 and figures["latency"]["p95_ms"] >= figures["latency"]["p50_ms"]
    # The ratio is taken against the larger raw figure, whichever it is, and says which.
    one, ceiling = figures["listen_frame"]["1"], figures["ceilings"]["1"]
    assert ceiling["used"] == max(ceiling["single"], ceiling["at_once"]) > 0
    assert abs(one["ratio"] - one["fps"] / ceiling["used"]) < 1e-9
    assert one["ceiling_basis"] in ("single", "at once")
    assert figures["decoder"] in ("turbojpeg", "opencv")
    assert one["cpu_ms_per_frame"]["worker 1"] > 0
    assert one["worker_inference_ms"] > 0 and one["worker_preemptions_per_frame"] >= 0
    # Against decoding + detecting with nothing else running, too (the part no detector avoids).
    assert ceiling["decode_and_detect"] > 0
    assert abs(one["ratio_to_decode_and_detect"] - one["fps"] / ceiling["decode_and_detect"]) < 1e-9
