"""One login story (issue 18): every command finds the broker password the same way, and a
refused login is retried with a capped exponential backoff and one log line per change of state,
against a real Mosquitto with a password file (mosquitto_passwd)."""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from edge_agent.camera import config as camcfg
from edge_agent.cli import build_parser
from edge_agent.listen_frame.cli import config_from_args
from edge_agent.mqtt import broker as broker_module
from edge_agent.mqtt.broker import BrokerSettings
from edge_agent.mqtt.client import BrokerRefused, ManagedClient
from edge_agent.settings import SettingsError, broker_settings, resolve
from tests.support.mosquitto import Mosquitto
from tests.support.mqtt import Collector
from tests.support.procs import Command, camera_env

USER, PASSWORD = "bobby", "right-pässword"
REFUSED = "refused the connection: Not authorized"


# ---- one function, the same sources for every command ----------------------------------------


@pytest.fixture
def no_password_env(monkeypatch):
    for name in ("BOBBY_BROKER_PASSWORD", "BOBBY_MQTT_PASSWORD", "BOBBY_BROKER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(broker_module, "_legacy_warned", False)


def _password(command: str, argv: list[str], model_path: Path, tmp_path: Path) -> str | None:
    """The broker password `bobby-edge <command> ARGV` would log in with."""
    if command == "listen-frame":
        args = build_parser().parse_args(["listen-frame", "--model", str(model_path), *argv])
        return config_from_args(args).broker.password
    if command == "camera":
        args = build_parser().parse_args(["camera", "--source", "x.avi", "--camera-id", "c", *argv])
        return camcfg.load(args).broker_settings().password
    # watch: what its run() does before connecting
    from edge_agent.tools import watch  # noqa: F401  (the command's module registers the flags)

    args = build_parser().parse_args(["watch", *argv])
    import voluptuous as vol

    from edge_agent.settings import LOGIN_KEYS

    s = resolve(args, vol.Schema({vol.Optional("broker"): str, **LOGIN_KEYS}, extra=vol.ALLOW_EXTRA))
    return broker_settings(s).password


@pytest.mark.parametrize("command", ["camera", "listen-frame", "watch"])
def test_every_command_reads_the_same_sources_in_the_same_order(
    command, no_password_env, monkeypatch, model_path, tmp_path, caplog
):
    pw_file = tmp_path / "mqtt-password"
    pw_file.write_text("from-file\n")
    config = tmp_path / "config.yaml"
    url = "mqtt://bobby@broker.lan"
    p = lambda *argv: _password(command, list(argv), model_path, tmp_path)  # noqa: E731
    assert p("--broker", url) is None
    # the environment's one name
    monkeypatch.setenv("BOBBY_BROKER_PASSWORD", "from-env")
    assert p("--broker", url) == "from-env"
    # the config file's key beats the environment
    config.write_text(f"broker: {url}\nmqtt_password: from-config\n")
    assert p("--config", str(config)) == "from-config"
    # the URL beats the config key (and the flag beats the file's URL)
    assert p("--config", str(config), "--broker", "mqtt://bobby:from-url@broker.lan") == "from-url"
    # a password file beats all: the flag, or the config key of the same name
    assert p("--config", str(config), "--broker-password-file", str(pw_file)) == "from-file"
    config.write_text(f"broker: {url}\nmqtt_password_file: {pw_file}\n")
    assert p("--config", str(config)) == "from-file"
    # $BOBBY_BROKER gives the URL when neither flag nor file does
    monkeypatch.setenv("BOBBY_BROKER", "mqtt://bobby@elsewhere")
    assert p() == "from-env"
    # the old name still works, with one warning for the whole process
    monkeypatch.delenv("BOBBY_BROKER_PASSWORD")
    monkeypatch.setenv("BOBBY_MQTT_PASSWORD", "from-old-name")
    with caplog.at_level(logging.WARNING):
        assert p("--broker", url) == "from-old-name"
        assert p("--broker", url) == "from-old-name"
    warnings = [r for r in caplog.records if "BOBBY_MQTT_PASSWORD is deprecated" in r.getMessage()]
    assert len(warnings) == 1, caplog.text
    assert "from-old-name" not in caplog.text


def test_listen_frames_old_key_and_an_unreadable_file_name_the_key(no_password_env, model_path, tmp_path):
    pw_file = tmp_path / "pw"
    pw_file.write_text("old-key\n")
    config = tmp_path / "lf.yaml"
    config.write_text(f"broker: mqtt://bobby@h\nbroker_password_file: {pw_file}\n")
    args = build_parser().parse_args(["listen-frame", "--model", str(model_path), "--config", str(config)])
    assert config_from_args(args).broker.password == "old-key"
    with pytest.raises(SettingsError, match="mqtt_password_file") as err:
        broker_settings({"broker": "mqtt://bobby@h", "mqtt_password_file": str(tmp_path / "none")}, env={})
    assert "old-key" not in str(err.value)
    # a camera config's user name and TLS keys are read the same way by every command
    b = broker_settings(
        {"broker": "mqtt://h", "mqtt_username": "cam", "mqtt_password": "pw", "mqtt_tls": True}, env={}
    )
    assert (b.username, b.password, b.tls) == ("cam", "pw", True)


# ---- a real Mosquitto that wants a login ------------------------------------------------------


@pytest.fixture
def login_broker():
    # Mosquitto started as root reads the password file after dropping to its own user: the file
    # must be readable by that user, so not under pytest's private tmp_path.
    pw_dir = Path(tempfile.mkdtemp(prefix="bobby-login-"))
    pw_dir.chmod(0o755)
    pw = pw_dir / "passwd"
    pw.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(pw), USER, PASSWORD], check=True)
    subprocess.run(["mosquitto_passwd", "-b", str(pw), "observer", "observer"], check=True)
    pw.chmod(0o644)
    broker = Mosquitto(extra_conf=f"allow_anonymous false\npassword_file {pw}").start()
    broker.password_file = pw
    yield broker
    broker.stop()
    shutil.rmtree(pw_dir, ignore_errors=True)


