"""The dashboard card shipped with the integration (frontend/bobby-camera-card.js).

HACS installs only this folder, so the integration serves the card itself and tells the frontend
to load it: a dashboard resource when dashboards are kept in storage (the default), an extra
module URL when Lovelace runs in YAML mode (whose resources are the user's YAML). The URL carries
the integration's version and a hash of the bundle, so that browsers fetch a new card after an
update despite the long cache headers. Everything is registered with the first loaded camera and
removed with the last one (the static path stays: aiohttp cannot remove a route, and it serves a
file of this folder only).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL, add_extra_js_url, remove_extra_js_url
from homeassistant.components.http import StaticPathConfig
from homeassistant.components.lovelace.const import LOVELACE_DATA
from homeassistant.components.lovelace.resources import ResourceStorageCollection
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER

CARD_FILE = "bobby-camera-card.js"
FRONTEND_DIR = Path(__file__).parent / "frontend"
URL_BASE = f"/{DOMAIN}_frontend"
CARD_URL = f"{URL_BASE}/{CARD_FILE}"


@dataclass
class CardRegistration:
    """What this HA process registered for the card."""

    entries: set[str] = field(default_factory=set)
    static_path: bool = False
    url: str | None = None
    resource_id: str | None = None
    extra_js: bool = False


DATA_CARD: HassKey[CardRegistration] = HassKey(f"{DOMAIN}_card")


def _bundle_hash() -> str | None:
    """The first 8 hex digits of the bundle's sha256, None without a bundle (executor: file I/O)."""
    try:
        return hashlib.sha256((FRONTEND_DIR / CARD_FILE).read_bytes()).hexdigest()[:8]
    except OSError:
        return None


async def async_card_url(hass: HomeAssistant) -> str | None:
    """The card's URL with its cache-busting query: `?v=<integration version>-<bundle hash>`."""
    integration = await async_get_integration(hass, DOMAIN)
    if (digest := await hass.async_add_executor_job(_bundle_hash)) is None:
        return None
    return f"{CARD_URL}?v={integration.version}-{digest}"


def _storage_resources(hass: HomeAssistant) -> ResourceStorageCollection | None:
    """Lovelace's resource collection when it is kept in storage (None in YAML mode or without it)."""
    lovelace = hass.data.get(LOVELACE_DATA)
    if lovelace is None or not isinstance(lovelace.resources, ResourceStorageCollection):
        return None
    return lovelace.resources


def _is_card(url: str) -> bool:
    return url.split("?", 1)[0] == CARD_URL


async def async_register_card(hass: HomeAssistant, entry_id: str) -> None:
    """Serve the card and make dashboards load it (the first camera does it, the others count)."""
    reg = hass.data.setdefault(DATA_CARD, CardRegistration())
    reg.entries.add(entry_id)
    if reg.url is not None:
        return
    if (url := await async_card_url(hass)) is None:
        # A broken install (the bundle ships with the integration): the cameras still work.
        LOGGER.error(
            "The dashboard card is missing (%s); reinstall the integration", FRONTEND_DIR / CARD_FILE
        )
        return
    if not reg.static_path:
        await hass.http.async_register_static_paths(
            [StaticPathConfig(CARD_URL, str(FRONTEND_DIR / CARD_FILE))]
        )
        reg.static_path = True
    reg.url = url
    if (resources := _storage_resources(hass)) is not None:
        if not resources.loaded:
            # As lovelace's own resource commands do before reading the collection.
            await resources.async_load()
            resources.loaded = True
        ours = [item for item in resources.async_items() if _is_card(str(item.get("url", "")))]
        for duplicate in ours[1:]:
            await resources.async_delete_item(duplicate["id"])
        if not ours:
            item = await resources.async_create_item({"res_type": "module", "url": url})
            LOGGER.debug("Added the dashboard resource %s", url)
        elif ours[0]["url"] != url:
            item = await resources.async_update_item(ours[0]["id"], {"res_type": "module", "url": url})
            LOGGER.debug("Updated the dashboard resource to %s", url)
        else:
            item = ours[0]
        reg.resource_id = item["id"]
    elif DATA_EXTRA_MODULE_URL in hass.data:
        # YAML mode: the user's YAML lists the resources; the frontend loads this one on every page.
        add_extra_js_url(hass, url)
        reg.extra_js = True


async def async_unregister_card(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the dashboard resource or extra module when the last camera unloads."""
    reg = hass.data.get(DATA_CARD)
    if reg is None:
        return
    reg.entries.discard(entry_id)
    if reg.entries or reg.url is None:
        return
    if reg.resource_id is not None and (resources := _storage_resources(hass)) is not None:
        if any(item["id"] == reg.resource_id for item in resources.async_items()):
            await resources.async_delete_item(reg.resource_id)
        reg.resource_id = None
    if reg.extra_js:
        remove_extra_js_url(hass, reg.url)
        reg.extra_js = False
    reg.url = None
