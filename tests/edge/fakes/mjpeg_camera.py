"""A fake IP camera: an HTTP MJPEG stream (multipart/x-mixed-replace) of shared-media frames.

Each connection gets `frames_per_connection` frames at `fps`, then the camera hangs up, as a
network camera does when Wi-Fi drops: the client has to re-open the stream.
"""

from __future__ import annotations

import http.server
import socket
import socketserver
import threading
import time
from pathlib import Path

import cv2

from tests.support.http_camera import MJPEG_TYPE, mjpeg_part


class MjpegCamera:
    def __init__(
        self,
        media: Path,
        size=(192, 144),
        fps: float = 10.0,
        frames: int = 30,
        frames_per_connection: int = 10,
    ):
        cap = cv2.VideoCapture(str(media))
        self.jpegs = []
        while len(self.jpegs) < frames:
            ok, bgr = cap.read()
            if not ok:
                break
            self.jpegs.append(cv2.imencode(".jpg", cv2.resize(bgr, size))[1].tobytes())
        cap.release()
        self.period = 1.0 / fps
        self.per_connection = frames_per_connection
        self.connections = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.connections += 1
                self.send_response(200)
                self.send_header("Content-Type", MJPEG_TYPE)
                self.end_headers()
                start = (outer.connections - 1) * outer.per_connection
                try:
                    for i in range(outer.per_connection):
                        self.wfile.write(mjpeg_part(outer.jpegs[(start + i) % len(outer.jpegs)]))
                        self.wfile.flush()
                        time.sleep(outer.period)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    # Hang up for real (both directions), as a camera losing Wi-Fi would.
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

            def log_message(self, *args):
                pass

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/video.mjpg"

    def __enter__(self) -> MjpegCamera:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
