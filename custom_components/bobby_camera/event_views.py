"""The files of a visit over HTTP, and the card's list of visits (docs/home-assistant.md "Visits").

- `GET /api/bobby_camera/events/<cam>/<id>.mp4|.jpg|-clean.jpg` (EventFileView): any user logged
  in to Home Assistant (a bearer token, or a path signed with `async_sign_path` as the media
  browser, the card and the companion apps get it), as HA's own media views (media_source's
  `/media/...`) ask. Admin rights are not needed: a visit is media, like a camera's picture.
- `GET /api/bobby_camera/notify/<cam>/<id>.jpg|.mp4` (NotifyFileView): the same files without a
  login, for a phone notification's attachment (the companion app fetches it without HA's
  token), as Frigate's notification proxy: only for a visit in the index (its id holds 48 random
  bits: it cannot be guessed), and only within NOTIFY_EXPIRY of its start.
- websocket `bobby_camera/events`: a page of a camera's visits, newest first, with signed URLs.

Where the files are comes from the visit's `store` only: `media` -> `<HA's media folder>/bobby_camera/
<cam>/`, the path built from the camera id and the visit id and checked to resolve inside that
folder; `camera` -> the camera's HTTP server at the origin the user accepted (runtime.py), with
its token, Range passed through, bounded in time and size. Answers: 400 a name that is not a
visit's file, 404 an unknown visit or a file that is not there (yet, or any more), 409 a clip still
being recorded (the smart camera's own 409 passed on, as its 503 "busy", with Retry-After), 403 a file that resolves outside the folder (or an expired notification link),
502/504 a camera that does not answer as it should.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any, Final

import voluptuous as vol
from aiohttp import ClientError, ClientTimeout, hdrs, web
from homeassistant.components.http.auth import async_sign_path
from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.decorators import async_response, websocket_command
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.http import KEY_AUTHENTICATED, HomeAssistantView
from homeassistant.util import dt as dt_util

from .const import CONF_CAMERA_ID, DOMAIN, HTTP_TIMEOUT, LOGGER, valid_camera_id
from .events import (
    OutsideMediaFolder,
    Visit,
    event_index,
    file_kind,
    file_name,
    media_file,
    media_root,
)
from .runtime import BobbyConfigEntry, BobbyRuntimeData

EVENTS_URL: Final = "/api/bobby_camera/events"
NOTIFY_URL: Final = "/api/bobby_camera/notify"
# A notification's links work without a login for this long after the visit started.
NOTIFY_EXPIRY: Final = timedelta(hours=24)
# How long the card's URLs stay valid (it asks again when it shows the strip again).
SIGNED_FOR: Final = timedelta(hours=24)
# What a camera's HTTP server may send for a visit.
MAX_CLIP_BYTES: Final = 256 * 1024 * 1024
MAX_JPEG_BYTES: Final = 8 * 1024 * 1024
PROXY_TIMEOUT: Final = ClientTimeout(total=None, connect=HTTP_TIMEOUT, sock_read=30)
CHUNK: Final = 64 * 1024
CONTENT_TYPES: Final = {"clip": "video/mp4", "snapshot": "image/jpeg", "clean": "image/jpeg"}
PASSED_HEADERS: Final = (
    hdrs.CONTENT_LENGTH,
    hdrs.CONTENT_RANGE,
    hdrs.ACCEPT_RANGES,
    hdrs.LAST_MODIFIED,
    hdrs.ETAG,
)

DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 50


def event_path(camera: str, event_id: str, kind: str) -> str:
    """The authenticated view's path of a visit's file."""
    return f"{EVENTS_URL}/{camera}/{file_name(event_id, kind)}"


def notify_path(camera: str, event_id: str, kind: str) -> str:
    """The notification view's path of a visit's file."""
    return f"{NOTIFY_URL}/{camera}/{file_name(event_id, kind)}"


def signed_event_path(hass: HomeAssistant, camera: str, event_id: str, kind: str, expires: timedelta) -> str:
    """`event_path` signed for the current user (websocket connection or request)."""
    return async_sign_path(hass, event_path(camera, event_id, kind), expires)


def camera_runtime(hass: HomeAssistant, camera: str) -> BobbyRuntimeData | None:
    """The loaded entry of a camera."""
    entries: list[BobbyConfigEntry] = hass.config_entries.async_entries(DOMAIN)
    for entry in entries:
        if entry.data.get(CONF_CAMERA_ID) == camera and entry.state is ConfigEntryState.LOADED:
            return entry.runtime_data
    return None


def has_camera(hass: HomeAssistant, camera: str) -> bool:
    """Whether a camera has an entry (loaded or not)."""
    return any(e.data.get(CONF_CAMERA_ID) == camera for e in hass.config_entries.async_entries(DOMAIN))


def file_expected(visit: Visit, kind: str) -> bool:
    """Whether the visit's messages say the file is there."""
    return visit.clip == "ready" if kind == "clip" else visit.snapshot


