"""The real parts together: Mosquitto, listen_frame, a dumb camera replaying a video, and Home
Assistant with HA's own MQTT integration and this integration, pointed at that broker.

The camera is added the way a user adds it (the "Discovered" flow from its announce), a region is
drawn in the ROI editor and saved, listen_frame applies and acknowledges it, and the person
binary sensors from MQTT discovery turn on in HA on the same device as the integration's camera.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components.camera import async_get_image
from homeassistant.config_entries import SOURCE_MQTT, ConfigEntryState
from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bobby_camera.const import DOMAIN
from tests.support.mosquitto import Mosquitto

_LOGGER = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
CAM = "vtest"
BASE = "bobby"  # the default base: the manifest's discovery topic bobby/+/announce sees it


@pytest.fixture
def edge_processes(
    real_broker: Mosquitto, model_path: Path, media_dir: Path, tmp_path: Path
) -> Generator[Callable[[], str]]:
    """listen_frame (one worker, stats every 2 s) and a dumb camera replaying opencv_vtest.avi."""
    url = f"mqtt://{real_broker.host}:{real_broker.port}"
    commands = {
        "listen_frame": [
            sys.executable,
            "-m",
            "edge_agent",
            "listen-frame",
            "--broker",
            url,
            "--base-topic",
            BASE,
            "--workers",
            "1",
            "--model",
            str(model_path),
            "--stats-interval",
            "2",
            "--instance",
            "e2e",
        ],
        "camera": [
            sys.executable,
            "-m",
            "edge_agent",
            "camera",
            "--mode",
            "dumb",
            "--source",
            str(media_dir / "opencv_vtest.avi"),
            "--camera-id",
            CAM,
            "--name",
            "Vtest",
            "--broker",
            url,
            "--base-topic",
            BASE,
            "--fps",
            "5",
        ],
    }
    procs: dict[str, tuple[subprocess.Popen, Path]] = {}
    for name, command in commands.items():
        log = tmp_path / f"{name}.log"
        procs[name] = (
            subprocess.Popen(command, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT),
            log,
        )

    def logs() -> str:
        return "\n".join(
            f"--- {name} (exit {proc.poll()}) ---\n{log.read_text(errors='replace')[-3000:]}"
            for name, (proc, log) in procs.items()
        )

    yield logs
    for proc, _log in procs.values():
        proc.terminate()
    for proc, _log in procs.values():
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def _until(what: str, check: Callable[[], Any], timeout: float, logs: Callable[[], str]) -> Any:
    """Poll `check` until it returns something true; fail with the parts' logs otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        await asyncio.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()}")


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_real_parts(
    hass: HomeAssistant,
    mock_hass_config: None,
    real_broker: Mosquitto,
    edge_processes: Callable[[], str],
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """ROI set saved in HA → applied and acknowledged by listen_frame → person sensors on."""
    logs = edge_processes
    t0 = time.monotonic()
    timings: dict[str, float] = {}

    def mark(step: str) -> None:
        timings[step] = round(time.monotonic() - t0, 1)
        _LOGGER.warning("real parts: %s after %.1f s", step, timings[step])

    # HA's own MQTT integration, with a real client, on the real broker.
    mqtt_entry = MockConfigEntry(
        domain="mqtt",
        data={"broker": real_broker.host, "port": real_broker.port},
        version=1,
        minor_version=2,
    )
    mqtt_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mqtt_entry.entry_id)
    await hass.async_block_till_done()

    # The camera's retained announce offers it: "Discovered: Bobby camera Vtest".
    flow = await _until(
        "the discovery flow of the camera",
        lambda: next(iter(hass.config_entries.flow.async_progress_by_handler(DOMAIN)), None),
        60,
        logs,
    )
    assert flow["context"]["source"] == SOURCE_MQTT
    assert flow["context"]["title_placeholders"] == {"name": "Vtest"}
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    mark("camera discovered and added")
    runtime = entry.runtime_data

    # The dumb camera's frames come through the integration's camera entity.
    await _until("the camera online", lambda: runtime.data.online, 30, logs)
    image = await async_get_image(hass, "camera.vtest_live_view")
    assert image.content.startswith(b"\xff\xd8")
    mark("live frame from the dumb camera")

    # Draw a region in the ROI editor (the lower 70 % of the picture, where people walk).
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "add_region"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"name": "Plaza", "shape": "rectangle", "labels": ["person"]}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"left": 0, "top": 30, "right": 100, "bottom": 100}
    )
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"next_step_id": "save"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    version = entry.options["version"]
    assert version >= 1
    mark("ROI set saved")

    # listen_frame applies it and says so on rois/applied.
    ack = await _until(
        "listen_frame's acknowledgement",
        lambda: ack if (ack := runtime.data.ack) is not None and ack.version == version else None,
        60,
        logs,
    )
    assert ack.ok is True, ack
    assert ack.active_version == version
    assert ack.service == "listen_frame/e2e"
    assert runtime.health.pending_ack is None
    mark("ROI set acknowledged")

    # The person sensors of MQTT discovery: on, and on the integration camera's device.
    device = device_registry.async_get_device(identifiers={("mqtt", f"bobby_{CAM}")})
    assert device is not None

    def entity_id(unique_id: str) -> str | None:
        return entity_registry.async_get_entity_id("binary_sensor", "mqtt", unique_id)

    def person_on(unique_id: str) -> bool:
        eid = entity_id(unique_id)
        return bool(eid) and (state := hass.states.get(eid)) is not None and state.state == STATE_ON

    await _until("the camera's person sensor on", lambda: person_on(f"bobby_{CAM}_person"), 120, logs)
    mark("person sensor on")
    await _until("the region's person sensor on", lambda: person_on(f"bobby_{CAM}_person_plaza"), 120, logs)
    mark("region person sensor on")

    on_device = {e.entity_id: e.platform for e in er.async_entries_for_device(entity_registry, device.id)}
    assert on_device[entity_id(f"bobby_{CAM}_person")] == "mqtt"
    assert on_device[entity_id(f"bobby_{CAM}_person_plaza")] == "mqtt"
    assert on_device["camera.vtest_live_view"] == DOMAIN
    assert on_device["binary_sensor.vtest_detection_service"] == DOMAIN
    # The device as it is now (`device` is a snapshot from before MQTT discovery linked its entry).
    device = device_registry.async_get(device.id)
    assert device is not None
    assert set(device.config_entries) == {mqtt_entry.entry_id, entry.entry_id}

    # Stats and availability flow: the detection service sensor is on.
    await _until(
        "the detection service sensor on",
        lambda: hass.states.get("binary_sensor.vtest_detection_service").state == STATE_ON,
        30,
        logs,
    )
    mark("detection service healthy")
    _LOGGER.warning("real parts timings: %s", timings)

    assert await hass.config_entries.async_unload(entry.entry_id)
    # Unloading HA's MQTT closes its socket, which ends its timers too.
    assert await hass.config_entries.async_unload(mqtt_entry.entry_id)
    await hass.async_block_till_done()
