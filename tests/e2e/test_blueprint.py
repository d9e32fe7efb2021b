"""The notification blueprint of docs/blueprints/ in a real Home Assistant: imported as a user
imports it, an automation made from it, and a real arrival in front of the camera sends a phone
(a registered mobile_app device whose push server is this test) the notification with the
camera's last-person image."""

from __future__ import annotations

import asyncio
import shutil
import time

from aiohttp import web

from tests.e2e.harness import ROOT, build_video, until
from tests.e2e.stack import Stack
from tests.support.mosquitto import free_port

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
    video = asyncio.create_task(
        asyncio.to_thread(
            build_video, stack.tmp / "arrival.avi", stack.media, [("empty", 10 * FPS), ("people", 90 * FPS)]
        )
    )
    received: list[dict] = []
    runner, push_url = await _push_server(received)
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
                        "person_sensors": [stack.entities["person"]],
                        "notify_device": phone_id,
                        "image_wait": 1,
                        "cooldown": 0,
                    },
                },
            },
        )

        async def automation_on() -> bool:
            st = await client.state("automation.porch_person_notification")
            return st is not None and st["state"] == "on"

        await stack.until("the blueprint's automation", automation_on, 30)

        # A real arrival: the camera now sees an empty scene, then people.
        await video
        await stack.replace_camera(stack.tmp / "arrival.avi")
        t_scene = time.monotonic()

        async def person(value: str) -> bool:
            return await stack.state("person") == value

        await stack.until("person off (empty scene)", lambda: person("off"), 40)
        assert received == [], f"notified without an arrival: {received}"
        await stack.until("person on (arrival)", lambda: person("on"), 40)
        await until("the notification", lambda: received, 20, logs=stack.logs)
        await asyncio.sleep(2)
        assert len(received) == 1, received
        note = received[0]
        assert note["title"] == "Person detected"
        assert "Porch" in note["message"], note
        image = stack.entities["last_person"]
        assert note["data"]["image"] == f"/api/image_proxy/{image}", note
        assert note["push_token"] == "e2e-token"
        # The image the phone fetches is there, and is a JPEG of this visit (written at its start).
        assert client.session is not None
        async with client.session.get(stack.hass.url + note["data"]["image"], headers=client.headers) as resp:
            assert resp.status == 200
            body = await resp.read()
        assert body[:2] == b"\xff\xd8", "the last-person image is no JPEG"
        snaps = [m for m in stack.mqtt.on(f"{stack.topic}/snapshot") if m.at >= t_scene]
        assert snaps, "no last-person snapshot written when the visit started"
    finally:
        # The phone's push server goes away with this test: so does the automation sending to it.
        await client.request("DELETE", "/api/config/automation/config/e2e_blueprint", expect=200)
        await runner.cleanup()
