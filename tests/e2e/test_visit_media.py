"""Issue 21, item 4, in a real Home Assistant: a real visit in front of the dumb camera (listen_frame
records it under HA's media folder, as the add-on does under /media/bobby_camera, and publishes
its start and end) reaches HA's media browser over the websocket (`media_source/browse_media`:
Bobby Camera -> Porch -> the day -> the visit), its clip is fetched through the URL
`media_source/resolve_media` gives (signed: no login header) and plays in Chromium (an HTML
<video> reaches its duration and plays); the refused requests get their answers (no login, a
signature for another file, an unknown visit, a name that is no visit's file, the clip while it is
still recorded).

Screenshots: artifacts/media-browser.png (the day's visits in HA's media browser; copied by hand to
docs/images/media-browser.png, shown in docs/home-assistant.md, when it is good) and
artifacts/media-browser-playing.png (a click on the newest visit plays it in HA's own player).
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from pathlib import Path
from urllib.parse import quote

import aiohttp
import av

from tests.e2e.harness import Browser, build_video, until
from tests.e2e.stack import BASE, DOMAIN, Stack
from tests.support.mqtt import Collector

FPS = 4
ROOT_ID = f"media-source://{DOMAIN}"
# Plays a URL in an HTML <video>: its duration once loaded, the time reached after play(), its width.
PLAY_JS = """async (url) => {
    const v = document.createElement('video');
    v.muted = true;
    v.src = url;
    document.body.appendChild(v);
    await new Promise((ok, fail) => {
        v.onloadedmetadata = ok;
        v.onerror = () => fail(new Error('video error ' + (v.error && v.error.code)));
        setTimeout(() => fail(new Error('no metadata')), 30000);
    });
    await v.play();
    const t0 = performance.now();
    while (v.currentTime < 1 && performance.now() - t0 < 30000) {
        await new Promise((r) => setTimeout(r, 200));
    }
    const result = {duration: v.duration, time: v.currentTime, width: v.videoWidth};
    v.remove();
    return result;
}"""


async def _status(session: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None) -> int:
    async with session.get(url, headers=headers or {}) as resp:
        await resp.read()
        return resp.status


async def _browse(stack: Stack, content_id: str) -> dict:
    return await stack.client.ws_command("media_source/browse_media", media_content_id=content_id)


async def test_a_visit_in_the_media_browser(stack: Stack, browser: Browser, artifacts: Path) -> None:
    client = stack.client
    cam = stack.cam
    # Nobody for a while (20 s when someone is in view now: the visit of the earlier scene ends
    # after 10 s without a person; else 4 s), 8 s of pedestrians (the visit), then nobody again.
    lead = 4 if await stack.state("person") == "off" else 20
    video = await asyncio.to_thread(
        build_video,
        stack.tmp / "visit.avi",
        stack.media,
        [("empty", lead * FPS), ("people", 8 * FPS), ("empty", 150 * FPS)],
    )
    events = Collector(stack.broker, f"{BASE}/{cam}/event")
    assert await asyncio.to_thread(events.subscribed.wait, 10)
    session = aiohttp.ClientSession()
    try:
        since = time.time()
        await stack.replace_camera(video)

        def visit(kind: str) -> dict | None:
            for message in events.on(f"{BASE}/{cam}/event"):
                data = json.loads(message.payload)
                if data["type"] == kind and data["start"] >= since:
                    return data
            return None

        started = await until("the visit's start message", lambda: visit("start"), 90, 0.5, stack.logs)
        event_id = started["id"]
        assert started["store"] == "media" and started["clip"] == "recording", started
        view = f"{stack.hass.url}/api/bobby_camera/events/{cam}/{event_id}"

        # While it is recorded the clip is refused with 409 (HA knows the visit from the message).
        async def known() -> int | None:
            status = await _status(session, view + ".mp4", client.headers)
            return status if status != 404 else None

        assert await until("the visit in HA's index", known, 20, 0.3, stack.logs) == 409
        # The snapshot is there from the start (written before the start message).
        assert await _status(session, view + ".jpg", client.headers) == 200

        ended = await until("the visit's end message", lambda: visit("end"), 120, 0.5, stack.logs)
        assert ended["id"] == event_id and ended["clip"] == "ready", ended
        assert (stack.record_dir / cam / f"{event_id}.mp4").is_file()

        # HA's media browser, as the frontend asks it: Bobby Camera -> Porch -> the day -> the visit.
        root = await _browse(stack, ROOT_ID)
        assert root["title"] == "Bobby Camera"
        camera = next(c for c in root["children"] if c["media_content_id"] == f"{ROOT_ID}/{cam}")
        days = await _browse(stack, camera["media_content_id"])
        day = time.strftime("%Y-%m-%d", time.gmtime(started["start"]))  # the e2e HA runs in UTC
        day_item = next(c for c in days["children"] if c["media_content_id"] == f"{ROOT_ID}/{cam}/{day}")
        listing = await _browse(stack, day_item["media_content_id"])
        item = next(c for c in listing["children"] if c["media_content_id"] == f"{ROOT_ID}/{cam}/{event_id}")
        assert item["can_play"] and item["media_content_type"] == "video/mp4", item
        assert item["thumbnail"] == f"/api/bobby_camera/events/{cam}/{event_id}.jpg"
        assert listing["children"][0] == item, "the newest visit comes first"

        resolved = await client.ws_command(
            "media_source/resolve_media", media_content_id=item["media_content_id"]
        )
        assert resolved["mime_type"] == "video/mp4"
        assert resolved["url"].startswith(f"/api/bobby_camera/events/{cam}/{event_id}.mp4?authSig=")
        # The signed URL needs no login header (a <video> element, a phone's player).
        async with session.get(stack.hass.url + resolved["url"]) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "video/mp4"
            clip = await resp.read()
        # docs/performance.md: from the end message (the clip closed after the post-roll) to the
        # clip fetched through HA's media browser (browse, resolve, fetch).
        print(f"\nvisit end -> clip playable in HA: {time.time() - ended['at']:.2f} s")
        with av.open(io.BytesIO(clip)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            frames = sum(1 for _ in container.decode(stream))
        assert frames >= 8 * FPS, f"{frames} frames for a visit of 8 s"
        async with session.get(stack.hass.url + resolved["url"], headers={"Range": "bytes=0-1023"}) as resp:
            assert resp.status == 206 and len(await resp.read()) == 1024

        # Refused: no login, a signature for another file, an unknown visit, names that are no
        # visit's file; the notification link works without a login, for this recent visit only.
        assert await _status(session, view + ".mp4") == 401
        signature = resolved["url"].split("?", 1)[1]
        assert await _status(session, f"{view}.jpg?{signature}") == 401
        unknown = f"{stack.hass.url}/api/bobby_camera/events/{cam}/20200101T000000Z-000000000000.mp4"
        assert await _status(session, unknown, client.headers) == 404
        for name in (f"{event_id}.mp4.part", quote("../../configuration.yaml", safe=""), "secrets.yaml"):
            status = await _status(
                session, f"{stack.hass.url}/api/bobby_camera/events/{cam}/{name}", client.headers
            )
            assert status in (400, 404), (name, status)
        notify = f"{stack.hass.url}/api/bobby_camera/notify/{cam}/{event_id}"
        assert await _status(session, notify + ".jpg") == 200
        assert await _status(session, notify + "-clean.jpg") == 400

        # The media browser in Chromium: the day's visits with their thumbnails, and the clip
        # played from the resolved URL.
        page = await browser.page(client)
        ids = [
            f"app,{ROOT_ID}",
            f"directory,{ROOT_ID}/{cam}",
            f"directory,{ROOT_ID}/{cam}/{day}",
        ]
        await page.navigate(
            f"{stack.hass.url}/media-browser/browser/" + "/".join(quote(i, safe="") for i in ids)
        )
        stamp = time.strftime("%H:%M:%S", time.gmtime(started["start"]))
        await page.wait_text(stamp, timeout=60)
        await asyncio.sleep(2)  # the thumbnails (fetched with the user's token)
        await page.screenshot(artifacts / "media-browser.png")

        # A click on the newest visit (the first card) plays it in HA's own player, as a user does.
        await page.click(365, 165)

        async def in_ha_player(min_time: float) -> dict | None:
            state = await page.deep_eval(
                "video",
                "(els) => els.length ? {duration: els[0].duration, time: els[0].currentTime,"
                " src: els[0].currentSrc} : null",
            )
            # Before its metadata a <video>'s duration is NaN, which arrives as null.
            ok = state and (state["duration"] or 0) > 0 and (state["time"] or 0) >= min_time
            return state if ok else None

        ui = await until("the clip in HA's player", lambda: in_ha_player(0), 30, 0.5, page.console_log)
        assert f"/api/bobby_camera/events/{cam}/{event_id}.mp4?authSig=" in ui["src"], ui
        # Past the pre-roll (3 s of nobody): the pedestrians, for the screenshot.
        await until("the clip playing in HA's player", lambda: in_ha_player(5), 30, 0.5, page.console_log)
        await page.screenshot(artifacts / "media-browser-playing.png")

        played = await page.evaluate(f"({PLAY_JS})({json.dumps(resolved['url'])})")
        assert played["duration"] >= 8, played
        assert played["time"] >= 1 and played["width"] == 640, played
    finally:
        await session.close()
        events.close()
        # The video ends with 150 s of nobody: the stack's scene back for the tests after this one.
        await stack.restore_scene()
