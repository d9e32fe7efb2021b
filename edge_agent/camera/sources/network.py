"""IP cameras: `rtsp://` streams (PyAV) and `http(s)://` MJPEG streams or snapshot URLs.

**RTSP** (`RtspSource`): PyAV (FFmpeg, already a dependency for recording) rather than OpenCV's
`VideoCapture`, for three things OpenCV hides: the reason a stream does not open (a 401 is "wrong
user or password", not "cannot open"), timeouts on opening and on every read (`av.open`'s
`timeout`), and what is decoded. A reader thread demuxes and decodes every packet as it arrives
(H.264 frames depend on the ones before: none can be skipped without breaking the picture), and
keeps only the newest decoded frame; the colour conversion to RGB, the costly part after
decoding, is done only for the frames handed out at the rate asked. (FFmpeg's `skip_frame` could
drop frames no other frame needs, but cameras' streams (no B-frames) have next to none: on such a
stream `NONREF` decoded the same frames at the same CPU, so it is not used.) Nothing queues: a reader
never gets a stale frame. Decoding is what costs: a 1080p main stream at 25 fps costs several
times a 640x360 substream (docs/performance.md, "IP cameras"); pick the substream.

**HTTP** (`HttpSource`): what the URL answers decides the mode, from its `Content-Type`:
`multipart/x-mixed-replace` is an MJPEG stream (a reader thread reads every part as it comes and
keeps the newest JPEG), `image/jpeg` a snapshot URL (one GET per frame, at the rate asked, with a
timeout). Anything else is refused with what it answered. Basic and digest logins come from the
URL's user info. The JPEGs are handed out as they are (`read_jpeg`, no decode, no re-encode)
when their size is the frames' size, else decoded, scaled and encoded once.

Both re-connect with backoff (1 s doubling to 30 s) when the camera drops, and with
`give_up_after` raise `SourceError` once no frame came for that long, so that a supervisor
restarts the camera (edge_agent/camera/hosted.py) and reports it. Every message names the source
with its password hidden (`redact_url`).
"""

from __future__ import annotations

import base64
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from edge_agent.camera.sources.base import FrameSource, SourceError
from edge_agent.mqtt.broker import redact_url

if TYPE_CHECKING:
    import av.container
    import av.video.frame
    import numpy as np

log = logging.getLogger(__name__)

MAX_JPEG = 8 * 1024 * 1024  # a camera's JPEG larger than this is refused (bounded input)
MAX_PIXELS = 16_000_000  # a JPEG whose header declares more is refused before decoding
MAX_HEADER_LINE = 1024
MAX_PART_HEADERS = 32
BACKOFF_FIRST, BACKOFF_LONGEST = 1.0, 30.0


class Reconnecting:
    """A reader thread's loop: connect, read until it fails, wait (backoff), connect again.

    `down_since` is when frames last stopped (None while they come); `error` why, for the
    message a reader raises after `give_up_after` seconds without a frame.
    """

    def __init__(self, name: str, closed: threading.Event) -> None:
        self.name = name
        self.closed = closed
        self.backoff = BACKOFF_FIRST
        self.down_since: float | None = None
        self.error = ""

    def lost(self, error: str) -> bool:
        """The connection failed: log it, wait the backoff; False when the source was closed."""
        first = self.down_since is None
        if first:
            self.down_since = time.monotonic()
        if first or error != self.error:
            log.warning(
                "source %s: %s; reconnecting (every %.0f s at most)", self.name, error, BACKOFF_LONGEST
            )
        self.error = error
        if self.closed.wait(self.backoff):
            return False
        self.backoff = min(self.backoff * 2, BACKOFF_LONGEST)
        return True

    def up(self, reconnected: bool) -> None:
        if self.down_since is not None and reconnected:
            log.info("source %s: frames again after %.0f s", self.name, time.monotonic() - self.down_since)
        self.down_since = None
        self.backoff = BACKOFF_FIRST

    def check(self, give_up_after: float | None) -> None:
        """Raise SourceError when frames stopped longer than `give_up_after` seconds ago."""
        if give_up_after is None or self.down_since is None:
            return
        down = time.monotonic() - self.down_since
        if down > give_up_after:
            raise SourceError(f"source {self.name}: no frame for {down:.0f} s ({self.error})")


