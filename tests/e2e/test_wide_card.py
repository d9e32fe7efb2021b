"""Issue 22 in a real Home Assistant and Chromium: a 16:9 camera keeps 16:9 all the way to the card.

The stack's camera is restarted on a 1280x720 video cut from vtest (tests/support/wide_video.py),
with no size asked: it announces 640x360 and sends 640x360 frames. The card then shows the picture
in a 16:9 box (the image's natural size and its box on screen), a region saved through the
integration is drawn where its normalised points say on that picture, in view mode and in the ROI
editor's overlay, and the person boxes stay inside the picture. The camera's earlier video and ROI
set are put back afterwards (the other modules share the stack). Screenshot: artifacts/card-wide.png.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.e2e.card_page import card_config, open_card
from tests.e2e.harness import Browser, CdpPage
from tests.e2e.stack import Stack
from tests.support.wide_video import write_wide_video

DASHBOARD = "bobby-wide"
# A region in picture coordinates: a wide box in the lower right, far from 4:3's proportions.
REGION = [[0.5, 0.55], [0.95, 0.55], [0.95, 0.9], [0.5, 0.9]]


async def _card_js(page: CdpPage, body: str) -> Any:
    return await page.deep_eval(
        "bobby-camera-card", f"(els) => {{ const card = els[0]; const root = card.shadowRoot; {body} }}"
    )


def _camera_source(stack: Stack) -> Path:
    args = stack.camera.args
    return Path(args[args.index("--source") + 1])


async def _resolution(stack: Stack, camera: str) -> list[int] | None:
    config = await stack.client.ws_command("bobby_camera/get_config", entity_id=camera)
    return config["resolution"]


# The picture's box, the image's natural size, the region's outline and the boxes, on screen.
READ_GEOMETRY = """
const img = root.querySelector('.picture img');
const box = root.querySelector('.picture').getBoundingClientRect();
const poly = root.querySelector('g.region polygon');
const r = (el) => { const b = el.getBoundingClientRect(); return [b.left, b.top, b.width, b.height]; };
return {
  natural: img ? [img.naturalWidth, img.naturalHeight] : null,
  img: img ? r(img) : null,
  picture: [box.left, box.top, box.width, box.height],
  svg: r(root.querySelector('.picture svg')),
  region: poly ? r(poly) : null,
  boxes: [...root.querySelectorAll('g.box rect')].map(r),
};
"""


def _close(a: float, b: float, tol: float = 2.5) -> bool:
    return abs(a - b) <= tol


async def test_a_16_9_camera_is_16_9_on_the_card(stack: Stack, browser: Browser, artifacts: Path) -> None:
    client = stack.client
    camera = stack.entities["live_view"]
    earlier = _camera_source(stack)
    before = await client.ws_command("bobby_camera/get_config", entity_id=camera)
    assert before["resolution"] == [640, 480], before["resolution"]  # the stack's 4:3 scene
    video = await asyncio.to_thread(write_wide_video, stack.media, stack.tmp, (1280, 720), 120)
    page = None
    try:
        page = await open_card(
            stack,
            browser,
            artifacts,
            dashboard=DASHBOARD,
            title="Wide",
            view="Wide",
            card=card_config(camera, show_events=False),
            size=(1000, 900),
            shown="Edit regions",
            failure="card-wide-failure.png",
        )

        # The card is open on the 4:3 scene when the camera restarts on the 16:9 video: the picture's
        # box follows the new frames (an MJPEG stream's image fires `load` only once).
        async def four_three() -> bool:
            g = await _card_js(page, READ_GEOMETRY)
            return bool(g["natural"]) and g["natural"] == [640, 480]

        await stack.until("the 4:3 picture on the card", four_three, 90, 0.3)
        await stack.replace_camera(video)

        async def wide() -> bool:
            return await _resolution(stack, camera) == [640, 360]

        await stack.until("the camera's announce of 640x360 in HA", wide, 60)
        result = await client.ws_command(
            "bobby_camera/save_rois",
            entity_id=camera,
            rois=[{"id": "bench", "name": "Bench", "points": REGION}],
            detection=before["detection"],
        )
        assert result["version"] > before["version"], result

        async def drawn() -> dict | None:
            g = await _card_js(page, READ_GEOMETRY)
            if g["natural"] != [640, 360] or not (g["region"] and g["boxes"]):
                return None
            _, _, w, h = g["picture"]
            return g if abs(w / h - 16 / 9) < 0.01 else None

        g = await stack.until("the 16:9 picture in a 16:9 box, its region and boxes", drawn, 90, 0.3)
        await page.screenshot(artifacts / "card-wide.png")

        # The picture: the frames' own size, in a box of the same aspect (not 4:3).
        assert g["natural"] == [640, 360], g
        left, top, width, height = g["picture"]
        assert abs(width / height - 16 / 9) < 0.01, g
        assert g["img"] == g["picture"] == g["svg"], g  # image and overlay cover the same box
        # The region where its points say, on that picture.
        rx, ry, rw, rh = g["region"]
        want = (
            left + REGION[0][0] * width,
            top + REGION[0][1] * height,
            (REGION[1][0] - REGION[0][0]) * width,
            (REGION[2][1] - REGION[0][1]) * height,
        )
        assert all(_close(a, b) for a, b in zip((rx, ry, rw, rh), want, strict=True)), (g["region"], want)
        # The boxes of the people stay on the picture.
        for bx, by, bw, bh in g["boxes"]:
            assert (
                bx >= left - 1
                and by >= top - 1
                and bx + bw <= left + width + 1
                and by + bh <= top + height + 1
            )

        # The ROI editor's overlay: its points sit at the same places.
        await _card_js(page, "root.querySelector('.footer button.primary').click(); return true;")

        async def vertices() -> list | None:
            v = await _card_js(
                page,
                "const c = [...root.querySelectorAll('.vertex')].map((e) => { const b ="
                " e.getBoundingClientRect(); return [b.left + b.width / 2, b.top + b.height / 2]; });"
                " return c.length ? c : null;",
            )
            return v

        # Select the region to show its points: a click inside it.
        await page.click(left + 0.72 * width, top + 0.72 * height)
        points = await stack.until("the region's points in the editor", vertices, 20, 0.2)
        await page.screenshot(artifacts / "card-wide-edit.png")
        assert len(points) == 4, points
        # The picture's box again: the edit panel below it may bring a scroll bar (a narrower card).
        g = await _card_js(page, READ_GEOMETRY)
        left, top, width, height = g["picture"]
        assert abs(width / height - 16 / 9) < 0.01 and g["img"] == g["picture"] == g["svg"], g
        expected = sorted((left + x * width, top + y * height) for x, y in REGION)
        for (px, py), (ex, ey) in zip(sorted(points), expected, strict=True):
            assert _close(px, ex) and _close(py, ey), (points, expected)
    finally:
        if page is not None:
            await page.close()
        await client.ws_command(
            "bobby_camera/save_rois", entity_id=camera, rois=before["rois"], detection=before["detection"]
        )
        if _camera_source(stack) != earlier:
            await stack.replace_camera(earlier)

        async def back() -> bool:
            return await _resolution(stack, camera) == [640, 480]

        await stack.until("the camera back on its 4:3 scene", back, 60)