def _set_password(broker, password: str) -> None:
    """Change the user's password on the running broker (mosquitto_passwd, then SIGHUP reloads)."""
    subprocess.run(["mosquitto_passwd", "-b", str(broker.password_file), USER, password], check=True)
    broker.password_file.chmod(0o644)
    broker.proc.send_signal(signal.SIGHUP)


def _broker_refusals(broker) -> int:
    return broker.log.read_text().count("disconnected, not authorised")


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_a_wrong_login_backs_off_with_one_log_line_and_connects_once_fixed(login_broker, caplog):
    window = 14.0
    client = ManagedClient(
        BrokerSettings(login_broker.host, login_broker.port, USER, "wrong"),
        "test-login-backoff",
        refused_backoff=1.0,
        max_backoff=4.0,  # 1, 2, 4, 4, ... s (60 s in service; the cap is what is checked here)
    )
    with caplog.at_level(logging.DEBUG, logger="edge_agent.mqtt.client"):
        before = _broker_refusals(login_broker)
        client.start(timeout=10, retry_refused=True)  # returns at the first refusal
        started = time.monotonic()
        assert client.refused == "Not authorized" and not client.connected.is_set()
        time.sleep(window)
        attempts = _broker_refusals(login_broker) - before
        # Attempts at 0, 1, 3, 7, 11 s (+ one more on a slow machine): 5 or 6, never the 28 of a
        # fixed 0.5 s retry; and at least 4 even if the machine is busy.
        print(f"{attempts} refused attempts in {window:.0f} s (client counted {client.refusals})")
        assert 4 <= attempts <= 6, attempts
        assert client.refusals == attempts
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]
        assert REFUSED in warnings[0].getMessage() and "wrong" not in caplog.text
        assert "--broker-password-file" in warnings[0].getMessage()
        # The login is fixed on the broker: the next attempt (at most 4 s later) gets in.
        _set_password(login_broker, "wrong")
        fixed = time.monotonic()
        assert client.connected.wait(4.0 + 10), "no connection after the password was fixed"
        print(
            f"connected {time.monotonic() - fixed:.1f} s after the fix ({fixed - started:.0f} s of refusals)"
        )
    try:
        infos = [r.getMessage() for r in caplog.records if "connected to" in r.getMessage()]
        assert len(infos) == 1 and f"after {attempts}" in infos[0], infos
        assert client.refused is None and client.refusals == 0
        # A refusal again later starts again from 1 s, with one new warning.
        caplog.clear()
        subprocess.run(
            ["mosquitto_passwd", "-b", str(login_broker.password_file), USER, PASSWORD], check=True
        )
        login_broker.password_file.chmod(0o644)
        login_broker.restart()  # the client loses the broker and comes back to a refusal
        assert _wait(lambda: client.refusals >= 1, 15)
        assert client._refused_delay == 1.0
        assert sum(REFUSED in r.getMessage() for r in caplog.records) == 1
    finally:
        client.stop()