class LatestSlot:
    """The newest item a reader thread produced; `take()` waits for one newer than the last taken."""

    def __init__(self, closed: threading.Event) -> None:
        self.cond = threading.Condition()
        self.closed = closed
        self.item: Any = None
        self.seq = 0
        self.taken = 0

    def put(self, item: Any) -> None:
        with self.cond:
            self.item = item
            self.seq += 1
            self.cond.notify_all()

    def take(self, timeout: float) -> tuple[Any, int]:
        """(the newest item or None, how many newer-than-taken items were never taken)."""
        with self.cond:
            self.cond.wait_for(lambda: self.seq > self.taken or self.closed.is_set(), timeout)
            if self.seq <= self.taken:
                return None, 0
            missed = self.seq - self.taken - 1 if self.taken else 0
            item, self.taken = self.item, self.seq
            return item, missed

    def wake(self) -> None:
        with self.cond:
            self.cond.notify_all()


# --- RTSP -------------------------------------------------------------------------------------


def _rtsp_error(err: BaseException, timeout: float) -> str:
    """What went wrong opening or reading a stream, in words (never the URL: FFmpeg puts it in)."""
    import av.error

    if isinstance(err, av.error.HTTPUnauthorizedError):
        return "the camera refused the login (401 Unauthorized): check the user and password in the URL"
    if isinstance(err, av.error.HTTPForbiddenError):
        return "the camera refused access (403 Forbidden): check the user's rights on the camera"
    if isinstance(err, av.error.HTTPNotFoundError):
        return "no such stream on the camera (404 Not Found): check the path in the URL"
    if isinstance(err, ConnectionRefusedError):
        return "connection refused: check the host and port, and that the camera is on"
    if isinstance(err, (TimeoutError, av.error.ExitError)):
        return f"no answer within {timeout:.0f} s"
    if isinstance(err, EOFError):
        return "the stream ended"
    text = getattr(err, "strerror", None) or str(err)
    return redact_url(str(text)).split(": 'rtsp")[0][:200]


class RtspSource(FrameSource):
    """An RTSP stream through PyAV: decoded as it comes, the newest frame handed out when due."""

    platform = "rtsp"
    OPEN_TIMEOUT = 10.0  # seconds for the connection and the stream's description
    READ_TIMEOUT = 5.0  # a read of the network blocked this long: the camera is gone

    def __init__(
        self,
        url: str,
        size: tuple[int | None, int | None] | None,
        fps: float | None,
        *,
        transport: str | None = None,
        give_up_after: float | None = None,
    ) -> None:
        super().__init__(size, fps)
        self.url = url
        self.name = redact_url(url)
        self.platform = "rtsps" if url.lower().startswith("rtsps") else "rtsp"
        # None: TCP first (RTP interleaved in the RTSP connection), UDP when the camera has no
        # TCP; UDP loses packets on Wi-Fi, and a lost packet smears the picture until the next
        # keyframe. "tcp" or "udp" force one.
        self.transport = transport
        self.give_up_after = give_up_after
        self.decoded = 0  # frames decoded (all of the stream's); `frames` are those handed out
        self._slot = LatestSlot(self._closed)
        self._link = Reconnecting(self.name, self._closed)
        self._container: av.container.InputContainer | None = None
        self._thread: threading.Thread | None = None

    def _connect(self) -> av.container.InputContainer:
        import av

        options = {"rtsp_transport": self.transport} if self.transport else {"rtsp_flags": "prefer_tcp"}
        try:
            container = av.open(self.url, options=options, timeout=(self.OPEN_TIMEOUT, self.READ_TIMEOUT))
        except (av.error.FFmpegError, OSError, EOFError) as err:
            raise SourceError(f"source {self.name}: {_rtsp_error(err, self.OPEN_TIMEOUT)}") from None
        if not container.streams.video:
            container.close()
            raise SourceError(f"source {self.name}: the stream has no video")
        stream = container.streams.video[0]
        # Frame threads would each hold a frame back and cost a thread per core; slices keep
        # latency at one frame (docs/performance.md, "IP cameras").
        stream.thread_type = "SLICE"
        return container

    def _open(self) -> None:
        container = self._connect()
        self._container = container
        # The first frame tells the stream's size (the description may not), and is the first
        # one handed out.
        first = self._decode_one(container)
        if first is None:
            container.close()
            self._container = None
            raise SourceError(
                f"source {self.name}: connected, but no frame came within {self.OPEN_TIMEOUT:.0f} s"
            )
        self._set_native((first.width, first.height))
        self._slot.put(first)
        self._thread = threading.Thread(target=self._reader, name="rtsp-reader", daemon=True)
        self._thread.start()

    def _decode_one(self, container: av.container.InputContainer) -> av.video.frame.VideoFrame | None:
        import av

        deadline = time.monotonic() + self.OPEN_TIMEOUT
        try:
            for packet in container.demux(video=0):
                for frame in packet.decode():
                    self.decoded += 1
                    return frame
                if time.monotonic() > deadline:
                    return None
        except (av.error.FFmpegError, OSError, EOFError) as err:
            log.warning("source %s: %s", self.name, _rtsp_error(err, self.READ_TIMEOUT))
        return None

    def _reader(self) -> None:
        import av

        container = self._container
        reconnected = False
        try:
            while not self._closed.is_set():
                if container is None:
                    try:
                        container = self._connect()
                    except SourceError as err:
                        if not self._link.lost(str(err).split(": ", 1)[-1]):
                            return
                        continue
                    self.reconnects += 1
                    reconnected = True
                    self._container = container
                try:
                    for packet in container.demux(video=0):
                        if self._closed.is_set():
                            return
                        for frame in packet.decode():
                            self.decoded += 1
                            self._slot.put(frame)
                            if self._link.down_since is not None:
                                self._link.up(reconnected)
                    error = "the stream ended"
                except (av.error.FFmpegError, OSError, EOFError) as err:
                    error = _rtsp_error(err, self.READ_TIMEOUT)
                container.close()
                container = self._container = None
                if self._closed.is_set() or not self._link.lost(error):
                    return
        finally:
            if container is not None:
                container.close()
            self._container = None

    def _read_frame(self) -> np.ndarray | None:
        frame, missed = self._slot.take(self.READ_TIMEOUT)
        if frame is None:
            self._link.check(self.give_up_after)
            return None
        self.skipped += missed  # decoded, never converted: the rate asked is below the stream's
        rgb: np.ndarray = frame.to_ndarray(format="rgb24")
        return rgb

    def close(self) -> None:
        super().close()
        self._slot.wake()
        if self._thread is not None:
            self._thread.join(timeout=self.READ_TIMEOUT + 2)
            if self._thread.is_alive():
                log.warning("source %s: the reader did not stop in time", self.name)

    def stats(self) -> dict[str, int]:
        return {**super().stats(), "decoded": self.decoded}


