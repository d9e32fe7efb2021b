"""Settings of a command: defaults < YAML config file < environment < command-line flags.

Each command declares a voluptuous schema of its config-file keys (the flag names with `_`
for `-`); `resolve()` merges the layers and validates the result, so an error always names the
key and what was expected, wherever the value came from.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import voluptuous as vol
import yaml

from edge_agent.mqtt.broker import (
    BROKER_ENV,
    DEFAULT_BROKER,
    PASSWORD_ENV,
    BrokerSettings,
    BrokerURLError,
    password_from_env,
    read_password_file,
)
from edge_agent.mqtt.topics import DEFAULT_BASE


class SettingsError(ValueError):
    """A config file or flag value that is not valid; the message names the key."""


def broker_url(value: Any) -> str:
    try:
        BrokerSettings.from_url(str(value))
    except BrokerURLError as err:
        raise vol.Invalid(str(err)) from None
    return str(value)


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Flags shared by every command that talks to the broker."""
    parser.add_argument("--config", type=Path, help="YAML config file; flags override it")
    parser.add_argument(
        "--broker",
        help=f"mqtt://[user:password@]host[:port] (mqtts:// for TLS); default ${BROKER_ENV} or mqtt://localhost:1883",
    )
    parser.add_argument("--base-topic", help=f"topic prefix (default {DEFAULT_BASE!r})")


def add_password_file_arg(parser: argparse.ArgumentParser) -> None:
    """`--broker-password-file`, the same flag (and config key `mqtt_password_file`) everywhere."""
    parser.add_argument(
        "--broker-password-file",
        dest="mqtt_password_file",
        metavar="FILE",
        help=f"file holding the broker password (also the config's mqtt_password_file, or ${PASSWORD_ENV}); "
        "unlike a password in --broker it does not show in the process list",
    )


# The login keys of every command's config file, beside its `broker` URL.
LOGIN_KEYS: dict[Any, Any] = {
    vol.Optional("mqtt_username"): vol.Any(None, str),
    vol.Optional("mqtt_password"): vol.Any(None, str),
    vol.Optional("mqtt_password_file"): vol.Any(None, str),
}


def broker_settings(s: Mapping[str, Any], env: Mapping[str, str] | None = None) -> BrokerSettings:
    """Where the broker is and how to log in, the same for every command (README, "Broker login").

    From a command's merged settings `s` (flags > config file > environment, as `resolve` gives):
    the URL `broker` (--broker, the config key or $BOBBY_BROKER; else mqtt://localhost:1883); the
    user `mqtt_username`, else the URL's; the password from the first of `mqtt_password_file`
    (--broker-password-file or the key), the URL, `mqtt_password` (config key), and
    $BOBBY_BROKER_PASSWORD (its deprecated alias $BOBBY_MQTT_PASSWORD warns once); TLS with
    mqtts://, or `mqtt_tls`, `mqtt_ca_certs`, `mqtt_tls_insecure`. An unusable password file
    raises SettingsError naming the key, never the password.
    """
    env = os.environ if env is None else env
    try:
        broker = BrokerSettings.from_url(s.get("broker") or env.get(BROKER_ENV) or DEFAULT_BROKER)
    except BrokerURLError as err:
        raise SettingsError(f"settings: broker: {err}") from None
    changes: dict[str, Any] = {}
    if s.get("mqtt_username"):
        changes["username"] = s["mqtt_username"]
    # broker_password_file: listen_frame's config key before there was one login story.
    password_file = s.get("mqtt_password_file") or s.get("broker_password_file")
    if password_file:
        try:
            changes["password"] = read_password_file(password_file)
        except BrokerURLError as err:
            raise SettingsError(f"settings: mqtt_password_file (--broker-password-file): {err}") from None
    elif broker.password is None:
        password = s.get("mqtt_password") or password_from_env(env)
        if password:
            changes["password"] = password
    if s.get("mqtt_tls"):
        changes["tls"] = True
    if s.get("mqtt_ca_certs"):
        changes["ca_certs"] = s["mqtt_ca_certs"]
    if s.get("mqtt_tls_insecure"):
        changes["insecure"] = True
    return dataclasses.replace(broker, **changes) if changes else broker


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except FileNotFoundError:
        raise SettingsError(f"config file {path} does not exist") from None
    except yaml.YAMLError as err:
        raise SettingsError(f"config file {path} is not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"config file {path}: expected a mapping of keys to values at the top")
    return data


def humanize(err: vol.Invalid, source: str) -> str:
    errors = err.errors if isinstance(err, vol.MultipleInvalid) else [err]
    lines = []
    for e in errors:
        key = ".".join(str(p) for p in e.path) or "(top level)"
        lines.append(f"{source}: {key}: {e.error_message}")
    return "\n".join(lines)


def resolve(
    args: argparse.Namespace, schema: vol.Schema, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Merge config file, environment and flags, then validate against `schema`."""
    env = dict(os.environ if env is None else env)
    data: dict[str, Any] = {}
    source = "settings"
    config = getattr(args, "config", None)
    if config:
        data.update(read_yaml(config))
        source = str(config)
    if "broker" not in data and env.get(BROKER_ENV):
        data["broker"] = env[BROKER_ENV]
    keys = {str(k.schema if isinstance(k, vol.Marker) else k) for k in schema.schema}
    for key in keys:
        value = getattr(args, key, None)
        if value is not None:
            data[key] = value
    try:
        valid: dict[str, Any] = schema(data)  # voluptuous is untyped; the schemas are dicts
        return valid
    except vol.Invalid as err:
        raise SettingsError(humanize(err, source)) from None
