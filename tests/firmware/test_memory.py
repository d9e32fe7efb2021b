"""Memory per loop does not grow: the firmware's main loop run for many frames under tracemalloc
(allocations made by the firmware, umqtt.simple and the fakes) and with Python's object count."""

from __future__ import annotations

import gc
import json
import time
import tracemalloc

from tests.firmware.conftest import FAKES, FIRMWARE
from tests.firmware.helpers import base_config


def _run_frames(app, n: int) -> int:
    target, steps = app.frames + n, 0
    deadline = time.monotonic() + 30
    while app.frames < target:
        app.step()
        steps += 1
        assert time.monotonic() < deadline, "the loop stopped sending frames"
    return steps


def _traced(umqtt_dir) -> int:
    snap = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(True, f"{d}/*") for d in (FIRMWARE, FAKES, umqtt_dir)]
    )
    return sum(s.size for s in snap.statistics("filename"))


def test_memory_per_loop_does_not_grow(mosquitto, hw, tmp_path, umqtt_dir):
    import bobby_cam
    import machine
    import settings
    import utime

    cfg = base_config(mosquitto, fps=20, diagnostics_interval=5)
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    app = bobby_cam.App(
        settings.load_config(str(tmp_path / "config.json")),
        str(tmp_path / "state.json"),
        wdt=machine.WDT(timeout=bobby_cam.WDT_TIMEOUT_MS),
    )
    app.running = True
    app._start_camera(utime.ticks_ms())
    try:
        while app.client is None:
            app.step()
        _run_frames(app, 30)  # warm-up: the fake camera has encoded all its frames, diagnostics went out
        gc.collect()
        tracemalloc.start(10)
        try:
            bytes_before, objects_before = _traced(umqtt_dir), len(gc.get_objects())
            steps = _run_frames(app, 100)
            gc.collect()
            bytes_after, objects_after = _traced(umqtt_dir), len(gc.get_objects())
        finally:
            tracemalloc.stop()
    finally:
        app.shutdown()
    growth = bytes_after - bytes_before
    # Tracing starts after the warm-up: what is traced at the end is what the loops allocated and
    # still hold.
    print(
        f"{steps} loops, 100 frames: still held from their allocations {growth} B; "
        f"objects {objects_before} -> {objects_after} ({objects_after - objects_before:+d})"
    )
    assert app.frames >= 130 and app.errors == 0
    assert growth <= 1024, f"memory grew by {growth} B over {steps} loops"
    assert objects_after - objects_before <= 20, "objects pile up across loops"