async def async_file_available(hass: HomeAssistant, visit: Visit, kind: str) -> bool:
    """Whether the file can be served now: said to be there, and on disk for `store: media`."""
    if not file_expected(visit, kind):
        return False
    if visit.store != "media":
        return True
    if (root := media_root(hass)) is None:
        return False
    try:
        path = await hass.async_add_executor_job(media_file, root, visit.camera, visit.id, kind)
    except OutsideMediaFolder:
        return False
    return path is not None


async def async_serve(
    hass: HomeAssistant, request: web.Request, camera: str, name: str
) -> web.StreamResponse:
    """A visit's file from wherever it lives (the answers are in the module's docstring)."""
    parsed = file_kind(name)
    if not valid_camera_id(camera) or parsed is None:
        raise web.HTTPBadRequest(text="not a camera id and a visit's file name")
    event_id, kind = parsed
    index = event_index(hass)
    if index is None or (visit := index.get(camera, event_id)) is None:
        raise web.HTTPNotFound(text="no such visit")
    if kind == "clip" and visit.clip == "recording":
        raise web.HTTPConflict(
            text="the clip is still being recorded; it can be fetched once the visit ended"
        )
    if not file_expected(visit, kind):
        raise web.HTTPNotFound(
            text=f"this visit has no {'clip' if kind == 'clip' else 'snapshot'} ({visit.clip})"
        )
    if visit.store == "media":
        return await _serve_media(hass, visit, kind)
    return await _proxy_camera(hass, request, visit, kind)


async def _serve_media(hass: HomeAssistant, visit: Visit, kind: str) -> web.StreamResponse:
    if (root := media_root(hass)) is None:
        raise web.HTTPNotFound(text="Home Assistant has no media folder")
    try:
        path = await hass.async_add_executor_job(media_file, root, visit.camera, visit.id, kind)
    except OutsideMediaFolder as err:
        LOGGER.warning("Not serving a file of visit %s of camera %s: %s", visit.id, visit.camera, err)
        raise web.HTTPForbidden(text="the file is not inside the media folder") from None
    if path is None:
        raise web.HTTPNotFound(text="the file is not there (not written yet, or deleted by retention)")
    # FileResponse answers Range requests (206) and sends what a <video> element needs to seek.
    return web.FileResponse(
        path,
        headers={
            hdrs.CONTENT_TYPE: CONTENT_TYPES[kind],
            # A snapshot improves while the visit lasts; a closed clip does not change.
            hdrs.CACHE_CONTROL: "private, max-age=3600" if visit.ended or kind == "clip" else "no-cache",
        },
    )