# --- HTTP: MJPEG streams and snapshot URLs -----------------------------------------------------

MJPEG_TYPE = "multipart/x-mixed-replace"
JPEG_TYPES = ("image/jpeg", "image/jpg", "image/pjpeg")


def split_login(url: str) -> tuple[str, str | None, str | None]:
    """(the URL without its user info, user, password), the user info percent-decoded."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None, None
    host = parts.netloc.rsplit("@", 1)[1]
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return clean, unquote(parts.username), unquote(parts.password or "")


def _opener(url: str, user: str | None, password: str | None) -> urllib.request.OpenerDirector:
    """An opener that answers a basic or digest challenge with the URL's login."""
    handlers: list[urllib.request.BaseHandler] = []
    if user is not None:
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, url, user, password or "")
        handlers += [
            urllib.request.HTTPBasicAuthHandler(manager),
            urllib.request.HTTPDigestAuthHandler(manager),
        ]
    return urllib.request.build_opener(*handlers)


def _http_error(err: BaseException, timeout: float) -> str:
    if isinstance(err, urllib.error.HTTPError):
        if err.code == 401:
            return "the camera refused the login (HTTP 401): check the user and password in the URL"
        if err.code == 403:
            return "the camera refused access (HTTP 403): check the user's rights on the camera"
        if err.code == 404:
            return "no such page on the camera (HTTP 404): check the path in the URL"
        return f"the camera answered HTTP {err.code}"
    if isinstance(err, urllib.error.URLError):
        err = err.reason if isinstance(err.reason, BaseException) else err
    if isinstance(err, TimeoutError):
        return f"no answer within {timeout:.0f} s"
    if isinstance(err, ConnectionRefusedError):
        return "connection refused: check the host and port, and that the camera is on"
    return redact_url(str(getattr(err, "strerror", None) or err))[:200]


