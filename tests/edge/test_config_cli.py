"""`bobby-edge config check FILE` and the camera settings layers (file < environment < flags)."""

from __future__ import annotations

import argparse
import dataclasses

import pytest
import voluptuous as vol

from edge_agent import cli
from edge_agent.camera import config as camcfg
from edge_agent.settings import SettingsError


def write(tmp_path, text):
    path = tmp_path / "camera.yaml"
    path.write_text(text)
    return path


def test_valid_file(tmp_path, capsys):
    token = tmp_path / "token"
    token.write_text("s3cret-token-value\n")
    path = write(
        tmp_path,
        f"""
mode: smart
source: picamera2
camera_id: garden
broker: mqtts://bobby@broker.lan
mqtt_password: hunter22
fps: 5
http_port: 8080
http_bind: 0.0.0.0
http_token_file: {token}
record: true
record_dir: /var/lib/bobby/rec
retention_max_mb: 2000
""",
    )
    assert cli.main(["config", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "valid (smart camera 'garden'" in out
    assert "http_token: ***" in out and "mqtt_password: ***" in out and "hunter22" not in out
    cfg = camcfg.load(argparse.Namespace(config=path))
    assert (
        cfg.http_token == "s3cret-token-value" and "s3cret" not in repr(cfg) and "hunter22" not in repr(cfg)
    )
    broker = cfg.broker_settings()
    assert broker.tls and broker.username == "bobby" and broker.password == "hunter22"


@pytest.mark.parametrize(
    "text, message",
    [
        ("source: x\ncamera_id: 'a b'\n", "camera_id: expected 1 to 64 characters"),
        ("source: x\ncamera_id: a\nfps: fast\n", "fps: expected a number, got 'fast'"),
        ("source: x\ncamera_id: a\nmode: clever\n", "mode: expected 'dumb' or 'smart'"),
        ("source: x\ncamera_id: a\ncolour: red\n", "colour: extra keys not allowed"),
        ("camera_id: a\n", "source: required"),
        ("source: x\ncamera_id: a\nmode: smart\nrecord: true\n", "record_dir: required when record is on"),
        (
            "source: x\ncamera_id: a\nhttp_token_file: /nonexistent/token\n",
            "http_token_file: expected a readable file",
        ),
        ("source: x\ncamera_id: a\nbroker: ftp://x\n", "broker: broker URL 'ftp://x': scheme must be"),
        ("- just\n- a list\n", "expected a mapping"),
    ],
)
def test_errors_name_the_key(tmp_path, capsys, text, message):
    assert cli.main(["config", "check", str(write(tmp_path, text))]) == 1
    assert message in capsys.readouterr().err


def test_flags_override_file_and_secrets_from_environment(tmp_path):
    path = write(tmp_path, "source: picamera2\ncamera_id: garden\nfps: 5\n")
    args = argparse.Namespace(config=path, fps=1.5)
    cfg = camcfg.load(args, env={"BOBBY_MQTT_PASSWORD": "from-env"})
    assert cfg.fps == 1.5 and cfg.mqtt_password == "from-env"
    with pytest.raises(SettingsError, match="http_password: required with http_username"):
        camcfg.load(argparse.Namespace(config=path, http_username="me"), env={})


def test_typed_config_has_a_field_for_every_key_and_defaults_from_the_schema(tmp_path):
    keys = {str(k.schema if isinstance(k, vol.Marker) else k) for k in camcfg.CAMERA_SCHEMA.schema}
    assert {f.name for f in dataclasses.fields(camcfg.CameraConfig)} == keys
    cfg = camcfg.load(
        argparse.Namespace(config=write(tmp_path, "source: picamera2\ncamera_id: hall\n")), env={}
    )
    assert (cfg.mode, cfg.fps, cfg.size, cfg.base_topic, cfg.http_port) == (
        "dumb",
        2.0,
        (None, None),  # the source's aspect (sources/frame_size.py)
        "bobby",
        None,
    )
    assert cfg.display_name == "hall" and cfg.http_settings() is None and cfg.record_settings() is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.fps = 5.0
