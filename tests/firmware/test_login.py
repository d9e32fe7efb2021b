"""The broker login of config.json (user and password, any text) is used; a refused login is
retried with backoff, not in a tight loop."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.firmware.helpers import Board, base_config
from tests.support.mosquitto import Mosquitto
from tests.support.mqtt import Collector

PASSWORD = "pässwörd-€"  # not ASCII: umqtt.simple must be given bytes


@pytest.fixture
def login_mosquitto():
    # Mosquitto started as root reads the password file after it dropped to its own user: the
    # file must be readable by that user, so not under pytest's private tmp_path.
    pw_dir = Path(tempfile.mkdtemp(prefix="bobby-fw-passwd-"))
    pw_dir.chmod(0o755)
    pw = pw_dir / "passwd"
    pw.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(pw), "bobby", PASSWORD], check=True)
    subprocess.run(["mosquitto_passwd", "-b", str(pw), "observer", "observer"], check=True)
    pw.chmod(0o644)
    broker = Mosquitto(extra_conf=f"allow_anonymous false\npassword_file {pw}").start()
    yield broker
    broker.stop()
    shutil.rmtree(pw_dir, ignore_errors=True)


def test_login_with_user_and_password(login_mosquitto, hw, tmp_path):
    cfg = base_config(login_mosquitto)
    cfg["broker"].update(user="bobby", password=PASSWORD)
    board = Board(tmp_path / "flash", cfg)
    obs = Collector(login_mosquitto, board.topic("#"), username="observer", password="observer")
    board.start()
    try:
        obs.wait_first(board.topic("availability"), lambda p: p == b"online")
        obs.wait_first(board.topic("frame"))
    finally:
        board.stop()
        obs.close()


def test_a_refused_login_is_retried_with_backoff(login_mosquitto, hw, tmp_path):
    cfg = base_config(login_mosquitto)
    cfg["broker"].update(user="bobby", password="wrong")
    board = Board(tmp_path / "flash", cfg).start()
    try:
        time.sleep(3.5)
        # Tries at 0, 1 and 3 s (backoff 1 s, 2 s, ...), each one counted as an error: no more by
        # now (retries without the backoff would be dozens) ...
        assert board.app.errors <= 4, board.app.errors
        # ... and at least a second one, awaited: a busy machine starts the simulated board late.
        deadline = time.monotonic() + 30
        while board.app.errors < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert board.app.errors >= 2, board.app.errors
        assert board.app.connects == 0 and board.app.client is None
    finally:
        board.stop()
    assert not board.wdt.starved
