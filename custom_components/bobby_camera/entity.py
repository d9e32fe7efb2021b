"""The base class of the integration's entities."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity

from .const import MANUFACTURER
from .runtime import BobbyRuntimeData

# MQTT discovery's `device.identifiers: ["bobby_<cam>"]` is registered by HA's MQTT integration
# as ("mqtt", "bobby_<cam>") (mqtt/entity.py device_info_from_specifications): using the same
# identifier puts these entities on the device of the discovery entities, one device per camera.
MQTT_DOMAIN = "mqtt"


def device_identifier(camera_id: str) -> tuple[str, str]:
    """The device registry identifier shared with the discovery entities."""
    return (MQTT_DOMAIN, f"bobby_{camera_id}")


class BobbyEntity(Entity):
    """An entity of one camera, updated by its runtime data (MQTT push, no polling)."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, runtime: BobbyRuntimeData, key: str) -> None:
        """Name the entity after its key, on the camera's device."""
        self.runtime = runtime
        self._attr_translation_key = key
        self._attr_unique_id = f"bobby_{runtime.camera_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={device_identifier(runtime.camera_id)},
            manufacturer=MANUFACTURER,
            name=runtime.name,
        )

    async def async_added_to_hass(self) -> None:
        """Follow the runtime data."""
        await super().async_added_to_hass()
        self.async_on_remove(self.runtime.async_add_listener(self.async_write_ha_state))
