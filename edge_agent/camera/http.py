"""Live view and status page of a camera (aiohttp, in its own thread and event loop).

- `/video`: MJPEG (multipart/x-mixed-replace) of the latest frames (a smart camera draws boxes
  while detection is on; a dumb camera serves the JPEGs it publishes);
- `/snapshot.jpg`: the latest frame;
- `/status.json`: what the camera's `status()` says (a smart camera: person state, ROI set, stats);
- `/events/<id>.mp4`, `/events/<id>.jpg`, `/events/<id>-clean.jpg`: a visit's clip and snapshots
  (a smart camera that records, docs/mqtt.md "events"), with HTTP Range requests, see
  `EventFiles`;
- `/`: a page with the live stream and the stats; for a smart camera also the ROI polygons drawn
  over it and the person state.

Viewers never slow capture: frames come from the camera process into `FrameHub`, which keeps only
the latest one; each viewer's coroutine sends the newest frame it has not sent yet, so a slow
viewer skips frames instead of queueing them (an earlier Flask design with a thread per viewer
became unresponsive at 1024x768).

Authentication is optional: a token (`Authorization: Bearer …` or `?token=…`) or HTTP basic
auth, checked by a middleware before any handler runs (an unauthenticated request costs one
comparison and gets a fixed 401). The server binds to 127.0.0.1 unless told otherwise, so it is off
the network by default.

Everything written into the page is escaped for where it goes: the camera's id and name and the
token are HTML-escaped, the token is URL-encoded in the stream's URL and JSON-encoded with `<`, `>`
and `&` as `\\u` escapes inside the script (so no `</script>` can end it); the stats table is
built with `textContent`, never `innerHTML`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import html
import json
import logging
import re
import threading
import time
import urllib.parse
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from edge_agent.ratelimit import RateLimitedLog

log = logging.getLogger(__name__)

BOUNDARY = "bobbyframe"


@dataclass(frozen=True)
class HttpSettings:
    port: int
    bind: str = "127.0.0.1"
    token: str | None = None
    username: str | None = None
    password: str | None = None


class FrameHub:
    """The latest JPEG, and a way for coroutines to wait for a newer one."""

    def __init__(self) -> None:
        self.jpeg: bytes | None = None
        self.captured_at = 0.0
        self.seq = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._event = asyncio.Event()

    def put(self, jpeg: bytes, captured_at: float) -> None:
        """From any thread."""
        if self.loop is None or self.loop.is_closed():
            return
        try:
            self.loop.call_soon_threadsafe(self._put, jpeg, captured_at)
        except RuntimeError:  # loop closing
            pass

    def _put(self, jpeg: bytes, captured_at: float) -> None:
        self.jpeg, self.captured_at = jpeg, captured_at
        self.seq += 1
        event, self._event = self._event, asyncio.Event()
        assert event is not None  # bind() made one
        event.set()  # wakes every waiting viewer at once

    async def next_after(self, seq: int, timeout: float = 5.0) -> int:
        """Wait until a frame newer than `seq` exists; its seq (unchanged on timeout)."""
        if self.seq != seq and self.jpeg is not None:
            return self.seq
        assert self._event is not None, "bind() first"
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            pass
        return self.seq


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bobby camera {cam}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; margin: 1em; background: #111; color: #eee; }}
#view {{ position: relative; display: inline-block; max-width: 100%; }}
#stream {{ display: block; max-width: 100%; }}
#overlay {{ position: absolute; left: 0; top: 0; width: 100%; height: 100%; pointer-events: none; }}
#overlay polygon {{ fill: rgba(255, 210, 0, 0.15); stroke: #ffd200; stroke-width: 0.004; }}
.on {{ color: #ff5050; font-weight: bold; }} .off {{ color: #8f8; }}
table {{ border-collapse: collapse; }} td {{ padding: 0 1em 0 0; }}
</style></head>
<body>
<h1>{name}</h1>
<div id="view">
  <img id="stream" alt="live view" src="video{query_attr}">
  <svg id="overlay" viewBox="0 0 1 1" preserveAspectRatio="none"></svg>
</div>
<p id="detect-info">Person: <span id="person" class="off">-</span> &middot; Detection: <span id="detection">-</span>
&middot; ROI set version <span id="rois-version">-</span></p>
<table id="stats"></table>
<script>
const query = {query_json};
const img = document.getElementById("stream");
img.addEventListener("load", () => {{ document.body.dataset.streamLoaded = String(img.naturalWidth); }});
function drawRois(rois) {{
  const svg = document.getElementById("overlay");
  svg.innerHTML = "";
  for (const roi of rois) {{
    const p = document.createElementNS("http://www.w3.org/2000/svg", "polygon");
    p.setAttribute("points", roi.points.map(pt => pt[0] + "," + pt[1]).join(" "));
    p.setAttribute("data-roi", roi.id);
    const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
    title.textContent = roi.name;
    p.appendChild(title);
    svg.appendChild(p);
  }}
  document.body.dataset.roiCount = String(rois.length);
}}
async function refresh() {{
  try {{
    const r = await fetch("status.json" + query, {{cache: "no-store"}});
    const s = await r.json();
    // A dumb camera detects nothing itself: no person state, no regions.
    document.getElementById("detect-info").hidden = !s.rois;
    if (s.rois) {{
      const person = document.getElementById("person");
      person.textContent = s.person; person.className = s.person === "ON" ? "on" : "off";
      document.getElementById("detection").textContent = s.detection;
      document.getElementById("rois-version").textContent = s.rois.version;
    }}
    drawRois((s.rois && s.rois.rois) || []);
    const rows = Object.entries(s.stats || {{}}).filter(([k, v]) => typeof v !== "object" || v === null);
    const table = document.getElementById("stats");
    table.replaceChildren(...rows.map(([k, v]) => {{  // text, never markup: values come from outside
      const tr = document.createElement("tr");
      for (const text of [k, String(v)]) {{
        const td = document.createElement("td"); td.textContent = text; tr.appendChild(td);
      }}
      return tr;
    }}));
    document.body.dataset.statusLoaded = "1";
  }} catch (e) {{ document.body.dataset.statusError = String(e); }}
}}
refresh(); setInterval(refresh, 2000);
</script>
</body></html>
"""


