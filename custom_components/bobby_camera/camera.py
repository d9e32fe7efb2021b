"""The live view: MQTT frames of a dumb camera, or the HTTP stream of a smart one."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import ClientError, ClientTimeout, web
from homeassistant.components import mqtt
from homeassistant.components.camera import Camera
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import (
    async_aiohttp_proxy_web,
    async_get_clientsession,
)
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .const import (
    FRAME_MAX_AGE,
    FRAME_WAIT,
    HTTP_TIMEOUT,
    LOGGER,
    MANUFACTURER,
    MODE_DUMB,
    STREAM_IDLE_TIMEOUT,
)
from .entity import BobbyEntity
from .runtime import BobbyConfigEntry, BobbyRuntimeData

PARALLEL_UPDATES = 0

BOUNDARY = "frameboundary"


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

    def __init__(self, hass: HomeAssistant, topic: str) -> None:
        """Nothing is subscribed until the first viewer."""
        self.hass = hass
        self.topic = topic
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
        BobbyEntity.__init__(self, runtime, "live")
        Camera.__init__(self)
        self._attr_brand = MANUFACTURER
        self.feed = FrameFeed(runtime.hass, runtime.topics.frame)
        self._stream_viewers = 0

    async def async_will_remove_from_hass(self) -> None:
        """End running streams and the frame subscription (unload leaves nothing behind)."""
        self.feed.close()
        await super().async_will_remove_from_hass()

    @property
    def available(self) -> bool:
        """Available while the camera is online (and, when smart, serves HTTP)."""
        if self.runtime.camera_online is not True:
            return False
        return self.runtime.mode == MODE_DUMB or bool(self._url("stream_url") or self._url("snapshot_url"))

    @property
    def model(self) -> str | None:
        """`dumb` or `smart` camera."""
        return f"{self.runtime.mode} camera"

    @property
    def is_streaming(self) -> bool:
        """Someone is watching the live view."""
        return self._stream_viewers > 0

    # ---- smart camera: HTTP ------------------------------------------------------------------

    def _url(self, key: str) -> str | None:
        value = (self.runtime.announce or {}).get(key)
        return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None

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
                response = await session.get(url, headers=self._headers)
                if response.status != 200:
                    LOGGER.warning(
                        "Snapshot of camera %s: HTTP %s from %s",
                        self.runtime.camera_id,
                        response.status,
                        response.url.with_query(None),
                    )
                    return None
                return await response.read()
        except (TimeoutError, ClientError) as err:
            LOGGER.warning("Snapshot of camera %s failed: %s", self.runtime.camera_id, err)
            return None

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
            session = async_get_clientsession(self.hass)
            return await async_aiohttp_proxy_web(
                self.hass,
                request,
                session.get(
                    url,
                    headers=self._headers,
                    timeout=ClientTimeout(total=None, sock_connect=HTTP_TIMEOUT),
                ),
                timeout=HTTP_TIMEOUT,
            )
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
