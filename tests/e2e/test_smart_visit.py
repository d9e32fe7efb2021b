"""Issue 21 for a SMART camera, in a real Home Assistant: the camera detects by itself, records its
visits and serves them over its own HTTP server (token, Range); Home Assistant shows them in its
media browser and fetches their files from the camera (custom_components/bobby_camera/
event_views.py, `store: camera`), never from a host a message names.

A real smart camera (`bobby-edge camera --mode smart`, the real model, opencv_vtest.avi: people
walk through it) is added as a user would: discovered, its HTTP server's origin accepted in the
confirm step, its token given in Reconfigure. Then a visit (detection switched back on, then off
over MQTT: the person state goes off and the visit ends after the 1 s post-roll): while it is
recorded, its clip answers 409 through HA and its snapshot is served; once it ended, it is in the
media browser over the websocket (Bobby Camera > the camera > the day > the visit), the URL
`media_source/resolve_media` gives fetches the clip through HA's proxy (whole, and a Range),
PyAV decodes it as H.264 and it plays in Chromium.

It shares the session's stack and leaves it as it found it: the camera's device deleted (its
Bobby entry goes with it and publishes the camera's `forget`) and the camera stopped.
"""

from __future__ import annotations

import asyncio
import io
import json
import time

import aiohttp
import av

from tests.e2e.harness import Browser, smart_camera, until
from tests.e2e.stack import BASE, DOMAIN, Stack
from tests.e2e.test_visit_media import PLAY_JS, ROOT_ID, _browse, _status
from tests.support.mosquitto import free_port
from tests.support.mqtt import Collector

CAM = "hall"
TOKEN = "hall-e2e-token"
WIDTH, HEIGHT = 384, 288


async def _device(stack: Stack) -> dict | None:
    return await stack.client.camera_device(CAM)


