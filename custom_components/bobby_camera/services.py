"""The `bobby_camera.set_rois` action: the ROI editor's save, for automations and scripts.

Admin only (it changes what the cameras watch, as the options flow does) and at most MAX_ROIS
regions per set. It saves through the one save path (runtime.py async_save_set: validate, store,
publish, wait for the acknowledgement); its response gives each camera's version and the service's
answer (`acks`: ok, service, error; null when none came within SAVE_ACK_WAIT).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse, callback
from homeassistant.exceptions import ServiceValidationError, Unauthorized, UnknownUser
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.util.json import JsonValueType

from .const import DOMAIN, SERVICE_SET_ROIS
from .rois import RoiError
from .runtime import BobbyConfigEntry, SaveResult

ATTR_ROIS = "rois"
ATTR_DETECTION = "detection"

SET_ROIS_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string]),
        vol.Required(ATTR_ROIS): vol.All(cv.ensure_list, [dict]),
        vol.Optional(ATTR_DETECTION): dict,
    }
)


def _entry_for_device(hass: HomeAssistant, device_id: str) -> BobbyConfigEntry:
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="device_not_found",
            translation_placeholders={"device_id": device_id},
        )
    for entry_id in device.config_entries:
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            continue
        if entry.state is not ConfigEntryState.LOADED:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_loaded",
                translation_placeholders={"camera": entry.title},
            )
        return entry
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="device_not_found",
        translation_placeholders={"device_id": device_id},
    )


def _admin_only(
    handler: Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]],
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    """HA's admin check for services (helpers/service.py _async_admin_handler), kept here because
    HA 2025.4's async_register_admin_service cannot return a response and set_rois does."""

    async def check(call: ServiceCall) -> ServiceResponse:
        if call.context.user_id:
            user = await call.hass.auth.async_get_user(call.context.user_id)
            if user is None:
                raise UnknownUser(context=call.context)
            if not user.is_admin:
                raise Unauthorized(context=call.context)
        return await handler(call)

    return check


@_admin_only
async def _async_set_rois(call: ServiceCall) -> ServiceResponse:
    """Each camera's set through the one save path (validate, store, publish, wait for the
    acknowledgement); the cameras wait for their acknowledgements together."""
    entries = [_entry_for_device(call.hass, d) for d in call.data[ATTR_DEVICE_ID]]
    rois, detection = call.data[ATTR_ROIS], call.data.get(ATTR_DETECTION)
    for entry in entries:
        # Every camera's set checked before any is saved (async_save_set checks it again).
        try:
            entry.runtime_data.prepare_set(rois, detection)
        except RoiError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=err.key,
                translation_placeholders=err.placeholders,
            ) from err

    async def save(entry: BobbyConfigEntry) -> SaveResult:
        # Detection settings not given keep their stored values; the regions are replaced whole.
        return await entry.runtime_data.async_save_set(rois, detection)

    results = await asyncio.gather(*(save(entry) for entry in entries))
    versions: dict[str, JsonValueType] = {}
    acks: dict[str, JsonValueType] = {}
    for entry, saved in zip(entries, results, strict=True):
        cam = entry.runtime_data.camera_id
        versions[cam] = saved.version
        acks[cam] = (
            {"ok": saved.ack.ok, "service": saved.ack.service, "error": saved.ack.error}
            if saved.ack is not None
            else None
        )
    return {"versions": versions, "acks": acks} if call.return_response else None


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (from async_setup: they exist even when no entry is loaded)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SET_ROIS,
        _async_set_rois,
        schema=SET_ROIS_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
