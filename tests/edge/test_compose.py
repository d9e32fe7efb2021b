"""docker/compose (issue 17.3): the compose file for Container and Core users, read as Docker
Compose reads it (no Docker engine here), and its mosquitto.conf run by the real Mosquitto."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from edge_agent.camera import config as camcfg
from edge_agent.cli import build_parser
from edge_agent.mqtt.broker import BrokerSettings
from edge_agent.mqtt.client import BrokerRefused, ManagedClient
from edge_agent.settings import broker_settings
from tests.support.mosquitto import free_port, running_conf
from tests.support.procs import ROOT

HERE = ROOT / "docker" / "compose"
COMPOSE = yaml.safe_load((HERE / "docker-compose.yaml").read_text())
SERVICES = COMPOSE["services"]
# A password in a URL (user:secret@), or a password-ish flag followed by a value.
URL_WITH_PASSWORD = re.compile(r"://[^/@\s:]*:[^/@\s]+@")
PASSWORD_FLAGS = {"-P", "--pw", "--password", "--mqtt-password"}


def conf_lines() -> dict[str, list[str]]:
    """mosquitto.conf as key -> values (comments and blank lines dropped)."""
    out: dict[str, list[str]] = {}
    for line in (HERE / "mosquitto.conf").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition(" ")
            out.setdefault(key, []).append(value.strip())
    return out


def mounts(service: dict) -> dict[str, str]:
    """container path -> host path (or volume name) of a service's short-syntax volumes."""
    result = {}
    for v in service.get("volumes", []):
        source, target, *_ = v.split(":")
        result[target] = source
    return result


def argv(service: dict) -> list[str]:
    parts = []
    for key in ("entrypoint", "command"):
        value = service.get(key) or []
        parts += value.split() if isinstance(value, str) else list(value)
    return [str(p) for p in parts]


def flag(args: list[str], name: str) -> str:
    assert name in args, args
    return args[args.index(name) + 1]


def gitignored(path: str) -> bool:
    result = subprocess.run(
        ["git", "check-ignore", "-q", path], cwd=HERE, capture_output=True, timeout=30, check=False
    )
    return result.returncode == 0


def test_services_and_no_password_on_any_command_line():
    assert set(SERVICES) == {"mosquitto", "listen_frame", "camera"}
    assert SERVICES["camera"]["profiles"] == ["camera"]  # optional: only with --profile camera
    for name, service in SERVICES.items():
        args = argv(service)
        assert not any(URL_WITH_PASSWORD.search(a) for a in args), (name, args)
        assert not PASSWORD_FLAGS & set(args), (name, args)
        env = service.get("environment") or {}
        items = env.items() if isinstance(env, dict) else (e.partition("=")[::2] for e in env)
        for key, value in items:
            assert "PASSWORD" not in key.upper() or not value, f"{name}: {key} has a literal value"
    text = (HERE / "docker-compose.yaml").read_text()
    assert not URL_WITH_PASSWORD.search(text)


def test_mosquitto_wants_a_login_from_the_password_file_the_compose_file_mounts():
    conf = conf_lines()
    assert conf["allow_anonymous"] == ["false"]
    assert conf["listener"] == ["1883"]
    m = mounts(SERVICES["mosquitto"])
    assert m["/mosquitto/config/mosquitto.conf"] == "./mosquitto.conf"
    (password_file,) = conf["password_file"]
    assert m[password_file] == "./passwd" and gitignored("passwd")
    (persistence,) = conf["persistence_location"]
    assert m[persistence.rstrip("/")] in COMPOSE["volumes"]
    assert "1883:1883" in SERVICES["mosquitto"]["ports"]


def test_listen_frame_logs_in_with_its_secret_and_runs_the_released_image():
    lf = SERVICES["listen_frame"]
    args = argv(lf)
    assert args[:2] == ["bobby-edge", "listen-frame"]
    parsed = build_parser().parse_args(args[1:])  # the command line is one bobby-edge accepts
    assert parsed.func.__module__ == "edge_agent.listen_frame.cli"
    url = urlsplit(flag(args, "--broker"))
    assert url.hostname == "mosquitto" and url.port == 1883 and url.username and not url.password
    secret_path = Path(flag(args, "--broker-password-file"))
    assert secret_path.parent == Path("/run/secrets") and secret_path.name in lf["secrets"]
    secret_file = COMPOSE["secrets"][secret_path.name]["file"]
    assert secret_file.startswith("./secrets/") and gitignored(secret_file)
    assert flag(args, "--instance")  # a fixed name, not the container's changing host name
    # The add-on's image, the one the release publishes, of the add-on's version.
    addon = yaml.safe_load((ROOT / "addon" / "config.yaml").read_text())
    expected = addon["image"].replace("{arch}", "${BOBBY_ARCH:-amd64}")
    assert lf["image"] == f"{expected}:${{BOBBY_VERSION:-{addon['version']}}}"