def _read_body(response: Any, limit: int = MAX_JPEG) -> bytes:
    length = response.headers.get("Content-Length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise ValueError(f"a JPEG of {int(length)} bytes (more than {limit})")
    body: bytes = response.read(limit + 1)
    if len(body) > limit:
        raise ValueError(f"a JPEG of more than {limit} bytes")
    return body


class MjpegReader:
    """The parts of a multipart/x-mixed-replace body, each bounded; the JPEGs in turn."""

    def __init__(self, response: Any, content_type: str) -> None:
        self.response = response
        boundary = ""
        for param in content_type.split(";")[1:]:
            key, _, value = param.strip().partition("=")
            if key.lower() == "boundary":
                boundary = value.strip().strip('"')
        if not boundary:
            raise ValueError("an MJPEG stream without a boundary")
        delimiter = boundary if boundary.startswith("--") else "--" + boundary
        self.delimiters = {delimiter.encode(), boundary.encode()}

    def _line(self) -> bytes:
        line: bytes = self.response.readline(MAX_HEADER_LINE)
        if not line:
            raise EOFError("the stream ended")
        return line

    def next_jpeg(self) -> bytes:
        for _ in range(MAX_PART_HEADERS):  # up to the boundary (blank lines may come first)
            if self._line().rstrip(b"\r\n").rstrip(b"-") in {d.rstrip(b"-") for d in self.delimiters}:
                break
        else:
            raise ValueError("no part boundary where one was expected")
        length = None
        for _ in range(MAX_PART_HEADERS):
            line = self._line().strip()
            if not line:
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length" and value.strip().isdigit():
                length = int(value.strip())
        else:
            raise ValueError("a part with too many header lines")
        if length is not None:
            if length > MAX_JPEG:
                raise ValueError(f"a JPEG of {length} bytes (more than {MAX_JPEG})")
            data: bytes = self.response.read(length)
            if len(data) < length:
                raise EOFError("the stream ended inside a frame")
            return data
        # No Content-Length: the JPEG ends at its EOI marker, before the next boundary.
        chunks, size = [], 0
        while True:
            chunk = self.response.readline(64 * 1024)
            if not chunk:
                raise EOFError("the stream ended inside a frame")
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_JPEG:
                raise ValueError(f"a JPEG of more than {MAX_JPEG} bytes")
            if chunk.rstrip(b"\r\n").endswith(b"\xff\xd9"):
                return b"".join(chunks).rstrip(b"\r\n")


class HttpSource(FrameSource):
    """An `http(s)://` camera: an MJPEG stream or a snapshot URL, told apart by Content-Type."""

    gives_jpeg = True
    TIMEOUT = 10.0  # seconds for a snapshot, or for the stream to give its next part

    def __init__(
        self,
        url: str,
        size: tuple[int | None, int | None] | None,
        fps: float | None,
        *,
        quality: int = 80,
        timeout: float | None = None,
        give_up_after: float | None = None,
    ) -> None:
        super().__init__(size, fps)
        self.url, self._user, self._password = split_login(url)
        self.name = redact_url(url)
        self.quality = quality
        self.timeout = timeout or self.TIMEOUT
        self.give_up_after = give_up_after
        self.mode = ""  # "mjpeg" or "snapshot", once open
        self.platform = "http"
        self.reencoded = 0  # JPEGs that were not the frames' size (decoded, scaled, encoded)
        self._opener = _opener(self.url, self._user, self._password)
        self._slot = LatestSlot(self._closed)
        self._link = Reconnecting(self.name, self._closed)
        self._response: Any = None
        self._first: bytes | None = None
        self._thread: threading.Thread | None = None
        self._warned: set[str] = set()

    def _request(self) -> Any:
        request = urllib.request.Request(self.url, headers={"User-Agent": "bobby-edge"})
        if self._user is not None:
            # Basic sent at once (most snapshot URLs want it on every request); a digest camera
            # answers 401 with its challenge, which the opener's digest handler then meets.
            token = base64.b64encode(f"{self._user}:{self._password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        return self._opener.open(request, timeout=self.timeout)

    def _get(self) -> tuple[Any, str]:
        try:
            response = self._request()
        except urllib.error.HTTPError as err:
            err.close()
            raise SourceError(f"source {self.name}: {_http_error(err, self.timeout)}") from None
        except (urllib.error.URLError, OSError, ValueError) as err:
            raise SourceError(f"source {self.name}: {_http_error(err, self.timeout)}") from None
        content_type = response.headers.get("Content-Type", "") or ""
        return response, content_type

    def _open(self) -> None:
        from edge_agent.detect.imaging import jpeg_dimensions

        response, content_type = self._get()
        kind = content_type.split(";")[0].strip().lower()
        try:
            if kind == MJPEG_TYPE:
                self.mode = "mjpeg"
                reader = MjpegReader(response, content_type)
                jpeg = reader.next_jpeg()
            elif kind in JPEG_TYPES:
                self.mode = "snapshot"
                with response:
                    jpeg = _read_body(response)
                reader = None
            else:
                response.close()
                raise SourceError(
                    f"source {self.name}: the camera answered Content-Type {kind or 'none'!r}: neither "
                    f"an MJPEG stream ({MJPEG_TYPE}) nor a snapshot (image/jpeg); check the URL"
                )
            native = jpeg_dimensions(jpeg)
        except (ValueError, EOFError, OSError) as err:
            response.close()
            raise SourceError(f"source {self.name}: {redact_url(str(err))}") from None
        self.platform = self.mode
        self._set_native(native)
        self._first = jpeg
        if reader is not None:
            self._response = response
            self._thread = threading.Thread(
                target=self._mjpeg_reader, args=(reader,), name="mjpeg-reader", daemon=True
            )
            self._thread.start()

    def _mjpeg_reader(self, reader: MjpegReader | None) -> None:
        reconnected = False
        try:
            while not self._closed.is_set():
                if reader is None:
                    try:
                        response, content_type = self._get()
                        if content_type.split(";")[0].strip().lower() != MJPEG_TYPE:
                            response.close()
                            raise SourceError(
                                f"source {self.name}: no longer an MJPEG stream ({content_type!r})"
                            )
                        reader = MjpegReader(response, content_type)
                    except (SourceError, ValueError) as err:
                        if not self._link.lost(str(err).split(": ", 1)[-1]):
                            return
                        continue
                    self._response = response
                    self.reconnects += 1
                    reconnected = True
                try:
                    while not self._closed.is_set():
                        self._slot.put(reader.next_jpeg())
                        if self._link.down_since is not None:
                            self._link.up(reconnected)
                    return
                except (ValueError, EOFError, OSError) as err:
                    error = _http_error(err, self.timeout) if isinstance(err, OSError) else str(err)
                if self._response is not None:
                    self._response.close()
                self._response = reader = None
                if self._closed.is_set() or not self._link.lost(error):
                    return
        finally:
            if self._response is not None:
                self._response.close()
                self._response = None

    def _next_jpeg(self) -> bytes | None:
        if self._first is not None:
            jpeg, self._first = self._first, None
            return jpeg
        if self.mode == "mjpeg":
            jpeg, missed = self._slot.take(self.timeout)
            self.skipped += missed
            if jpeg is None:
                self._link.check(self.give_up_after)
            return jpeg  # type: ignore[no-any-return]  # the reader puts bytes
        try:
            response, content_type = self._get()
            with response:
                kind = content_type.split(";")[0].strip().lower()
                if kind not in JPEG_TYPES:
                    raise SourceError(f"source {self.name}: the snapshot came as {kind or 'nothing'!r}")
                jpeg = _read_body(response)
        except (SourceError, ValueError, OSError) as err:
            error = str(err).split(": ", 1)[-1] if isinstance(err, SourceError) else redact_url(str(err))
            if self._link.down_since is None:
                self._link.down_since = time.monotonic()
            if error != self._link.error:
                log.warning("source %s: %s", self.name, error)
                self._link.error = error
            self._link.check(self.give_up_after)
            return None
        if self._link.down_since is not None:
            log.info("source %s: snapshots again", self.name)
            self._link.down_since, self._link.error = None, ""
        return jpeg

    def _fit(self, jpeg: bytes) -> bytes | None:
        """The JPEG as it came when it is the frames' size; else decoded (libjpeg-turbo scales
        while it decodes), then encoded once at the frames' size."""
        from edge_agent.detect import imaging

        try:
            if imaging.jpeg_dimensions(jpeg) == self.size:
                return jpeg
            rgb = self._decode(jpeg)
        except ValueError as err:
            self._bad_jpeg(err)
            return None
        self.reencoded += 1
        return imaging.encode_jpeg(rgb, self.quality)

    def _bad_jpeg(self, err: Exception) -> None:
        self.skipped += 1
        if "decode" not in self._warned:  # once: a camera sending garbage would flood the log
            self._warned.add("decode")
            log.warning("source %s: a frame that is not a JPEG we read (%s); skipped", self.name, err)

    def _decode(self, jpeg: bytes) -> np.ndarray:
        from edge_agent.detect import imaging

        rgb, _ = imaging.decode_jpeg(jpeg, self.size, max_pixels=MAX_PIXELS)
        return rgb

    def read_jpeg(self) -> bytes | None:
        if not self._pacer.wait():
            return None
        jpeg = self._next_jpeg()
        out = self._fit(jpeg) if jpeg is not None else None
        if out is None:
            self.failures += 1
            return None
        self.frames += 1
        return out

    def _read_frame(self) -> np.ndarray | None:
        jpeg = self._next_jpeg()
        if jpeg is None:
            return None
        try:
            return self._decode(jpeg)
        except ValueError as err:
            self._bad_jpeg(err)
            return None

    def close(self) -> None:
        super().close()
        self._slot.wake()
        response = self._response
        if response is not None:
            try:
                response.close()  # ends a reader blocked in readline
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 2)

    def stats(self) -> dict[str, int]:
        return {**super().stats(), "reencoded": self.reencoded}
