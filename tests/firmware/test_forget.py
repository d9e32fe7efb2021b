"""The ESP32 firmware removed in Home Assistant (docs/mqtt.md, forget): it empties its retained
topics and discovery, stops sending frames and answering HA's birth, until it is restarted;
restarted, it clears the marker and announces itself again."""

from __future__ import annotations

import json
import time

from tests.firmware.helpers import Board, base_config
from tests.support.mqtt import Collector


def _retained(broker, topic_filter: str) -> dict[str, bytes]:
    c = Collector(broker, topic_filter)
    time.sleep(1.0)
    out = {m.topic: m.payload for m in c.messages if m.retain}
    c.close()
    return out


def test_forget_quiets_the_board_until_it_restarts(mosquitto, hw, tmp_path):
    cfg = base_config(mosquitto, fps=5)
    board = Board(tmp_path / "flash", cfg)
    discovery = f"homeassistant/+/bobby_{board.cam}/+/config"
    obs = Collector(mosquitto, [board.topic("#"), discovery])
    board.start()
    try:
        obs.wait_first(board.topic("frame"))
        obs.wait_first(f"homeassistant/switch/bobby_{board.cam}/streaming/config")
        # Refused (and counted with the other errors): not a JSON object, too large.
        errors = board.app.errors
        obs.publish(board.topic("forget"), "yes")
        obs.publish(board.topic("forget"), json.dumps({"reason": "x" * 2000}))
        obs.wait_for(lambda: board.app.errors >= errors + 2, what="two refused forgets")
        assert not board.app.forgotten

        obs.publish(board.topic("forget"), {"by": "home_assistant"}, retain=True)
        obs.wait_for(lambda: obs.last(board.topic("announce")) == b"", what="announce emptied")
        time.sleep(1.0)
        t0 = time.monotonic()
        obs.publish("homeassistant/status", "online")
        obs.publish(board.topic("stream/set"), "ON")
        time.sleep(2.0)
        assert obs.count(board.topic("frame"), after=t0) == 0, "frames after the forget"
        assert obs.count(f"homeassistant/switch/bobby_{board.cam}/streaming/config", after=t0) == 0
        assert obs.count(board.topic("stream/state"), after=t0) == 0
        assert _retained(mosquitto, discovery) == {}
        assert set(_retained(mosquitto, board.topic("#"))) == {board.topic("forget")}
    finally:
        board.stop()
    # Restarted (the same flash): the marker cleared, announced, frames again.
    board = Board(tmp_path / "flash", cfg)
    t1 = time.monotonic()
    board.start()
    try:
        obs.wait_first(board.topic("announce"), lambda p: p.startswith(b"{"), after=t1)
        obs.wait_first(board.topic("frame"), after=t1)
        assert board.topic("forget") not in _retained(mosquitto, board.topic("#"))
    finally:
        board.stop()
        obs.close()
