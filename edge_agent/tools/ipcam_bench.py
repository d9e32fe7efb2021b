"""CPU per IP camera: `python -m edge_agent.tools.ipcam_bench` (docs/performance.md, "IP cameras").

A hosted camera (edge_agent/camera/hosted.py) decodes its H.264 stream and encodes a JPEG at the
rate asked. This measures what that costs, per camera, for a 1920x1080 main stream against a
640x360 substream, both at 25 fps as cameras send them, read at the rate asked (`--fps`, 2 and
4 by default):

- the streams: the shared media's pedestrian video scaled to each size and encoded once with
  libx264 (a keyframe every 2 s, the bitrates of a camera's main and substream), cached in
  `--work-dir`; served by GStreamer's RTSP server as they are (tests/support/rtsp_server.py, from
  a checkout: the server costs next to nothing; `--url` measures a real camera instead);
- each reading runs in a fresh process (a camera's child): the source as a hosted camera opens it
  (`RtspSource`, PyAV), a JPEG at the frames' size per frame handed out (what is published), for
  `--seconds`; its CPU time (user + system, all threads) over the wall time is the figure: 100 %
  is one core;
- the same through OpenCV's `VideoCapture` (`capture.StreamSource`, grab every frame, retrieve
  the ones asked), for comparison.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

STREAMS = {"1080p main": ((1920, 1080), 4000), "360p sub": ((640, 360), 512)}  # size, kbit/s
STREAM_FPS = 25


def encode_stream(media: Path, size: tuple[int, int], kbps: int, dest: Path, seconds: float) -> Path:
    """The media scaled to `size`, as H.264 at STREAM_FPS (each video frame shown for one)."""
    import av

    if dest.exists():
        return dest
    part = dest.with_suffix(".part.mp4")
    frames = int(seconds * STREAM_FPS)
    with av.open(str(media)) as src, av.open(str(part), "w") as out:
        stream = out.add_stream("libx264", rate=STREAM_FPS)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = kbps * 1000
        stream.options = {"preset": "veryfast", "g": str(2 * STREAM_FPS), "bf": "0", "tune": "zerolatency"}
        n = 0
        while n < frames:
            src.seek(0)
            for frame in src.decode(video=0):
                img = frame.reformat(width=size[0], height=size[1], format="yuv420p")
                img.pts, img.time_base = n, Fraction(1, STREAM_FPS)
                for packet in stream.encode(img):
                    out.mux(packet)
                n += 1
                if n >= frames:
                    break
        for packet in stream.encode():
            out.mux(packet)
    part.rename(dest)
    return dest


def _measure(url: str, backend: str, fps: float, seconds: float, result: Any) -> None:
    """In a fresh process: read `url` at `fps` for `seconds`, a JPEG per frame; CPU over wall."""
    from edge_agent.detect.imaging import encode_jpeg

    if backend == "pyav":
        from edge_agent.camera.sources.network import RtspSource

        src: Any = RtspSource(url, None, fps)
    else:
        from edge_agent.camera.sources.capture import StreamSource

        src = StreamSource(url, None, fps)
    src.open()
    try:
        for _ in range(int(fps)):  # warm up: the connection, the first keyframe
            src.read()
        decoded0 = src.stats().get("decoded", 0)
        r0, t0, frames, jpeg_bytes = resource.getrusage(resource.RUSAGE_SELF), time.monotonic(), 0, 0
        while time.monotonic() - t0 < seconds:
            rgb = src.read()
            if rgb is not None:
                jpeg_bytes += len(encode_jpeg(rgb, 80))
                frames += 1
        wall = time.monotonic() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        stats = src.stats()
        private_kb = _private_kb()
    finally:
        src.close()
    result.put(
        {
            "cpu_percent": 100.0 * cpu / wall,
            "fps_out": frames / wall,
            "size": list(src.size),
            "decoded_fps": (stats["decoded"] - decoded0) / wall if backend == "pyav" else None,
            "jpeg_kb": jpeg_bytes / max(frames, 1) / 1024,
            "rss_mb": r1.ru_maxrss / 1024,
            "private_mb": private_kb / 1024 if private_kb is not None else 0.0,
        }
    )


def _private_kb() -> int | None:
    """This process's own memory, shared with no other process: what one more camera adds."""
    try:
        lines = Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]
        fields = dict(line.split(":", 1) for line in lines)
        return int(fields["Private_Clean"].split()[0]) + int(fields["Private_Dirty"].split()[0])
    except (OSError, KeyError, ValueError):
        return None


