"""When does the Last Will of a board whose Wi-Fi went come? Moves the drop across one cycle of
Mosquitto's keepalive sweep and prints, for each drop, the time to the will at a subscriber.

Mosquitto 2.0 looks for silent clients once every 6 s (src/keepalive.c); a probe client with
keepalive 1 that never speaks marks one sweep, and every later sweep is a multiple of 6 s after
it. Each run: the real firmware on the fakes (as in the tests), its own keepalive, `network.drop()`
at sweep + phase, the will timed by a Collector; the broker's log says whether it was the keepalive.

usage: .venv/bin/python -m tests.firmware.measure_will [--keepalive 2] [--step 0.5]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAKES = ROOT / "tests" / "firmware" / "fakes"
SWEEP_S = 6


def _setup_path() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "esp_firmware" / "tools" / "fetch_umqtt.py")],
        check=True,
        capture_output=True,
        text=True,
    )
    sys.path[:0] = [str(FAKES), str(ROOT / "esp_firmware"), out.stdout.strip().splitlines()[-1]]
    gc.mem_free = lambda: 3_500_000


def _camera_source(out: Path) -> Path:
    import cv2

    from tests.conftest import MEDIA

    cap = cv2.VideoCapture(str(MEDIA / "opencv_vtest.avi"))
    for i in range(4):
        ok, frame = cap.read()
        assert ok, "opencv_vtest.avi unreadable"
        cv2.imwrite(str(out / f"f{i}.jpg"), frame)
    cap.release()
    return out


def _sweep_instant(broker) -> float:
    """time.monotonic() of one of the broker's keepalive sweeps: when it drops a silent probe."""
    with socket.create_connection((broker.host, broker.port)) as s:
        body = b"\x00\x04MQTT\x04\x02\x00\x01" + b"\x00\x05probe"  # CONNECT, keepalive 1 s
        s.sendall(bytes([0x10, len(body)]) + body)
        s.recv(4)  # CONNACK
        while s.recv(64):
            pass
        return time.monotonic()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keepalive", type=int, default=2)
    ap.add_argument("--step", type=float, default=0.5, help="phase step across the 6 s cycle (s)")
    args = ap.parse_args()
    _setup_path()

    import camera
    import machine
    import network
    import usocket

    from tests.firmware.helpers import Board, base_config
    from tests.support.mosquitto import Mosquitto
    from tests.support.mqtt import Collector

    work = Path(tempfile.mkdtemp(prefix="bobby-will-"))
    source = _camera_source(work)
    broker = Mosquitto().start()
    try:
        sweep = _sweep_instant(broker)
        print(f"keepalive {args.keepalive} s; phase = drop time after a broker sweep")
        print("phase_s  will_after_drop_s  by_keepalive")
        phase = 0.0
        while phase < SWEEP_S:
            camera._reset_fakes(source)
            network._reset_fakes()
            machine._reset_fakes()
            cfg = base_config(broker, fps=5)
            cfg["broker"]["keepalive"] = args.keepalive
            board = Board(work / f"flash{phase}", cfg)
            obs = Collector(broker, board.topic("availability"))
            serial = contextlib.redirect_stdout(io.StringIO())  # the firmware's log lines
            serial.__enter__()
            board.start()
            try:
                obs.wait_first(board.topic("availability"), lambda p: p == b"online")
                now = time.monotonic()
                target = sweep + SWEEP_S * ((now - sweep) // SWEEP_S + 1) + phase
                if target - now < 1.0:
                    target += SWEEP_S
                time.sleep(target - now)
                t_drop = time.monotonic()
                network.drop()
                will = obs.wait_first(
                    board.topic("availability"), lambda p: p == b"offline", after=t_drop, timeout=30
                )
                by_keepalive = f"Client {board.app.client_id.decode()} has exceeded timeout" in (
                    broker.log.read_text()
                )
            finally:
                board.stop()
                obs.close()
                usocket._bury()
                serial.__exit__(None, None, None)
            print(f"{phase:7.1f}  {will.at - t_drop:17.2f}  {by_keepalive}", flush=True)
            phase += args.step
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
