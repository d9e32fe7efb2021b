"""The Bobby Camera integration: what MQTT discovery cannot do for a Bobby camera.

listen_frame and the smart cameras publish the person sensors, switches and images themselves
through HA's MQTT discovery; this integration adds, on the same device, the ROI editor, the live
camera and the health of the detection service. Deleting the camera's device or entry makes the
detection services forget the camera (removal.py).
"""

from __future__ import annotations

from homeassistant.components import mqtt
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .card import async_register_card, async_unregister_card
from .const import CONF_BASE_TOPIC, CONF_CAMERA_ID, CONF_SOURCE_ENTITY, DOMAIN, MAX_SOURCE_CAMERAS
from .entity import device_identifier
from .event_views import async_setup_event_views
from .events import async_setup_events
from .ha_source import DATA_SOURCES, HaCameraSource
from .hosted import hosted_cameras
from .removal import async_forget_camera, entry_camera
from .runtime import BobbyConfigEntry, BobbyRuntimeData
from .services import async_setup_services
from .websocket_api import async_setup_websocket

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.CAMERA]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions (once, not per entry: quality rule action-setup)."""
    async_setup_services(hass)
    async_setup_websocket(hass)
    # The visits of every camera (events.py), their files (event_views.py) and the media browser
    # (media_source.py, found by HA's media_source).
    await async_setup_events(hass)
    async_setup_event_views(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: BobbyConfigEntry) -> bool:
    """Set up one camera."""
    if not await mqtt.async_wait_for_mqtt_client(hass):
        raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="mqtt_not_ready")
    sources = hass.data.setdefault(DATA_SOURCES, {})
    if entry.data.get(CONF_SOURCE_ENTITY) and len(sources) >= MAX_SOURCE_CAMERAS:
        # The flow refuses more; an entry made otherwise (restored, hand-edited) is refused here.
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="too_many_sources",
            translation_placeholders={"max": str(MAX_SOURCE_CAMERAS)},
        )
    runtime = BobbyRuntimeData(hass, entry)
    entry.runtime_data = runtime
    entry.async_on_unload(runtime.async_stop)
    await runtime.async_start()
    # The camera's visits: `<base>/+/event`, one subscription per base topic (events.py).
    entry.async_on_unload(await (await async_setup_events(hass)).async_follow(runtime.base_topic))
    # The IP cameras listen_frame runs under the base topic, and an issue for one that fails.
    entry.async_on_unload(await hosted_cameras(hass).async_follow(runtime.base_topic))
    if entry.data.get(CONF_SOURCE_ENTITY):
        # A Home Assistant camera published as this camera (ha_source.py); stopped (offline) first
        # at unload: the unload callbacks run last registered first.
        source = HaCameraSource(
            hass, entry, entry.data[CONF_CAMERA_ID], entry.data[CONF_BASE_TOPIC], entry.title
        )
        sources[entry.entry_id] = runtime.source = source
        entry.async_on_unload(source.async_stop)
        await source.async_start()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    await async_register_card(hass, entry.entry_id)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: BobbyConfigEntry) -> bool:
    """Unload a camera; runtime.async_stop runs through entry.async_on_unload."""
    if unloaded := await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        await async_unregister_card(hass, entry.entry_id)
    return unloaded


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: BobbyConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """The device's Delete button: the services forget the camera, and its entry goes too.

    The entry is of this one camera: without its device it would only bring the device back at
    its next reload (its entities name the device).
    """
    if device_identifier(entry.data[CONF_CAMERA_ID]) not in device_entry.identifiers:
        return True  # not the camera's device (nothing else is ours)
    if (camera := entry_camera(entry.data)) is not None:
        await async_forget_camera(hass, entry.entry_id, *camera, "device deleted in Home Assistant")
    hass.async_create_task(
        hass.config_entries.async_remove(entry.entry_id), f"bobby_camera remove {entry.entry_id}"
    )
    return True


async def async_remove_entry(hass: HomeAssistant, entry: BobbyConfigEntry) -> None:
    """The camera's entry deleted: the services forget the camera (removal.py)."""
    if (camera := entry_camera(entry.data)) is not None:
        await async_forget_camera(hass, entry.entry_id, *camera, "removed in Home Assistant")
