"""What listen_frame's motion gate saves, measured on the real service (docs/performance.md).

    python -m edge_agent.tools.motion_bench --model MODEL --media MEDIA_DIR [--seconds 60]

Starts a Mosquitto of its own on loopback and one listen_frame (one worker), then publishes, at
a camera's pace, one camera at a time:

- a quiet scene: one 640x480 still with fresh Gaussian sensor noise in each frame (sigma 6), at
  4 fps for `--seconds`, once with the gate off (`detection.motion: false`) and once on: the
  inferences, and the CPU seconds listen_frame (MQTT process + worker) used per camera-hour;
- opencv_tree.avi (leaves in the wind, no person) at 10 fps, looped: inferences saved;
- opencv_vtest.avi (pedestrians) at 10 fps after 3 s of an empty scene, with clear_after 3 s:
  how long until the person state is ON, and whether it went OFF while people were there.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge_agent.procinfo import cpu_seconds
from edge_agent.untrusted import read_json


def noisy_frames(path: Path, count: int, sigma: float = 6.0, seed: int = 1) -> list[bytes]:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, f"cannot read {path}"
    bgr = cv2.resize(image, (640, 480), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        frame = np.clip(bgr.astype(np.float32) + rng.normal(0.0, sigma, bgr.shape), 0, 255).astype(np.uint8)
        out.append(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes())
    return out


def video_frames(path: Path, count: int) -> list[bytes]:
    cap = cv2.VideoCapture(str(path))
    out: list[bytes] = []
    failures = 0
    while len(out) < count and failures < 50:
        ok, bgr = cap.read()
        if not ok:
            failures += 1
            continue
        bgr = cv2.resize(bgr, (640, 480), interpolation=cv2.INTER_AREA)
        out.append(cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes())
    cap.release()
    return out


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (listen_frame's workers), from /proc."""
    total = cpu_seconds(pid)
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return total + sum(cpu_seconds(int(c)) for c in children)


class Client:
    """Publishes frames; keeps the last stats and the person-state changes of each camera."""

    def __init__(self, host: str, port: int, base: str) -> None:
        self.base = base
        self.cond = threading.Condition()
        self.stats: dict[str, dict[str, Any]] = {}
        self.person: dict[str, list[tuple[float, bytes | bytearray]]] = {}
        self.online = threading.Event()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"motion-bench-{uuid.uuid4().hex[:6]}")
        self.c.on_message = self._on_message
        self.c.connect(host, port)
        self.c.subscribe(f"{base}/#", 1)
        self.c.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        parts = msg.topic.split("/")
        with self.cond:
            if msg.topic.endswith("/availability") and parts[1] == "listen_frame":
                if msg.payload == b"online":
                    self.online.set()
            elif len(parts) == 3 and parts[2] == "stats":
                self.stats[parts[1]] = read_json(msg.payload, max_bytes=256 * 1024)
            elif len(parts) == 3 and parts[2] == "person":
                self.person.setdefault(parts[1], []).append((time.monotonic(), msg.payload))
            self.cond.notify_all()

    def camera(self, cam: str, detection: dict[str, Any]) -> None:
        announce = {"id": cam, "name": cam, "mode": "dumb", "sw_version": "bench"}
        self.c.publish(f"{self.base}/{cam}/announce", json.dumps(announce), qos=1, retain=True)
        roi_set = {"version": 1, "rois": [], "detection": detection}
        self.c.publish(f"{self.base}/{cam}/rois", json.dumps(roi_set), qos=1, retain=True).wait_for_publish()

    def play(self, cam: str, frames: list[bytes], fps: float, seconds: float) -> int:
        """Publish `frames` (cycled) at `fps` for `seconds`; the number sent."""
        sent = 0
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            self.c.publish(f"{self.base}/{cam}/frame", frames[sent % len(frames)], qos=0)
            sent += 1
            time.sleep(max(0.0, start + sent / fps - time.monotonic()))
        return sent

    def settled(self, cam: str, sent: int, timeout: float = 30.0) -> dict[str, Any]:
        """The stats that account for all `sent` frames of `cam`."""

        def done() -> bool:
            s = self.stats.get(cam)
            return s is not None and bool(s) and s["analysed"] + s["motion_skipped"] + s["dropped"] >= sent

        with self.cond:
            self.cond.wait_for(done, timeout)
            return dict(self.stats.get(cam) or {})

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


def quiet(client: Client, pid: int, frames: list[bytes], seconds: float, motion: bool) -> dict[str, Any]:
    cam = f"quiet-{'on' if motion else 'off'}"
    client.camera(cam, {"motion": motion})
    client.play(cam, frames[:4], 4.0, 2.0)  # warm-up, not measured: the camera is known and served
    before = client.settled(cam, 8)
    cpu0 = tree_cpu_seconds(pid)
    sent = client.play(cam, frames, 4.0, seconds)
    stats = client.settled(cam, sent + 8)
    cpu = tree_cpu_seconds(pid) - cpu0
    analysed = stats["analysed"] - before.get("analysed", 0)
    return {"sent": sent, "analysed": analysed, "cpu": cpu, "per_hour": cpu / seconds * 3600.0}