async def test_a_smart_camera_visit_in_the_media_browser(stack: Stack, browser: Browser) -> None:
    client = stack.client
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    topic = f"{BASE}/{CAM}"
    events = Collector(stack.broker, f"{topic}/event")
    assert await asyncio.to_thread(events.subscribed.wait, 10)
    camera = smart_camera(
        stack.broker_url,
        stack.model,
        stack.media / "opencv_vtest.avi",
        CAM,
        "Hall",
        stack.tmp / "smart",
        port,
        TOKEN,
    ).start()
    session = aiohttp.ClientSession()
    entry_id = None

    def logs() -> str:
        return stack.logs() + "\n" + camera.log()

    def messages(kind: str | None = None, event_id: str | None = None) -> list[dict]:
        found = [json.loads(m.payload) for m in events.on(f"{topic}/event")]
        return [
            m
            for m in found
            if (kind is None or m["type"] == kind) and (event_id is None or m["id"] == event_id)
        ]

    try:
        t0 = time.monotonic()

        # Discovered from its announce; the confirm step shows the HTTP server it announces.
        async def discovered() -> dict | None:
            flows = await client.ws_command("config_entries/flow/progress")
            return next(
                (f for f in flows if f["handler"] == DOMAIN and f["context"].get("unique_id") == CAM), None
            )

        flow = await until("the smart camera discovered", discovered, 60, 0.3, logs)
        form = await client.get(f"/api/config/config_entries/flow/{flow['flow_id']}")
        assert form["step_id"] == "confirm", form
        assert form["description_placeholders"]["origin"] == origin, form
        result = await client.flow_step(flow, {})
        assert result["type"] == "create_entry", result
        entry_id = result["result"]["entry_id"]
        # Reconfigure (the entry's ⋮ menu): its token, the origin as accepted.
        flow = await client.post("/api/config/config_entries/flow", {"handler": DOMAIN, "entry_id": entry_id})
        assert flow["type"] == "form" and flow["step_id"] == "reconfigure", flow
        result = await client.flow_step(flow, {"base_topic": BASE, "token": TOKEN, "http_origin": origin})
        assert result["type"] == "abort" and result["reason"] == "reconfigure_successful", result

        async def loaded() -> bool:
            entries = await client.get(f"/api/config/config_entries/entry?domain={DOMAIN}")
            return any(e["entry_id"] == entry_id and e["state"] == "loaded" for e in entries)

        await until("the smart camera's entry loaded", loaded, 60, 0.3, logs)

        # vtest has people from its first frame: a visit began before HA knew the camera. Detection
        # off ends it; on again, a new visit starts while HA follows the camera's events.
        await until("the first visit's start", lambda: messages("start"), 60, 0.3, logs)
        events.publish(f"{topic}/detection/set", b"OFF")
        await until("the first visit's end", lambda: messages("end"), 60, 0.3, logs)
        first = {m["id"] for m in messages()}
        since = time.time()
        events.publish(f"{topic}/detection/set", b"ON")

        def new_start() -> dict | None:
            return next((m for m in messages("start") if m["id"] not in first), None)

        started = await until("the visit's start message", new_start, 60, 0.3, logs)
        event_id = started["id"]
        assert started["store"] == "camera" and started["clip"] == "recording", started
        assert started["start"] >= since - 1, started
        view = f"{stack.hass.url}/api/bobby_camera/events/{CAM}/{event_id}"

        # While it is recorded, HA passes on the camera's 409 (HA knows the visit from the message).
        async def known() -> int | None:
            status = await _status(session, view + ".mp4", client.headers)
            return status if status != 404 else None

        assert await until("the visit in HA's index", known, 20, 0.3, logs) == 409
        # The snapshot, once a message says it is there, fetched from the camera through HA.
        await until("the visit's snapshot", lambda: any(m["snapshot"] for m in messages(None, event_id)), 30)
        async with session.get(view + ".jpg", headers=client.headers) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "image/jpeg"
            assert (await resp.read())[:2] == b"\xff\xd8"

        await asyncio.sleep(2)  # a few seconds of pedestrians in the clip
        events.publish(f"{topic}/detection/set", b"OFF")
        ended = (await until("the visit's end message", lambda: messages("end", event_id), 60, 0.3, logs))[0]
        assert ended["clip"] == "ready" and ended["duration"] >= 2, ended

        # HA's media browser, as the frontend asks it: Bobby Camera -> Hall -> the day -> the visit.
        root = await _browse(stack, ROOT_ID)
        camera_item = next(c for c in root["children"] if c["media_content_id"] == f"{ROOT_ID}/{CAM}")
        days = await _browse(stack, camera_item["media_content_id"])
        day = time.strftime("%Y-%m-%d", time.gmtime(started["start"]))  # the e2e HA runs in UTC
        assert f"{ROOT_ID}/{CAM}/{day}" in [c["media_content_id"] for c in days["children"]], days
        listing = await _browse(stack, f"{ROOT_ID}/{CAM}/{day}")
        item = listing["children"][0]  # the newest visit first
        assert item["media_content_id"] == f"{ROOT_ID}/{CAM}/{event_id}", listing
        assert item["can_play"] and item["media_content_type"] == "video/mp4", item
        assert item["thumbnail"] == f"/api/bobby_camera/events/{CAM}/{event_id}.jpg"

        resolved = await client.ws_command(
            "media_source/resolve_media", media_content_id=item["media_content_id"]
        )
        assert resolved["mime_type"] == "video/mp4"
        assert resolved["url"].startswith(f"/api/bobby_camera/events/{CAM}/{event_id}.mp4?authSig=")
        signed = stack.hass.url + resolved["url"]
        async with session.get(signed) as resp:  # signed: no login header
            assert resp.status == 200 and resp.headers["Content-Type"] == "video/mp4"
            clip = await resp.read()
        print(f"\nsmart visit end -> clip fetched through HA: {time.time() - ended['at']:.2f} s")
        with av.open(io.BytesIO(clip)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            frames = list(container.decode(stream))
        assert frames and (frames[0].width, frames[0].height) == (WIDTH, HEIGHT)
        assert len(frames) >= 2 * 4, f"{len(frames)} frames for a visit of {ended['duration']} s"
        async with session.get(signed, headers={"Range": "bytes=100-1123"}) as resp:
            assert resp.status == 206, resp.status
            assert resp.headers["Content-Range"] == f"bytes 100-1123/{len(clip)}"
            assert await resp.read() == clip[100:1124]
        # The camera's server itself refuses a request without its token (HA sent it).
        assert await _status(session, f"{origin}/events/{event_id}.mp4") == 401

        page = await browser.page(client)
        played = await page.evaluate(f"({PLAY_JS})({json.dumps(signed)})")
        assert played["duration"] >= 2, played
        assert played["time"] >= 1 and played["width"] == WIDTH, played
        print(f"smart camera added, visit recorded, browsed and played in HA: {time.monotonic() - t0:.1f} s")
    finally:
        # The device page's Delete: every config entry of the device removed from it (MQTT's and
        # ours; ours publishes the camera's `forget`: it empties its discovery and announce).
        await client.delete_device(CAM)
        if entry_id is not None:  # HA may be removing it with the device: tolerated
            await client.delete_entry(entry_id)
        await session.close()

        async def gone() -> bool:
            entries = await client.get(f"/api/config/config_entries/entry?domain={DOMAIN}")
            flows = await client.ws_command("config_entries/flow/progress")
            return (
                await _device(stack) is None
                and all(e["entry_id"] != entry_id for e in entries)
                and not [f for f in flows if f["handler"] == DOMAIN]
            )

        try:
            if entry_id is None:  # never added (a failure above): its "Discovered" card goes
                await asyncio.to_thread(camera.stop)
                events.publish(f"{topic}/announce", b"", retain=True)
            await until("the hall's device and entry gone", gone, 60, 0.5, logs)
        finally:
            await asyncio.to_thread(camera.stop)
            events.close()
    assert await stack.state("person") is not None  # the porch untouched