# On every answer: the page carries the token in its URLs, which must not leak as a Referer, and
# no browser may guess a content type or frame the page.
SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def script_json(value: object) -> str:
    """JSON safe inside an inline <script>: no `</script>`, `<!--` or line separators can appear."""
    text = json.dumps(value)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


# A visit's files (docs/mqtt.md, events): the id and one of three endings, nothing else.
EVENT_FILE_RE = re.compile(r"(\d{8}T\d{6}Z-[0-9a-f]{12})(\.mp4|\.jpg|-clean\.jpg)")
MAX_FILE_STREAMS = 8  # event files sent at once; more get 503 (a Pi's SD card and uplink are small)


class EventFiles:
    """`GET /events/<name>`: one file of a visit from the camera's event folder.

    - `name` must be `<id>.mp4`, `<id>.jpg` or `<id>-clean.jpg` with a valid event id
      (`EVENT_FILE_RE`), else 404: no other character, so no `..`, no `/`, no other file;
    - the file must be a regular file whose real path is directly inside the folder (a symlink
      pointing anywhere else is refused with 404, as if it were not there);
    - a clip still being written (`<id>.mp4.part`, no `<id>.mp4` yet, or a visit that `recording`
      says is still recording, before its first frame is written) is `409 Conflict` with
      `Retry-After: 5` and the reason: it becomes `<id>.mp4` when closed (the `end` message);
    - aiohttp's `FileResponse` sends it (sendfile), with Range (206, `Content-Range`; 416 for a
      range outside the file), `ETag` / `Last-Modified` (304 on a revalidation);
    - at most `MAX_FILE_STREAMS` are sent at once; another request gets 503 with `Retry-After`.
    """

    def __init__(
        self,
        directory: Path,
        max_streams: int = MAX_FILE_STREAMS,
        recording: Callable[[str], bool] | None = None,
    ) -> None:
        self.directory = directory
        self.recording = recording  # whether a visit's clip is still to come (the camera's visits)
        self.max_streams = max_streams
        self.streams = 0  # being sent now
        self.bad = RateLimitedLog(log, interval=60.0)
        self.counters = {"served": 0, "not_found": 0, "busy": 0, "refused_path": 0, "partial": 0}

    def _release(self, done: list[bool]) -> None:
        if not done[0]:  # once, whichever comes first: prepare() ending or the response going away
            done[0] = True
            self.streams -= 1

    def resolve(self, name: str) -> tuple[int, str, Path | None]:
        """(status, reason, path): 200 and the real path of the file to send, or why not."""
        m = EVENT_FILE_RE.fullmatch(name)
        if m is None:
            return 404, "no such event file\n", None
        try:
            root = self.directory.resolve(strict=True)
        except OSError:
            return 404, "no such event\n", None
        path = root / name
        try:
            real = path.resolve(strict=True)
        except OSError:  # missing (or a loop of symlinks)
            clip_to_come = self.recording is not None and self.recording(m.group(1))
            if m.group(2) == ".mp4" and (clip_to_come or (root / (name + ".part")).exists()):
                self.counters["partial"] += 1
                return 409, "clip still being written: it is ready when the visit's end is published\n", None
            return 404, "no such event\n", None
        if real.parent != root or not real.is_file():
            self.counters["refused_path"] += 1
            self.bad.warning(
                "event-path", "event file %s refused: not a regular file directly inside %s", name, root
            )
            return 404, "no such event\n", None
        return 200, "", real

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        loop = asyncio.get_running_loop()
        status, reason, real = await loop.run_in_executor(None, self.resolve, name)
        if real is None:
            if status == 404:
                self.counters["not_found"] += 1
            headers = {"Cache-Control": "no-store", **SECURITY_HEADERS}
            if status == 409:
                headers["Retry-After"] = "5"
            return web.Response(status=status, text=reason, headers=headers)
        if self.streams >= self.max_streams:
            self.counters["busy"] += 1
            raise web.HTTPServiceUnavailable(
                text="too many event files being sent; try again\n",
                headers={"Retry-After": "2", **SECURITY_HEADERS},
            )
        self.streams += 1
        self.counters["served"] += 1
        done = [False]
        response = _CountedFileResponse(
            real,
            lambda: self._release(done),
            headers={
                "Content-Type": "video/mp4" if name.endswith(".mp4") else "image/jpeg",
                # The snapshots improve in place during a visit: revalidate (ETag), never guess.
                "Cache-Control": "private, no-cache",
                **SECURITY_HEADERS,
            },
        )
        weakref.finalize(response, self._release, done)  # never prepared (the client went away)
        return response


