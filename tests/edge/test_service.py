"""`bobby-edge service install|uninstall`: the unit file (hardened, checked with systemd-analyze), and the
agent's sd_notify (READY=1, watchdog pings) received on a real unix socket, also from the real process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest

from edge_agent import cli, sd_notify
from edge_agent.deploy import systemd
from tests.support.procs import CameraProcess, camera_env


def test_install_writes_a_valid_unit_and_uninstall_removes_it(tmp_path, capsys):
    config = tmp_path / "etc" / "garden.yaml"
    config.parent.mkdir()
    config.write_text("mode: dumb\nsource: picamera2\ncamera_id: garden\nbroker: mqtt://broker.lan\n")
    units = tmp_path / "units"
    config.write_text(
        "mode: smart\nsource: picamera2\ncamera_id: garden\nbroker: mqtt://broker.lan\n"
        f"record: true\nrecord_dir: {tmp_path / 'rec'}\nstate_dir: {tmp_path / 'state'}\n"
    )
    assert cli.main(["service", "install", "--config", str(config), "--unit-dir", str(units)]) == 0
    unit = units / "bobby-camera.service"
    text = unit.read_text()
    lines = set(text.splitlines())
    assert "After=network-online.target" in text and "Wants=network-online.target" in text
    assert "Restart=on-failure" in text
    assert f"WorkingDirectory={config.parent}" in text
    assert f"ExecStart={sys.executable} -m edge_agent camera --config {config}" in text
    assert "WantedBy=multi-user.target" in text
    # Hardening: a dedicated unprivileged user, a read-only system, writable only where it records.
    assert {"User=bobby", "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes"} <= lines
    assert {"Type=notify", "NotifyAccess=main", f"WatchdogSec={systemd.WATCHDOG_SEC}"} <= lines
    assert {"StateDirectory=bobby", "Environment=XDG_STATE_HOME=/var/lib/bobby"} <= lines
    assert {f"ReadWritePaths=-{tmp_path / 'rec'}", f"ReadWritePaths=-{tmp_path / 'state'}"} <= lines
    # Nothing in a home directory here (the venv is under /work): homes are hidden.
    home = any(str(p).startswith(("/home/", "/root/")) for p in (sys.executable, config))
    assert f"ProtectHome={'read-only' if home else 'yes'}" in lines
    out = capsys.readouterr().out
    assert "would run: useradd --system" in out and out.index("useradd") < out.index("daemon-reload")
    assert "would run: systemctl daemon-reload" in out and "enable --now bobby-camera.service" in out

    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is part of the test environment (Debian's systemd package)"
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    problems = [
        line for line in (result.stdout + result.stderr).splitlines() if "bobby-camera.service" in line
    ]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr

    assert cli.main(["service", "uninstall", "--unit-dir", str(units)]) == 0
    assert not unit.exists()


def test_user_unit_and_a_bad_config_is_not_installed(tmp_path, capsys):
    config = tmp_path / "cam.yaml"
    config.write_text("source: picamera2\ncamera_id: garden\n")
    units = tmp_path / "user-units"
    assert cli.main(["service", "install", "--user", "--config", str(config), "--unit-dir", str(units)]) == 0
    text = (units / "bobby-camera.service").read_text()
    assert "WantedBy=default.target" in text and "User=" not in text
    assert "Type=notify" in text and "NoNewPrivileges=yes" in text
    assert "ProtectSystem=" not in text  # needs a system manager (user namespaces otherwise)
    assert "useradd" not in capsys.readouterr().out
    config.write_text("source: picamera2\ncamera_id: 'not valid!'\n")
    assert cli.main(["service", "install", "--config", str(config), "--unit-dir", str(tmp_path / "x")]) == 1
    assert "camera_id: expected" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_a_named_user_is_not_created_and_a_home_venv_stays_readable(tmp_path):
    text = systemd.render_unit(
        config=systemd.Path("/home/pi/bobby/camera.yaml"),
        workdir=systemd.Path("/home/pi/bobby"),
        python="/home/pi/bobby/bin/python",
        user=False,
        run_as="pi",
        description="Bobby camera",
    )
    assert "User=pi" in text and "ProtectHome=read-only" in text and "ProtectSystem=strict" in text


@pytest.fixture
def notify_socket(tmp_path, monkeypatch):
    """A unix datagram socket where systemd would listen, and what arrives on it."""
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(0.1)
    received: list[tuple[float, str]] = []
    done = threading.Event()

    def listen():
        while not done.is_set():
            try:
                received.append((time.monotonic(), sock.recv(4096).decode()))
            except TimeoutError:
                continue

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    yield path, received
    done.set()
    thread.join(2)
    sock.close()


def test_ready_and_watchdog_pings_until_the_loop_pings_itself(notify_socket, monkeypatch):
    path, received = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "300000")  # WatchdogSec=0.3: a ping every 0.1 s
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    monkeypatch.setattr(sd_notify, "_loop_pings", False)
    monkeypatch.setattr(sd_notify, "_watchdog_sent_at", 0.0)
    stop = threading.Event()
    started = time.monotonic()
    thread = sd_notify.start_watchdog(stop)
    assert thread is not None and "NOTIFY_SOCKET" not in os.environ  # children do not inherit it
    # At least 5 pings, however long a busy machine takes to send them (was: 5 within 0.65 s).
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and [s for _, s in received].count("WATCHDOG=1") < 6:
        time.sleep(0.05)
    states = [s for _, s in received]
    assert states[0] == "READY=1" and states.count("WATCHDOG=1") >= 5, states
    # ... and not more than one per interval (0.1 s) since the start: a late thread sends fewer.
    assert states.count("WATCHDOG=1") <= 2 + (time.monotonic() - started) / 0.1, states
    # A run loop that pings itself takes over: the thread stops, so a hung loop gets restarted.
    for _ in range(20):
        sd_notify.notify("WATCHDOG=1")  # throttled: at most one per WatchdogSec / 6
        time.sleep(0.01)
    thread.join(10)
    assert not thread.is_alive()
    time.sleep(0.4)  # what was sent before is received (the listener may lag on a busy machine)
    count = len(received)
    time.sleep(0.4)
    assert len(received) == count  # nobody pings any more
    stop.set()
    monkeypatch.setattr(sd_notify, "_env", None)


def test_no_watchdog_outside_systemd(monkeypatch):
    for key in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        monkeypatch.delenv(key, raising=False)
    assert sd_notify.start_watchdog(threading.Event()) is None
    assert sd_notify.notify("READY=1") is False
    monkeypatch.setattr(sd_notify, "_env", None)
    assert sd_notify.watchdog_interval({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "1"}) == 0.0  # not us


def test_the_camera_process_tells_systemd_it_is_ready_and_pings(
    notify_socket, mosquitto, tmp_path, media_dir
):
    path, received = notify_socket
    camera = CameraProcess(
        [
            "--source",
            str(media_dir / "opencv_vtest.avi"),
            "--camera-id",
            "porch",
            "--broker",
            mosquitto.url,
            "--base-topic",
            f"n{uuid.uuid4().hex[:8]}",
            "--fps",
            "2",
        ],
        tmp_path / "camera.log",
        env=camera_env(NOTIFY_SOCKET=str(path), WATCHDOG_USEC="900000"),  # a ping every 0.3 s
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and [s for _, s in received].count("WATCHDOG=1") < 4:
            time.sleep(0.1)
        states = [s for _, s in received]
        assert states and states[0] == "READY=1", (states, camera.log[-2000:])
        assert states.count("WATCHDOG=1") >= 4
        assert camera.terminate() == 0
        time.sleep(0.2)
        assert "STOPPING=1" in [s for _, s in received] or camera.proc.returncode == 0
    finally:
        camera.kill()
