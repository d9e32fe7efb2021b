"""`bobby-edge config check FILE`: validate a camera agent's config file without running anything."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("config", help="check a config file")
    sub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="validate a camera agent config file; exit 0 when it is valid")
    check.add_argument("file", type=Path, help="the YAML config file")
    check.set_defaults(func=run)


def check_file(path: Path) -> dict:
    """The validated settings; raises SettingsError naming the key."""
    from edge_agent.camera import config as camcfg
    from edge_agent.settings import resolve

    cfg = resolve(argparse.Namespace(config=path), camcfg.CAMERA_SCHEMA)
    return camcfg.finish(cfg)


def run(args: argparse.Namespace) -> int:
    from edge_agent.settings import SettingsError

    try:
        cfg = check_file(args.file)
    except SettingsError as err:
        print(f"{err}", file=sys.stderr)
        return 1
    secrets = {"mqtt_password", "http_token", "http_password"}
    print(f"{args.file}: valid ({cfg['mode']} camera {cfg['camera_id']!r}, source {cfg['source']!r})")
    for key in sorted(cfg):
        value = "***" if key in secrets and cfg[key] else cfg[key]
        if value is not None:
            print(f"  {key}: {value}")
    return 0
