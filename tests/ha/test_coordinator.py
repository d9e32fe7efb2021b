"""The camera's coordinator: typed, parsed state pushed to the entities (as HA core's WLED does),
and the integration's modules without an import circle."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.bobby_camera.const import HEALTH_CHECK_INTERVAL
from custom_components.bobby_camera.coordinator import (
    Ack,
    Announce,
    BobbyCoordinator,
    CameraState,
    DetectionState,
    RoiSetOnBroker,
    Stats,
)

from .conftest import announce_payload, fire

PACKAGE = Path(__file__).resolve().parents[2] / "custom_components" / "bobby_camera"
SENSOR = "binary_sensor.garden_detection_service"


async def test_messages_become_typed_state_pushed_to_the_entities(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry
) -> None:
    """Each message is parsed into its dataclass and pushed; the entities follow the coordinator."""
    runtime = loaded_entry.runtime_data
    coordinator = runtime.coordinator
    assert isinstance(coordinator, BobbyCoordinator)
    assert coordinator.update_interval is None  # pushed, never polled
    assert coordinator.data == CameraState(health=coordinator.data.health)
    pushed: list[CameraState] = []

    @callback
    def listener() -> None:
        pushed.append(coordinator.data)

    unsub = coordinator.async_add_listener(listener)
    fire(hass, "bobby/garden/announce", announce_payload(mode="smart", name="Lawn"))
    fire(hass, "bobby/garden/availability", "online")
    fire(hass, "bobby/garden/stats", {"service": "camera/garden", "interval": 5, "analysed": 3})
    fire(hass, "bobby/garden/rois", {"version": 4, "rois": []})
    fire(hass, "bobby/garden/rois/applied", {"version": 4, "ok": True, "service": "camera/garden"})
    fire(hass, "bobby/garden/detection/state", {"state": "ON", "service": "camera/garden"})
    await hass.async_block_till_done()
    unsub()
    assert len(pushed) == 6
    state = coordinator.data
    assert state.announce == Announce(
        mode="smart", name="Lawn", resolution=(640, 480), raw=announce_payload(mode="smart", name="Lawn")
    )
    assert state.online is True
    assert state.stats is not None and (state.stats.service, state.stats.interval) == ("camera/garden", 5.0)
    assert state.rois_on_broker == RoiSetOnBroker(version=4, raw={"version": 4, "rois": []})
    assert state.ack is not None and (state.ack.version, state.ack.ok) == (4, True)
    assert state.detection is not None and state.detection.state == "ON"
    assert state.health.healthy is True
    assert state.health.service == "camera/garden"
    assert hass.states.get(SENSOR).state == "on"

    entity = hass.data["binary_sensor"].get_entity(SENSOR)
    assert isinstance(entity, CoordinatorEntity)
    assert entity.coordinator is coordinator
    camera = hass.data["camera"].get_entity("camera.garden_live_view")
    assert isinstance(camera, CoordinatorEntity)

    # homeassistant.update_entity asks the coordinator for a refresh: it gives what is known.
    assert await async_setup_component(hass, "homeassistant", {})
    await hass.services.async_call("homeassistant", "update_entity", {"entity_id": SENSOR}, blocking=True)
    assert coordinator.data is state
    assert hass.states.get(SENSOR).state == "on"


async def test_health_check_pushes_only_what_changed(
    hass: HomeAssistant, mqtt_mock: Any, loaded_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """The periodic health check pushes to the entities only when the health changes."""
    coordinator = loaded_entry.runtime_data.coordinator
    fire(hass, "bobby/listen_frame/pi4/availability", "online")
    fire(hass, "bobby/garden/stats", {"service": "listen_frame/pi4", "interval": 10})
    await hass.async_block_till_done()
    assert coordinator.data.health.healthy is True
    pushes = 0

    @callback
    def listener() -> None:
        nonlocal pushes
        pushes += 1

    unsub = coordinator.async_add_listener(listener)
    for _ in range(3):
        freezer.tick(timedelta(seconds=HEALTH_CHECK_INTERVAL))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert pushes == 0
    fire(hass, "bobby/listen_frame/pi4/availability", "offline")
    await hass.async_block_till_done()
    assert pushes == 1
    assert coordinator.data.health.healthy is False
    assert coordinator.data.health.problem == "service_offline"
    unsub()


def test_parsing_keeps_only_what_the_contract_says() -> None:
    """A field that is not what docs/mqtt.md says is None (the rest of the message still counts)."""
    announce = Announce.parse({"mode": "clever", "name": 5, "resolution": [640, True]})
    assert (announce.mode, announce.name, announce.resolution) == ("dumb", None, None)
    assert Announce.parse({"name": "   "}).name is None
    assert Announce.parse({"name": "x" * 500}).name == "x" * 100
    ack = Ack.parse(
        {"version": "3", "ok": "yes", "service": ["a"], "error": {"why": 1}, "active_version": True}
    )
    assert (ack.version, ack.ok, ack.service, ack.active_version) == (None, None, None, None)
    assert ack.error == "{'why': 1}"
    for interval in (-1, 0, True, "10", 1e7):
        assert Stats.parse({"interval": interval}).interval is None
    assert Stats.parse({"interval": 2.5}).interval == 2.5
    assert DetectionState.parse({"state": "ON" * 100}).state == "ON" * 32
    assert RoiSetOnBroker.parse({"version": 2.0}).version is None


def _imports(path: Path) -> set[str]:
    """The integration's modules that `path` imports (also under TYPE_CHECKING)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(alias.name for alias in node.names)
    return names


def test_no_import_circle() -> None:
    """No module imports one that imports it back, directly or through others (issue 19)."""
    graph = {path.stem: _imports(path) for path in PACKAGE.glob("*.py")}
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        if state.get(module) == 2:
            return
        assert state.get(module) != 1, " -> ".join([*trail, module])
        state[module] = 1
        for imported in graph.get(module, set()):
            visit(imported, [*trail, module])
        state[module] = 2

    for module in graph:
        visit(module, [])
    assert "runtime" not in graph["health"]
    assert "runtime" not in graph["coordinator"]
