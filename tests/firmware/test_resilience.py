"""What keeps the camera up for days: the Last Will when the link goes, reconnecting after Wi-Fi
and broker loss, re-initialising the camera after capture failures, a watchdog always fed."""

from __future__ import annotations

import os
import signal
import time

from tests.firmware.helpers import Board, base_config
from tests.support.mqtt import Collector

# When Mosquitto (2.0: Debian's 2.0.11 here, and the Home Assistant add-on's) sends the Last Will
# of a client that went silent: its clock is in whole seconds, and it drops a client whose last
# packet is more than keepalive * 3 // 2 seconds old, but it only looks once every 6 s
# (src/keepalive.c: `if(last_keepalive_check + 5 < db.now_s)`, then every client is checked).
# So the will goes out between keepalive * 3 // 2 s and keepalive * 3 // 2 + 1 + 5 s after the
# last packet, depending only on where in the broker's 6 s cycle the link went. Measured with
# keepalive 2, the drop moved across one cycle in 0.5 s steps: 3.0 s just before a sweep, 8.9 s
# just after one, idle or with two CPU hogs alike (docs/reliability.md).
MOSQUITTO_KEEPALIVE_SWEEP_S = 6
BUSY_MACHINE_S = 4  # the broker's loop and the test client's thread get the CPU late


def will_bounds(keepalive: int) -> tuple[float, float]:
    """(earliest, latest) seconds from a silent drop to the Last Will at the test client.

    Earliest: the firmware sends something at least every keepalive / 2 s (pings; frames more
    often), so its last packet is at most that before the drop. Latest: the expiry, + 1 s for the
    broker's whole seconds, + up to 5 s to the next sweep (the will comes at a sweep, at most 6 s
    after the expiry's second), + time for a busy machine."""
    expiry = keepalive * 3 // 2
    return expiry - keepalive / 2, expiry + MOSQUITTO_KEEPALIVE_SWEEP_S + BUSY_MACHINE_S


# The firmware's waits (backoffs, Wi-Fi association) sleep in slices of at most 100 ms, each after
# a feed. What it slept between two feeds is counted (machine.WDT.max_unfed_sleep_ms) rather than
# the wall-clock gap, which on a busy machine also holds a (re)connection's CONNECT, SUBSCRIBEs
# and twenty QoS 1 round trips with a starved broker (measured: up to 1.6 s with two CPU hogs).
FED_SLICE_MS = 100


def assert_watchdog_fed(board: Board) -> None:
    wdt = board.wdt
    assert not wdt.starved, wdt.max_gap_ms
    assert wdt.max_unfed_sleep_ms <= FED_SLICE_MS, (wdt.max_unfed_sleep_ms, wdt.max_gap_ms)


def test_wifi_loss_fires_the_last_will_and_the_camera_comes_back(mosquitto, hw, tmp_path):
    import network

    keepalive = 2  # the broker's keepalive sweep, not this, dominates: the will within 2 to 13 s
    cfg = base_config(mosquitto, fps=5)
    cfg["broker"]["keepalive"] = keepalive
    earliest, latest = will_bounds(keepalive)
    board = Board(tmp_path / "flash", cfg)
    obs = Collector(mosquitto, board.topic("#"))
    board.start()
    try:
        obs.wait_first(board.topic("availability"), lambda p: p == b"online")
        obs.wait_first(board.topic("frame"))
        t_drop = time.monotonic()
        network.drop()  # the radio link is gone: nothing more reaches the broker, not even a FIN
        will = obs.wait_first(
            board.topic("availability"), lambda p: p == b"offline", after=t_drop, timeout=latest
        )
        print(f"Last Will after {will.at - t_drop:.1f} s")
        assert will.at - t_drop >= earliest, "the will came from a goodbye, not from the broker's keepalive"
        # and the broker says why it dropped the camera: its keepalive ran out
        assert f"Client {board.app.client_id.decode()} has exceeded timeout" in mosquitto.log.read_text()
        assert obs.count(board.topic("frame"), after=t_drop + 0.3) == 0
        t_back = time.monotonic()
        network.restore()
        obs.wait_first(board.topic("availability"), lambda p: p == b"online", after=t_back, timeout=10)
        obs.wait_first(board.topic("frame"), after=t_back, timeout=5)
        diag = obs.wait_json(board.topic("device"), lambda d: d["reconnects"] == 1, after=t_back, timeout=5)
        assert diag["streaming"] is True
        assert network.WLAN(network.STA_IF).connects >= 2
    finally:
        board.stop()
        obs.close()
    assert_watchdog_fed(board)


