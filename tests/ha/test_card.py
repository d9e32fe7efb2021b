"""The dashboard card: served by the integration, loaded by dashboards, removed with the last camera."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.components.lovelace.const import LOVELACE_DATA
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.bobby_camera import card

from .conftest import camera_entry, set_up

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "custom_components/bobby_camera/frontend/bobby-camera-card.js"
CARD_URL = "/bobby_camera_frontend/bobby-camera-card.js"


def _version() -> str:
    manifest = json.loads((ROOT / "custom_components/bobby_camera/manifest.json").read_text())
    return f"{manifest['version']}-{hashlib.sha256(BUNDLE.read_bytes()).hexdigest()[:8]}"


def _resources(hass: HomeAssistant) -> list[dict[str, Any]]:
    return [dict(item) for item in hass.data[LOVELACE_DATA].resources.async_items()]


async def test_storage_mode_resource_follows_the_cameras(
    hass: HomeAssistant, mqtt_mock: Any, hass_client: ClientSessionGenerator
) -> None:
    """One module resource with the version in its URL while a camera is loaded, none after."""
    assert await async_setup_component(hass, "lovelace", {})
    garden, porch = camera_entry("garden"), camera_entry("porch")
    await set_up(hass, garden)

    url = f"{CARD_URL}?v={_version()}"
    assert [(r["type"], r["url"]) for r in _resources(hass)] == [("module", url)]

    # The bundle is served, from the integration's folder.
    client = await hass_client()
    response = await client.get(url)
    assert response.status == 200
    assert await response.read() == BUNDLE.read_bytes()

    # A second camera shares the resource; the first one's unload keeps it.
    await set_up(hass, porch)
    assert len(_resources(hass)) == 1
    assert await hass.config_entries.async_unload(garden.entry_id)
    assert [r["url"] for r in _resources(hass)] == [url]

    # The last camera's unload removes it.
    assert await hass.config_entries.async_unload(porch.entry_id)
    await hass.async_block_till_done()
    assert _resources(hass) == []

    # Loaded again (a reload): registered again, without registering the static path twice.
    assert await hass.config_entries.async_setup(garden.entry_id)
    await hass.async_block_till_done()
    assert [r["url"] for r in _resources(hass)] == [url]
    assert (await client.get(url)).status == 200


async def test_storage_mode_updates_an_older_resource(hass: HomeAssistant, mqtt_mock: Any) -> None:
    """After an update the existing resource gets the new URL; duplicates are removed."""
    assert await async_setup_component(hass, "lovelace", {})
    resources = hass.data[LOVELACE_DATA].resources
    await resources.async_load()
    resources.loaded = True
    other = await resources.async_create_item({"res_type": "module", "url": "/local/other-card.js"})
    old = await resources.async_create_item({"res_type": "module", "url": f"{CARD_URL}?v=0.0.1-deadbeef"})
    await resources.async_create_item({"res_type": "js", "url": CARD_URL})

    await set_up(hass, camera_entry("garden"))

    items = _resources(hass)
    assert [(r["id"], r["type"], r["url"]) for r in items] == [
        (other["id"], "module", "/local/other-card.js"),
        (old["id"], "module", f"{CARD_URL}?v={_version()}"),
    ]


async def test_storage_mode_keeps_a_current_resource(hass: HomeAssistant, mqtt_mock: Any) -> None:
    """A resource already at the current URL (HA restarted) is left as it is."""
    assert await async_setup_component(hass, "lovelace", {})
    resources = hass.data[LOVELACE_DATA].resources
    await resources.async_load()
    resources.loaded = True
    current = await resources.async_create_item({"res_type": "module", "url": f"{CARD_URL}?v={_version()}"})

    entry = camera_entry("garden")
    await set_up(hass, entry)
    assert _resources(hass) == [current]

    # Removed on unload even if someone deleted it by hand in between: no error.
    await resources.async_delete_item(current["id"])
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert _resources(hass) == []


async def test_yaml_mode_uses_an_extra_module_url(hass: HomeAssistant, mqtt_mock: Any) -> None:
    """In YAML mode the user's YAML owns the resources: the card is an extra module of the frontend."""
    assert await async_setup_component(hass, "lovelace", {"lovelace": {"mode": "yaml"}})
    assert await async_setup_component(hass, "frontend", {})
    entry = camera_entry("garden")
    await set_up(hass, entry)

    url = f"{CARD_URL}?v={_version()}"
    assert url in hass.data[DATA_EXTRA_MODULE_URL].urls
    assert _resources(hass) == []

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert url not in hass.data[DATA_EXTRA_MODULE_URL].urls


async def test_without_a_frontend_only_the_file_is_served(
    hass: HomeAssistant, mqtt_mock: Any, hass_client: ClientSessionGenerator
) -> None:
    """No lovelace, no frontend (a headless HA): nothing to register, the camera still loads."""
    entry = camera_entry("garden")
    await set_up(hass, entry)
    assert LOVELACE_DATA not in hass.data
    client = await hass_client()
    assert (await client.get(CARD_URL)).status == 200
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_missing_bundle_is_logged_and_the_camera_loads(
    hass: HomeAssistant, mqtt_mock: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A broken install (bundle deleted) says so; the camera's entities still work."""
    assert await async_setup_component(hass, "lovelace", {})
    with patch.object(card, "FRONTEND_DIR", tmp_path):
        entry = camera_entry("garden")
        await set_up(hass, entry)
    assert "The dashboard card is missing" in caplog.text
    assert _resources(hass) == []
    assert hass.states.get("binary_sensor.garden_detection_service") is not None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_unregister_without_registration_is_harmless(hass: HomeAssistant) -> None:
    """An entry that never registered (set-up failed early) unloads without an error."""
    await card.async_unregister_card(hass, "nothing")
    assert card.DATA_CARD not in hass.data
