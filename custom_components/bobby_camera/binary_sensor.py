"""The "Detection service" connectivity sensor."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import BobbyEntity
from .runtime import BobbyConfigEntry

# Push only: nothing is polled, so there is nothing to run in parallel.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: BobbyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the camera's detection service sensor."""
    async_add_entities([DetectionServiceSensor(entry.runtime_data.coordinator, "detection_service")])


class DetectionServiceSensor(BobbyEntity, BinarySensorEntity):
    """On while the detection service is online and answers (acks, commands, stats)."""

    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    @property
    def is_on(self) -> bool:
        """Whether the service is online and answering."""
        return self.coordinator.data.health.healthy
