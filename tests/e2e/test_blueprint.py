"""The notification blueprint of docs/blueprints/ in a real Home Assistant: imported as a user
imports it, an automation made from it, and a real visit in front of the camera (listen_frame
records it, as the add-on does) sends a phone (a registered mobile_app device whose push server is
this test) the visit's snapshot when it starts and, under the same tag, its clip when it ends; the
phone fetches both from the integration's notification links without Home Assistant's token."""

from __future__ import annotations

import asyncio
import json
import shutil
import time

from aiohttp import web

from tests.e2e.harness import ROOT, build_video, until
from tests.e2e.stack import BASE, Stack
from tests.support.mosquitto import free_port
from tests.support.mqtt import Collector

BLUEPRINT = ROOT / "docs" / "blueprints" / "person_detected_notify.yaml"
FPS = 4


async def _push_server(received: list[dict]) -> tuple[web.AppRunner, str]:
    """What the companion app's push relay would be: takes HA's notification POSTs."""

    async def push(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"success": True}, status=201)

    app = web.Application()
    app.router.add_post("/push", push)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}/push"


async def test_notification_blueprint(stack: Stack) -> None:
    client = stack.client
    # Nobody for 20 s (a visit of an earlier scene ends), 8 s of pedestrians (the visit), nobody.
    video = asyncio.create_task(
        asyncio.to_thread(
            build_video,
            stack.tmp / "arrival.avi",
            stack.media,
            [("empty", 20 * FPS), ("people", 8 * FPS), ("empty", 150 * FPS)],
        )
    )
    received: list[dict] = []
    runner, push_url = await _push_server(received)
    events = Collector(stack.broker, f"{BASE}/{stack.cam}/event")
    try:
        # A phone, registered the way the companion app registers itself.
        reg = await client.request(
            "POST",
            "/api/mobile_app/registrations",
            {
                "app_id": "io.bobby.e2e",
                "app_name": "E2E phone app",
                "app_version": "1.0",
                "device_name": "E2E phone",
                "manufacturer": "Bobby",
                "model": "Test",
                "os_name": "Linux",
                "os_version": "1",
                "supports_encryption": False,
                "app_data": {"push_token": "e2e-token", "push_url": push_url},
            },
            expect=201,
        )
        assert reg["webhook_id"]

        async def phone() -> str | None:
            for dev in await client.ws_command("config/device_registry/list"):
                if dev["name"] == "E2E phone":
                    return dev["id"]
            return None

        phone_id = await stack.until("the phone's device", phone, 30)

        # The camera's "Person visit" event entity (published by listen_frame's discovery).
        async def visit_entity() -> str | None:
            for e in await client.entities():
                if e["unique_id"] == f"bobby_{stack.cam}_visit":
                    return e["entity_id"]
            return None

        visit_events = await stack.until("the Person visit entity", visit_entity, 30)

        # Imported as HA's "Import blueprint" stores it: <config>/blueprints/automation/<author>/.
        target = stack.hass.config_dir / "blueprints" / "automation" / "bobby_camera"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(BLUEPRINT, target / BLUEPRINT.name)
        blueprints = await client.ws_command("blueprint/list", domain="automation")
        ours = blueprints.get(f"bobby_camera/{BLUEPRINT.name}")
        assert ours and "error" not in ours, f"HA does not accept the blueprint: {ours}"

        await client.post(
            "/api/config/automation/config/e2e_blueprint",
            {
                "alias": "Porch person notification",
                "use_blueprint": {
                    "path": f"bobby_camera/{BLUEPRINT.name}",
                    "input": {
                        "visit_events": [visit_events],
                        "notify_device": phone_id,
                        "send_clip": True,
                    },
                },
            },
        )

        async def automation_on() -> bool:
            st = await client.state("automation.porch_person_notification")
            return st is not None and st["state"] == "on"

        await stack.until("the blueprint's automation", automation_on, 30)

        # A real visit: the camera now sees an empty scene, then people, then nobody.
        await video
        since = time.time()
        await stack.replace_camera(stack.tmp / "arrival.avi")

        def visit(kind: str) -> dict | None:
            for message in events.on(f"{BASE}/{stack.cam}/event"):
                data = json.loads(message.payload)
                if data["type"] == kind and data["start"] >= since:
                    return data
            return None

        started = await until("the visit's start", lambda: visit("start"), 90, 0.5, stack.logs)
        tag = f"bobby-{started['id']}"

        def ours_sent() -> list[dict]:
            return [n for n in received if n.get("data", {}).get("tag") == tag]

        await until("the snapshot notification", ours_sent, 30, logs=stack.logs)
        # An earlier visit that ended meanwhile may notify its clip; nothing else was sent.
        assert all(n["title"] == "Person visit" for n in received if n not in ours_sent()), received
        note = ours_sent()[0]
        assert note["title"] == "Person detected"
        assert "Porch" in note["message"], note
        link = f"/api/bobby_camera/notify/{stack.cam}/{started['id']}"
        assert note["data"]["image"] == f"{link}.jpg", note
        assert note["push_token"] == "e2e-token"
        # The phone fetches the snapshot without Home Assistant's token: a JPEG of this visit.
        assert client.session is not None
        async with client.session.get(stack.hass.url + note["data"]["image"]) as resp:
            assert resp.status == 200
            body = await resp.read()
        assert body[:2] == b"\xff\xd8", "the visit's snapshot is no JPEG"

        # The visit ends (its clip closed after the post-roll): the same tag, now with the clip.
        ended = await until("the visit's end", lambda: visit("end"), 120, 0.5, stack.logs)
        assert ended["clip"] == "ready", ended
        await until("the clip notification", lambda: len(ours_sent()) >= 2, 30, logs=stack.logs)
        await asyncio.sleep(2)
        assert len(ours_sent()) == 2, ours_sent()
        clip_note = ours_sent()[1]
        assert clip_note["title"] == "Person visit"
        assert clip_note["data"]["video"] == f"{link}.mp4" == clip_note["data"]["clickAction"], clip_note
        async with client.session.get(stack.hass.url + clip_note["data"]["video"]) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "video/mp4"
            assert len(await resp.read()) > 1000
    finally:
        # The phone's push server goes away with this test: so does the automation sending to it.
        await client.request("DELETE", "/api/config/automation/config/e2e_blueprint", expect=200)
        await runner.cleanup()
        events.close()
        # The video ends with 150 s of nobody: the stack's scene back for the tests after this one.
        await stack.restore_scene()
