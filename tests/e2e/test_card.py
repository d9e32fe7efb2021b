"""Issue 13 in a real Home Assistant and a real browser: the dashboard card shipped with the
integration is loaded by a dashboard, shows the live picture with the detected boxes, and an admin
draws a region on it with pointer events and saves it; the whole ROI set goes out on MQTT, the
card shows listen_frame's acknowledgement and the new region's person sensor turns on.

Screenshots of both modes go to artifacts/ (card-view.png, card-edit.png, card-saved.png).
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

from tests.e2e.card_page import card_config, open_card
from tests.e2e.harness import Browser, CdpPage
from tests.e2e.stack import Stack

DASHBOARD = "bobby-card"
REGION = "Walkway"
# The region drawn, in picture coordinates (0..1): the lower part of the scene, where people walk.
DRAWN = [(0.04, 0.35), (0.96, 0.35), (0.96, 0.97), (0.04, 0.97)]
# The first point, then dragged to here (the drag of a point is part of what is tested).
DRAGGED_FIRST = (0.06, 0.30)


async def _card_js(page: CdpPage, body: str) -> Any:
    """`body` run as a function of the card element (its shadow root is `root`)."""
    return await page.deep_eval(
        "bobby-camera-card", f"(els) => {{ const card = els[0]; const root = card.shadowRoot; {body} }}"
    )


async def _rect(page: CdpPage, selector: str) -> tuple[float, float, float, float]:
    rect = await _card_js(
        page,
        f"const r = root.querySelector({json.dumps(selector)}).getBoundingClientRect();"
        " return [r.left, r.top, r.width, r.height];",
    )
    return tuple(rect)


async def _press(page: CdpPage, selector: str) -> None:
    """A real mouse click in the middle of one of the card's buttons."""
    left, top, width, height = await _rect(page, selector)
    await page.click(left + width / 2, top + height / 2)


async def _card_screenshot(page: CdpPage, path: Path) -> None:
    """The card alone (for the docs), cut out of the page."""
    rect = await page.deep_eval(
        "bobby-camera-card",
        "(els) => { const r = els[0].getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }",
    )
    clip = dict(zip(("x", "y", "width", "height"), rect, strict=True), scale=1)
    data = await page.send("Page.captureScreenshot", format="png", clip=clip)
    path.write_bytes(base64.b64decode(data["data"]))


async def _until_card(stack: Stack, page: CdpPage, what: str, body: str, timeout: float = 60.0) -> Any:
    async def check() -> Any:
        return await _card_js(page, body)

    return await stack.until(what, check, timeout, 0.3)