def test_reconnect_after_a_broker_restart(own_mosquitto, hw, tmp_path):
    board = Board(tmp_path / "flash", base_config(own_mosquitto, fps=5))
    obs = Collector(own_mosquitto, board.topic("#"))
    board.start()
    try:
        obs.wait_first(board.topic("stream/state"))
        obs.publish(board.topic("config/set"), {"framesize": "QVGA", "request_id": "before-restart"})
        obs.wait_json(board.topic("config/state"), lambda s: s["request_id"] == "before-restart")
        obs.close()
        own_mosquitto.restart(down_for=1.5)  # no persistence: every retained message is gone
        t_up = time.monotonic()
        obs = Collector(own_mosquitto, board.topic("#"))
        obs.wait_first(board.topic("availability"), lambda p: p == b"online", timeout=10)
        frame = obs.wait_first(board.topic("frame"), timeout=5)
        print(f"frames again {frame.at - t_up:.1f} s after the broker came back")
        # The camera put its retained messages back, with the state it had before.
        late = Collector(
            own_mosquitto,
            [
                board.topic("announce"),
                board.topic("config/state"),
                board.topic("stream/state"),
                f"homeassistant/switch/bobby_{board.cam}/streaming/config",
            ],
        )
        time.sleep(0.5)
        retained = {m.topic: m.payload for m in late.messages if m.retain}
        late.close()
        assert len(retained) == 4, sorted(retained)
        assert b'"request_id": "before-restart"' in retained[board.topic("config/state")]
        assert b'"resolution": [320, 240]' in retained[board.topic("announce")]
    finally:
        board.stop()
        obs.close()
    assert board.app.reconnects >= 1
    assert_watchdog_fed(board)


def test_a_broker_that_stops_answering_is_noticed(own_mosquitto, hw, tmp_path):
    # SIGSTOP: the broker's host is there (TCP still accepts) but the broker says nothing more,
    # as when it hangs or its host lost power behind a switch. Only the pings can tell.
    cfg = base_config(own_mosquitto, fps=5)
    cfg["broker"]["keepalive"] = 2
    board = Board(tmp_path / "flash", cfg)
    obs = Collector(own_mosquitto, board.topic("frame"))
    board.start()
    try:
        obs.wait_first(board.topic("frame"))
        obs.close()
        errors = board.app.errors
        t0 = time.monotonic()
        os.kill(own_mosquitto.proc.pid, signal.SIGSTOP)
        try:
            while board.app.errors == errors:
                assert time.monotonic() - t0 < 8, "the firmware did not notice the silent broker"
                time.sleep(0.05)
            noticed = time.monotonic() - t0
        finally:
            os.kill(own_mosquitto.proc.pid, signal.SIGCONT)
        print(f"silent broker noticed after {noticed:.1f} s")
        assert noticed <= 1.0 + 2.0 + 1.0  # next ping (keepalive / 2) + its timeout (keepalive) + slack
        obs = Collector(own_mosquitto, board.topic("frame"))
        obs.wait_first(board.topic("frame"), timeout=10)
        assert board.app.reconnects >= 1
    finally:
        board.stop()
        obs.close()
    assert not board.wdt.starved


def test_capture_failures_lead_to_a_new_init(mosquitto, hw, tmp_path):
    import bobby_cam
    import camera

    board = Board(tmp_path / "flash", base_config(mosquitto, fps=5))
    obs = Collector(mosquitto, [board.topic("frame"), board.topic("device")])
    board.start()
    try:
        obs.wait_first(board.topic("frame"))
        assert camera.state.inits == 1
        # One miss is not enough for an init; three in a row are.
        camera.state.fail_captures = 1
        # The miss awaited (the board's thread runs late on a busy machine), then 3 frame periods
        # in which an init, were one due, would have come.
        deadline = time.monotonic() + 15
        while camera.state.failed_captures < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.6)
        assert camera.state.inits == 1 and camera.state.failed_captures == 1
        t0 = time.monotonic()
        camera.state.fail_captures = bobby_cam.CAPTURE_FAILURES_BEFORE_REINIT
        camera.state.fail_inits = 1  # and the first new init fails too: tried again after a backoff
        obs.wait_first(board.topic("frame"), after=t0 + 0.7, timeout=15)  # a busy machine may be slow
        print(f"frames again after {time.monotonic() - t0:.1f} s")
        assert camera.state.failed_captures == 4
        assert camera.state.failed_inits == 1
        assert camera.state.inits == 2 and camera.state.deinits >= 1
        assert board.app.camera_reinits == 1 and board.app.errors == 5
    finally:
        board.stop()
        obs.close()
    assert_watchdog_fed(board)
