"""`bobby-edge`: one console script, one sub-command per concern.

Each command lives in its own module, which exposes `register(subparsers)`; the parser it adds
sets `func` to a `run(args) -> int`. Command modules import their heavy libraries (OpenCV, the
TFLite runtime, picamera2) inside `run`, so `bobby-edge --help` stays fast and imports anywhere.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from edge_agent import __version__

# Modules that add sub-commands, in the order `--help` lists them.
COMMAND_MODULES = (
    "edge_agent.detect.cli",
    "edge_agent.detect.model",
    "edge_agent.camera.cli",
    "edge_agent.listen_frame.cli",
    "edge_agent.tools.watch",
    "edge_agent.tools.bench",
    "edge_agent.tools.record_bench",
    "edge_agent.tools.demo",
    "edge_agent.deploy.addon",
    "edge_agent.deploy.config_check",
    "edge_agent.deploy.systemd",
)

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bobby-edge", description="Bobby Camera edge agent")
    parser.add_argument("--version", action="version", version=f"bobby-edge {__version__}")
    parser.add_argument(
        "--log-level", default=None, help="DEBUG, INFO (default), WARNING or ERROR; also $BOBBY_LOG_LEVEL"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def setup_logging(level: str | None) -> None:
    import os

    level = (level or os.environ.get("BOBBY_LOG_LEVEL") or "INFO").upper()
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.log_level)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