async def test_card_draws_and_saves_a_region(stack: Stack, browser: Browser, artifacts: Path) -> None:
    client = stack.client
    camera = stack.entities["live_view"]

    # The integration registered its card as a dashboard resource, versioned.
    resources = await client.ws_command("lovelace/resources")
    ours = [r for r in resources if "/bobby_camera_frontend/bobby-camera-card.js?v=" in r["url"]]
    assert [r["type"] for r in ours] == ["module"], resources

    # A dashboard with the card, as the UI's "Add card" > Bobby Camera would save it; tall enough
    # for the edit panel below the picture, narrow like a tablet.
    page = await open_card(
        stack,
        browser,
        artifacts,
        dashboard=DASHBOARD,
        title="Bobby",
        card=card_config(camera),
        size=(1000, 1500),
        shown="Edit regions",
        failure="card-failure.png",
    )

    # View mode: the live picture and the boxes of the people listen_frame detects.
    await _until_card(
        stack,
        page,
        "the live picture",
        "const img = root.querySelector('.picture img'); return img && img.naturalWidth > 0;",
    )
    boxes = await _until_card(
        stack, page, "detection boxes on the picture", "return root.querySelectorAll('.box').length;"
    )
    assert boxes >= 1
    count_text = await _card_js(page, "return root.querySelector('.count').textContent;")
    assert "person" in count_text.lower(), count_text
    await page.screenshot(artifacts / "card-view.png")

    # Edit mode (the e2e user is the owner: an admin). The clicks below go to positions measured
    # on the page: once its fonts are in (a late font moves what is below the header).
    await page.evaluate("document.fonts.ready.then(() => true)")
    await _press(page, ".footer button.primary")
    await _until_card(stack, page, "the edit panel", "return !!root.querySelector('button.add');")
    await _press(page, "button.add")
    left, top, width, height = await _rect(page, ".picture svg")

    def at(x: float, y: float) -> tuple[float, float]:
        return left + x * width, top + y * height

    for x, y in DRAWN:
        await page.click(*at(x, y))
    # Clicking the first point closes the polygon.
    await page.click(*at(*DRAWN[0]))
    await _until_card(
        stack, page, "the closed region", "return root.querySelectorAll('.vertex').length === 4;", 10
    )

    # Drag its first point (touch-sized moves, in several steps).
    start, end = at(*DRAWN[0]), at(*DRAGGED_FIRST)
    steps = [
        (start[0] + (end[0] - start[0]) * i / 5, start[1] + (end[1] - start[1]) * i / 5) for i in range(6)
    ]
    await page.drag(steps)

    # Rename it, typing as a user would.
    await _card_js(page, "const i = root.querySelector('input.name'); i.focus(); i.select(); return true;")
    await page.send("Input.insertText", text=REGION)
    await _until_card(
        stack,
        page,
        "the renamed region",
        f"return root.querySelector('.chip.name.selected text').textContent === {json.dumps(REGION)};",
        10,
    )
    # Detection settings: the minimum and maximum box areas are drawn to scale on the picture.
    await _card_js(page, "root.querySelector('details.detection').open = true; return true;")
    for field, value in (("min-area", "0.1"), ("max-area", "40")):
        await _card_js(
            page,
            f"const i = root.querySelector('input.{field}'); i.focus(); i.select(); return true;",
        )
        await page.send("Input.insertText", text=value)
    await _until_card(
        stack,
        page,
        "the area boxes",
        "return root.querySelectorAll('rect.min-area, rect.max-area').length === 2;",
        10,
    )
    await page.screenshot(artifacts / "card-edit.png")
    await _card_screenshot(page, artifacts / "card-edit-card.png")

    # Save: the whole set on MQTT, the acknowledgement on the card.
    t_save = time.monotonic()
    await _press(page, "button.save")
    published = stack.mqtt.wait_first(f"{stack.topic}/rois", after=t_save, timeout=20)
    sent = json.loads(published.payload)
    # (Retained: a live subscriber sees retain=0 by MQTT's rules; tests/ha checks the publish flag.)
    assert [r["id"] for r in sent["rois"]] == ["walkway"], sent
    region = sent["rois"][0]
    assert region["name"] == REGION
    assert region["labels"] == ["person"]
    expected = [DRAGGED_FIRST, *DRAWN[1:]]
    assert len(region["points"]) == 4
    for (x, y), (ex, ey) in zip(region["points"], expected, strict=True):
        # Pointer positions are whole pixels of a ~740 px wide picture.
        assert abs(x - ex) < 0.01 and abs(y - ey) < 0.01, (region["points"], expected)
    # The areas typed on the card; the other settings go out as they were.
    detection = sent["detection"]
    assert (detection["labels"], detection["min_area"], detection["max_area"]) == (["person"], 0.001, 0.4), (
        detection
    )
    version = sent["version"]
    await page.wait_text(f"Applied by listen_frame/e2e, version {version}", timeout=30)

    # The new region's person sensor (discovery by listen_frame) turns on: people walk there.
    async def region_sensor() -> str | None:
        return await client.entity_id(f"bobby_{stack.cam}_person_walkway", platform="mqtt")

    sensor = await stack.until("the Walkway person sensor", region_sensor, 60)

    async def sensor_on() -> bool:
        st = await client.state(sensor)
        return st is not None and st["state"] == "on"

    await stack.until(f"{sensor} on", sensor_on, 60)
    # Back in view mode the region is drawn, filled while its sensor is on.
    await _until_card(
        stack,
        page,
        "the region filled on the card",
        "return root.querySelectorAll('.region.on').length === 1;",
        30,
    )
    await page.screenshot(artifacts / "card-saved.png")
    await _card_screenshot(page, artifacts / "card-saved-card.png")

    # Leave the camera as the other tests expect it: no regions, default areas.
    await client.ws_command(
        "bobby_camera/save_rois", entity_id=camera, rois=[], detection={"min_area": 0.0, "max_area": 1.0}
    )
