"""A board that loses power fires its Last Will, and comes back streaming or not, with the frame
size it had: from the retained stream/state and config/state, or from its state.json when the
broker lost those. The firmware runs in its own process here, killed with SIGKILL (a power cut)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.firmware.helpers import base_config
from tests.support.mqtt import Collector

RUN_BOARD = Path(__file__).resolve().parent / "run_board.py"


class Process:
    def __init__(self, flash: Path, umqtt_dir: Path, camera_source: Path) -> None:
        self.log = (flash / "serial.log").open("ab")
        env = dict(os.environ, BOBBY_FAKE_CAMERA_SOURCE=str(camera_source), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, str(RUN_BOARD), str(flash), str(umqtt_dir)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def power_cut(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(5)
        self.log.close()


def test_power_cut_fires_the_will_and_the_reboot_comes_back_as_it_was(
    own_mosquitto, tmp_path, umqtt_dir, camera_source
):
    flash = tmp_path / "flash"
    flash.mkdir()
    cfg = base_config(own_mosquitto, fps=5)
    (flash / "config.json").write_text(json.dumps(cfg))
    cam, base = cfg["camera_id"], cfg["base_topic"]

    def topic(*parts):
        return "/".join((base, cam, *parts))

    def boot_and_check(obs: Collector, streaming: bool, resolution: list[int]) -> Process:
        t0 = time.monotonic()
        board = Process(flash, umqtt_dir, camera_source)
        # A deadline: the board is a Python process of its own, which a busy machine starts slowly.
        obs.wait_first(topic("availability"), lambda p: p == b"online", after=t0, timeout=30)
        state = obs.wait_json(topic("stream/state"), after=t0)
        assert state["state"] == ("ON" if streaming else "OFF")
        assert obs.wait_json(topic("announce"), after=t0)["resolution"] == resolution
        if streaming:
            # Waited for, not counted after a fixed sleep: a board process that a busy machine
            # starves sends its 5 fps late, not never.
            obs.wait_for(lambda: obs.count(topic("frame"), after=t0) >= 4, 15, "4 frames")
        else:
            time.sleep(1.5)  # 7 frame periods: a board that streams anyway has sent some by now
            assert obs.count(topic("frame"), after=t0) == 0
        return board

    obs = Collector(own_mosquitto, topic("#"))
    board = boot_and_check(obs, True, [640, 480])
    try:
        obs.publish(topic("stream/set"), {"state": "OFF", "request_id": "before-the-cut"})
        obs.publish(topic("config/set"), {"framesize": "QVGA", "request_id": "small"})
        obs.wait_json(topic("stream/state"), lambda s: s["request_id"] == "before-the-cut")
        obs.wait_json(topic("config/state"), lambda s: s["request_id"] == "small")
        t_cut = time.monotonic()
        board.power_cut()
        obs.wait_first(
            topic("availability"), lambda p: p == b"offline", after=t_cut, timeout=5
        )  # the Last Will
        assert json.loads((flash / "state.json").read_text())["streaming"] is False

        # 1. Reboot: the retained states and state.json agree.
        board = boot_and_check(obs, False, [320, 240])
        board.power_cut()

        # 2. The broker restarted without persistence meanwhile: state.json has it, and the camera
        #    puts the retained state back.
        obs.close()
        own_mosquitto.restart()
        obs = Collector(own_mosquitto, topic("#"))
        board = boot_and_check(obs, False, [320, 240])
        late = Collector(own_mosquitto, topic("stream/state"))
        assert late.wait_json(topic("stream/state"))["request_id"] == "before-the-cut"
        late.close()
        board.power_cut()

        # 3. The flash was wiped (state.json gone): the retained states on the broker have it.
        (flash / "state.json").unlink()
        board = boot_and_check(obs, False, [320, 240])
        assert "adopted the retained state" in (flash / "serial.log").read_text()
        t_on = time.monotonic()
        obs.publish(topic("stream/set"), "ON")
        obs.wait_first(topic("frame"), after=t_on, timeout=15)  # frames again (a busy machine may be slow)
    finally:
        if board.proc.poll() is None:
            board.power_cut()
        obs.close()
