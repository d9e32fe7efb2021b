"""Commands from Home Assistant (stream/set, config/set) are obeyed and acknowledged on the
retained stream/state and config/state, with the request id; bad ones are refused and say why."""

from __future__ import annotations

import time

import cv2
import numpy as np

from tests.firmware.helpers import Board, base_config
from tests.support.mqtt import Collector


def _size(jpeg: bytes) -> tuple[int, int]:
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    return img.shape[1], img.shape[0]


def test_streaming_off_and_on(mosquitto, hw, tmp_path):
    board = Board(tmp_path / "flash", base_config(mosquitto, fps=5))
    obs = Collector(mosquitto, board.topic("#"))
    board.start()
    try:
        obs.wait_first(board.topic("frame"))
        t0 = time.monotonic()
        obs.publish(board.topic("stream/set"), {"state": "OFF", "request_id": "r-off"})
        ack = obs.wait_json(board.topic("stream/state"), lambda s: s["request_id"] == "r-off", after=t0)
        t_ack = time.monotonic()
        assert ack["state"] == "OFF" and isinstance(ack["at"], int) and abs(ack["at"] - time.time()) < 5
        time.sleep(1.5)
        assert obs.count(board.topic("frame"), after=t_ack + 0.1) == 0, "frames after OFF"
        # The plain payload of Home Assistant's switch works too; no request id then.
        t1 = time.monotonic()
        obs.publish(board.topic("stream/set"), "ON")
        ack = obs.wait_json(board.topic("stream/state"), lambda s: s["state"] == "ON", after=t1)
        assert ack["request_id"] is None
        # Frames again (15 s: the simulated board on a busy machine may be slow to send).
        obs.wait_first(board.topic("frame"), after=t1, timeout=15)
        # The retained copy is what Home Assistant (and the camera after a reboot) reads.
        late = Collector(mosquitto, board.topic("stream/state"))
        retained = late.wait_json(board.topic("stream/state"))
        late.close()
        assert retained["state"] == "ON"
    finally:
        board.stop()
        obs.close()


def test_frame_size_quality_and_rate(mosquitto, hw, tmp_path):
    import camera

    board = Board(tmp_path / "flash", base_config(mosquitto, fps=2))
    obs = Collector(mosquitto, board.topic("#"))
    board.start()
    try:
        assert _size(obs.wait_first(board.topic("frame")).payload) == (640, 480)
        inits = camera.state.inits
        t0 = time.monotonic()
        obs.publish(
            board.topic("config/set"), {"framesize": "QVGA", "quality": 20, "fps": 4, "request_id": "c-1"}
        )
        ack = obs.wait_json(board.topic("config/state"), lambda s: s["request_id"] == "c-1", after=t0)
        assert {k: ack[k] for k in ("framesize", "quality", "fps", "resolution")} == {
            "framesize": "QVGA",
            "quality": 20,
            "fps": 4.0,
            "resolution": [320, 240],
        }
        assert "error" not in ack
        announce = obs.wait_json(board.topic("announce"), lambda a: a["resolution"] == [320, 240], after=t0)
        assert announce["fps"] == 4.0
        t_ack = time.monotonic()
        time.sleep(2.0)
        frames = [m for m in obs.on(board.topic("frame")) if m.at > t_ack]
        assert {_size(m.payload) for m in frames} == {(320, 240)}
        assert 6 <= len(frames) <= 9, len(frames)  # 4 fps for 2 s
        # A new frame size means a new init of the driver (its buffers are sized there).
        assert camera.state.inits == inits + 1 and camera.state.init_kwargs["quality"] == 20
        # Quality alone is set on the running camera, without an init.
        t1 = time.monotonic()
        obs.publish(board.topic("config/set"), {"quality": 40})
        ack = obs.wait_json(board.topic("config/state"), lambda s: s["quality"] == 40, after=t1)
        assert ack["request_id"] is None and ack["framesize"] == "QVGA"
        assert camera.state.quality == 40 and camera.state.inits == inits + 1
        small = obs.wait_first(board.topic("frame"), after=time.monotonic()).payload
        big = frames[-1].payload
        assert len(small) < len(big), "quality 40 must give smaller JPEGs than 20"
    finally:
        board.stop()
        obs.close()


def test_bad_commands_are_refused_and_said_so(mosquitto, hw, tmp_path):
    board = Board(tmp_path / "flash", base_config(mosquitto, fps=2))
    obs = Collector(mosquitto, board.topic("#"))
    board.start()
    try:
        obs.wait_first(board.topic("config/state"))
        t0 = time.monotonic()
        obs.publish(board.topic("config/set"), {"framesize": "HUGE", "quality": 20, "request_id": "bad-1"})
        ack = obs.wait_json(board.topic("config/state"), lambda s: s["request_id"] == "bad-1", after=t0)
        assert "framesize" in ack["error"] and "VGA" in ack["error"]
        assert (ack["framesize"], ack["quality"]) == ("VGA", 12), "nothing of a refused command is applied"
        obs.publish(board.topic("config/set"), {"fps": 0, "request_id": "bad-2"})
        ack = obs.wait_json(board.topic("config/state"), lambda s: s["request_id"] == "bad-2", after=t0)
        assert "fps" in ack["error"] and ack["fps"] == 2.0
        obs.publish(board.topic("config/set"), "not json")
        ack = obs.wait_json(
            board.topic("config/state"), lambda s: "error" in s and s["request_id"] is None, after=t0
        )
        obs.publish(board.topic("stream/set"), {"state": "MAYBE", "request_id": "bad-3"})
        ack = obs.wait_json(board.topic("stream/state"), lambda s: s["request_id"] == "bad-3", after=t0)
        assert ack["state"] == "ON" and "ON or OFF" in ack["error"]
        obs.publish(board.topic("stream/set"), "off")
        ack = obs.wait_json(
            board.topic("stream/state"), lambda s: "error" in s and s["request_id"] is None, after=t0
        )
        assert ack["state"] == "ON"
        # Still streaming, and the refusals are counted in the diagnostics.
        obs.wait_first(board.topic("frame"), after=time.monotonic())
        diag = obs.wait_json(board.topic("device"), lambda d: d["errors"] >= 5, timeout=8)
        assert diag["errors"] == 5
    finally:
        board.stop()
        obs.close()


def test_discovery_again_when_home_assistant_restarts(mosquitto, hw, tmp_path):
    board = Board(tmp_path / "flash", base_config(mosquitto))
    topic = f"homeassistant/switch/bobby_{board.cam}/streaming/config"
    obs = Collector(mosquitto, topic)
    board.start()
    try:
        obs.wait_first(topic)
        t0 = time.monotonic()
        obs.publish("homeassistant/status", "online")
        obs.wait_first(topic, after=t0, timeout=5)
    finally:
        board.stop()
        obs.close()
