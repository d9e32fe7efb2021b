"""docs/getting-started (issue 17.4): every step checked against the code. The example files are
validated by the real schemas, the pages' `bobby-edge` command lines by the real parser, the Pi's
`service install` run on the example, and the Core path run: its mosquitto.conf and password
file permissions in the real Mosquitto, listen_frame with the password from the environment
file, and `watch`."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from edge_agent import cli
from edge_agent.camera import config as camcfg
from edge_agent.listen_frame.cli import config_from_args
from edge_agent.mqtt.topics import Topics
from tests.support.mosquitto import free_port, running_conf
from tests.support.mqtt import Collector
from tests.support.procs import ROOT

PAGES = sorted((ROOT / "docs" / "getting-started").glob("*.md"))
EXAMPLES = ROOT / "docs" / "examples"
ALL_DOCS = [*PAGES, ROOT / "docker" / "compose" / "README.md"]


def code_blocks(page: Path, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", page.read_text(), re.S)


def shell_commands(page: Path) -> list[str]:
    """The commands of a page's ```sh blocks, continuation lines joined, comments dropped."""
    out = []
    for block in code_blocks(page, "sh"):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines, as systemd's EnvironmentFile= reads a file without quotes."""
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def test_pages_exist_and_every_link_and_image_resolves():
    assert {p.name for p in PAGES} == {"README.md", "ha-os-pi-zero.md", "container-esp32.md", "core.md"}
    for page in ALL_DOCS:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if target.startswith(("http://", "https://", "#")):
                continue
            path = (page.parent / target.split("#", 1)[0]).resolve()
            assert path.exists(), f"{page.name}: {target}"
    readme = (ROOT / "README.md").read_text()
    assert "docs/getting-started/" in readme  # the quick start points there


def test_every_bobby_edge_command_of_the_pages_is_one_the_cli_accepts():
    seen: set[str] = set()
    for page in ALL_DOCS:
        for command in shell_commands(page):
            for part in command.split("&&"):
                words = shlex.split(part)
                for i, w in enumerate(words):
                    program = w == "bobby-edge" or w.endswith("/bin/bobby-edge")
                    if program and (i == 0 or words[i - 1] != "install"):  # not `pip install bobby-edge`
                        args = words[i + 1 :]
                        try:
                            parsed = cli.build_parser().parse_args(args)
                        except SystemExit:
                            pytest.fail(f"{page.name}: `bobby-edge {' '.join(args)}` is refused")
                        assert parsed.func, args
                        seen.add(" ".join(args[:2]))
    assert {"service install", "config check", "model download"} <= seen, seen
    assert any(c.startswith("watch") for c in seen), seen


def test_the_dumb_camera_example_is_valid_and_the_page_shows_it(tmp_path, capsys):
    example = EXAMPLES / "camera-dumb.yaml"
    data = yaml.safe_load(example.read_text())
    assert not any("password" in key for key in data)
    cfg = camcfg.load(argparse.Namespace(config=example), env={})
    assert (cfg.mode, cfg.source, cfg.fps, cfg.size) == ("dumb", "picamera2", 2.0, (640, 480))
    b = cfg.broker_settings()
    assert b.username == "bobbycam" and b.password is None and b.host == "homeassistant.local"
    assert cli.main(["config", "check", str(example)]) == 0
    assert "valid (dumb camera 'porch', source 'picamera2')" in capsys.readouterr().out
    # the page's copy of the file says the same
    page = ROOT / "docs" / "getting-started" / "ha-os-pi-zero.md"
    (shown,) = [yaml.safe_load(b) for b in code_blocks(page, "yaml")]
    assert shown == data


