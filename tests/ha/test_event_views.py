"""A visit's files over HTTP (event_views.py), the media browser (media_source.py) and the card's
`bobby_camera/events` command, in HA's harness: real MP4 and JPEG files in HA's media folder, and a
real aiohttp server on loopback as the smart camera's HTTP server."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from homeassistant.components import media_source
from homeassistant.components.media_player.errors import BrowseError
from homeassistant.components.media_source import Unresolvable
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.bobby_camera import media_source as bobby_source
from custom_components.bobby_camera.const import (
    CONF_BASE_TOPIC,
    CONF_CAMERA_ID,
    CONF_ORIGIN,
    CONF_TOKEN,
    DOMAIN,
)
from custom_components.bobby_camera.event_views import async_serve, event_path, notify_path
from custom_components.bobby_camera.events import event_index, local_day
from tests.support.clips import make_jpeg, make_mp4
from tests.support.mosquitto import free_port

from .conftest import CAM, ENTRY_ID, fire
from .test_events import TOPIC, event_id, message, setup_media_source

NOW = dt_util.utcnow().timestamp()


@pytest.fixture(autouse=True)
async def media_browser(hass: HomeAssistant) -> None:
    """The media browser is there in every test of this module (only once the integration is
    loaded does media_source find the platform: the tests that browse wait for it)."""
    assert await async_setup_component(hass, "media_source", {})


@pytest.fixture
def media(hass: HomeAssistant, tmp_path: Path) -> Path:
    """HA's media folder (`local`), its bobby_camera/garden folder made."""
    root = tmp_path / "media"
    (root / "bobby_camera" / CAM).mkdir(parents=True)
    hass.config.media_dirs = {"local": str(root)}
    return root / "bobby_camera" / CAM


def visit(hass: HomeAssistant, n: int, **fields: Any) -> str:
    """Publish a visit's start and end (clip ready unless told); returns its id."""
    start = fields.pop("start", NOW - 600 + n)
    fire(hass, TOPIC, message(n, start=start, at=start))
    end = {"end": start + 5, "clip": "ready", "duration": 5.0, "at": start + 8, **fields}
    fire(hass, TOPIC, message(n, kind="end", start=start, **end))
    return event_id(n)


async def _files(media: Path, n: int) -> bytes:
    make_jpeg(media / f"{event_id(n)}.jpg")
    make_jpeg(media / f"{event_id(n)}-clean.jpg", level=40)
    return make_mp4(media / f"{event_id(n)}.mp4", frames=16)


