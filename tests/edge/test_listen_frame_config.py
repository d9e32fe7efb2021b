"""listen-frame's settings: config file < environment < flags, and errors that name the key."""

from __future__ import annotations

import pytest

from edge_agent.cli import build_parser
from edge_agent.listen_frame.cli import config_from_args
from edge_agent.settings import SettingsError
from tests.support.procs import Command


def parse(*argv: str):
    return build_parser().parse_args(["listen-frame", *argv])


def test_file_then_environment_then_flags(tmp_path, model_path, monkeypatch):
    cfg = tmp_path / "lf.yaml"
    cfg.write_text(
        "base_topic: home/cams\nworkers: 3\nshare_group: detectors\nthreshold: 0.6\n"
        f"model: {model_path}\nstats_interval: 5\n"
    )
    monkeypatch.setenv("BOBBY_BROKER", "mqtts://bob:s%40cret@broker.lan")
    config = config_from_args(parse("--config", str(cfg), "--threshold", "0.7", "--instance", "pi4"))
    assert config.base_topic == "home/cams" and config.workers == 3 and config.share_group == "detectors"
    assert config.threshold == 0.7 and config.instance == "pi4" and config.stats_interval == 5
    b = config.broker
    assert (b.host, b.port, b.tls, b.username, b.password) == ("broker.lan", 8883, True, "bob", "s@cret")
    # a flag beats the environment
    assert config_from_args(parse("--config", str(cfg), "--broker", "mqtt://other:1884")).broker.port == 1884


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("workers: many\n", "workers: expected int"),
        ("threshold: 2\n", "threshold: value must be at most 1.0"),
        ("broker: http://x\n", "broker: broker URL 'http://x': scheme must be mqtt:// or mqtts://"),
        ("base_topic: 'a/#'\n", "base_topic: expected topic levels separated by '/'"),
        ("wokers: 2\n", "wokers: extra keys not allowed"),
        ("- a list\n", "expected a mapping"),
    ],
)
def test_invalid_settings_name_the_key(tmp_path, model_path, yaml_text, message):
    cfg = tmp_path / "lf.yaml"
    cfg.write_text(yaml_text)
    with pytest.raises(SettingsError) as err:
        config_from_args(parse("--config", str(cfg), "--model", str(model_path)))
    assert message in str(err.value)


def test_bad_config_stops_the_command_with_the_message(tmp_path, model_path):
    cfg = tmp_path / "lf.yaml"
    cfg.write_text("workers: -1\n")
    cmd = Command("listen-frame", "--config", str(cfg), "--model", str(model_path))
    assert cmd.wait(30) == 2
    assert "workers: value must be at least 0" in cmd.output() and "Traceback" not in cmd.output()
