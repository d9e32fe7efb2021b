"""Issue 21, item 5, in a real Home Assistant and a real browser: the card shows the camera's recent
visits under the picture (bobby_camera/events), newest first, a visit still recording says so and
does not play, a tap plays a visit's clip in the card (an HTML <video> that reaches its duration
and plays) and "Back to live" brings the live picture back; a visit that starts while the card is
open appears without a reload (the "Person visit" event entity fires, the card reads again).

The visits are seeded as the add-on's recorder leaves them (docs/mqtt.md "events", store
`media`): real files in HA's media folder (an H.264 MP4 of opencv_vtest's pedestrians, written by
listen_frame's own recorder, ClipWriter, and its snapshots) and the event messages on MQTT.

Screenshots in artifacts/: card-visits.png (the card with its strip; copied by hand to
docs/images/card-visits.png, shown in docs/home-assistant.md, when it is good, as the other card
pictures), card-visits-strip.png (the strip alone) and card-visit-playing.png (a clip playing in
the card).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge_agent.events.clip import ClipWriter
from tests.e2e.card_page import card_config, open_card
from tests.e2e.harness import SIZE, Browser, CdpPage
from tests.e2e.stack import DOMAIN, Stack
from tests.e2e.test_card import _card_js, _card_screenshot, _press, _until_card

DASHBOARD = "bobby-visits"
CLIP_FPS = 8
CLIP_FRAMES = 48  # 6 s


def _frames(media: Path, count: int, skip: int) -> list[np.ndarray]:
    """`count` frames of opencv_vtest.avi (pedestrians) after the first `skip`, at the camera's size."""
    cap = cv2.VideoCapture(str(media / "opencv_vtest.avi"))
    frames: list[np.ndarray] = []
    try:
        while len(frames) < count:
            ok, frame = cap.read()
            assert ok, "opencv_vtest.avi ended early"
            if skip > 0:
                skip -= 1
                continue
            frames.append(cv2.resize(frame, SIZE))
    finally:
        cap.release()
    return frames


def _write_clip(folder: Path, event_id: str, frames: list[np.ndarray], start: float) -> float:
    """The clip as listen_frame's recorder writes it (its own ClipWriter: H.264, fragmented MP4
    at the frames' real times, `<id>.mp4.part` renamed when closed); returns its duration."""
    writer = ClipWriter(folder / f"{event_id}.mp4.part", folder / f"{event_id}.mp4", fps=CLIP_FPS)
    for i, bgr in enumerate(frames):
        ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])
        assert ok
        writer.add(jpeg.tobytes(), start + i / CLIP_FPS)
    result = writer.close()
    assert result.ok and result.duration, result
    return result.duration


def _snapshot(path: Path, frame: np.ndarray) -> None:
    ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    path.write_bytes(jpeg.tobytes())


def _event_id(start: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(start)) + "-" + secrets.token_hex(6)


def _message(stack: Stack, kind: str, event_id: str, start: float, **over: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "camera": stack.cam,
        "type": kind,
        "start": start,
        "end": None,
        "regions": [],
        "max_persons": 2,
        "score": 0.81,
        "snapshot": True,
        "clip": "recording",
        "duration": None,
        "store": "media",
        "service": "listen_frame/e2e",
        "at": time.time(),
        **over,
    }


async def _publish(stack: Stack, message: dict[str, Any]) -> None:
    await asyncio.to_thread(stack.mqtt.publish, f"{stack.topic}/event", json.dumps(message), 1)


