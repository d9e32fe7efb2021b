"""Diagnostics: entry, ROI set, announce, stats and acknowledgements, secrets redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.bobby_camera.const import DOMAIN, OPT_DETECTION, OPT_ROIS, OPT_VERSION
from custom_components.bobby_camera.diagnostics import redact_url

from .conftest import CAM, ENTRY_ID, announce_payload, fire


async def test_diagnostics(
    hass: HomeAssistant, mqtt_mock: Any, hass_client: Any, snapshot: SnapshotAssertion
) -> None:
    """Everything a bug report needs, and no token, password or URL credentials."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garden",
        unique_id=CAM,
        entry_id=ENTRY_ID,
        data={
            "camera_id": CAM,
            "base_topic": "bobby",
            "token": "s3cret-token",
            "http_origin": "http://garden.local:8080",
        },
        options={
            OPT_VERSION: 7,
            OPT_ROIS: [
                {"id": "lawn", "name": "Lawn", "points": [[0, 0.5], [1, 0.5], [1, 1]], "labels": ["person"]}
            ],
            OPT_DETECTION: {"threshold": 0.6},
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    fire(
        hass,
        "bobby/garden/announce",
        announce_payload(
            mode="smart",
            stream_url="http://admin:hunter2@garden.local:8080/stream.mjpg?token=abc&fps=2",
            snapshot_url="http://garden.local:8080/snapshot.jpg",
            password="wifi-pass",
        ),
    )
    fire(hass, "bobby/garden/availability", "online")
    fire(hass, "bobby/listen_frame/pi4/availability", "online")
    fire(
        hass, "bobby/garden/stats", {"camera": CAM, "service": "camera/garden", "interval": 10, "analysed": 5}
    )
    fire(hass, "bobby/garden/rois", {"version": 7, "rois": []})
    fire(
        hass,
        "bobby/garden/rois/applied",
        {"version": 7, "ok": True, "active_version": 7, "service": "camera/garden"},
    )
    fire(hass, "bobby/garden/detection/state", {"state": "ON", "request_id": None})
    fire(hass, "bobby/garden/announce", "not json")
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics == snapshot
    # The origin the token may go to, the URLs in use on it, and what was refused.
    assert diagnostics["http_origin"] == "http://garden.local:8080"
    assert diagnostics["http_urls_in_use"]["snapshot_url"] == "http://garden.local:8080/snapshot.jpg"
    assert diagnostics["refused"] == {"announce_malformed": 1}
    assert diagnostics["entry"]["data"]["token"] == "**REDACTED**"
    text = str(diagnostics)
    for secret in ("s3cret-token", "hunter2", "admin", "abc", "wifi-pass"):
        assert secret not in text


def test_redact_url() -> None:
    """User info and secret query values go; the rest of the URL stays readable."""
    assert redact_url("rtsp://u:p@cam:554/live?Token=x&res=hd") == (
        "rtsp://**REDACTED**@cam:554/live?Token=**REDACTED**&res=hd"
    )
    assert redact_url("http://cam/snap.jpg") == "http://cam/snap.jpg"
    assert redact_url("not a url") == "not a url"
    assert redact_url(5) == 5