def test_service_install_on_the_example_with_the_password_in_bobby_env(tmp_path, capsys):
    etc = tmp_path / "etc-bobby"
    etc.mkdir()
    config = etc / "camera.yaml"
    shutil.copy(EXAMPLES / "camera-dumb.yaml", config)
    config.chmod(0o644)
    env = etc / "bobby.env"
    env.write_text("BOBBY_BROKER_PASSWORD=s3cret-pw\n")
    env.chmod(0o600)  # root's alone, as the page makes it
    units = tmp_path / "units"
    code = cli.main(["service", "install", "--config", str(config), "--unit-dir", str(units), "--no-enable"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "cannot read" not in captured.err  # systemd, not the service user, reads bobby.env
    unit = (units / "bobby-camera.service").read_text()
    assert f"EnvironmentFile=-{env}" in unit and "User=bobby" in unit
    assert f"camera --config {config}" in unit
    analyze = shutil.which("systemd-analyze")
    if analyze:
        result = subprocess.run(
            [analyze, "verify", str(units / "bobby-camera.service")], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
    # What the agent then logs in with: the example's user, bobby.env's password.
    cfg = camcfg.load(argparse.Namespace(config=config), env=env_file(env))
    b = cfg.broker_settings()
    assert (b.username, b.password) == ("bobbycam", "s3cret-pw")


def test_the_esp32_config_of_the_page_is_valid_for_the_firmware():
    page = ROOT / "docs" / "getting-started" / "container-esp32.md"
    (raw,) = [json.loads(b) for b in code_blocks(page, "json")]
    sys.path.insert(0, str(ROOT / "esp_firmware"))
    try:
        settings = importlib.import_module("settings")
        cfg = settings.parse_config(raw)
    finally:
        sys.path.remove(str(ROOT / "esp_firmware"))
    assert cfg["broker"]["user"] == "esp32cam" and cfg["broker"]["password"]
    # the compose file's Mosquitto listens where the page points the camera
    assert cfg["broker"]["port"] == 1883


def test_the_listen_frame_unit_and_config_of_the_core_page(model_path, tmp_path):
    unit = (EXAMPLES / "bobby-listen-frame.service").read_text()
    (exec_start,) = re.findall(r"(?m)^ExecStart=(.*)$", unit)
    words = shlex.split(exec_start)
    assert words[0] == "/opt/bobby/bin/bobby-edge"
    args = cli.build_parser().parse_args(words[1:])
    assert str(args.config) == "/etc/bobby/listen_frame.yaml"
    assert "EnvironmentFile=/etc/bobby/listen_frame.env" in unit and "User=bobby" in unit
    analyze = shutil.which("systemd-analyze")
    if analyze:  # verify checks that ExecStart's program exists: this checkout's
        here = tmp_path / "bobby-listen-frame.service"
        here.write_text(
            unit.replace("/opt/bobby/bin/bobby-edge", str(Path(sys.executable).parent / "bobby-edge"))
        )
        result = subprocess.run([analyze, "verify", str(here)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    args = cli.build_parser().parse_args(
        ["listen-frame", "--config", str(EXAMPLES / "listen_frame.yaml"), "--model", str(model_path)]
    )
    cfg = config_from_args(args)
    assert cfg.broker.username == "listen_frame" and cfg.instance == "core"
    example = yaml.safe_load((EXAMPLES / "listen_frame.yaml").read_text())
    assert not any("password" in key for key in example)
    page = ROOT / "docs" / "getting-started" / "core.md"
    (shown,) = [yaml.safe_load(b) for b in code_blocks(page, "yaml")]
    assert shown == example


# ---- the Core page, run ----------------------------------------------------------------------


@pytest.fixture
def core_mosquitto():
    """docs/examples/mosquitto-bobby.conf in the real Mosquitto, its password file made as the
    Core page says (mosquitto_passwd, then owned by the mosquitto user, mode 600); only the
    listener is moved to a free loopback port."""
    if os.geteuid() != 0:
        pytest.fail("needs root, as the page's sudo commands (chown to the mosquitto user); CI runs as root")
    try:
        pwd.getpwnam("mosquitto")
    except KeyError:
        pytest.fail("no mosquitto user: install Debian's mosquitto package (scripts/setup.sh does)")
    work = Path(tempfile.mkdtemp(prefix="bobby-core-"))
    work.chmod(0o755)
    passwd = work / "passwd"
    for i, (user, password) in enumerate((("homeassistant", "ha-pw"), ("listen_frame", "lf-pw"))):
        flags = ["-c"] if i == 0 else []
        subprocess.run(
            ["mosquitto_passwd", *flags, "-b", str(passwd), user, password], check=True, timeout=30
        )
    shutil.chown(passwd, "mosquitto", "mosquitto")
    passwd.chmod(0o600)
    port = free_port()
    text = (EXAMPLES / "mosquitto-bobby.conf").read_text()
    text = text.replace("listener 1883\n", f"listener {port} 127.0.0.1\n")
    text = text.replace("/etc/mosquitto/passwd", str(passwd))
    assert f"listener {port} 127.0.0.1" in text and "allow_anonymous false" in text
    conf = work / "mosquitto.conf"
    conf.write_text(text)

    class Broker:
        host = "127.0.0.1"

    broker = Broker()
    broker.port = port
    with running_conf(conf, port):
        yield broker
    shutil.rmtree(work, ignore_errors=True)


def test_core_listen_frame_runs_with_the_env_file_password_and_watch_logs_in(
    core_mosquitto, model_path, tmp_path
):
    port = core_mosquitto.port
    obs = Collector(core_mosquitto, "bobby/listen_frame/#", username="homeassistant", password="ha-pw")
    etc = Path(tempfile.mkdtemp(prefix="bobby-etc-"))
    etc.chmod(0o755)
    config = etc / "listen_frame.yaml"
    config.write_text(
        (EXAMPLES / "listen_frame.yaml").read_text().replace("127.0.0.1:1883", f"127.0.0.1:{port}")
    )
    config.chmod(0o644)
    env = etc / "listen_frame.env"
    env.write_text("BOBBY_BROKER_PASSWORD=lf-pw\n")
    env.chmod(0o600)  # root's: systemd reads it and hands the variable over
    # As the unit runs it: no home, the password only in its environment (from the env file),
    # --config as in ExecStart (--model: this machine's copy instead of /opt/bobby). Not as
    # another user: this machine's Python lives under /root, which no other user may enter.
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("BOBBY_")}
    run_env = {**base_env, **env_file(env), "HOME": "/nonexistent", "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, "-m", "edge_agent", "listen-frame", "--config", str(config)]
    argv += ["--model", str(model_path), "--workers", "1"]
    log = tmp_path / "lf.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            cwd="/",
            env=run_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        topic = Topics("bobby").service_availability("listen_frame", "core")
        obs.wait_first(topic, lambda p: p == b"online", timeout=90)
        text = log.read_text()
        assert f"connected to mqtt://listen_frame:***@127.0.0.1:{port}" in text and "lf-pw" not in text, text
        # the page's `watch` line, with the password in the environment
        watch = subprocess.run(
            [
                sys.executable,
                "-m",
                "edge_agent",
                "watch",
                "--broker",
                f"mqtt://listen_frame@127.0.0.1:{port}",
                "--duration",
                "1",
            ],
            env={**base_env, "BOBBY_BROKER_PASSWORD": "lf-pw"},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert watch.returncode == 0, watch.stdout + watch.stderr
        proc.send_signal(signal.SIGTERM)  # systemctl stop
        assert proc.wait(30) == 0, log.read_text()
        obs.wait_first(topic, lambda p: p == b"offline", timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        obs.close()
        shutil.rmtree(etc, ignore_errors=True)
