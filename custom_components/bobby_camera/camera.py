"""The live view: MQTT frames of a dumb camera, or the HTTP stream of a smart one.

What comes from the camera is untrusted: a smart camera's URLs are followed only on the origin
the user accepted (runtime.py), its answers are bounded in size and type (MAX_SNAPSHOT_BYTES,
MAX_STREAM_PART_BYTES, image/jpeg, multipart/x-mixed-replace), and so are MQTT frames.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import ClientError, ClientResponse, ClientTimeout, web
from aiohttp.web_exceptions import HTTPBadGateway, HTTPGatewayTimeout
from homeassistant.components import mqtt
from homeassistant.components.camera import Camera
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .const import (
    FRAME_MAX_AGE,
    FRAME_WAIT,
    HTTP_TIMEOUT,
    JPEG_MAGIC,
    LOGGER,
    MANUFACTURER,
    MAX_FRAME_BYTES,
    MAX_SNAPSHOT_BYTES,
    MAX_STREAM_PART_BYTES,
    MODE_DUMB,
    SNAPSHOT_CONTENT_TYPE,
    STREAM_CONTENT_TYPE,
    STREAM_IDLE_TIMEOUT,
)
from .entity import BobbyEntity
from .runtime import BobbyConfigEntry, BobbyRuntimeData

PARALLEL_UPDATES = 0

BOUNDARY = "frameboundary"
CHUNK = 64 * 1024


class Refused(Exception):
    """An answer of the camera's HTTP server that is not passed on; `reason` is its counter."""

    def __init__(self, reason: str, detail: str) -> None:
        """Keep the counter's name and what was wrong."""
        super().__init__(detail)
        self.reason = reason


def _media_type(response: ClientResponse) -> tuple[str, dict[str, str]]:
    """The Content-Type's media type (lower case) and its parameters."""
    raw = response.headers.get("Content-Type", "")[:256]
    media, _, rest = raw.partition(";")
    params: dict[str, str] = {}
    for item in rest.split(";"):
        key, sep, value = item.partition("=")
        if sep:
            params[key.strip().lower()] = value.strip().strip('"')
    return media.strip().lower(), params


def check_snapshot(response: ClientResponse) -> None:
    """Refuse a snapshot answer that is not a JPEG or says it is too large."""
    media, _ = _media_type(response)
    if media != SNAPSHOT_CONTENT_TYPE:
        raise Refused("snapshot_type", f"Content-Type {media or 'none'!r}, not {SNAPSHOT_CONTENT_TYPE}")
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > MAX_SNAPSHOT_BYTES:
        raise Refused("snapshot_size", f"{length} bytes, more than {MAX_SNAPSHOT_BYTES}")


async def read_bounded(response: ClientResponse, limit: int) -> bytes:
    """The whole body, refused as soon as it grows past `limit` bytes."""
    data = bytearray()
    stream = response.content
    while chunk := await stream.read(CHUNK):
        data += chunk
        if len(data) > limit:
            raise Refused("snapshot_size", f"more than {limit} bytes")
    return bytes(data)


class PartBound:
    """Follows an MJPEG stream chunk by chunk and refuses a part longer than the limit.

    A part is what lies between two boundary lines; the search keeps the end of the previous
    chunk so that a boundary split across two chunks is still found.
    """

    def __init__(self, boundary: str, limit: int) -> None:
        """The boundary as the Content-Type names it (without the leading `--`)."""
        self.marker = b"--" + boundary.encode("latin-1")
        self.limit = limit
        self.since_marker = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        """Account for a chunk (raises Refused)."""
        data = self._tail + chunk
        end = data.rfind(self.marker)
        if end >= 0:
            self.since_marker = len(data) - end - len(self.marker)
        else:
            self.since_marker += len(chunk)
        self._tail = data[-(len(self.marker) - 1) :]
        if self.since_marker > self.limit:
            raise Refused("stream_part_size", f"a part of more than {self.limit} bytes")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: BobbyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the camera's live view."""
    async_add_entities([BobbyCamera(entry.runtime_data)])


