"""`bobby-edge service install|uninstall`: the unit file, checked with systemd-analyze."""

from __future__ import annotations

import shutil
import subprocess
import sys

from edge_agent import cli


def test_install_writes_a_valid_unit_and_uninstall_removes_it(tmp_path, capsys):
    config = tmp_path / "etc" / "garden.yaml"
    config.parent.mkdir()
    config.write_text("mode: dumb\nsource: picamera2\ncamera_id: garden\nbroker: mqtt://broker.lan\n")
    units = tmp_path / "units"
    assert (
        cli.main(
            ["service", "install", "--config", str(config), "--unit-dir", str(units), "--run-as", "root"]
        )
        == 0
    )
    unit = units / "bobby-camera.service"
    text = unit.read_text()
    assert "After=network-online.target" in text and "Wants=network-online.target" in text
    assert "Restart=on-failure" in text
    assert f"WorkingDirectory={config.parent}" in text
    assert f"ExecStart={sys.executable} -m edge_agent camera --config {config}" in text
    assert "WantedBy=multi-user.target" in text and "User=root" in text
    out = capsys.readouterr().out
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
    config.write_text("source: picamera2\ncamera_id: 'not valid!'\n")
    assert cli.main(["service", "install", "--config", str(config), "--unit-dir", str(tmp_path / "x")]) == 1
    assert "camera_id: expected" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