async def test_clip_and_snapshots_from_the_media_folder(
    hass: HomeAssistant, media: Path, loaded_entry: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    """A logged-in user gets the clip (whole, and by Range) and both snapshots."""
    clip = await _files(media, 1)
    visit(hass, 1)
    await hass.async_block_till_done()
    client = await hass_client()
    response = await client.get(event_path(CAM, event_id(1), "clip"))
    assert response.status == 200
    assert response.headers["Content-Type"] == "video/mp4"
    assert await response.read() == clip
    response = await client.get(event_path(CAM, event_id(1), "clip"), headers={"Range": "bytes=100-199"})
    assert response.status == 206
    assert response.headers["Content-Range"] == f"bytes 100-199/{len(clip)}"
    assert await response.read() == clip[100:200]
    for kind in ("snapshot", "clean"):
        response = await client.get(event_path(CAM, event_id(1), kind))
        assert response.status == 200 and response.headers["Content-Type"] == "image/jpeg"
        assert (await response.read())[:2] == b"\xff\xd8"


async def test_refused_requests(
    hass: HomeAssistant,
    media: Path,
    loaded_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    tmp_path: Path,
) -> None:
    """No login, unknown visits, names that are no visit's file, a clip still recording, a file
    gone, a snapshot that is a link out of the folder: each has its answer."""
    await _files(media, 1)
    visit(hass, 1)
    fire(hass, TOPIC, message(2, start=NOW - 10))  # still recording
    visit(hass, 3, clip="failed")
    visit(hass, 4)  # its files were never written (or retention removed them)
    visit(hass, 5)
    (tmp_path / "secret.jpg").write_bytes(b"\xff\xd8secret")
    (media / f"{event_id(5)}.jpg").symlink_to(tmp_path / "secret.jpg")
    await hass.async_block_till_done()

    anonymous = await hass_client_no_auth()
    assert (await anonymous.get(event_path(CAM, event_id(1), "clip"))).status == 401

    client = await hass_client()

    async def status(path: str) -> int:
        return (await client.get(path)).status

    assert await status(event_path(CAM, event_id(9), "clip")) == 404  # unknown visit
    assert await status(event_path("porch", event_id(1), "clip")) == 404  # not this camera's
    response = await client.get(event_path(CAM, event_id(2), "clip"))
    assert response.status == 409 and "still being recorded" in await response.text()
    assert await status(event_path(CAM, event_id(3), "clip")) == 404  # failed: no clip
    assert await status(event_path(CAM, event_id(4), "clip")) == 404  # not on disk
    assert await status(event_path(CAM, event_id(5), "snapshot")) == 403  # outside the folder
    for name in (f"{event_id(1)}.mp4.part", "passwd", f"{event_id(1)}.MP4", "..%2F..%2Fsecret.jpg"):
        assert await status(f"/api/bobby_camera/events/{CAM}/{name}") in (400, 404), name
    assert await status(f"/api/bobby_camera/events/bad%20cam/{event_id(1)}.mp4") == 400
    assert await status(f"/api/bobby_camera/events/{CAM}/../../../etc/passwd") == 404


async def test_no_media_folder(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    hass.config.media_dirs = {}
    visit(hass, 1)
    await hass.async_block_till_done()
    client = await hass_client()
    assert (await client.get(event_path(CAM, event_id(1), "clip"))).status == 404


async def test_notification_links(
    hass: HomeAssistant,
    media: Path,
    loaded_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    hass_client: ClientSessionGenerator,
) -> None:
    """A notification's snapshot and clip need no login, for a known visit of the last 24 hours."""
    clip = await _files(media, 1)
    await _files(media, 2)
    visit(hass, 1)
    visit(hass, 2, start=NOW - 2 * 86400)
    await hass.async_block_till_done()
    anonymous = await hass_client_no_auth()
    response = await anonymous.get(notify_path(CAM, event_id(1), "clip"))
    assert response.status == 200 and await response.read() == clip
    response = await anonymous.get(notify_path(CAM, event_id(1), "snapshot"))
    assert response.status == 200 and response.headers["Content-Type"] == "image/jpeg"
    assert (await anonymous.get(notify_path(CAM, event_id(1), "clean"))).status == 400
    assert (await anonymous.get(notify_path(CAM, event_id(7), "clip"))).status == 404
    assert (await anonymous.get(f"/api/bobby_camera/notify/{CAM}/x.jpg")).status == 400
    response = await anonymous.get(notify_path(CAM, event_id(2), "snapshot"))
    assert response.status == 403 and "expired" in await response.text()
    # Logged in, an old visit's link still works (as Frigate's proxy).
    client = await hass_client()
    assert (await client.get(notify_path(CAM, event_id(2), "snapshot"))).status == 200


# ---- the smart camera's HTTP server ----------------------------------------------------------


@pytest.fixture
async def camera_server(socket_enabled: None, tmp_path: Path) -> AsyncGenerator[dict[str, Any]]:
    """A real HTTP server on loopback serving /events/<name> as the smart camera does (token,
    Range through aiohttp's FileResponse); `seen` holds the requests' headers."""
    folder = tmp_path / "camera-events"
    folder.mkdir()
    seen: list[dict[str, str]] = []
    state: dict[str, Any] = {"folder": folder, "seen": seen, "mode": "ok"}

    async def events(request: web.Request) -> web.StreamResponse:
        seen.append(dict(request.headers))
        if request.headers.get("Authorization") != "Bearer s3cret":
            return web.Response(status=401)
        name = request.match_info["name"]
        if state["mode"] == "html":
            return web.Response(text="<html>", content_type="text/html")
        if state["mode"] == "huge":
            return web.Response(body=b"x", content_type="video/mp4", headers={"Content-Length": str(2**40)})
        if state["mode"] == "recording":
            return web.Response(status=409, headers={"Retry-After": "5"})
        if state["mode"] == "busy":
            return web.Response(status=503, headers={"Retry-After": "2"})
        if state["mode"] == "redirect":
            raise web.HTTPFound("http://198.51.100.7/x.mp4")
        if state["mode"] == "endless":  # no Content-Length, more than allowed
            response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
            await response.prepare(request)
            for _ in range(4):
                await response.write(b"\0" * 65536)
            await response.write_eof()
            return response
        path = folder / name
        if not path.is_file():
            return web.Response(status=404)
        return web.FileResponse(path)

    app = web.Application()
    app.router.add_get("/events/{name}", events)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    state["origin"] = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()


async def test_clip_from_the_smart_camera(
    hass: HomeAssistant,
    mqtt_mock: Any,
    camera_server: dict[str, Any],
    hass_client: ClientSessionGenerator,
) -> None:
    """`store: camera`: fetched from the accepted origin with the token, Range passed through."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garden",
        unique_id=CAM,
        entry_id=ENTRY_ID,
        data={
            CONF_CAMERA_ID: CAM,
            CONF_BASE_TOPIC: "bobby",
            CONF_ORIGIN: camera_server["origin"],
            CONF_TOKEN: "s3cret",
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    clip = make_mp4(camera_server["folder"] / f"{event_id(1)}.mp4", frames=16)
    make_jpeg(camera_server["folder"] / f"{event_id(1)}.jpg")
    visit(hass, 1, store="camera")
    fire(hass, TOPIC, message(2, store="camera", start=NOW - 5))
    await hass.async_block_till_done()
    client = await hass_client()
    response = await client.get(event_path(CAM, event_id(1), "clip"))
    assert response.status == 200 and await response.read() == clip
    assert response.headers["Content-Type"] == "video/mp4"
    assert camera_server["seen"][-1]["Authorization"] == "Bearer s3cret"
    response = await client.get(event_path(CAM, event_id(1), "clip"), headers={"Range": "bytes=10-19"})
    assert response.status == 206 and await response.read() == clip[10:20]
    assert response.headers["Content-Range"] == f"bytes 10-19/{len(clip)}"
    assert camera_server["seen"][-1]["Range"] == "bytes=10-19"
    response = await client.get(event_path(CAM, event_id(1), "clip"), headers={"Range": "bytes=999999-"})
    assert response.status == 416
    response = await client.get(event_path(CAM, event_id(1), "snapshot"))
    assert response.status == 200 and (await response.read())[:2] == b"\xff\xd8"
    assert (await client.get(event_path(CAM, event_id(1), "clean"))).status == 404  # not on the camera
    assert (await client.get(event_path(CAM, event_id(2), "clip"))).status == 409

    runtime = entry.runtime_data
    for mode, status, reason in (
        ("html", 502, "event_http_type"),
        ("huge", 502, "event_http_size"),
        ("redirect", 502, "event_http_status"),
    ):
        camera_server["mode"] = mode
        assert (await client.get(event_path(CAM, event_id(1), "clip"))).status == status, mode
        assert runtime.refused[reason] == 1, mode
    # The camera's "still recording" and "busy" pass on as they are, with Retry-After; not refusals.
    for mode, status, retry in (("recording", 409, "5"), ("busy", 503, "2")):
        camera_server["mode"] = mode
        response = await client.get(event_path(CAM, event_id(1), "clip"))
        assert (response.status, response.headers.get("Retry-After")) == (status, retry), mode
    assert sum(runtime.refused.values()) == 3
    # Said nothing of its length, and sent more than allowed: cut short, counted.
    camera_server["mode"] = "endless"
    with patch("custom_components.bobby_camera.event_views.MAX_CLIP_BYTES", 100000):
        response = await client.get(event_path(CAM, event_id(1), "clip"))
        assert len(await response.read()) <= 100000
    assert runtime.refused["event_http_size"] == 2
    camera_server["mode"] = "ok"
    # A wrong token is the camera's refusal: a bad gateway, counted.
    runtime.token = "wrong"
    assert (await client.get(event_path(CAM, event_id(1), "clip"))).status == 502
    assert runtime.refused["event_http_status"] == 2
    # The camera gone: a bad gateway; no accepted origin: unavailable.
    runtime.token = "s3cret"
    runtime.origin = f"http://127.0.0.1:{free_port()}"
    assert (await client.get(event_path(CAM, event_id(1), "clip"))).status == 502
    runtime.origin = None
    assert (await client.get(event_path(CAM, event_id(1), "clip"))).status == 503
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_camera_that_does_not_answer(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """The camera's answer is bounded in time: a gateway timeout."""
    visit(hass, 1, store="camera")
    await hass.async_block_till_done()

    async def never(*_args: Any, **_kwargs: Any) -> Any:
        raise TimeoutError

    with (
        patch("custom_components.bobby_camera.event_views.async_get_clientsession") as session,
        pytest.raises(web.HTTPGatewayTimeout),
    ):
        session.return_value.get.return_value.__aenter__ = never
        await async_serve(hass, make_mocked_request("GET", "/"), CAM, f"{event_id(1)}.mp4")


# ---- the media browser ------------------------------------------------------------------------


async def test_media_browser(hass: HomeAssistant, media: Path, loaded_entry: MockConfigEntry) -> None:
    """Bobby Camera -> Garden -> a day -> its visits, newest first, with thumbnails; resolved to a
    signed path of the view, as video/mp4."""
    await setup_media_source(hass)
    await _files(media, 1)
    first = visit(hass, 1, regions=["door"], max_persons=2)
    second = visit(hass, 2)
    fire(hass, TOPIC, message(3, start=NOW - 5))  # recording
    await hass.async_block_till_done()

    root = await media_source.async_browse_media(hass, f"media-source://{DOMAIN}")
    assert root.title == "Bobby Camera"
    assert [(c.title, c.identifier) for c in root.children] == [("Garden", CAM)]
    assert root.children[0].thumbnail == event_path(CAM, event_id(3), "snapshot")

    camera = await media_source.async_browse_media(hass, f"media-source://{DOMAIN}/{CAM}")
    days = {local_day(NOW - 599), local_day(NOW - 5)}
    assert len(camera.children) == len(days)
    assert sum(int(c.title.split(" · ")[1].split()[0]) for c in camera.children) == 3

    day = local_day(NOW - 598)
    listing = await media_source.async_browse_media(hass, f"media-source://{DOMAIN}/{CAM}/{day.isoformat()}")
    ids = [c.identifier.split("/")[1] for c in listing.children]
    assert ids.index(second) < ids.index(first), "newest first"
    child = next(c for c in listing.children if c.identifier == f"{CAM}/{first}")
    assert child.can_play and child.media_content_type == "video/mp4"
    assert "door" in child.title and "2 persons" in child.title and "5 s" in child.title
    assert child.thumbnail == event_path(CAM, first, "snapshot")

    played = await media_source.async_resolve_media(hass, f"media-source://{DOMAIN}/{CAM}/{first}", None)
    assert played.mime_type == "video/mp4"
    assert played.url.startswith(event_path(CAM, first, "clip") + "?authSig=")

    for bad, error in (
        (f"{CAM}/{event_id(3)}", "not ready"),
        (f"{CAM}/{event_id(8)}", "No visit"),
        (f"{CAM}/x", "is not a Bobby Camera visit"),
    ):
        with pytest.raises(Unresolvable, match=error):
            await media_source.async_resolve_media(hass, f"media-source://{DOMAIN}/{bad}", None)
    for bad in (
        "porch",
        f"{CAM}/2026-13-01",
        f"{CAM}/{day.isoformat()}/0",
        f"{CAM}/{day.isoformat()}/1/2",
        f"{CAM}/x",
    ):
        with pytest.raises(BrowseError):
            await media_source.async_browse_media(hass, f"media-source://{DOMAIN}/{bad}")


async def test_media_browser_pages_a_busy_day(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A day with more visits than a page: PAGE_SIZE at a time, the last child the older page."""
    await setup_media_source(hass)
    monkeypatch.setattr(bobby_source, "PAGE_SIZE", 4)
    index = event_index(hass)
    assert index is not None
    start = dt_util.start_of_local_day().timestamp() + 3600
    for n in range(10):
        index.async_apply(CAM, json.dumps(message(n, start=start + n, clip="none", snapshot=False)))
    day = local_day(start).isoformat()
    page1 = await media_source.async_browse_media(hass, f"media-source://{DOMAIN}/{CAM}/{day}")
    assert [c.identifier for c in page1.children[:4]] == [f"{CAM}/{event_id(n)}" for n in (9, 8, 7, 6)]
    assert page1.children[4].identifier == f"{CAM}/{day}/2" and page1.children[4].can_expand
    assert not page1.children[0].can_play and page1.children[0].thumbnail is None
    page3 = await media_source.async_browse_media(hass, f"media-source://{DOMAIN}/{CAM}/{day}/3")
    assert [c.identifier for c in page3.children] == [f"{CAM}/{event_id(n)}" for n in (1, 0)]
    assert page3.title.endswith("(page 3)")


async def test_unloaded_camera_keeps_its_name_in_the_browser(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    await setup_media_source(hass)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    root = await media_source.async_browse_media(hass, f"media-source://{DOMAIN}")
    assert [c.title for c in root.children] == ["Garden"]


# ---- the card's websocket command -------------------------------------------------------------


async def test_events_command(
    hass: HomeAssistant, media: Path, loaded_entry: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """A page of visits, newest first, with signed URLs only for files that are there."""
    await _files(media, 1)
    for n in range(1, 6):
        visit(hass, n)
    fire(hass, TOPIC, message(6, start=NOW - 5))  # recording, no snapshot written yet
    await hass.async_block_till_done()
    ws = await hass_ws_client(hass)
    await ws.send_json({"id": 1, "type": "bobby_camera/events", "camera": CAM, "limit": 3})
    answer = await ws.receive_json()
    assert answer["success"], answer
    result = answer["result"]
    assert result["more"] is True
    assert [e["id"] for e in result["events"]] == [event_id(6), event_id(5), event_id(4)]
    assert set(result["events"][0]) == {
        "id", "camera", "start", "end", "regions", "max_persons", "score", "clip", "duration",
        "snapshot_url", "clip_url",
    }  # fmt: skip
    assert result["events"][0]["clip"] == "recording" and result["events"][0]["clip_url"] is None
    assert result["events"][0]["snapshot_url"] is None  # said written, not on disk yet

    await ws.send_json(
        {"id": 2, "type": "bobby_camera/events", "camera": CAM, "before": result["events"][-1]["start"]}
    )
    older = (await ws.receive_json())["result"]
    assert [e["id"] for e in older["events"]] == [event_id(3), event_id(2), event_id(1)]
    assert older["more"] is False
    one = older["events"][-1]
    assert one["clip_url"].startswith(event_path(CAM, event_id(1), "clip") + "?authSig=")

    for n, bad in enumerate(
        (
            {"camera": "no such"},
            {"camera": CAM, "limit": 0},
            {"camera": CAM, "limit": 51},
            {"camera": CAM, "limit": True},
            {"camera": CAM, "limit": 2.5},
            {"camera": CAM, "before": "yesterday"},
            {"camera": CAM, "before": True},
        ),
        start=10,
    ):
        await ws.send_json({"id": n, "type": "bobby_camera/events", **bad})
        answer = await ws.receive_json()
        assert not answer["success"] and answer["error"]["code"] == "invalid_format", bad
    await ws.send_json({"id": 20, "type": "bobby_camera/events", "camera": "porch"})
    answer = await ws.receive_json()
    assert answer["error"]["code"] == "not_found"


async def test_signed_urls_work_without_a_login(
    hass: HomeAssistant,
    media: Path,
    loaded_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """The card's and the media browser's URLs are signed: a <video> needs no header; expired or
    altered, they are refused."""
    await setup_media_source(hass)
    clip = await _files(media, 1)
    visit(hass, 1)
    await hass.async_block_till_done()
    ws = await hass_ws_client(hass)
    await ws.send_json({"id": 1, "type": "bobby_camera/events", "camera": CAM})
    event = (await ws.receive_json())["result"]["events"][0]
    anonymous = await hass_client_no_auth()
    response = await anonymous.get(event["clip_url"])
    assert response.status == 200 and await response.read() == clip
    assert (await anonymous.get(event["snapshot_url"])).status == 200
    # A signature is for its path only.
    other = event["clip_url"].replace(".mp4?", ".jpg?")
    assert (await anonymous.get(other)).status == 401
    await ws.send_json(
        {
            "id": 2,
            "type": "media_source/resolve_media",
            "media_content_id": f"media-source://{DOMAIN}/{CAM}/{event_id(1)}",
        }
    )
    resolved = (await ws.receive_json())["result"]
    assert resolved["mime_type"] == "video/mp4"
    assert (await anonymous.get(resolved["url"])).status == 200


async def test_a_user_who_is_not_an_admin_sees_visits(
    hass: HomeAssistant,
    media: Path,
    loaded_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    """Visits are media: any logged-in user (as HA's own media views), not only admins."""
    clip = await _files(media, 1)
    visit(hass, 1)
    await hass.async_block_till_done()
    ws = await hass_ws_client(hass, hass_read_only_access_token)
    await ws.send_json({"id": 1, "type": "bobby_camera/events", "camera": CAM})
    answer = await ws.receive_json()
    assert answer["success"] and answer["result"]["events"][0]["clip_url"]
    client = await hass_client(hass_read_only_access_token)
    response = await client.get(event_path(CAM, event_id(1), "clip"))
    assert response.status == 200 and await response.read() == clip