async def _proxy_camera(
    hass: HomeAssistant, request: web.Request, visit: Visit, kind: str
) -> web.StreamResponse:
    runtime = camera_runtime(hass, visit.camera)
    if runtime is None or runtime.origin is None:
        raise web.HTTPServiceUnavailable(text="the camera is not loaded or has no accepted HTTP server")
    # Only ever the origin the user accepted (never anything from the event message), so the
    # token goes nowhere else.
    url = f"{runtime.origin}/events/{file_name(visit.id, kind)}"
    headers: dict[str, str] = {}
    if runtime.token:
        headers[hdrs.AUTHORIZATION] = f"Bearer {runtime.token}"
    if (wanted := request.headers.get(hdrs.RANGE)) is not None and len(wanted) <= 200:
        headers[hdrs.RANGE] = wanted
    limit = MAX_CLIP_BYTES if kind == "clip" else MAX_JPEG_BYTES
    session = async_get_clientsession(hass)
    try:
        async with session.get(
            url, headers=headers, allow_redirects=False, timeout=PROXY_TIMEOUT
        ) as upstream:
            if upstream.status == 404:
                raise web.HTTPNotFound(text="the camera does not have this file (any more)")
            if upstream.status in (409, 503):
                # The camera's own "still recording" and "busy": the player may try again, so
                # they pass as they are (with a bounded Retry-After), not as a broken gateway.
                retry = upstream.headers.get(hdrs.RETRY_AFTER, "")
                passed = {hdrs.RETRY_AFTER: retry} if retry.isdigit() and len(retry) <= 4 else {}
                if upstream.status == 409:
                    raise web.HTTPConflict(text="the clip is still being recorded", headers=passed)
                raise web.HTTPServiceUnavailable(
                    text="the camera is busy sending other files", headers=passed
                )
            if upstream.status == 416:
                raise web.HTTPRequestRangeNotSatisfiable(
                    headers={k: v for k in (hdrs.CONTENT_RANGE,) if (v := upstream.headers.get(k))}
                )
            if upstream.status not in (200, 206):
                runtime.count_refusal(
                    "event_http_status",
                    "the camera answered %s for %s",
                    upstream.status,
                    file_name(visit.id, kind),
                )
                raise web.HTTPBadGateway(text=f"the camera answered {upstream.status}")
            media = upstream.headers.get(hdrs.CONTENT_TYPE, "")[:256].partition(";")[0].strip().lower()
            if media != CONTENT_TYPES[kind]:
                runtime.count_refusal(
                    "event_http_type",
                    "the camera sent %r for %s, not %s",
                    media,
                    file_name(visit.id, kind),
                    CONTENT_TYPES[kind],
                )
                raise web.HTTPBadGateway(text="the camera sent something else")
            length = upstream.headers.get(hdrs.CONTENT_LENGTH, "")
            if length.isdigit() and int(length) > limit:
                runtime.count_refusal(
                    "event_http_size",
                    "the camera sent %s bytes for %s, more than %s",
                    length,
                    file_name(visit.id, kind),
                    limit,
                )
                raise web.HTTPBadGateway(text="the camera's file is larger than allowed")
            response = web.StreamResponse(status=upstream.status)
            response.content_type = CONTENT_TYPES[kind]
            for key in PASSED_HEADERS:
                if (value := upstream.headers.get(key)) is not None:
                    response.headers[key] = value[:256]
            response.headers[hdrs.CACHE_CONTROL] = "private, max-age=3600" if visit.ended else "no-cache"
            await response.prepare(request)
            sent = 0
            async for chunk in upstream.content.iter_chunked(CHUNK):
                sent += len(chunk)
                if sent > limit:
                    runtime.count_refusal(
                        "event_http_size",
                        "the camera sent more than %s bytes for %s",
                        limit,
                        file_name(visit.id, kind),
                    )
                    break  # the answer ends short: the player sees a broken file, HA stays bounded
                await response.write(chunk)
            await response.write_eof()
            return response
    except TimeoutError:
        raise web.HTTPGatewayTimeout(text="the camera did not answer in time") from None
    except ClientError as err:
        raise web.HTTPBadGateway(text=f"the camera could not be reached: {type(err).__name__}") from None


