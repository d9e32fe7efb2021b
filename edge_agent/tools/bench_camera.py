"""Smart-camera measurements for docs/performance.md ("Smart camera").

    python -m edge_agent.tools.bench_camera --model MODEL --media DIR [--seconds 12]

Runs the real agent (`python -m edge_agent camera …`) against a Mosquitto of its own and prints
a Markdown table: ROI apply time, capture fps with 0 and 5 MJPEG viewers at 1024x768, the motion
gate's savings on opencv_tree.avi and opencv_vtest.avi, and the RSS of the agent in dumb and
smart mode.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge_agent.procinfo import rss_mb
from edge_agent.tools.local_broker import Mosquitto, free_port

Message = tuple[float, str, bytes | bytearray]  # (monotonic time, topic, payload)


class Watch:
    def __init__(self, port: int, topic: str) -> None:
        self.msgs: list[Message] = []
        self.lock = threading.Lock()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.c.on_message = lambda c, u, m: self._add(m)
        self.c.connect("127.0.0.1", port)
        self.c.subscribe(topic, 1)
        self.c.loop_start()
        time.sleep(0.3)

    def _add(self, m: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.msgs.append((time.monotonic(), m.topic, m.payload))

    def wait(self, pred: Callable[[Message], bool], timeout: float = 60.0) -> Message:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for item in reversed(self.msgs):
                    if pred(item):
                        return item
            time.sleep(0.05)
        raise TimeoutError("no matching message")

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


def agent(broker: Mosquitto, args: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "edge_agent", "camera", "--broker", broker.url, *args],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


def stats_after(w: Watch, topic: str, after: float) -> dict[str, Any]:
    stats: dict[str, Any] = json.loads(w.wait(lambda m: m[1] == topic and m[0] > after)[2])
    return stats


def child_pid(log: Path) -> int | None:
    found = re.findall(r"detector process started \(pid (\d+)\)", log.read_text(errors="replace"))
    return int(found[-1]) if found else None


def viewers(url: str, n: int, seconds: float) -> list[int]:
    counts = [0] * n

    def read(i: int) -> None:
        deadline = time.monotonic() + seconds
        with urllib.request.urlopen(url, timeout=10) as r:
            while time.monotonic() < deadline:
                line = r.readline()
                if line.startswith(b"Content-Length:"):
                    r.readline()
                    r.read(int(line.split(b":")[1]))
                    counts[i] += 1

    threads = [threading.Thread(target=read, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 10)
    return counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True)
    p.add_argument("--media", type=Path, required=True)
    p.add_argument("--seconds", type=float, default=12.0, help="length of each measurement window")
    a = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bobby-bench-"))
    broker = Mosquitto().start()
    vtest, tree = str(a.media / "opencv_vtest.avi"), str(a.media / "opencv_tree.avi")
    common = ["--state-wait", "0.5", "--no-discovery", "--model", a.model]
    rows: list[tuple[str, str]] = []
    try:
        # 1. ROI apply time and capture fps with 0 and 5 viewers, 1024x768 at 10 fps.
        port = free_port()
        w = Watch(broker.port, "bench/big/#")
        proc = agent(
            broker,
            [
                "--mode",
                "smart",
                "--source",
                vtest,
                "--camera-id",
                "big",
                "--base-topic",
                "bench",
                "--fps",
                "10",
                "--width",
                "1024",
                "--height",
                "768",
                "--http-port",
                str(port),
                "--stats-interval",
                str(a.seconds / 2),
                *common,
            ],
            tmp / "big.log",
        )
        w.wait(lambda m: m[1] == "bench/big/stats", timeout=90)
        external = []
        for v in range(1, 11):
            sent = time.monotonic()
            roi = {
                "version": v,
                "rois": [
                    {"id": "zone", "name": "Zone", "points": [[0, 0.1 * (v % 5)], [1, 0.1], [1, 1], [0, 1]]}
                ],
            }
            w.c.publish("bench/big/rois", json.dumps(roi), qos=1, retain=True)
            # wait() runs before v changes, so the lambda may read the loop variable
            ack = w.wait(lambda m: m[1] == "bench/big/rois/applied" and json.loads(m[2])["version"] == v)
            external.append((ack[0] - sent) * 1000)
            time.sleep(0.2)
        internal = [
            float(x)
            for x in re.findall(
                r"applied to the running detector in ([\d.]+) ms", (tmp / "big.log").read_text()
            )
        ]
        rows.append(
            (
                "ROI apply time, command → child applied (median of 10, agent log)",
                f"{statistics.median(internal):.1f} ms",
            )
        )
        rows.append(
            (
                "ROI apply time, publish → `rois/applied` received (median of 10)",
                f"{statistics.median(external):.1f} ms",
            )
        )
        t0 = time.monotonic()
        time.sleep(a.seconds / 2 + 0.5)
        zero = stats_after(w, "bench/big/stats", t0 + a.seconds / 2)
        t1 = time.monotonic()
        counts = viewers(f"http://127.0.0.1:{port}/video", 5, a.seconds + 1)
        five = stats_after(w, "bench/big/stats", t1 + a.seconds / 2)
        rows.append(
            (
                "capture fps, 1024x768 at 10 fps, 0 viewers",
                f"{zero['capture_fps']} (analysed {zero['analysed_fps']})",
            )
        )
        rows.append(
            (
                "capture fps, 1024x768 at 10 fps, 5 MJPEG viewers",
                f"{five['capture_fps']} (analysed {five['analysed_fps']}; viewers got {min(counts)}-{max(counts)} frames in {a.seconds + 1:.0f} s)",
            )
        )
        pid = child_pid(tmp / "big.log")
        rows.append(
            (
                "RSS, smart mode (agent + detector process), 1024x768 with 5 viewers",
                f"{rss_mb(proc.pid)} MB + {rss_mb(pid)} MB",
            )
        )
        stop(proc)
        w.close()

        # 2. Motion gate savings at 10 fps, default thresholds.
        for name, src in (("opencv_tree.avi (no person)", tree), ("opencv_vtest.avi (pedestrians)", vtest)):
            cam = "mg" + str(len(rows))
            w = Watch(broker.port, f"bench/{cam}/stats")
            proc = agent(
                broker,
                [
                    "--mode",
                    "smart",
                    "--source",
                    src,
                    "--camera-id",
                    cam,
                    "--base-topic",
                    "bench",
                    "--fps",
                    "10",
                    "--width",
                    "640",
                    "--height",
                    "480",
                    "--motion-gate",
                    "--stats-interval",
                    str(a.seconds),
                    *common,
                ],
                tmp / f"{cam}.log",
            )
            w.wait(lambda m: True, timeout=90)  # the first window includes start-up
            s = stats_after(w, f"bench/{cam}/stats", time.monotonic())
            checked = max(1, s["motion_checked"])
            rows.append(
                (
                    f"motion gate on {name}: inferences saved",
                    f"{s['motion_skipped']} of {s['motion_checked']} frames ({100 * s['motion_skipped'] / checked:.0f} %)",
                )
            )
            stop(proc)
            w.close()

        # 3. RSS of a dumb camera at 640x480, 2 fps.
        proc = agent(
            broker,
            [
                "--mode",
                "dumb",
                "--source",
                vtest,
                "--camera-id",
                "dumb",
                "--base-topic",
                "bench",
                "--fps",
                "2",
                "--state-wait",
                "0.5",
            ],
            tmp / "dumb.log",
        )
        time.sleep(a.seconds / 2)
        rows.append(("RSS, dumb mode, 640x480 at 2 fps", f"{rss_mb(proc.pid)} MB"))
        stop(proc)
    finally:
        broker.stop()
    print(f"Machine: {os.cpu_count()} CPU(s), {os.uname().machine}, Python {sys.version.split()[0]}\n")
    print("| measurement | result |\n| --- | --- |")
    for measurement, result in rows:
        print(f"| {measurement} | {result} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
