"""`bobby-edge config check FILE`: validate a camera agent's config file without running anything."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge_agent.camera.config import CameraConfig


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("config", help="check a config file")
    sub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="validate a camera agent config file; exit 0 when it is valid")
    check.add_argument("file", type=Path, help="the YAML config file")
    check.set_defaults(func=run)


def check_file(path: Path) -> CameraConfig:
    """The validated settings; raises SettingsError naming the key."""
    from edge_agent.camera import config as camcfg

    return camcfg.load(argparse.Namespace(config=path))


def run(args: argparse.Namespace) -> int:
    from edge_agent.settings import SettingsError

    try:
        cfg = check_file(args.file)
    except SettingsError as err:
        print(f"{err}", file=sys.stderr)
        return 1
    from edge_agent.mqtt.broker import redact_url

    secrets = {"mqtt_password", "http_token", "http_password"}
    # An IP camera's source (and the broker URL) may carry a login: shown as user:***@.
    print(f"{args.file}: valid ({cfg.mode} camera {cfg.camera_id!r}, source {redact_url(cfg.source)!r})")
    values = dataclasses.asdict(cfg)
    for key in sorted(values):
        value = "***" if key in secrets and values[key] else values[key]
        if isinstance(value, str):
            value = redact_url(value)
        if value is not None:
            print(f"  {key}: {value}")
    return 0