class EventFileView(HomeAssistantView):
    """A visit's clip and snapshots, for a logged-in user (or a signed path)."""

    url = EVENTS_URL + "/{camera}/{name}"
    name = "api:bobby_camera:events"
    requires_auth = True

    def __init__(self, hass: HomeAssistant) -> None:
        """The view of one HA."""
        self.hass = hass

    async def get(self, request: web.Request, camera: str, name: str) -> web.StreamResponse:
        """Serve one file of a visit."""
        return await async_serve(self.hass, request, camera, name)


class NotifyFileView(HomeAssistantView):
    """A visit's snapshot and clip for a phone notification: no login, a known visit, not expired."""

    url = NOTIFY_URL + "/{camera}/{name}"
    name = "api:bobby_camera:notify"
    requires_auth = False

    def __init__(self, hass: HomeAssistant) -> None:
        """The view of one HA."""
        self.hass = hass

    async def get(self, request: web.Request, camera: str, name: str) -> web.StreamResponse:
        """Serve one file of a recent visit."""
        parsed = file_kind(name)
        if parsed is None or parsed[1] == "clean" or not valid_camera_id(camera):
            raise web.HTTPBadRequest(text="not a camera id and a visit's file name")
        index = event_index(self.hass)
        visit = index.get(camera, parsed[0]) if index is not None else None
        if visit is None:
            raise web.HTTPNotFound(text="no such visit")
        age = dt_util.utcnow().timestamp() - visit.start
        if not request.get(KEY_AUTHENTICATED) and age > NOTIFY_EXPIRY.total_seconds():
            raise web.HTTPForbidden(
                text="this notification link has expired; open the visit in Home Assistant"
            )
        return await async_serve(self.hass, request, camera, name)


def _camera_id(value: Any) -> str:
    if not valid_camera_id(value):
        raise vol.Invalid("not a camera id")
    return str(value)


def _limit(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise vol.Invalid(f"not a count from 1 to {MAX_LIMIT}")
    return value


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise vol.Invalid("not a finite number")
    return float(value)


@websocket_command(
    {
        vol.Required("type"): "bobby_camera/events",
        vol.Required("camera"): _camera_id,
        vol.Optional("limit", default=DEFAULT_LIMIT): _limit,
        vol.Optional("before"): _finite,
    }
)
@async_response
async def ws_events(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """A page of a camera's visits, newest first: `{"events": [...], "more": bool}`.

    Any logged-in user (as the media browser). The URLs are paths signed for this user, null while
    the file is not there (a clip still recording, a snapshot not written yet).
    """
    camera: str = msg["camera"]
    if not has_camera(hass, camera):
        connection.send_error(msg["id"], "not_found", f"{camera} is not a Bobby camera")
        return
    index = event_index(hass)
    visits, more = index.page(camera, msg["limit"], msg.get("before")) if index is not None else ([], False)
    events = []
    for visit in visits:
        snapshot = await async_file_available(hass, visit, "snapshot")
        clip = await async_file_available(hass, visit, "clip")
        events.append(
            {
                "id": visit.id,
                "camera": visit.camera,
                "start": visit.start,
                "end": visit.end,
                "regions": list(visit.regions),
                "max_persons": visit.max_persons,
                "score": visit.score,
                "clip": visit.clip,
                "duration": visit.duration,
                "snapshot_url": signed_event_path(hass, camera, visit.id, "snapshot", SIGNED_FOR)
                if snapshot
                else None,
                "clip_url": signed_event_path(hass, camera, visit.id, "clip", SIGNED_FOR) if clip else None,
            }
        )
    connection.send_result(msg["id"], {"events": events, "more": more})


@callback
def async_setup_event_views(hass: HomeAssistant) -> None:
    """Register the views and the websocket command (once, from async_setup)."""
    hass.http.register_view(EventFileView(hass))
    hass.http.register_view(NotifyFileView(hass))
    async_register_command(hass, ws_events)
