"""A real HTTP IP camera for tests: an MJPEG stream and a snapshot URL of shared-media frames.

    with HttpCamera(media_dir / "opencv_vtest.avi", user="admin", password="pw", auth="digest") as cam:
        cam.snapshot_url()   # http://admin:pw@127.0.0.1:<port>/snapshot.jpg  (image/jpeg)
        cam.mjpeg_url()      # http://admin:pw@127.0.0.1:<port>/video.mjpg    (multipart/x-mixed-replace)

Frames are the video's, in order, `fps` a second (the snapshot gives the frame of the moment,
as a camera does). With a user the camera asks for a login, as real ones do: `basic` (most
snapshot URLs) or `digest` (RFC 7616 with qop=auth, MD5: what ONVIF cameras answer), and refuses
a wrong one with 401. `/page.html` answers text/html (a URL that is no camera).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import os
import secrets
import socketserver
import threading
import time
from pathlib import Path
from urllib.parse import quote

MJPEG_TYPE = "multipart/x-mixed-replace; boundary=frame"


def mjpeg_part(jpeg: bytes) -> bytes:
    """One JPEG of an MJPEG stream (MJPEG_TYPE), as IP cameras send them."""
    return b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg) + jpeg + b"\r\n"


def _frames(media: Path, size: tuple[int, int] | None, count: int, step: int) -> list[bytes]:
    import cv2

    cap = cv2.VideoCapture(str(media))
    out: list[bytes] = []
    index = 0
    while len(out) < count:
        ok, bgr = cap.read()
        if not ok:
            break
        if index % step == 0:
            if size:
                bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
            out.append(cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())
        index += 1
    cap.release()
    if not out:
        raise RuntimeError(f"no frame decodes in {media}")
    return out


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # digest auth is MD5 by definition


class HttpCamera:
    def __init__(
        self,
        media: str | os.PathLike[str],
        *,
        size: tuple[int, int] | None = None,
        fps: float = 10.0,
        frames: int = 60,
        step: int = 2,
        user: str | None = None,
        password: str = "",
        auth: str = "basic",
    ) -> None:
        self.jpegs = _frames(Path(media), size, frames, step)
        self.period = 1.0 / fps
        self.user, self.password, self.auth = user, password, auth
        self.realm = "IP Camera"
        self.started = time.monotonic()
        self.requests = {"snapshot": 0, "mjpeg": 0, "refused": 0}
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def _authorized(self) -> bool:
                if outer.user is None:
                    return True
                header = self.headers.get("Authorization", "")
                if outer.auth == "basic":
                    expected = base64.b64encode(f"{outer.user}:{outer.password}".encode()).decode()
                    return header == f"Basic {expected}"
                if not header.startswith("Digest "):
                    return False
                fields = {}
                for part in header[7:].split(","):
                    key, _, value = part.strip().partition("=")
                    fields[key] = value.strip('"')
                ha1 = _md5(f"{outer.user}:{outer.realm}:{outer.password}")
                ha2 = _md5(f"{self.command}:{fields.get('uri', '')}")
                want = _md5(
                    f"{ha1}:{fields.get('nonce')}:{fields.get('nc')}:{fields.get('cnonce')}:{fields.get('qop')}:{ha2}"
                )
                return fields.get("username") == outer.user and fields.get("response") == want

            def _challenge(self) -> None:
                outer.requests["refused"] += 1
                self.send_response(401)
                if outer.auth == "basic":
                    self.send_header("WWW-Authenticate", f'Basic realm="{outer.realm}"')
                else:
                    nonce = secrets.token_hex(16)
                    self.send_header(
                        "WWW-Authenticate",
                        f'Digest realm="{outer.realm}", qop="auth", nonce="{nonce}", algorithm=MD5',
                    )
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                if not self._authorized():
                    self._challenge()
                    return
                path = self.path.split("?")[0]
                if path == "/snapshot.jpg":
                    outer.requests["snapshot"] += 1
                    jpeg = outer.current()
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(len(jpeg)))
                    self.end_headers()
                    self.wfile.write(jpeg)
                elif path == "/video.mjpg":
                    outer.requests["mjpeg"] += 1
                    self.send_response(200)
                    self.send_header("Content-Type", MJPEG_TYPE)
                    self.end_headers()
                    try:
                        while not outer.closing.is_set():
                            self.wfile.write(mjpeg_part(outer.current()))
                            self.wfile.flush()
                            time.sleep(outer.period)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                elif path == "/page.html":
                    body = b"<html><body>not a camera</body></html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_error(404)

            def log_message(self, *args: object) -> None:
                pass

        self.closing = threading.Event()
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def current(self) -> bytes:
        """The frame of the moment: the video plays at `fps`, looping."""
        index = int((time.monotonic() - self.started) / self.period)
        return self.jpegs[index % len(self.jpegs)]

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def _url(self, path: str, user: str | None, password: str | None) -> str:
        user = self.user if user is None else user
        password = self.password if password is None else password
        login = f"{quote(user, safe='')}:{quote(password, safe='')}@" if user else ""
        return f"http://{login}127.0.0.1:{self.port}{path}"

    def snapshot_url(self, user: str | None = None, password: str | None = None) -> str:
        return self._url("/snapshot.jpg", user, password)

    def mjpeg_url(self, user: str | None = None, password: str | None = None) -> str:
        return self._url("/video.mjpg", user, password)

    def start(self) -> HttpCamera:
        self.started = time.monotonic()
        self.thread.start()
        return self

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> HttpCamera:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
