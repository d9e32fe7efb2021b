"""Settings of a command: defaults < YAML config file < environment < command-line flags.

Each command declares a voluptuous schema of its config-file keys (the flag names with `_`
for `-`); `resolve()` merges the layers and validates the result, so an error always names the
key and what was expected, wherever the value came from.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import voluptuous as vol
import yaml

from edge_agent.mqtt.broker import BROKER_ENV, BrokerSettings, BrokerURLError
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
    args: argparse.Namespace, schema: vol.Schema, env: dict[str, str] | None = None
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
        return schema(data)
    except vol.Invalid as err:
        raise SettingsError(humanize(err, source)) from None