def test_the_optional_camera_reads_its_password_from_an_env_file(tmp_path):
    cam = SERVICES["camera"]
    build = cam["build"]
    assert (HERE / build["context"] / build["dockerfile"]).is_file()
    (env_file,) = cam["env_file"]
    assert env_file.startswith("./secrets/") and gitignored(env_file)
    config_path = flag(argv(cam), "--config")
    source = mounts(cam)[config_path]
    assert (HERE / source).is_file()
    env = {"BOBBY_BROKER_PASSWORD": "from-env-file"}
    args = build_parser().parse_args(["camera", "--config", str(HERE / source)])
    cfg = camcfg.load(args, env=env)
    config = yaml.safe_load((HERE / source).read_text())
    assert cfg.mode == "dumb" and not any("password" in key for key in config)
    broker = broker_settings({"broker": cfg.broker}, env=env)
    assert broker.host == "mosquitto" and broker.username and broker.password == "from-env-file"


# ---- mosquitto.conf, run ---------------------------------------------------------------------


@pytest.fixture
def compose_mosquitto():
    """docker/compose/mosquitto.conf run by the real Mosquitto: only the listener (a free
    loopback port instead of 1883 on every interface) and the container's paths are adapted."""
    work = Path(tempfile.mkdtemp(prefix="bobby-compose-"))
    work.chmod(0o755)  # Mosquitto started as root reads its files as the mosquitto user
    (work / "data").mkdir(mode=0o777)
    (work / "data").chmod(0o777)
    passwd = work / "passwd"
    passwd.write_text("")
    for user, password in (("listen_frame", "lf-secret"), ("homeassistant", "ha-secret")):
        subprocess.run(["mosquitto_passwd", "-b", str(passwd), user, password], check=True, timeout=30)
    passwd.chmod(0o644)
    port = free_port()
    text = (HERE / "mosquitto.conf").read_text()
    text = re.sub(r"(?m)^listener 1883$", f"listener {port} 127.0.0.1", text)
    text = text.replace("/mosquitto/config/passwd", str(passwd))
    text = text.replace("/mosquitto/data/", f"{work / 'data'}/")
    assert "/mosquitto/" not in text and f"listener {port} 127.0.0.1" in text
    conf = work / "mosquitto.conf"
    conf.write_text(text)
    with running_conf(conf, port):
        yield port
    shutil.rmtree(work, ignore_errors=True)


def _connack(port: int, username: str | None = None, password: str | None = None) -> str:
    """The broker's answer to a CONNECT (paho's reason string)."""
    answers: list[str] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-compose-{username}", protocol=mqtt.MQTTv5)
    if username:
        client.username_pw_set(username, password)
    client.on_connect = lambda c, u, f, rc, p: answers.append(str(rc))
    client.connect("127.0.0.1", port)
    deadline = time.monotonic() + 20
    while not answers and time.monotonic() < deadline:
        client.loop(0.2)
    client.disconnect()
    assert answers, "no CONNACK"
    return answers[0]


def test_the_compose_mosquitto_conf_refuses_anonymous_clients_and_accepts_its_users(
    compose_mosquitto, tmp_path
):
    port = compose_mosquitto
    assert _connack(port) == "Not authorized"
    assert _connack(port, "homeassistant", "wrong") == "Not authorized"
    assert _connack(port, "homeassistant", "ha-secret") == "Success"
    # listen_frame's login exactly as the compose file gives it: user in --broker, password from
    # the secret file (here a file of the same content), through bobby-edge's one login function.
    args = argv(SERVICES["listen_frame"])
    secret = tmp_path / "listen_frame_mqtt_password"
    secret.write_text("lf-secret\n")
    url = flag(args, "--broker").replace("mosquitto:1883", f"127.0.0.1:{port}")
    login = broker_settings({"broker": url, "mqtt_password_file": str(secret)}, env={})
    assert login.username == "listen_frame"
    client = ManagedClient(login, "t-compose-listen-frame")
    try:
        client.start(timeout=20)
        assert client.connected.is_set()
    finally:
        client.stop()
    wrong = ManagedClient(BrokerSettings("127.0.0.1", port, "listen_frame", "nope"), "t-compose-wrong")
    with pytest.raises(BrokerRefused, match="Not authorized"):
        wrong.start(timeout=20)
