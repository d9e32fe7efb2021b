"""The card on a dashboard of its own in Chromium, as the e2e card tests open it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.harness import Browser, CdpPage
from tests.e2e.stack import DOMAIN, Stack


def card_config(entity: str, **options: Any) -> dict[str, Any]:
    """The card as the UI's "Add card" > Bobby Camera saves it."""
    return {"type": f"custom:{DOMAIN.replace('_', '-')}-card", "entity": entity, **options}


async def open_card(
    stack: Stack,
    browser: Browser,
    artifacts: Path,
    *,
    dashboard: str,
    title: str,
    card: dict[str, Any],
    size: tuple[int, int],
    shown: str,
    failure: str,
    view: str = "Porch",
    show_in_sidebar: bool = True,
) -> CdpPage:
    """A storage dashboard `dashboard` (created once) whose one panel view holds `card`, opened in
    Chromium at `size` (width, height) until the page shows `shown`; if it does not, a screenshot
    `failure` in artifacts/, the page closed and the page's text in the error."""
    client = stack.client
    dashboards = await client.ws_command("lovelace/dashboards/list")
    if not any(d["url_path"] == dashboard for d in dashboards):
        await client.ws_command(
            "lovelace/dashboards/create",
            url_path=dashboard,
            title=title,
            mode="storage",
            show_in_sidebar=show_in_sidebar,
        )
    await client.ws_command(
        "lovelace/config/save",
        url_path=dashboard,
        config={"views": [{"title": view, "type": "panel", "cards": [card]}]},
    )
    page = await browser.page(client)
    width, height = size
    await page.send(
        "Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False
    )
    await page.navigate(f"{stack.hass.url}/{dashboard}/0")
    try:
        await page.wait_text(shown, timeout=90)
    except AssertionError:
        await page.screenshot(artifacts / failure)
        text = (await page.text())[:2000]
        await page.close()
        raise AssertionError(f"the card did not show {shown!r}; page text: {text}") from None
    return page
