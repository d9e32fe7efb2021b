"""A real RTSP server for tests and benchmarks: GStreamer's gst-rtsp-server, from Debian.

Run by the system Python (`/usr/bin/python3`, which has python3-gi; the project's venvs do not),
as its own process, so that a test can stop it (a stream that drops) and start it again:

    /usr/bin/python3 tests/support/rtsp_server.py --port 8554 --media vtest.avi \
        --width 640 --height 360 --fps 10 --user admin --password s3cret

serves `rtsp://admin:s3cret@127.0.0.1:8554/cam` (H.264, RTP over UDP or TCP) and prints
`ready` when it listens. Two modes:

- `--media FILE` (any video GStreamer decodes): decoded, scaled, re-encoded live with x264
  (ultrafast, zerolatency, a keyframe every 2 s), as a camera encodes; each client gets the file
  from its start.
- `--h264 FILE` (an MP4 or Matroska file with H.264 in it): sent as it is, no encoding (the
  benchmark's way: the server costs next to nothing, the client's decoding is what is measured).

With `--user` the server asks for a login (`--auth basic` or `digest`, the default: IP cameras
use digest), and refuses a wrong one with 401, as a camera does.

`RtspServer` (below) starts and stops it from a test. Debian packages (scripts/setup.sh, edge):
python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-{base,good,ugly,bad}, gstreamer1.0-libav.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

SYSTEM_PYTHON = "/usr/bin/python3"
HERE = Path(__file__).resolve()


def launch_line(args: argparse.Namespace) -> str:
    if args.h264:
        demux = "matroskademux" if str(args.h264).endswith(".mkv") else "qtdemux"
        return (
            f'( filesrc location="{args.h264}" ! {demux} ! h264parse ! '
            "rtph264pay name=pay0 pt=96 config-interval=1 )"
        )
    caps = f"video/x-raw,width={args.width},height={args.height},framerate={args.fps}/1"
    return (
        f'( filesrc location="{args.media}" ! decodebin ! videoconvert ! videoscale ! videorate ! '
        f"{caps} ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={2 * args.fps} "
        f"bitrate={args.bitrate} ! video/x-h264,profile=baseline ! "
        "rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


def serve(args: argparse.Namespace) -> None:  # pragma: no cover - runs under /usr/bin/python3
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtsp", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtsp, GstRtspServer

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(args))
    factory.set_shared(False)  # each client gets its own pipeline, from the file's start
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        if args.auth == "digest":
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            auth.add_digest(args.user, args.password, token)
        else:
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        permissions.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        factory.set_permissions(permissions)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on port {args.port}", flush=True)
        sys.exit(1)
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    print("ready", flush=True)
    loop.run()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="/cam")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--media", help="a video file, re-encoded live to H.264")
    src.add_argument("--h264", help="an MP4/MKV with H.264, sent as it is")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--fps", type=int, default=10)
    p.add_argument("--bitrate", type=int, default=1024, help="kbit/s (--media)")
    p.add_argument("--user")
    p.add_argument("--password", default="")
    p.add_argument("--auth", choices=("basic", "digest"), default="digest")
    serve(p.parse_args(argv))


# --- from a test (any Python) ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def available() -> str | None:
    """None when the server can run here, else what is missing (scripts/setup.sh installs it)."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} is missing"
    probe = subprocess.run(
        [
            SYSTEM_PYTHON,
            "-c",
            "import gi; gi.require_version('GstRtspServer', '1.0'); "
            "from gi.repository import Gst, GstRtspServer; Gst.init(None); "
            "import sys; sys.exit(0 if Gst.ElementFactory.find('x264enc') else 3)",
        ],
        capture_output=True,
        text=True,
    )
    if probe.returncode:
        return (
            "GStreamer's RTSP server is not installed (scripts/setup.sh edge installs python3-gi, "
            "gir1.2-gst-rtsp-server-1.0 and the gstreamer1.0 plugins): " + probe.stderr.strip()[-300:]
        )
    return None


class RtspServer:
    """The server above in its own process; `url` with or without the login; stop() and start()
    again on the same port (a camera that drops off the network and comes back)."""

    def __init__(
        self,
        *,
        media: str | os.PathLike[str] | None = None,
        h264: str | os.PathLike[str] | None = None,
        port: int | None = None,
        user: str | None = None,
        password: str = "",
        auth: str = "digest",
        width: int = 640,
        height: int = 360,
        fps: int = 10,
        log: str | os.PathLike[str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.user, self.password = user, password
        self.args = ["--port", str(self.port), "--width", str(width), "--height", str(height)]
        self.args += ["--fps", str(fps), "--auth", auth]
        self.args += ["--media", str(media)] if media else ["--h264", str(h264)]
        if user:
            self.args += ["--user", user, "--password", password]
        self.log_path = Path(log) if log else None
        self.proc: subprocess.Popen[str] | None = None

    def url(self, user: str | None = None, password: str | None = None) -> str:
        user = self.user if user is None else user
        password = self.password if password is None else password
        login = f"{quote(user, safe='')}:{quote(password, safe='')}@" if user else ""
        return f"rtsp://{login}127.0.0.1:{self.port}/cam"

    def start(self, timeout: float = 30.0) -> RtspServer:
        out = open(self.log_path, "a") if self.log_path else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen(
                [SYSTEM_PYTHON, str(HERE), *self.args],
                stdout=subprocess.PIPE,
                stderr=out,
                text=True,
                env={k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))},
            )
        finally:
            if out is not subprocess.DEVNULL:
                out.close()  # the server has its own copy
        assert self.proc.stdout is not None
        ready = select.select([self.proc.stdout], [], [], timeout)[0]
        if ready and self.proc.stdout.readline().strip() == "ready":
            return self
        self.stop()
        raise RuntimeError(
            f"the RTSP server did not start within {timeout:.0f} s (see {self.log_path or 'its stderr'})"
        )

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def __enter__(self) -> RtspServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    main()