def measure(url: str, backend: str, fps: float, seconds: float) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    result = ctx.Queue()
    proc = ctx.Process(target=_measure, args=(url, backend, fps, seconds, result))
    proc.start()
    try:
        out: dict[str, Any] = result.get(timeout=seconds + 60)
    finally:
        proc.join(10)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--media", type=Path, help="video to stream (default: $BOBBY_MEDIA/opencv_vtest.avi)")
    p.add_argument("--work-dir", type=Path, default=Path.home() / ".cache" / "bobby-ipcam-bench")
    p.add_argument("--fps", type=float, nargs="+", default=[2.0, 4.0], help="rates asked (default 2 4)")
    p.add_argument("--seconds", type=float, default=20.0, help="measured per reading (default 20)")
    p.add_argument("--backends", nargs="+", default=["pyav", "opencv"], choices=["pyav", "opencv"])
    p.add_argument("--url", help="measure this camera's stream instead of the generated ones")
    args = p.parse_args(argv)
    print(
        f"ipcam_bench: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, {args.seconds:.0f} s per reading"
    )
    if args.url:
        streams = {"camera": args.url}
        servers: list[Any] = []
    else:
        root = Path(__file__).resolve().parents[2]
        if not (root / "tests" / "support" / "rtsp_server.py").exists():
            print(
                "ipcam_bench: run from a checkout (tests/support/rtsp_server.py), or pass --url",
                file=sys.stderr,
            )
            return 2
        sys.path.insert(0, str(root))
        from tests.support.rtsp_server import RtspServer, available

        missing = available()
        if missing:
            print(f"ipcam_bench: {missing}", file=sys.stderr)
            return 2
        media = args.media or Path(os.environ.get("BOBBY_MEDIA", "/work/shared/media")) / "opencv_vtest.avi"
        args.work_dir.mkdir(parents=True, exist_ok=True)
        streams, servers = {}, []
        for name, (size, kbps) in STREAMS.items():
            t0 = time.monotonic()
            path = encode_stream(media, size, kbps, args.work_dir / f"{size[0]}x{size[1]}-{kbps}k.mp4", 60)
            print(
                f"  stream {name}: {size[0]}x{size[1]} H.264 {STREAM_FPS} fps {kbps} kbit/s ({time.monotonic() - t0:.0f} s to prepare)"
            )
            server = RtspServer(h264=path).start()
            servers.append(server)
            streams[name] = server.url()
    try:
        print(
            f"{'stream':<12} {'backend':<7} {'asked':>5} {'got':>5} {'decoded':>8} {'CPU/camera':>10} {'JPEG':>7} {'RSS':>7} {'private':>7}"
        )
        for name, url in streams.items():
            for backend in args.backends:
                for fps in args.fps:
                    r = measure(url, backend, fps, args.seconds)
                    decoded = f"{r['decoded_fps']:.1f}" if r["decoded_fps"] is not None else "-"
                    print(
                        f"{name:<12} {backend:<7} {fps:>5.1f} {r['fps_out']:>5.1f} {decoded:>8} "
                        f"{r['cpu_percent']:>9.0f}% {r['jpeg_kb']:>5.0f}KB {r['rss_mb']:>5.0f}MB {r['private_mb']:>5.0f}MB  "
                        f"(frames {r['size'][0]}x{r['size'][1]})",
                        flush=True,
                    )
    finally:
        for server in servers:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
