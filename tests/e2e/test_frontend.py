"""The camera as a user sees it in Home Assistant's own frontend (home-assistant-frontend, the
version HA 2025.4.4 pins) in headless Chromium: the device page and a dashboard with the camera.
Screenshots go to artifacts/e2e-device.png and artifacts/e2e-dashboard.png."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import Browser, until
from tests.e2e.stack import CAM_NAME, Stack

DASHBOARD = "e2e-porch"  # a dashboard's url_path needs a hyphen
LOGIN_TEXT = ("Welcome home", "Log in", "Unable to connect")

# Camera stills the page shows (img elements through shadow roots, served by HA's camera proxy).
CAMERA_IMAGES_JS = """(els) => els.filter(
  (e) => (e.src || '').includes('/api/camera_proxy') && e.complete && e.naturalWidth > 0
).length"""


async def _not_login(page) -> None:
    text = await page.text()
    assert not any(t in text for t in LOGIN_TEXT), f"the page is HA's login or an error: {text[:500]}"


async def test_device_page(stack: Stack, browser: Browser, artifacts: Path) -> None:
    page = await browser.page(stack.client)
    await page.navigate(f"{stack.hass.url}/config/devices/device/{stack.device_id}")
    # The device's name, the integration's and discovery's entities, and its device trigger.
    await page.wait_text(CAM_NAME, "Live view", "Detection service", "Person", "Detection", timeout=90)
    await _not_login(page)
    shot = await page.screenshot(artifacts / "e2e-device.png")
    assert shot.stat().st_size > 20_000


async def test_dashboard_with_camera(stack: Stack, browser: Browser, artifacts: Path) -> None:
    client = stack.client
    dashboards = await client.ws_command("lovelace/dashboards/list")
    if not any(d["url_path"] == DASHBOARD for d in dashboards):
        await client.ws_command(
            "lovelace/dashboards/create",
            url_path=DASHBOARD,
            title=CAM_NAME,
            mode="storage",
            show_in_sidebar=True,
            require_admin=False,
        )
    e = stack.entities
    await client.ws_command(
        "lovelace/config/save",
        url_path=DASHBOARD,
        config={
            "title": CAM_NAME,
            "views": [
                {
                    "title": "Camera",
                    "path": "camera",
                    "cards": [
                        # docs/home-assistant.md's card, as a user pastes it
                        {
                            "type": "picture-glance",
                            "title": CAM_NAME,
                            "camera_image": e["live_view"],
                            "camera_view": "auto",
                            "entities": [
                                e["person"],
                                e["person_count"],
                                e["detection"],
                                e["detection_service"],
                            ],
                        },
                        {"type": "picture-entity", "entity": e["live_view"], "camera_view": "auto"},
                        {
                            "type": "entities",
                            "entities": [e["person"], e["detection"], e["detection_service"]],
                        },
                    ],
                }
            ],
        },
    )
    page = await browser.page(stack.client)
    await page.navigate(f"{stack.hass.url}/{DASHBOARD}/camera")
    await page.wait_text(CAM_NAME, "Detection service", timeout=90)
    await _not_login(page)

    async def stills_shown() -> bool:
        return await page.deep_eval("img", CAMERA_IMAGES_JS) >= 2  # both cards show a frame

    await until("the camera stills on the dashboard", stills_shown, 60, 0.5, page.console_log)
    assert await page.deep_count("hui-picture-glance-card") == 1
    assert await page.deep_count("hui-picture-entity-card") == 1
    shot = await page.screenshot(artifacts / "e2e-dashboard.png")
    assert shot.stat().st_size > 20_000
