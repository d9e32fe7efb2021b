"""A camera Home Assistant already has, as a Bobby camera, in a real Home Assistant (issue 22,
docs/home-assistant.md "A Home Assistant camera as a Bobby camera").

HA's own `generic` camera is added through its config flow on the test's snapshot server
(tests/support/still_server.py), which serves frames of opencv_vtest.avi (pedestrians); then
"Add integration > Bobby Camera > A camera Home Assistant already has" publishes it as a dumb
Bobby camera, and the stack's listen_frame finds the people: its person sensor turns on, on one
device `bobby_yard` with the integration's own entities.

It shares the session's stack and leaves it as it found it: the yard's device deleted at the end
as its Delete button does (the Bobby entry goes with it and publishes the camera's `forget`:
listen_frame drops the camera and its discovery), and the generic camera's entry.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import cv2

from tests.e2e.stack import BASE, DOMAIN, Stack
from tests.support.still_server import StillServer

CAM = "yard"
FRAMES = 40  # of opencv_vtest.avi, 640x480, served in turn


def vtest_jpegs(media: Path, count: int = FRAMES) -> list[bytes]:
    cap = cv2.VideoCapture(str(media / "opencv_vtest.avi"))
    out: list[bytes] = []
    try:
        while len(out) < count:
            ok, frame = cap.read()
            assert ok, "opencv_vtest.avi gives too few frames"
            ok, jpeg = cv2.imencode(".jpg", cv2.resize(frame, (640, 480)), [cv2.IMWRITE_JPEG_QUALITY, 85])
            assert ok
            out.append(jpeg.tobytes())
    finally:
        cap.release()
    return out


async def _device(stack: Stack) -> dict | None:
    return await stack.client.camera_device(CAM)


async def test_a_home_assistant_camera_becomes_a_bobby_camera(stack: Stack, media_dir: Path) -> None:
    t0 = time.monotonic()
    client = stack.client
    server = await StillServer(await asyncio.to_thread(vtest_jpegs, media_dir)).start()
    generic_id = bobby_id = None
    try:
        # HA's generic camera on the snapshot URL, as Settings > Add integration > Generic Camera.
        flow = await client.post("/api/config/config_entries/flow", {"handler": "generic"})
        assert flow["type"] == "form" and flow["step_id"] == "user", flow
        flow = await client.flow_step(
            flow,
            {"still_image_url": server.url, "authentication": "basic", "framerate": 2, "verify_ssl": False},
        )
        assert flow["type"] == "form" and flow["step_id"] == "user_confirm", flow
        result = await client.flow_step(flow, {"confirmed_ok": True})
        assert result["type"] == "create_entry", result
        generic_id = result["result"]["entry_id"]

        async def generic_entity() -> str | None:
            for e in await client.entities():
                if e["config_entry_id"] == generic_id and e["entity_id"].startswith("camera."):
                    return e["entity_id"]
            return None

        source = await stack.until("the generic camera entity", generic_entity, 60)

        # Bobby Camera: the menu's "A camera Home Assistant already has".
        flow = await client.post("/api/config/config_entries/flow", {"handler": DOMAIN})
        assert flow["type"] == "menu" and "ha_camera" in flow["menu_options"], flow
        flow = await client.flow_step(flow, {"next_step_id": "ha_camera"})
        assert flow["type"] == "form" and flow["step_id"] == "ha_camera", flow
        flow = await client.flow_step(
            flow,
            {"source_entity": source, "name": "Yard", "camera_id": CAM, "source_fps": 2, "base_topic": BASE},
        )
        assert flow["type"] == "form" and flow["step_id"] == "confirm_ha_camera", flow
        result = await client.flow_step(flow, {})
        assert result["type"] == "create_entry", result
        bobby_id = result["result"]["entry_id"]

        # listen_frame serves the announced camera and publishes its entities through discovery.
        person = await stack.until(
            "the yard's person sensor (listen_frame's discovery)",
            lambda: client.entity_id(f"bobby_{CAM}_person", "mqtt"),
            90,
        )

        async def person_on() -> bool:
            state = await client.state(person)
            return state is not None and state["state"] == "on"

        await stack.until("person on: the people of the generic camera's pictures", person_on, 120)
        assert server.requests >= 2 and server.max_active == 1

        # One device for the camera: the discovery entities and the integration's own.
        device = await _device(stack)
        assert device is not None and bobby_id in device["config_entries"], device
        ours = [
            e for e in await client.entities() if e["device_id"] == device["id"] and e["platform"] == DOMAIN
        ]
        assert {e["entity_id"].split(".")[0] for e in ours} >= {"camera", "binary_sensor"}, ours
        print(f"\nHA camera -> Bobby camera -> person on: {time.monotonic() - t0:.1f} s")
    finally:
        # The device page's Delete: the MQTT integration's entry and ours taken off the device
        # (ours takes our entry with it and publishes the camera's `forget`).
        await client.delete_device(CAM)
        if bobby_id is not None:  # without a device (or HA removing it with the device: tolerated)
            await client.delete_entry(bobby_id)
        if generic_id is not None:
            await client.request("DELETE", f"/api/config/config_entries/entry/{generic_id}")
        await server.stop()

    # The shared stack as it was: the yard's device and entry gone (listen_frame forgot the camera
    # on its `forget`), the porch untouched.
    async def gone() -> bool:
        entries = await client.get(f"/api/config/config_entries/entry?domain={DOMAIN}")
        return await _device(stack) is None and all(e["entry_id"] != bobby_id for e in entries)

    await stack.until("the yard's device and entry gone", gone, 60)
    assert await stack.state("person") is not None
