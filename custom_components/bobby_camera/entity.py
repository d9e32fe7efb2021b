"""The base class of the integration's entities: they follow the camera's coordinator."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import MANUFACTURER
from .coordinator import BobbyCoordinator, camera_name

# MQTT discovery's `device.identifiers: ["bobby_<cam>"]` is registered by HA's MQTT integration
# as ("mqtt", "bobby_<cam>") (mqtt/entity.py device_info_from_specifications): using the same
# identifier puts these entities on the device of the discovery entities, one device per camera.
MQTT_DOMAIN = "mqtt"


def device_identifier(camera_id: str) -> tuple[str, str]:
    """The device registry identifier shared with the discovery entities."""
    return (MQTT_DOMAIN, f"bobby_{camera_id}")


class BobbyEntity(CoordinatorEntity[BobbyCoordinator]):
    """An entity of one camera, updated by its coordinator (MQTT push, no polling)."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: BobbyCoordinator, key: str) -> None:
        """Name the entity after its key, on the camera's device."""
        super().__init__(coordinator)
        self._attr_translation_key = key
        self._attr_unique_id = f"bobby_{coordinator.camera_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={device_identifier(coordinator.camera_id)},
            manufacturer=MANUFACTURER,
            name=camera_name(coordinator.data, coordinator.config_entry.title),
        )