class FrameFeed:
    """The dumb camera's frame topic, subscribed only while someone looks.

    Frames are raw JPEG at the camera's rate: subscribing all the time would make HA receive
    (and throw away) every one of them, so the subscription follows the viewers.
    """

    def __init__(self, runtime: BobbyRuntimeData) -> None:
        """Nothing is subscribed until the first viewer."""
        self.runtime = runtime
        self.hass = runtime.hass
        self.topic = runtime.topics.frame
        self.frame: bytes | None = None
        self.frame_at = 0.0
        self.viewers = 0
        self._unsub: Any = None
        self._lock = asyncio.Lock()
        self._event = asyncio.Event()
        self._closed = False

    @property
    def fresh_frame(self) -> bytes | None:
        """The latest frame when it is recent enough to show as the camera's picture."""
        if self.frame and dt_util.utcnow().timestamp() - self.frame_at <= FRAME_MAX_AGE:
            return self.frame
        return None

    async def acquire(self) -> None:
        """A viewer comes: subscribe if it is the first."""
        async with self._lock:
            self.viewers += 1
            if self._unsub is None and not self._closed:
                self._unsub = await mqtt.async_subscribe(
                    self.hass, self.topic, self._on_frame, 0, encoding=None
                )

    @callback
    def release(self) -> None:
        """A viewer goes: unsubscribe after the last."""
        self.viewers -= 1
        if self.viewers <= 0 and self._unsub is not None:
            self._unsub()
            self._unsub = None

    @callback
    def _on_frame(self, msg: mqtt.ReceiveMessage) -> None:
        if not isinstance(msg.payload, bytes) or not msg.payload:
            return
        if len(msg.payload) > MAX_FRAME_BYTES or not msg.payload.startswith(JPEG_MAGIC):
            self.runtime.count_refusal(
                "frame",
                "a frame of %s bytes that is not a JPEG up to %s bytes",
                len(msg.payload),
                MAX_FRAME_BYTES,
            )
            return
        self.frame = msg.payload
        self.frame_at = dt_util.utcnow().timestamp()
        self._wake()

    @callback
    def _wake(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def next_frame(self, timeout: float) -> bytes | None:
        """The next frame to arrive, or None after `timeout` seconds or when closed."""
        if self._closed:
            return None
        event = self._event
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            return None
        return None if self._closed else self.frame

    @callback
    def close(self) -> None:
        """The entity goes away: end every stream, drop the subscription."""
        self._closed = True
        self._wake()
        if self._unsub is not None:
            self._unsub()
            self._unsub = None


class BobbyCamera(BobbyEntity, Camera):
    """Live view of a Bobby camera; works in the picture-entity and picture-glance cards."""

    def __init__(self, runtime: BobbyRuntimeData) -> None:
        """The camera entity; its kind (dumb or smart) is read from the announce when used."""
        BobbyEntity.__init__(self, runtime.coordinator, "live")
        Camera.__init__(self)
        # The camera's I/O (its URLs on the accepted origin, its token, its refusals).
        self.runtime = runtime
        self._attr_brand = MANUFACTURER
        self.feed = FrameFeed(runtime)
        self._stream_viewers = 0

    async def async_will_remove_from_hass(self) -> None:
        """End running streams and the frame subscription (unload leaves nothing behind)."""
        self.feed.close()
        await super().async_will_remove_from_hass()

    @property
    def available(self) -> bool:
        """Available while the camera is online (and, when smart, serves HTTP)."""
        state = self.coordinator.data
        if state.online is not True:
            return False
        return state.mode == MODE_DUMB or bool(self._url("stream_url") or self._url("snapshot_url"))

    @property
    def model(self) -> str | None:
        """`dumb` or `smart` camera."""
        return f"{self.coordinator.data.mode} camera"

    @property
    def is_streaming(self) -> bool:
        """Someone is watching the live view."""
        return self._stream_viewers > 0

    # ---- smart camera: HTTP ------------------------------------------------------------------

    def _url(self, key: str) -> str | None:
        # Only URLs on the origin the user accepted (runtime.py), so the token goes nowhere else.
        return self.runtime.url(key)

    @property
    def _headers(self) -> dict[str, str]:
        # The announced URL never carries the token (docs/mqtt.md "announce"): it goes in a header.
        token = self.runtime.token
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def _smart_snapshot(self) -> bytes | None:
        url = self._url("snapshot_url")
        if url is None:
            return None
        session = async_get_clientsession(self.hass)
        try:
            async with asyncio.timeout(HTTP_TIMEOUT):
                # No redirects: they could lead the token's request to another origin.
                async with session.get(url, headers=self._headers, allow_redirects=False) as response:
                    if response.status != 200:
                        LOGGER.warning(
                            "Snapshot of camera %s: HTTP %s from %s",
                            self.runtime.camera_id,
                            response.status,
                            response.url.with_query(None),
                        )
                        return None
                    check_snapshot(response)
                    return await read_bounded(response, MAX_SNAPSHOT_BYTES)
        except Refused as err:
            self.runtime.count_refusal(err.reason, "snapshot refused: %s", err)
            return None
        except (TimeoutError, ClientError) as err:
            LOGGER.warning("Snapshot of camera %s failed: %s", self.runtime.camera_id, err)
            return None

    async def _proxy_stream(self, request: web.Request, url: str) -> web.StreamResponse:
        """The smart camera's MJPEG stream, passed on part by part within the bounds."""
        session = async_get_clientsession(self.hass)
        try:
            async with asyncio.timeout(HTTP_TIMEOUT):
                upstream = await session.get(
                    url,
                    headers=self._headers,
                    allow_redirects=False,
                    timeout=ClientTimeout(total=None, sock_connect=HTTP_TIMEOUT),
                )
        except TimeoutError as err:
            raise HTTPGatewayTimeout from err
        except ClientError as err:
            raise HTTPBadGateway from err
        try:
            media, params = _media_type(upstream)
            if upstream.status != 200:
                LOGGER.warning(
                    "Stream of camera %s: HTTP %s from %s",
                    self.runtime.camera_id,
                    upstream.status,
                    upstream.url.with_query(None),
                )
                raise HTTPBadGateway
            if media != STREAM_CONTENT_TYPE or not params.get("boundary"):
                self.runtime.count_refusal(
                    "stream_type",
                    "stream refused: Content-Type %r is not %s with a boundary",
                    media,
                    STREAM_CONTENT_TYPE,
                )
                raise HTTPBadGateway
            bound = PartBound(params["boundary"], MAX_STREAM_PART_BYTES)
            response = web.StreamResponse()
            response.content_type = f"{STREAM_CONTENT_TYPE};boundary={params['boundary']}"
            await response.prepare(request)
            stream = upstream.content
            try:
                while self.hass.is_running:
                    async with asyncio.timeout(STREAM_IDLE_TIMEOUT):
                        chunk = await stream.read(CHUNK)
                    if not chunk:
                        break
                    bound.feed(chunk)
                    await response.write(chunk)
            except Refused as err:
                self.runtime.count_refusal(err.reason, "stream cut: %s", err)
            except (TimeoutError, ClientError, ConnectionResetError):
                # The camera went quiet or away, or the viewer closed the page.
                pass
            return response
        finally:
            upstream.close()

    # ---- both kinds ---------------------------------------------------------------------------

    async def async_camera_image(self, width: int | None = None, height: int | None = None) -> bytes | None:
        """The latest frame (dumb camera) or the agent's snapshot (smart camera)."""
        if self.runtime.mode != MODE_DUMB:
            return await self._smart_snapshot()
        if (frame := self.feed.fresh_frame) is not None:
            return frame
        await self.feed.acquire()
        try:
            return await self.feed.next_frame(FRAME_WAIT)
        finally:
            self.feed.release()

    async def handle_async_mjpeg_stream(self, request: web.Request) -> web.StreamResponse | None:
        """MJPEG for the dashboard: MQTT frames re-sent as they come, or the agent's stream."""
        if self.runtime.mode != MODE_DUMB:
            if (url := self._url("stream_url")) is None:
                return await super().handle_async_mjpeg_stream(request)
            return await self._proxy_stream(request, url)
        return await self._mqtt_mjpeg(request)

    async def _mqtt_mjpeg(self, request: web.Request) -> web.StreamResponse:
        await self.feed.acquire()
        self._stream_viewers += 1
        self.async_write_ha_state()
        try:
            response = web.StreamResponse()
            response.content_type = f"multipart/x-mixed-replace;boundary={BOUNDARY}"
            await response.prepare(request)
            frame = self.feed.fresh_frame
            if frame is not None:
                # Browsers show the frame before the last one: send the first one twice.
                await self._write_part(response, frame)
                await self._write_part(response, frame)
            while (frame := await self.feed.next_frame(STREAM_IDLE_TIMEOUT)) is not None:
                await self._write_part(response, frame)
        except ConnectionResetError:
            # The viewer closed the page.
            pass
        finally:
            self.feed.release()
            self._stream_viewers -= 1
            # Safe after removal too: HA ignores state writes of a removed entity.
            self.async_write_ha_state()
        return response

    @staticmethod
    async def _write_part(response: web.StreamResponse, frame: bytes) -> None:
        await response.write(
            f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame)}\r\n\r\n".encode()
            + frame
            + b"\r\n"
        )
