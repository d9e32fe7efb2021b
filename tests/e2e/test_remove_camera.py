"""Removing a camera for good, in a real Home Assistant (docs/home-assistant.md "Remove a camera").

The camera's device is deleted through HA's websocket API as its Delete button does it
(`config/device_registry/remove_config_entry` for every config entry of the device: the MQTT
integration's and ours). Then HA and listen_frame are restarted: the device stays gone, nothing
is "Discovered" again. The camera process, still running, went quiet; restarting it offers it
again as a new discovery. Last, the camera is added again and its Bobby ENTRY is deleted (the
entry's ⋮ > Delete): its device goes too, not left behind empty (removal.py: the entry's entities
leave the device before the forget, so HA's MQTT removes it with listen_frame's emptied discovery).

This test removes the camera, so it runs on a stack of its own (not the session's `stack`,
which the other tests share).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e.harness import dumb_camera
from tests.e2e.stack import CAM, CAM_NAME, DOMAIN, Stack, start_stack, stop_stack
from tests.support.mqtt import Collector

QUIET = 20.0  # seconds to watch for something coming back after a restart


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def own_stack(tmp_path_factory, model_path: Path, media_dir: Path):
    tmp = tmp_path_factory.mktemp("e2e-remove")
    running = await start_stack(tmp, model_path, media_dir, tmp)  # its timings stay out of artifacts/
    try:
        yield running
    finally:
        await stop_stack(running)


async def _device(stack: Stack) -> dict | None:
    return await stack.client.camera_device(CAM)


async def _discovered(stack: Stack) -> list[dict]:
    flows = await stack.client.ws_command("config_entries/flow/progress")
    return [f for f in flows if f["handler"] == DOMAIN]


async def _entries(stack: Stack) -> list[dict]:
    return await stack.client.get(f"/api/config/config_entries/entry?domain={DOMAIN}")


def _retained(stack: Stack, topic_filter: str, wait: float = 1.5) -> dict[str, bytes]:
    c = Collector(stack.broker, topic_filter)
    time.sleep(wait)
    out = {m.topic: m.payload for m in c.messages if m.retain}
    c.close()
    return out


async def _only_the_forget(stack: Stack) -> bool:
    """Only the forget marker retained of the camera. HA, listen_frame and the camera empty the rest
    after the forget, each in its own time: awaited, not assumed done at one moment (a busy
    machine)."""
    left = await asyncio.to_thread(_retained, stack, f"bobby/{CAM}/#")
    return set(left) == {f"bobby/{CAM}/forget"}


async def _restart_hass(stack: Stack) -> None:
    await stack.client.disconnect_ws()
    await asyncio.to_thread(stack.hass.stop)
    await stack.hass.start()
    await stack.client.connect()


# A stack of its own (1-2 min to start on a busy machine) and two restarts of hass: 142 s on an idle
# machine, 300 s with three CPU hogs beside make test, so the suite's 300 s per test is too short.
@pytest.mark.timeout(600)
async def test_a_deleted_camera_stays_deleted_until_it_is_restarted(own_stack: Stack) -> None:
    stack = own_stack
    device = await _device(stack)
    assert device is not None and stack.entry_id in device["config_entries"], device
    assert len(device["config_entries"]) == 2, device  # MQTT's and ours
    configs = await asyncio.to_thread(_retained, stack, f"homeassistant/+/bobby_{CAM}/+/config")
    assert len(configs) >= 8, sorted(configs)

    # The device page's Delete: every config entry of the device removed from it.
    await stack.client.delete_device(CAM)

    async def gone() -> bool:
        return await _device(stack) is None and not await _entries(stack)

    await stack.until("the device and the Bobby entry gone", gone, 60)

    async def emptied() -> bool:
        left = await asyncio.to_thread(_retained, stack, f"homeassistant/+/bobby_{CAM}/#", 1.0)
        return not left

    await stack.until("every discovery config emptied on the broker", emptied, 60)
    # The forget marker, and nothing of the camera's state (announce, ROI set, person, …).
    await stack.until("nothing retained of the camera but the forget", lambda: _only_the_forget(stack), 30)
    # The camera still runs: it heard the forget and went quiet.
    await stack.until(
        "the camera to say it was removed", lambda: "removed in Home Assistant" in stack.camera.log(20000), 30
    )

    # HA and listen_frame restart: nothing comes back.
    await _restart_hass(stack)
    await stack.restart_listen_frame()

    async def listen_frame_online() -> bool:
        now = await asyncio.to_thread(_retained, stack, "bobby/listen_frame/+/availability", 0.7)
        return now.get("bobby/listen_frame/e2e/availability") == b"online"

    await stack.until("listen_frame online again", listen_frame_online, 90)
    deadline = time.monotonic() + QUIET
    while time.monotonic() < deadline:
        assert await _device(stack) is None, "the deleted device came back"
        assert await _discovered(stack) == [], "the deleted camera was discovered again"
        await asyncio.sleep(2)
    assert not await _entries(stack)
    assert not await asyncio.to_thread(_retained, stack, f"homeassistant/+/bobby_{CAM}/#")
    registry = await stack.client.entities()
    assert not [e for e in registry if e["unique_id"].startswith(f"bobby_{CAM}_")], registry

    # The camera restarted: it announces itself again and is offered as a new discovery.
    video = stack.tmp / "people.avi"
    await asyncio.to_thread(stack.camera.stop)
    stack.camera = dumb_camera(stack.broker_url, video, CAM, CAM_NAME, stack.tmp / "camera2.log").start()
    flows = await stack.until("the camera discovered again", lambda: _discovered(stack), 60)
    assert flows[0]["context"]["unique_id"] == CAM
    await stack.until("its MQTT device back (listen_frame serves it again)", lambda: _device(stack), 90)

    # Deleted again, now only as the MQTT device (the discovered camera was not added): HA's MQTT
    # integration empties the device's configs, listen_frame sees it and publishes the forget.
    device = await _device(stack)
    assert device is not None and len(device["config_entries"]) == 1, device  # MQTT's only
    await stack.client.ws_command(
        "config/device_registry/remove_config_entry",
        config_entry_id=device["config_entries"][0],
        device_id=device["id"],
    )

    async def forgotten_by_listen_frame() -> bool:
        left = await asyncio.to_thread(_retained, stack, f"bobby/{CAM}/#", 1.0)
        return b'"listen_frame/e2e"' in left.get(f"bobby/{CAM}/forget", b"")

    await stack.until("listen_frame's forget", forgotten_by_listen_frame, 60)
    await stack.until("the camera quiet", lambda: "removed in Home Assistant" in stack.camera.log(20000), 30)
    await stack.until("nothing retained of the camera but the forget", lambda: _only_the_forget(stack), 30)
    await stack.until("no Discovered card (the camera's announce emptied)", lambda: _no_flows(stack), 30)
    await _restart_hass(stack)
    await stack.restart_listen_frame()
    await stack.until("listen_frame online again", listen_frame_online, 90)
    deadline = time.monotonic() + QUIET
    while time.monotonic() < deadline:
        assert await _device(stack) is None, "the deleted MQTT device came back"
        assert await _discovered(stack) == [], "the deleted camera was discovered again"
        await asyncio.sleep(2)
    assert not await asyncio.to_thread(_retained, stack, f"homeassistant/+/bobby_{CAM}/#")

    # Added again, then its Bobby entry deleted (not the device): the device goes with it.
    await asyncio.to_thread(stack.camera.stop)
    stack.camera = dumb_camera(stack.broker_url, video, CAM, CAM_NAME, stack.tmp / "camera3.log").start()
    flows = await stack.until("the camera discovered a third time", lambda: _discovered(stack), 60)
    result = await stack.client.flow_step(flows[0], {})
    assert result["type"] == "create_entry", result
    entry_id = result["result"]["entry_id"]

    async def both_on_the_device() -> dict | None:
        dev = await _device(stack)
        if dev is None or len(dev["config_entries"]) != 2:
            return None
        owners = {e["platform"] for e in await stack.client.entities() if e["device_id"] == dev["id"]}
        return dev if owners == {"mqtt", DOMAIN} else None

    device = await stack.until(
        "the device with the discovery's and the entry's entities", both_on_the_device, 90
    )
    await stack.client.request("DELETE", f"/api/config/config_entries/entry/{entry_id}")

    async def device_gone() -> bool:
        return await _device(stack) is None

    await stack.until("the device gone with its entry (not left empty)", device_gone, 60)
    registry = await stack.client.entities()
    assert not [e for e in registry if e["device_id"] == device["id"]], registry
    assert not await _entries(stack)


async def _no_flows(stack: Stack) -> bool:
    return await _discovered(stack) == []
