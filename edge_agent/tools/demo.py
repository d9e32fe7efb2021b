"""`bobby-edge demo --source X`: the whole local system in one command.

Starts a Mosquitto of its own on a free loopback port (or uses `--broker`), listen_frame and a
dumb camera streaming the source, and prints detections as they arrive. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time

from edge_agent.mqtt.broker import BrokerSettings, redact_url
from edge_agent.mqtt.client import ManagedClient
from edge_agent.mqtt.topics import Topics

log = logging.getLogger("edge_agent.tools.demo")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo",
        help="run a local broker, listen_frame and a dumb camera, and print detections",
        description="Everything on this machine: a Mosquitto on a free loopback port, listen_frame, "
        "a dumb camera streaming SOURCE, and the detections as they arrive.",
    )
    p.add_argument(
        "--source",
        required=True,
        help="a video file, a camera index / /dev/videoN, an rtsp:// URL or picamera2",
    )
    p.add_argument("--camera-id", default="demo", help="camera id (default demo)")
    p.add_argument("--fps", type=float, default=5.0, help="frames per second the camera sends (default 5)")
    p.add_argument("--workers", type=int, default=0, help="listen_frame workers (default: one per core)")
    p.add_argument("--model", help="TFLite model (default $BOBBY_MODEL or the downloaded one)")
    p.add_argument("--broker", help="use this broker instead of starting one")
    p.add_argument("--base-topic", default="bobby")
    p.add_argument("--duration", type=float, help="stop after this many seconds (default: run until Ctrl-C)")
    p.set_defaults(func=run)


class Child:
    def __init__(self, name: str, argv: list[str]) -> None:
        self.name = name
        # Each child in its own process group: a Ctrl-C reaches the demo, which stops them in order.
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in time; killing it", self.name)
                self.proc.kill()
                self.proc.wait()


def run(args: argparse.Namespace) -> int:
    from edge_agent.detect.detector import ModelError
    from edge_agent.detect.model import resolve_model
    from edge_agent.tools.local_broker import BrokerNotInstalled, Mosquitto
    from edge_agent.tools.watch import Watcher

    try:
        model = resolve_model(args.model)
    except ModelError as err:
        log.error("%s", err)
        return 2
    if not (
        args.source.startswith(("rtsp://", "http://", "https://", "picamera2"))
        or args.source.isdigit()
        or os.path.exists(args.source)
    ):
        log.error(
            "source %r: no such file, and not a camera index, /dev/video device, URL or picamera2",
            args.source,
        )
        return 2
    broker = None
    url = args.broker
    if not url:
        try:
            broker = Mosquitto().start()
        except BrokerNotInstalled as err:
            log.error("%s", err)
            return 2
        url = broker.url
        log.info("started Mosquitto on %s", url)
    me = [sys.executable, "-m", "edge_agent"]
    common = ["--broker", url, "--base-topic", args.base_topic]
    children: list[Child] = []
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    watcher = Watcher(Topics(args.base_topic), args.camera_id, raw=False)
    client = ManagedClient(
        BrokerSettings.from_url(url),
        client_id=f"bobby-demo-{os.getpid()}",
        on_connected=watcher.on_connected,
        on_message=watcher.on_message,
    )
    try:
        client.start()
        children.append(
            Child(
                "listen_frame",
                [
                    *me,
                    "listen-frame",
                    *common,
                    "--model",
                    str(model),
                    "--workers",
                    str(args.workers),
                    "--instance",
                    "demo",
                    "--stats-interval",
                    "5",
                ],
            )
        )
        children.append(
            Child(
                "camera",
                [
                    *me,
                    "camera",
                    "--mode",
                    "dumb",
                    *common,
                    "--source",
                    args.source,
                    "--camera-id",
                    args.camera_id,
                    "--fps",
                    str(args.fps),
                ],
            )
        )
        log.info(
            "streaming %s as camera %r; detections follow (Ctrl-C to stop)",
            redact_url(args.source),
            args.camera_id,
        )
        deadline = time.monotonic() + args.duration if args.duration else None
        while not stop.wait(0.5):
            for child in children:
                if child.proc.poll() is not None:
                    log.error("%s exited with code %s; stopping the demo", child.name, child.proc.returncode)
                    stop.set()
            if deadline and time.monotonic() >= deadline:
                break
    finally:
        for child in reversed(children):
            child.stop()
        client.stop()
        if broker:
            broker.stop()
    failed = [c.name for c in children if c.proc.returncode not in (0, -signal.SIGTERM)]
    log.info("demo stopped: %d detection(s) shown", watcher.detections)
    return 1 if failed or not children else 0