class _CountedFileResponse(web.FileResponse):
    """A `FileResponse` that says when it has been sent (or failed): the stream limit's count."""

    def __init__(self, path: Path, on_done: Callable[[], None], headers: dict[str, str]) -> None:
        super().__init__(path, headers=headers)
        self._on_done = on_done

    async def prepare(self, request: web.BaseRequest) -> Any:
        try:
            return await super().prepare(request)
        finally:
            self._on_done()


class LiveServer:
    """The aiohttp app, run in a daemon thread by `start()`."""

    def __init__(
        self,
        settings: HttpSettings,
        hub: FrameHub,
        camera_id: str,
        name: str,
        status: Callable[[], dict[str, Any]],
        streaming: Callable[[], bool],
        on_viewers: Callable[[int], None] | None = None,
        events_dir: Path | None = None,
        recording: Callable[[str], bool] | None = None,
    ) -> None:
        self.s = settings
        # A recording smart camera's visits (None: no /events/ routes, 404 as any unknown path).
        self.events = EventFiles(events_dir, recording=recording) if events_dir is not None else None
        self.hub = hub
        self.camera_id = camera_id
        self.name = name
        self.status = status
        self.streaming = streaming
        self.on_viewers = on_viewers
        self.viewers = 0
        self.frames_served = 0
        self.pages_built = 0
        self.refused = 0  # requests answered 401
        self.loop: asyncio.AbstractEventLoop | None = None
        self.runner: web.AppRunner | None = None
        self.thread: threading.Thread | None = None
        self.started = threading.Event()
        self.error: BaseException | None = None
        self.port = settings.port

    # --- auth -------------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        s = self.s
        if not s.token and not s.username:
            return True
        header = request.headers.get("Authorization", "")
        if s.token:
            given = request.query.get("token") or (header[7:] if header.startswith("Bearer ") else "")
            if given and hmac.compare_digest(given.encode(), s.token.encode()):
                return True
        if s.username and header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
            except (binascii.Error, ValueError, UnicodeDecodeError):
                return False
            return hmac.compare_digest(user.encode(), s.username.encode()) and hmac.compare_digest(
                password.encode(), (s.password or "").encode()
            )
        return False

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # Before routing's handler runs: nothing is built, read or streamed for a stranger.
        if not self._authorised(request):
            self.refused += 1
            headers = {"WWW-Authenticate": 'Basic realm="bobby"'} if self.s.username else {}
            raise web.HTTPUnauthorized(
                text="authentication required\n", headers={**headers, **SECURITY_HEADERS}
            )
        response = await handler(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    # --- handlers ---------------------------------------------------------------------------

    def page(self, token: str | None) -> str:
        """The status page; `token` is the viewer's own `?token=` (untrusted text)."""
        query = "?token=" + urllib.parse.quote(token, safe="") if token else ""
        self.pages_built += 1
        return PAGE.format(
            cam=html.escape(self.camera_id),
            name=html.escape(self.name),
            query_attr=html.escape(query),
            query_json=script_json(query),
        )

    async def index(self, request: web.Request) -> web.Response:
        return web.Response(text=self.page(request.query.get("token")), content_type="text/html")

    async def status_json(self, request: web.Request) -> web.Response:
        data = {**self.status(), "viewers": self.viewers, "frames_served": self.frames_served}
        if self.events is not None:  # what was asked of /events/ (refusals included)
            data["event_files"] = {**self.events.counters, "sending": self.events.streams}
        return web.json_response(data, headers={"Cache-Control": "no-store"})

    async def snapshot(self, request: web.Request) -> web.Response:
        if self.hub.jpeg is None:
            raise web.HTTPServiceUnavailable(text="no frame yet\n")
        return web.Response(
            body=self.hub.jpeg, content_type="image/jpeg", headers={"Cache-Control": "no-store"}
        )

    async def video(self, request: web.Request) -> web.StreamResponse:
        if not self.streaming():
            raise web.HTTPServiceUnavailable(text="streaming is off\n")
        resp = web.StreamResponse(
            headers={
                "Content-Type": f"multipart/x-mixed-replace; boundary={BOUNDARY}",
                "Cache-Control": "no-store",
                "Connection": "close",
            }
        )
        await resp.prepare(request)
        self._viewers(+1)
        seq = 0
        try:
            while self.streaming():
                new = await self.hub.next_after(seq)
                if new == seq:
                    continue  # no frame for a while: keep the connection and wait again
                seq, jpeg = new, self.hub.jpeg
                assert jpeg is not None  # a newer frame exists
                head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n".encode()
                # A slow viewer waits here on its own socket; meanwhile the hub moves on and
                # this viewer gets the newest frame next time (frames skipped, never queued).
                await resp.write(head + jpeg + b"\r\n")
                self.frames_served += 1
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._viewers(-1)
        return resp

    def _viewers(self, delta: int) -> None:
        self.viewers += delta
        if self.on_viewers:
            self.on_viewers(self.viewers)

    # --- lifecycle --------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth])
        app.router.add_get("/", self.index)
        app.router.add_get("/video", self.video)
        app.router.add_get("/snapshot.jpg", self.snapshot)
        app.router.add_get("/status.json", self.status_json)
        if self.events is not None:
            app.router.add_get("/events/{name}", self.events.handle)
        return app

    def start(self, timeout: float = 10.0) -> None:
        self.thread = threading.Thread(target=self._run, name="http", daemon=True)
        self.thread.start()
        if not self.started.wait(timeout):
            raise RuntimeError("the HTTP server did not start")
        if self.error is not None:
            raise OSError(f"http_port {self.s.port} on {self.s.bind}: {self.error}")

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        asyncio.set_event_loop(loop)
        self.hub.bind(loop)
        try:
            self.runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0)
            loop.run_until_complete(self.runner.setup())
            site = web.TCPSite(self.runner, self.s.bind, self.s.port)
            loop.run_until_complete(site.start())
            # aiohttp types _server as AbstractServer; start() made it an asyncio.Server
            sockets = site._server.sockets if site._server else []  # type: ignore[attr-defined]
            if sockets:
                self.port = sockets[0].getsockname()[1]
        except OSError as err:
            self.error = err
            self.started.set()
            return
        log.info(
            "live view on http://%s:%d/ (%s)",
            self.s.bind,
            self.port,
            "token" if self.s.token else "basic auth" if self.s.username else "no authentication",
        )
        self.started.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self.runner.cleanup())
            loop.close()

    def stop(self) -> None:
        if self.loop is not None and self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        if self.thread is not None:
            self.thread.join(timeout=5)


def advertised_host(bind: str, broker_host: str) -> str:
    """The address Home Assistant should use for the stream URL."""
    import socket

    if bind not in ("0.0.0.0", "::", ""):
        return bind
    try:  # the interface that routes to the broker is the one HA can reach
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((broker_host, 1))
            host: str = s.getsockname()[0]  # (host, port) for AF_INET
            return host
    except OSError:
        return socket.gethostname()


def live_urls(server: LiveServer | None, broker_host: str) -> tuple[str | None, str | None]:
    """(stream_url, snapshot_url) for the announce; never with the token (docs/mqtt.md)."""
    if server is None:
        return None, None
    base = f"http://{advertised_host(server.s.bind, broker_host)}:{server.port}"
    return f"{base}/video", f"{base}/snapshot.jpg"


def wait_port(host: str, port: int, timeout: float = 5.0) -> bool:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False
