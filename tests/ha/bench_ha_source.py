"""What a Home Assistant camera published as a Bobby camera costs Home Assistant (ha_source.py):
CPU milliseconds of Home Assistant's process per picture, for a JPEG passed on and for a PNG
re-encoded. Not part of `make test`; run it by path (it prints its figures, recorded in
docs/performance.md):

    .venv-ha/bin/python -m pytest tests/ha/bench_ha_source.py -p no:cacheprovider -q -s

HA's harness with HA's real MQTT client on a real Mosquitto and HA's generic camera on a snapshot
server in a process of its own (Python's http.server: its CPU is not counted); the CPU of this
process (HA, its executor threads, the MQTT client) is read with time.process_time() while the
camera runs, minus the same process idle over as long, divided by the pictures sent.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from PIL import Image
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import MEDIA
from tests.ha.test_ha_source import add_generic, source_entry
from tests.support.mosquitto import Mosquitto

WINDOW = 10.0  # seconds measured per case (and idle before it)
CASES = [
    # (name, file served (snapshot_dir), its Content-Type, rate)
    ("JPEG 640x480, passed on", "still.jpg", "image/jpeg", 5.0),
    ("JPEG 1280x720, passed on", "still720.jpg", "image/jpeg", 5.0),
    ("PNG 1280x720, re-encoded", "still.png", "image/png", 2.0),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def snapshot_dir(tmp_path: Path) -> Path:
    import cv2

    cap = cv2.VideoCapture(str(MEDIA / "opencv_vtest.avi"))
    ok, frame = cap.read()
    cap.release()
    assert ok
    rgb = Image.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    rgb.resize((640, 480)).save(tmp_path / "still.jpg", quality=85)
    rgb.resize((1280, 720)).save(tmp_path / "still720.jpg", quality=85)
    rgb.resize((1280, 720)).save(tmp_path / "still.png")
    return tmp_path


@pytest.mark.timeout(600)
async def test_bench_ha_source(
    hass: HomeAssistant, mock_hass_config: None, socket_enabled: None, snapshot_dir: Path
) -> None:
    broker = Mosquitto().start()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(snapshot_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        mqtt_entry = MockConfigEntry(
            domain="mqtt", data={"broker": broker.host, "port": broker.port}, version=1, minor_version=2
        )
        mqtt_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mqtt_entry.entry_id)
        await hass.async_block_till_done()
        rows: list[tuple[str, float, int, float, float, int]] = []
        for i, (name, file, content_type, fps) in enumerate(CASES):
            url = f"http://127.0.0.1:{port}/{file}"
            generic = await add_generic(hass, url, content_type, title=f"Bench {i}")
            entity = f"camera.bench_{i}"

            cpu0, t0 = time.process_time(), time.monotonic()
            await asyncio.sleep(WINDOW)
            idle = (time.process_time() - cpu0) / (time.monotonic() - t0)

            entry = source_entry(fps, f"bench{i}", entity, base="bench", title=f"Bench {i}")
            entry.add_to_hass(hass)
            assert await hass.config_entries.async_setup(entry.entry_id)
            source: Any = entry.runtime_data.source
            while not source.counters["published"]:
                await asyncio.sleep(0.05)
            sent0, cpu0, t0 = source.counters["published"], time.process_time(), time.monotonic()
            await asyncio.sleep(WINDOW)
            elapsed = time.monotonic() - t0
            cpu = time.process_time() - cpu0 - idle * elapsed
            sent = source.counters["published"] - sent0
            assert sent > 0 and not source.failures.counts, source.diagnostics()
            size_kb = (snapshot_dir / file).stat().st_size // 1024
            rows.append((name, fps, sent, sent / elapsed, 1000 * cpu / sent, size_kb))
            assert await hass.config_entries.async_unload(entry.entry_id)
            assert await hass.config_entries.async_unload(generic.entry_id)
            await hass.async_block_till_done()
        print(f"\nHA process CPU per picture (window {WINDOW:g} s each, idle CPU subtracted)")
        print(
            f"{'case':30} {'KiB':>5} {'asked fps':>9} {'pictures':>8} {'sent fps':>8} {'CPU ms/picture':>14}"
        )
        for name, fps, sent, rate, ms, kib in rows:
            print(f"{name:30} {kib:5d} {fps:9g} {sent:8d} {rate:8.2f} {ms:14.1f}")
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        assert await hass.config_entries.async_unload(mqtt_entry.entry_id)
    finally:
        server.terminate()
        server.wait(10)
        broker.stop()
