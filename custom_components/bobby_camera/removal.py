"""Removing a camera for good (docs/home-assistant.md "Remove a camera"; docs/mqtt.md "forget").

Deleting the camera's device (its Delete button) or its entry tells the detection services to
forget the camera: a retained `<base>/<cam>/forget`, which every listen_frame instance and the
smart camera follow (discovery and retained state emptied, nothing republished on HA's birth or
a restart). The camera's retained announce and ROI set are emptied too, so that neither HA's MQTT
discovery nor a service offers the camera again from what is left on the broker. A camera that
still runs and announces itself again later is offered again, as a new discovery.

Before the forget, the integration's entities and entry leave the camera's device
(`async_detach_from_device`): HA's MQTT integration removes a discovered device only when the
last of the discovery's entities goes and no other entity is left on the device
(mqtt/entity.py cleanup_device_registry). The services empty the discovery as soon as they read
the forget, while Home Assistant would still hold this entry's entities (it clears them only
after async_remove_entry): the device would stay, empty.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .const import CONF_BASE_TOPIC, CONF_CAMERA_ID, DOMAIN, LOGGER, Topics
from .entity import device_identifier
from .events import event_index

# Twin: edge_agent/mqtt/messages.py Forget (`by`).
FORGET_BY = "home_assistant"
# How long to wait for the emptied announce to come back from the broker: HA's MQTT integration
# drops its cached copy then, and does not offer the camera again when the entry is removed.
ECHO_WAIT = 5.0
DATA_FORGOTTEN = f"{DOMAIN}_forgotten"


async def async_forget_camera(hass: HomeAssistant, entry_id: str, base: str, cam: str, reason: str) -> bool:
    """Publish the camera's forget and empty its announce and ROI set; True when done.

    Once per entry (the device's Delete button removes the entry too); a camera added again is a
    new entry, and deleting it forgets it again.
    """
    done: set[str] = hass.data.setdefault(DATA_FORGOTTEN, set())
    if entry_id in done:
        return True
    async_detach_from_device(hass, entry_id, cam)
    # Its visits leave the index (and the media browser, the card); the files the add-on wrote
    # stay under /media/bobby_camera until its retention removes them.
    if (index := event_index(hass)) is not None:
        index.async_forget_camera(cam)
    if not mqtt.is_connected(hass):
        LOGGER.warning(
            "Camera %s was removed while MQTT is not connected: the detection services were not told"
            " to forget it; publish {} retained on %s to do so",
            cam,
            Topics(base, cam).forget,
        )
        return False
    topics = Topics(base, cam)
    emptied = asyncio.Event()

    @callback
    def on_announce(msg: mqtt.ReceiveMessage) -> None:
        if not msg.payload:
            emptied.set()

    payload = json.dumps({"by": FORGET_BY, "reason": reason, "at": round(time.time(), 3)})
    unsubscribe = await mqtt.async_subscribe(hass, topics.announce, on_announce, 1)
    try:
        # The forget first: a service that sees the announce go knows why.
        await mqtt.async_publish(hass, topics.forget, payload, 1, True)
        await mqtt.async_publish(hass, topics.announce, "", 1, True)
        await mqtt.async_publish(hass, topics.rois, "", 1, True)
        async with asyncio.timeout(ECHO_WAIT):
            await emptied.wait()
    except TimeoutError:
        LOGGER.debug("The emptied announce of camera %s did not come back within %s s", cam, ECHO_WAIT)
    except HomeAssistantError as err:
        LOGGER.warning("Camera %s: could not tell the detection services to forget it: %s", cam, err)
        return False
    finally:
        unsubscribe()
    done.add(entry_id)
    LOGGER.info("Camera %s removed: the detection services forget it (%s)", cam, reason)
    return True


@callback
def async_detach_from_device(hass: HomeAssistant, entry_id: str, cam: str) -> None:
    """The entry's entities and the entry itself off the camera's device (see the module doc).

    The device is left to HA's MQTT integration, which removes it with the discovery's last
    entity; one with no entity left at all (the discovery emptied earlier) is removed here, as
    nothing else would.
    """
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    for entity in er.async_entries_for_config_entry(entities, entry_id):
        entities.async_remove(entity.entity_id)
    device = devices.async_get_device(identifiers={device_identifier(cam)})
    if device is None or entry_id not in device.config_entries:
        return
    devices.async_update_device(device.id, remove_config_entry_id=entry_id)
    if devices.async_get(device.id) is not None and not er.async_entries_for_device(
        entities, device.id, include_disabled_entities=True
    ):
        LOGGER.debug("Camera %s: its device has no entity left: removed", cam)
        devices.async_remove_device(device.id)


def entry_camera(data: Mapping[str, Any]) -> tuple[str, str] | None:
    """(base topic, camera id) of an entry's data."""
    base, cam = data.get(CONF_BASE_TOPIC), data.get(CONF_CAMERA_ID)
    if isinstance(base, str) and isinstance(cam, str):
        return base, cam
    return None
