"""`bobby-edge watch`: print detections and person state changes as they arrive."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from typing import Any, TextIO

import paho.mqtt.client as mqtt

from edge_agent.listen_frame.ownership import MAX_DETECTIONS_BYTES
from edge_agent.mqtt.broker import warn_password_on_command_line
from edge_agent.mqtt.client import ManagedClient
from edge_agent.mqtt.topics import DEFAULT_BASE, Topics
from edge_agent.settings import add_common_args, add_password_file_arg
from edge_agent.untrusted import read_object


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("watch", help="print detections and person states as they arrive")
    add_common_args(p)
    add_password_file_arg(p)
    p.add_argument("--camera", default="+", help="one camera id (default: all)")
    p.add_argument("--json", action="store_true", help="print the raw JSON of each detection")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.set_defaults(func=run)


def format_detection(cam: str, data: dict[str, Any]) -> str:
    at = time.strftime("%H:%M:%S", time.localtime(data.get("analysed_at") or time.time()))
    objects = data.get("objects") or []
    persons = data.get("persons", 0)
    latency = ""
    if data.get("analysed_at") and data.get("received_at"):
        latency = f", {1000 * (data['analysed_at'] - data['received_at']):.0f} ms after arrival"
    what = ", ".join(
        f"{o['label']} {o['score']:.2f}" + (f" in {'/'.join(o['rois'])}" if o.get("rois") else "")
        for o in objects
    )
    return f"{at} {cam}: {persons} person(s){': ' + what if what else ''} (inference {data.get('inference_ms', 0):.1f} ms{latency})"


class Watcher:
    def __init__(self, topics: Topics, camera: str, raw: bool, out: TextIO = sys.stdout) -> None:
        self.topics = topics
        self.camera = camera
        self.raw = raw
        self.out = out
        self.lock = threading.Lock()
        self.detections = 0

    def subscriptions(self) -> list[str]:
        t, cam = self.topics, self.camera
        return [
            t.cam(cam, "detections"),
            t.cam(cam, "person"),
            t.cam(cam, "person", "+"),
            t.cam(cam, "rois", "applied"),
        ]

    def on_connected(self, client: ManagedClient) -> None:
        for topic in self.subscriptions():
            client.subscribe(topic, 1)

    def on_message(self, msg: mqtt.MQTTMessage) -> None:
        parts = self.topics.split(msg.topic)
        if parts is None:
            return
        cam, rest = parts
        if rest == "detections":
            try:
                data = read_object(msg.payload, max_bytes=MAX_DETECTIONS_BYTES)
                line = msg.payload.decode() if self.raw else format_detection(cam, data)
            except (ValueError, KeyError, TypeError, AttributeError):  # not one of ours: shown raw
                line = f"{time.strftime('%H:%M:%S')} {cam}: detections {bytes(msg.payload[:200])!r}"
            self.detections += 1
        elif rest.startswith("person"):
            region = rest.partition("/")[2]
            line = f"{time.strftime('%H:%M:%S')} {cam}: person{' in ' + region if region else ''} {msg.payload.decode(errors='replace')}"
        else:
            line = f"{time.strftime('%H:%M:%S')} {cam}: ROI set acknowledged {msg.payload.decode(errors='replace')}"
        with self.lock:
            print(line, file=self.out, flush=True)


def run(args: argparse.Namespace) -> int:
    import voluptuous as vol

    from edge_agent.settings import LOGIN_KEYS, SettingsError, broker_settings, broker_url, resolve

    # The broker and login keys of the camera's and listen_frame's config files: the same file
    # (or the same flags and environment) serves every command.
    schema = vol.Schema(
        {
            vol.Optional("broker", default="mqtt://localhost:1883"): broker_url,
            **LOGIN_KEYS,
            vol.Optional("broker_password_file"): vol.Any(None, str),
            vol.Optional("mqtt_tls"): bool,
            vol.Optional("mqtt_ca_certs"): vol.Any(None, str),
            vol.Optional("mqtt_tls_insecure"): bool,
            vol.Optional("base_topic", default=DEFAULT_BASE): str,
        },
        extra=vol.ALLOW_EXTRA,
    )
    warn_password_on_command_line(getattr(args, "broker", None))
    try:
        s = resolve(args, schema)
        broker = broker_settings(s)
    except SettingsError as err:
        print(err, file=sys.stderr)
        return 2
    watcher = Watcher(Topics(s["base_topic"]), args.camera, args.json)
    client = ManagedClient(
        broker,
        client_id=f"bobby-watch-{time.time_ns() % 10**9}",
        on_connected=watcher.on_connected,
        on_message=watcher.on_message,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    try:
        client.start()
    except ConnectionError as err:
        print(err, file=sys.stderr)
        return 1
    done.wait(args.duration)
    client.stop()
    return 0
