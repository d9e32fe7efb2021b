"""`bobby-edge camera`: run a camera agent, dumb (frames to listen_frame) or smart (detects itself)."""

from __future__ import annotations

import argparse
import logging
import threading

from edge_agent.camera import config as camcfg
from edge_agent.camera.common import install_stop_handlers
from edge_agent.settings import SettingsError, add_common_args, add_password_file_arg

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "camera",
        help="run a camera: publish frames (dumb) or detect on the device (smart)",
        description="Run a Bobby camera. Flags override the config file (see docs/camera.md).",
    )
    add_common_args(p)
    p.add_argument(
        "--mode",
        choices=("dumb", "smart"),
        help="dumb: JPEG frames to listen_frame (default); smart: detect here",
    )
    p.add_argument(
        "--source",
        help="picamera2[:N], a V4L2 device (0 or /dev/video0), a video file, or an rtsp:// / http:// URL",
    )
    p.add_argument("--camera-id", help="camera id: 1-64 characters of a-z A-Z 0-9 _ -")
    p.add_argument("--name", help="display name in Home Assistant (default: the camera id)")
    p.add_argument("--fps", type=float, help="frames per second to capture and publish (default 2)")
    p.add_argument(
        "--width", type=int, help="frame width (default: the source's aspect, 640 on the long side)"
    )
    p.add_argument(
        "--height", type=int, help="frame height (with --width: a box the frames fit in, keeping the aspect)"
    )
    p.add_argument("--quality", type=int, help="JPEG quality 1-100 (default 80)")
    p.add_argument(
        "--no-loop", dest="loop", action="store_const", const=False, help="stop at the end of a video file"
    )
    p.add_argument("--stats-interval", type=float, help="seconds between stats (default 10)")
    p.add_argument("--state-wait", type=float, help=argparse.SUPPRESS)
    add_password_file_arg(p)
    camcfg.add_smart_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edge_agent.mqtt.broker import password_on_command_line, warn_password_on_command_line

    warn_password_on_command_line(getattr(args, "broker", None), log)
    if password_on_command_line(getattr(args, "source", None)):
        log.warning(
            "the camera's password is on the command line (--source), where every user of this "
            "machine sees it in the process list; put `source:` in the config file (--config) instead"
        )
    try:
        cfg = camcfg.load(args)
    except SettingsError as err:
        log.error("%s", err)
        return 2
    broker = cfg.broker_settings()
    stop = threading.Event()
    install_stop_handlers(stop)
    from edge_agent.sd_notify import start_watchdog

    start_watchdog(stop)  # under systemd (Type=notify): READY=1, then the watchdog's pings
    if cfg.mode == "smart":
        from edge_agent.camera.smart import SmartCamera
        from edge_agent.detect.model import ModelError

        try:
            camera = SmartCamera(cfg, broker, stop)
        except ModelError as err:
            log.error("model: %s", err)
            return 1
        return camera.run()
    from edge_agent.camera.dumb import DumbCamera
    from edge_agent.camera.sources.base import SourceError
    from edge_agent.camera.sources.spec import open_source

    try:
        # jpeg=True: a picamera2 source hands out its encoder's JPEGs (no OpenCV in this process).
        source = open_source(cfg.source, cfg.size, cfg.fps, loop=cfg.loop, jpeg=True, quality=cfg.quality)
    except SourceError as err:
        log.error("%s", err)
        return 1
    return DumbCamera(cfg, source, broker, stop).run()
