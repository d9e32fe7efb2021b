"""Resident memory of a dumb camera, per source, and which heavy modules each one loads.

    .venv/bin/python -m tests.support.camera_memory            # all sources, a table
    .venv/bin/python -m tests.support.camera_memory picamera2  # one

Each camera is the real `bobby-edge camera` command publishing to a local Mosquitto; after it has
published for a while, a thread inside it reads VmRSS and VmHWM from /proc/self/status and looks
at sys.modules, then stops it with SIGTERM. Sources: `picamera2` (the driver-level fake,
tests/edge/fakes/picamera2, replaying JPEGs as the hardware JPEG block gives them), `file`
(opencv_vtest.avi through OpenCV), `stream` (an HTTP MJPEG camera through OpenCV's FFmpeg, the
code path RTSP takes), and `picamera2+http` (the live view on). The fake cannot play a V4L2
device here; a webcam takes CaptureSource, the same OpenCV path as `stream`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAKES = ROOT / "tests" / "edge" / "fakes"
HEAVY = ("cv2", "numpy", "aiohttp", "av", "tflite_runtime", "ai_edge_litert")
SOURCES = ("picamera2", "picamera2+http", "file", "stream")


def _child(out: str, settle: float, argv: list[str]) -> int:
    """Run the camera in this process; a thread records memory and modules, then stops it: `settle`
    seconds after the parent saw the camera's first frames (the file `out`.go; a busy machine may
    take longer than `settle` to start the camera at all), or after a minute without them."""
    from edge_agent.cli import main

    def probe() -> None:
        go = Path(out + ".go")
        deadline = time.monotonic() + 60
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(settle)
        try:
            fields = {}
            for line in Path("/proc/self/status").read_text().splitlines():
                key, _, value = line.partition(":")
                fields[key] = value.split()
            result = {
                "rss_mb": int(fields["VmRSS"][0]) / 1024,
                "hwm_mb": int(fields["VmHWM"][0]) / 1024,
                "modules": sorted(m for m in HEAVY if m in sys.modules),
            }
            Path(out).write_text(json.dumps(result))
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=probe, daemon=True).start()
    return main(["camera", *argv])


def jpeg_dir(media: Path, size=(640, 480), count: int = 40) -> Path:
    """Frames of a video as JPEG files, for the fake's JPEG block (made here, with OpenCV)."""
    import cv2

    d = Path(tempfile.mkdtemp(prefix="bobby-jpegs-"))
    cap = cv2.VideoCapture(str(media))
    n = 0
    while n < count:
        ok, bgr = cap.read()
        if not ok:
            break
        cv2.imwrite(str(d / f"{n:04d}.jpg"), cv2.resize(bgr, size), [cv2.IMWRITE_JPEG_QUALITY, 80])
        n += 1
    cap.release()
    if n == 0:
        raise RuntimeError(f"no frame decoded from {media}")
    return d


def measure(source: str, broker, media: Path, settle: float = 8.0, fps: float = 4.0) -> dict:
    """Run one camera; returns rss_mb, hwm_mb, modules, frames (received by the broker's client)."""
    from tests.support.mqtt import Collector

    cam = f"mem{uuid.uuid4().hex[:6]}"
    env = dict(os.environ)
    env.pop("BOBBY_BROKER", None)
    paths = [str(ROOT)]
    extra: list[str] = []
    mjpeg = None
    if source.startswith("picamera2"):
        paths.insert(0, str(FAKES))
        env["BOBBY_FAKE_PICAMERA2_JPEGS"] = str(jpeg_dir(media / "opencv_vtest.avi"))
        spec = "picamera2"
        if source.endswith("+http"):
            extra = ["--http-port", "0"]
    elif source == "file":
        spec = str(media / "opencv_vtest.avi")
    elif source == "stream":
        sys.path.insert(0, str(FAKES))
        from mjpeg_camera import MjpegCamera

        mjpeg = MjpegCamera(
            media / "opencv_vtest.avi", size=(640, 480), fps=10, frames=40, frames_per_connection=10_000
        )
        mjpeg.__enter__()
        spec = mjpeg.url
    else:
        raise ValueError(f"unknown source {source!r}; one of {SOURCES}")
    env["PYTHONPATH"] = os.pathsep.join(paths)
    out = Path(tempfile.mkstemp(prefix="bobby-mem-", suffix=".json")[1])
    watch = Collector(broker, f"bobby/{cam}/frame")
    argv = ["--broker", broker.url, "--source", spec, "--camera-id", cam, "--fps", str(fps), *extra]
    go = Path(f"{out}.go")
    with tempfile.TemporaryFile() as log:
        with subprocess.Popen(
            [sys.executable, "-m", "tests.support.camera_memory", "--child", str(out), str(settle), *argv],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        ) as proc:
            watch.wait_for(
                lambda: watch.count(f"bobby/{cam}/frame") >= 2 or proc.poll() is not None, 60, "frames"
            )
            go.touch()
            proc.wait(timeout=settle + 120)
        log.seek(0)
        stdout = log.read().decode(errors="replace")
    go.unlink()
    frames = len(watch.payloads(f"bobby/{cam}/frame"))
    watch.close()
    if mjpeg is not None:
        mjpeg.server.shutdown()
    text = out.read_text()
    out.unlink()
    if not text:
        raise RuntimeError(f"camera on {source} did not report (exit {proc.returncode}):\n{stdout[-3000:]}")
    return {"source": source, "frames": frames, **json.loads(text)}


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        return _child(argv[1], float(argv[2]), argv[3:])
    from tests.conftest import MEDIA
    from tests.support.mosquitto import Mosquitto

    broker = Mosquitto().start()
    try:
        print(f"{'source':16s} {'RSS MB':>7s} {'peak MB':>8s} {'frames':>6s}  heavy modules loaded")
        for source in argv or SOURCES:
            r = measure(source, broker, MEDIA)
            mods = ", ".join(r["modules"]) or "none"
            print(
                f"{r['source']:16s} {r['rss_mb']:7.1f} {r['hwm_mb']:8.1f} {r['frames']:6d}  {mods}",
                flush=True,
            )
    finally:
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