async def _seed(stack: Stack) -> dict[str, str]:
    """Four visits of the camera, as the add-on's recorder leaves them: two with a clip (ended),
    one whose clip was not recorded, one still recording. Returns {name: id}."""
    folder = stack.hass.media_dir / DOMAIN / stack.cam
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    starts = {"older": now - 3 * 3600, "no_clip": now - 1500, "ready": now - 600, "recording": now - 20}
    ids = {name: _event_id(start) for name, start in starts.items()}
    frames = await asyncio.to_thread(_frames, stack.media, CLIP_FRAMES + 60, 0)
    duration = await asyncio.to_thread(
        _write_clip, folder, ids["ready"], frames[:CLIP_FRAMES], starts["ready"]
    )
    shutil.copyfile(folder / f"{ids['ready']}.mp4", folder / f"{ids['older']}.mp4")
    for n, event_id in enumerate(ids.values()):
        # Each its own best frame; the clean copy is the same frame without boxes.
        for suffix in (".jpg", "-clean.jpg"):
            _snapshot(folder / f"{event_id}{suffix}", frames[12 + 15 * n])
    # The recording visit's clip is still being written (only a closed clip has the final name).
    (folder / f"{ids['recording']}.mp4.part").write_bytes(b"\x00" * 1024)

    for name in ("older", "no_clip", "ready"):
        start = starts[name]
        await _publish(stack, _message(stack, "start", ids[name], start))
        await _publish(
            stack,
            _message(
                stack,
                "end",
                ids[name],
                start,
                end=start + duration - 2,
                clip="none" if name == "no_clip" else "ready",
                duration=None if name == "no_clip" else duration,
            ),
        )
    await _publish(stack, _message(stack, "start", ids["recording"], starts["recording"]))
    return ids


async def _events(stack: Stack, limit: int = 20) -> dict[str, Any]:
    return await stack.client.ws_command(f"{DOMAIN}/events", camera=stack.cam, limit=limit)


async def _strip_screenshot(page: CdpPage, path: Path) -> None:
    """The strip alone, cut out of the page."""
    rect = await _card_js(
        page,
        "const r = root.querySelector('.visits').getBoundingClientRect(); return [r.left, r.top, r.width, r.height];",
    )
    clip = dict(zip(("x", "y", "width", "height"), rect, strict=True), scale=1)
    data = await page.send("Page.captureScreenshot", format="png", clip=clip)
    path.write_bytes(base64.b64decode(data["data"]))


async def _video(page: CdpPage, prop: str) -> Any:
    return await _card_js(
        page, f"const v = root.querySelector('.clip-layer video'); return v ? v.{prop} : null;"
    )