def run(args: argparse.Namespace) -> int:
    from edge_agent.tools.local_broker import Mosquitto

    media = Path(args.media)
    broker = Mosquitto().start()
    base = f"mb{uuid.uuid4().hex[:6]}"
    client = Client(broker.host, broker.port, base)
    cmd = [sys.executable, "-m", "edge_agent", "--log-level", "WARNING", "listen-frame"]
    cmd += ["--broker", broker.url, "--base-topic", base, "--instance", "mb", "--model", args.model]
    cmd += ["--workers", "1", "--stats-interval", "1", "--no-discovery"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    try:
        if not client.online.wait(60):
            print("motion_bench: listen_frame did not come online", file=sys.stderr)
            return 1
        still = noisy_frames(media / "skimage_coffee.png", 40)
        print(f"motion_bench: listen_frame pid {proc.pid}, 1 worker, {os.cpu_count()} cores", flush=True)

        cpu0 = tree_cpu_seconds(proc.pid)
        time.sleep(args.idle_seconds)
        idle = (tree_cpu_seconds(proc.pid) - cpu0) / args.idle_seconds * 3600.0
        print(
            f"no camera at all ({args.idle_seconds:.0f} s): listen_frame CPU {idle:.0f} s per hour",
            flush=True,
        )
        off = quiet(client, proc.pid, still, args.seconds, motion=False)
        on = quiet(client, proc.pid, still, args.seconds, motion=True)
        for name, r in (("gate off", off), ("gate on", on)):
            print(
                f"quiet scene 640x480 at 4 fps, {args.seconds:.0f} s, {name}: inferred {r['analysed']} of "
                f"{r['sent']} frames ({r['analysed'] / r['sent']:.0%}); listen_frame CPU {r['cpu']:.2f} s "
                f"= {r['per_hour']:.0f} CPU s per camera-hour",
                flush=True,
            )
        print(
            f"quiet scene: inferences saved {1 - on['analysed'] / on['sent']:.0%}; CPU per camera-hour "
            f"{on['per_hour'] / off['per_hour']:.0%} of the gate-off figure",
            flush=True,
        )

        tree = video_frames(media / "opencv_tree.avi", 68)
        client.camera("tree", {})
        sent = client.play("tree", tree, 10.0, args.tree_seconds)
        s = client.settled("tree", sent)
        print(
            f"opencv_tree.avi at 10 fps ({len(tree)} frames looped, {args.tree_seconds:.0f} s): inferred "
            f"{s['analysed']} of {sent} frames, inferences saved {s['motion_skipped']} ({s['motion_skipped'] / sent:.0%})",
            flush=True,
        )

        crowd = video_frames(media / "opencv_vtest.avi", int(args.crowd_seconds * 10))
        client.camera("crowd", {"clear_after": 3.0})
        client.play("crowd", noisy_frames(media / "skimage_coffee.png", 8, seed=2), 10.0, 3.0)
        shown = time.monotonic()
        sent = client.play("crowd", crowd, 10.0, len(crowd) / 10.0)
        ended = time.monotonic()
        s = client.settled("crowd", sent + 30)
        changes = [(at, p) for at, p in client.person.get("crowd", []) if at >= shown]
        on_at = next((at for at, p in changes if p == b"ON"), None)
        offs = sum(1 for at, p in changes if p == b"OFF" and at <= ended)
        delay = f"{on_at - shown:.2f} s" if on_at is not None else "never"
        print(
            f"opencv_vtest.avi at 10 fps after 3 s of an empty scene, clear_after 3 s: person ON after "
            f"{delay}, OFF while people were there: {offs}; inferred {s['analysed']} of {s['frames_in']} "
            f"frames in all",
            flush=True,
        )
        return 0
    finally:
        proc.terminate()
        proc.wait(20)
        client.close()
        broker.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m edge_agent.tools.motion_bench", description=__doc__.splitlines()[0]
    )
    p.add_argument("--model", required=True, help="TFLite SSD model")
    p.add_argument("--media", required=True, help="directory with skimage_coffee.png and the OpenCV videos")
    p.add_argument("--seconds", type=float, default=60.0, help="length of each quiet-scene run (default 60)")
    p.add_argument("--idle-seconds", type=float, default=20.0, help="baseline without frames (default 20)")
    p.add_argument("--tree-seconds", type=float, default=20.0, help="opencv_tree.avi run (default 20)")
    p.add_argument("--crowd-seconds", type=float, default=30.0, help="opencv_vtest.avi run (default 30)")
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
