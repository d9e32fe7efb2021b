"""Broker secrets and TLS settings of the commands: kept out of the process list and of messages."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from edge_agent.cli import build_parser
from edge_agent.listen_frame.cli import config_from_args
from edge_agent.mqtt.broker import BrokerURLError
from edge_agent.mqtt.client import ManagedClient
from edge_agent.settings import SettingsError
from tests.support.procs import Command


def parse(*argv: str):
    return build_parser().parse_args(["listen-frame", *argv])


def test_listen_frame_password_from_file_environment_or_config(tmp_path, model_path, monkeypatch):
    monkeypatch.delenv("BOBBY_BROKER_PASSWORD", raising=False)
    pw = tmp_path / "pw"
    pw.write_text("from-file\n")
    base = ("--broker", "mqtt://bob@h", "--model", str(model_path))
    assert config_from_args(parse(*base, "--broker-password-file", str(pw))).broker.password == "from-file"
    monkeypatch.setenv("BOBBY_BROKER_PASSWORD", "from-env")
    assert config_from_args(parse(*base)).broker.password == "from-env"
    cfg = tmp_path / "lf.yaml"
    cfg.write_text("mqtt_password: from-config\n")
    assert config_from_args(parse(*base, "--config", str(cfg))).broker.password == "from-config"
    with pytest.raises(SettingsError, match="mqtt_password_file") as err:
        config_from_args(parse(*base, "--broker-password-file", str(tmp_path / "none")))
    assert "from-" not in str(err.value)


def test_listen_frame_ca_file_flag_environment_and_insecure_warning(
    tmp_path, model_path, monkeypatch, caplog
):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    other = tmp_path / "other.pem"
    other.write_text("-----BEGIN CERTIFICATE-----\n")
    base = ("--broker", "mqtts://h", "--model", str(model_path))
    monkeypatch.setenv("BOBBY_MQTT_CA_FILE", str(other))
    assert config_from_args(parse(*base)).broker.ca_certs == str(other)
    b = config_from_args(parse(*base, "--ca-file", str(ca))).broker
    assert b.ca_certs == str(ca) and b.tls and not b.insecure
    with pytest.raises(SettingsError, match="mqtt_ca_certs"):
        config_from_args(parse(*base, "--ca-file", str(tmp_path / "missing.pem")))
    cfg = tmp_path / "lf.yaml"
    cfg.write_text("mqtt_tls_insecure: true\n")
    insecure = config_from_args(parse(*base, "--config", str(cfg))).broker
    assert insecure.insecure
    with pytest.raises(BrokerURLError, match="ca.pem' is not usable"):
        ManagedClient(b, "t-lf-bad-ca")  # not a certificate: a clear error, not an SSL traceback
    with caplog.at_level(logging.WARNING):
        ManagedClient(dataclasses.replace(insecure, ca_certs=None), "t-lf-insecure")
    assert "verification is OFF" in caplog.text


@pytest.mark.parametrize("command", ["listen-frame", "camera"])
def test_password_in_broker_flag_warned_and_never_echoed(command, tmp_path):
    # A bad URL carrying a password: the error names the URL with the password masked, and the
    # command warns that a password on the command line is visible to every user.
    args = ["--broker", "mqtt://bob:hunter2@host:notaport"]
    if command == "camera":
        args += ["--source", "x.avi", "--camera-id", "c1"]
    cmd = Command(command, *args)
    assert cmd.wait(30) == 2
    out = cmd.output()
    assert "hunter2" not in out, out
    assert "bob:***@host" in out and "process list" in out, out