async def test_visit_strip_shows_visits_and_plays_a_clip(
    stack: Stack, browser: Browser, artifacts: Path
) -> None:
    camera = stack.entities["live_view"]
    ids = await _seed(stack)

    # The integration indexed them (its websocket command, the card's source).
    async def indexed() -> list[dict[str, Any]] | None:
        events = (await _events(stack))["events"]
        ours = {e["id"]: e for e in events if e["id"] in ids.values()}
        ready = ours.get(ids["ready"])
        return events if len(ours) == 4 and ready and ready["clip"] == "ready" and ready["clip_url"] else None

    events = await stack.until("the seeded visits in bobby_camera/events", indexed, 30)
    starts = [e["start"] for e in events]
    assert starts == sorted(starts, reverse=True), "newest first"

    # A phone held sideways: the strip scrolls sideways under the picture.
    page = await open_card(
        stack,
        browser,
        artifacts,
        dashboard=DASHBOARD,
        title="Visits",
        card=card_config(camera),
        size=(820, 1000),
        shown="Recording…",
        failure="card-visits-failure.png",
        show_in_sidebar=False,
    )

    # The strip, newest first: the seeded visits in the order of their starts, each as it is.
    shown = await _card_js(
        page,
        "return [...root.querySelectorAll('.visit')].map((b) => ({id: b.dataset.id, disabled: b.disabled,"
        " badge: b.querySelector('.badge')?.textContent ?? '', when: b.querySelector('.when').textContent}));",
    )
    order = [s["id"] for s in shown if s["id"] in ids.values()]
    assert order == [ids[n] for n in ("recording", "ready", "no_clip", "older")], shown
    by_id = {s["id"]: s for s in shown}
    assert by_id[ids["recording"]]["badge"] == "Recording…" and by_id[ids["recording"]]["disabled"], shown
    assert by_id[ids["no_clip"]]["badge"] == "No clip" and by_id[ids["no_clip"]]["disabled"], shown
    assert by_id[ids["ready"]]["badge"] == "0:06" and not by_id[ids["ready"]]["disabled"], shown
    # Relative within the hour (the page took its time to load: a minute or two more).
    assert re.fullmatch(r"1\d min\. ago", by_id[ids["ready"]]["when"]), shown
    assert re.fullmatch(r"now|\d min\. ago", by_id[ids["recording"]]["when"]), shown

    # Their thumbnails load through the signed addresses.
    await _until_card(
        stack,
        page,
        "the thumbnails",
        "const imgs = [...root.querySelectorAll('.visit .thumb img')];"
        " return imgs.length >= 4 && imgs.every((i) => i.complete && i.naturalWidth > 0);",
        30,
    )
    await _until_card(
        stack,
        page,
        "the live picture",
        "const i = root.querySelector('.picture img'); return !!i && i.naturalWidth > 0;",
    )
    await _card_screenshot(page, artifacts / "card-visits.png")
    await _strip_screenshot(page, artifacts / "card-visits-strip.png")

    # A tap on the visit plays its clip in place of the live picture. The visits that tests before
    # this one recorded come first (the stack's scene has people): the visit is scrolled into view
    # in the strip first, as a user scrolls to it (a click off the strip's edge taps nothing).
    visit = f'.visit[data-id="{ids["ready"]}"]'
    await _card_js(
        page,
        f"root.querySelector({json.dumps(visit)}).scrollIntoView({{block: 'nearest', inline: 'center'}});"
        " return true;",
    )
    await _press(page, visit)
    try:
        duration = await _until_card(
            stack,
            page,
            "the clip's duration",
            "const v = root.querySelector('.clip-layer video'); return v && v.duration > 0 ? v.duration : null;",
            30,
        )
    except AssertionError:
        state = await _card_js(
            page,
            "const v = root.querySelector('.clip-layer video'); const e = root.querySelector('.clip-error');"
            " return {src: v?.src, error: v?.error?.message, code: v?.error?.code, network: v?.networkState,"
            " ready: v?.readyState, message: e?.textContent, layer: root.querySelector('.clip-layer')?.innerHTML};",
        )
        await page.screenshot(artifacts / "card-visits-failure.png")
        raise AssertionError(f"the clip did not load: {state}\n{page.console_log()}") from None
    assert abs(duration - CLIP_FRAMES / CLIP_FPS) < 0.5, duration
    assert await _card_js(page, "return !root.querySelector('.picture > img');"), (
        "the live stream stops meanwhile"
    )
    played = await _until_card(
        stack,
        page,
        "the clip playing",
        "const v = root.querySelector('.clip-layer video');"
        " return v && v.currentTime > 1 && v.videoWidth === 640 ? v.currentTime : null;",
        30,
    )
    assert played > 1
    assert await _video(page, "controls") is True
    assert await _card_js(page, "return root.querySelector('.clip-error') === null;")
    await _card_screenshot(page, artifacts / "card-visit-playing.png")

    # Back to live.
    await _press(page, ".clip-layer .back")
    await _until_card(
        stack,
        page,
        "the live picture again",
        "const i = root.querySelector('.picture > img');"
        " return !root.querySelector('.clip-layer') && !!i && i.naturalWidth > 0;",
        30,
    )

    # A visit that starts now appears at once: the Person visit entity fires, the card reads again
    # (it found that entity on the camera's device; without it the card reads once a minute).
    entity = await _card_js(page, "return card._visits.eventEntity ?? null;")
    assert entity and entity.startswith("event.") and entity.endswith("_visit"), entity
    new_start = time.time()
    new_id = _event_id(new_start)
    await _publish(stack, _message(stack, "start", new_id, new_start))
    await _until_card(
        stack,
        page,
        "the new visit first in the strip",
        f"const b = root.querySelector('.visit'); return !!b && b.dataset.id === {json.dumps(new_id)};",
        30,
    )
    # It ends without a clip (recording off): the strip follows.
    await _publish(stack, _message(stack, "end", new_id, new_start, end=time.time(), clip="none"))
    await _until_card(
        stack,
        page,
        "the new visit ended",
        f"const b = root.querySelector('.visit[data-id=\"{new_id}\"] .badge'); return !!b && b.textContent === 'No clip';",
        30,
    )