def test_a_command_refused_by_the_broker_says_so_at_once(login_broker):
    client = ManagedClient(BrokerSettings(login_broker.host, login_broker.port, USER, "wrong"), "test-once")
    started = time.monotonic()
    with pytest.raises(BrokerRefused, match="Not authorized") as err:
        client.start(timeout=30)
    assert time.monotonic() - started < 10  # the refusal, not the timeout, ended the wait
    assert "wrong" not in str(err.value) and "bobby:***@" in str(err.value)
    assert client.client._thread is None  # nothing left retrying


def test_watch_logs_in_with_the_password_file_or_environment(login_broker, tmp_path):
    url = f"mqtt://{USER}@{login_broker.host}:{login_broker.port}"
    wrong = Command("watch", "--broker", url, "--duration", "20", env={"BOBBY_BROKER_PASSWORD": "x"})
    code = wrong.wait(30)
    assert code == 1 and REFUSED in wrong.output(), wrong.output()
    pw_file = tmp_path / "pw"
    pw_file.write_text(PASSWORD + "\n")
    for extra, extra_env in (
        (["--broker-password-file", str(pw_file)], {}),
        ([], {"BOBBY_BROKER_PASSWORD": PASSWORD}),
        ([], {"BOBBY_MQTT_PASSWORD": PASSWORD}),
    ):
        cmd = Command("watch", "--broker", url, "--duration", "2", *extra, env=extra_env)
        assert cmd.wait(30) == 0, cmd.output()
        out = cmd.output()
        assert "connected to" in out and PASSWORD not in out, out
        assert ("deprecated" in out) == ("BOBBY_MQTT_PASSWORD" in extra_env), out


def test_a_camera_with_a_wrong_login_keeps_trying_quietly_and_streams_once_fixed(login_broker, media_dir):
    """The issue's case: a camera with a wrong password logged a refusal every 0.5 s."""
    url = f"mqtt://{USER}@{login_broker.host}:{login_broker.port}"
    env = camera_env(BOBBY_BROKER_PASSWORD="camera-pw")
    env.pop("BOBBY_MQTT_PASSWORD", None)
    obs = Collector(login_broker, "logincam/#", username="observer", password="observer")
    before = _broker_refusals(login_broker)
    cam = Command(
        "camera",
        "--mode",
        "dumb",
        "--source",
        str(media_dir / "opencv_vtest.avi"),
        "--camera-id",
        "door",
        "--base-topic",
        "logincam",
        "--broker",
        url,
        env=env,
    )
    try:
        assert _wait(lambda: REFUSED in cam.output(), 30), cam.output()
        time.sleep(12)
        assert cam.proc.poll() is None, cam.output()  # still running, not crashed on the refusal
        out = cam.output()
        assert out.count(REFUSED) == 1, out
        attempts = _broker_refusals(login_broker) - before
        assert 3 <= attempts <= 7, attempts  # 1 s doubling to 60 s: about 5 in 13 s
        _set_password(login_broker, "camera-pw")
        obs.wait_first("logincam/door/availability", lambda p: p == b"online", timeout=60)
        obs.wait_first("logincam/door/frame", timeout=30)
        out = cam.output()
        assert "refused attempt(s)" in out and out.count(REFUSED) == 1 and "camera-pw" not in out, out
    finally:
        cam.stop()
        obs.close()
