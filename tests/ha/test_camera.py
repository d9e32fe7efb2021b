"""The live view: MQTT frames of a dumb camera (still and MJPEG), the HTTP of a smart one."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import patch

import pytest
from aiohttp import ClientError
from homeassistant.components.camera import async_get_image
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.bobby_camera.const import CONF_TOKEN

from .conftest import JPEG_1, JPEG_2, announce_payload, fire, real_mqtt_client

CAMERA = "camera.garden_live_view"
FRAME_TOPIC = "bobby/garden/frame"
SNAPSHOT_URL = "http://garden.local:8080/snapshot.jpg"
STREAM_URL = "http://garden.local:8080/stream.mjpg"


def _frame_subscribed(hass: HomeAssistant) -> bool:
    return any(s.topic == FRAME_TOPIC for s in real_mqtt_client(hass).subscriptions)


@pytest.fixture
async def dumb(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> MockConfigEntry:
    """A dumb camera, online."""
    fire(hass, "bobby/garden/announce", announce_payload(), retain=True)
    fire(hass, "bobby/garden/availability", "online", retain=True)
    await hass.async_block_till_done()
    return loaded_entry


async def test_unavailable_until_online(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """The camera follows its availability topic."""
    assert hass.states.get(CAMERA).state == STATE_UNAVAILABLE
    fire(hass, "bobby/garden/availability", "online")
    await hass.async_block_till_done()
    state = hass.states.get(CAMERA)
    assert state.state == "idle"
    assert state.attributes["friendly_name"] == "Garden Live view"
    assert state.attributes["brand"] == "Bobby Camera"
    assert state.attributes["model_name"] == "dumb camera"
    assert state.attributes["entity_picture"].startswith("/api/camera_proxy/camera.garden_live_view")


async def test_dumb_still_subscribes_only_while_needed(hass: HomeAssistant, dumb: MockConfigEntry) -> None:
    """No frame subscription at rest; a still waits for the next frame, then unsubscribes."""
    assert not _frame_subscribed(hass)
    task = hass.async_create_task(async_get_image(hass, CAMERA))
    await asyncio.sleep(0.01)
    assert _frame_subscribed(hass)
    fire(hass, FRAME_TOPIC, JPEG_1)
    image = await task
    assert image.content == JPEG_1
    assert image.content_type == "image/jpeg"
    assert not _frame_subscribed(hass)
    # A recent frame is served as it is, without subscribing again.
    assert (await async_get_image(hass, CAMERA)).content == JPEG_1
    assert not _frame_subscribed(hass)


async def test_dumb_still_without_frames(hass: HomeAssistant, dumb: MockConfigEntry) -> None:
    """A camera that sends nothing: no image (HA answers with an error), nothing left subscribed."""
    with (
        patch("custom_components.bobby_camera.camera.FRAME_WAIT", 0.05),
        pytest.raises(HomeAssistantError),
    ):
        await async_get_image(hass, CAMERA)
    assert not _frame_subscribed(hass)


async def _read_parts(response: Any, count: int) -> list[bytes]:
    """The JPEGs of the first `count` parts of a multipart MJPEG response."""
    buffer = b""
    parts: list[bytes] = []
    while len(parts) < count:
        buffer += await asyncio.wait_for(response.content.readany(), 5)
        while b"\r\n\r\n" in buffer:
            head, rest = buffer.split(b"\r\n\r\n", 1)
            length = int(head.split(b"Content-Length: ")[1])
            if len(rest) < length + 2:
                break
            parts.append(rest[:length])
            buffer = rest[length + 2 :]
    return parts


async def test_dumb_mjpeg_stream(hass: HomeAssistant, dumb: MockConfigEntry, hass_client: Any) -> None:
    """The dashboard's MJPEG: frames as they come, subscribed while someone watches."""
    fire(hass, FRAME_TOPIC, b"")  # not subscribed: ignored anyway
    client = await hass_client()
    response = await client.get(f"/api/camera_proxy_stream/{CAMERA}")
    assert response.status == 200
    assert response.headers["Content-Type"] == "multipart/x-mixed-replace;boundary=frameboundary"
    assert _frame_subscribed(hass)
    assert hass.states.get(CAMERA).state == "streaming"
    fire(hass, FRAME_TOPIC, JPEG_1)
    await asyncio.sleep(0.01)
    fire(hass, FRAME_TOPIC, b"")  # an empty message is no frame
    fire(hass, FRAME_TOPIC, JPEG_2)
    assert await _read_parts(response, 2) == [JPEG_1, JPEG_2]

    # A second viewer gets the latest frame at once (twice: browsers show the one before last).
    second = await client.get(f"/api/camera_proxy_stream/{CAMERA}")
    assert await _read_parts(second, 2) == [JPEG_2, JPEG_2]
    second.close()
    response.close()
    # The viewers are gone: the next frame fails to write, the subscription ends.
    for _ in range(20):
        fire(hass, FRAME_TOPIC, JPEG_1)
        await asyncio.sleep(0.02)
        if not _frame_subscribed(hass):
            break
    assert not _frame_subscribed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(CAMERA).state == "idle"


async def test_dumb_stream_ends_when_camera_goes_silent(
    hass: HomeAssistant, dumb: MockConfigEntry, hass_client: Any
) -> None:
    """No frame for a while: the stream ends and the subscription with it."""
    client = await hass_client()
    with patch("custom_components.bobby_camera.camera.STREAM_IDLE_TIMEOUT", 0.05):
        response = await client.get(f"/api/camera_proxy_stream/{CAMERA}")
        assert await asyncio.wait_for(response.read(), 5) == b""
    assert not _frame_subscribed(hass)


async def test_unload_ends_running_stream(
    hass: HomeAssistant, dumb: MockConfigEntry, hass_client: Any
) -> None:
    """Unloading the entry ends the streams it serves: no task or subscription stays."""
    client = await hass_client()
    response = await client.get(f"/api/camera_proxy_stream/{CAMERA}")
    assert _frame_subscribed(hass)
    assert await hass.config_entries.async_unload(dumb.entry_id)
    assert await asyncio.wait_for(response.read(), 5) == b""
    assert not _frame_subscribed(hass)


@pytest.fixture
async def smart(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> MockConfigEntry:
    """A smart camera serving HTTP (the URLs as announced, without the token)."""
    fire(
        hass,
        "bobby/garden/announce",
        announce_payload(mode="smart", stream_url=STREAM_URL, snapshot_url=SNAPSHOT_URL),
        retain=True,
    )
    fire(hass, "bobby/garden/availability", "online", retain=True)
    await hass.async_block_till_done()
    return loaded_entry


async def test_smart_snapshot(
    hass: HomeAssistant, smart: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    """The still is the agent's snapshot; no token configured, no Authorization header."""
    aioclient_mock.get(SNAPSHOT_URL, content=JPEG_1)
    assert (await async_get_image(hass, CAMERA)).content == JPEG_1
    assert aioclient_mock.mock_calls[0][3] == {}
    assert not _frame_subscribed(hass)
    assert hass.states.get(CAMERA).attributes["model_name"] == "smart camera"


async def test_smart_snapshot_with_token(
    hass: HomeAssistant, smart: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    """With a token configured (reconfigure flow), it goes in a Bearer header."""
    hass.config_entries.async_update_entry(smart, data={**smart.data, CONF_TOKEN: "s3cret"})
    assert await hass.config_entries.async_reload(smart.entry_id)
    # The mocked broker does not replay retained messages to the new subscriptions.
    fire(
        hass,
        "bobby/garden/announce",
        announce_payload(mode="smart", stream_url=STREAM_URL, snapshot_url=SNAPSHOT_URL),
    )
    fire(hass, "bobby/garden/availability", "online")
    await hass.async_block_till_done()
    aioclient_mock.get(SNAPSHOT_URL, content=JPEG_2)
    assert (await async_get_image(hass, CAMERA)).content == JPEG_2
    assert aioclient_mock.mock_calls[0][3] == {"Authorization": "Bearer s3cret"}


@pytest.mark.parametrize(
    "mock",
    [
        {"status": 401},
        {"exc": ClientError("refused")},
        {"exc": TimeoutError()},
    ],
)
async def test_smart_snapshot_errors(
    hass: HomeAssistant,
    smart: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    mock: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """HTTP errors give no image and a log line naming the camera."""
    aioclient_mock.get(SNAPSHOT_URL, **mock)
    with pytest.raises(HomeAssistantError):
        await async_get_image(hass, CAMERA)
    assert "Snapshot of camera garden" in caplog.text


async def test_smart_mjpeg_proxied(
    hass: HomeAssistant,
    smart: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    hass_client: Any,
) -> None:
    """The agent's MJPEG stream is proxied as it is."""
    body = b"--frame\r\nContent-Type: image/jpeg\r\n\r\n" + JPEG_1 + b"\r\n"
    aioclient_mock.get(
        STREAM_URL, content=body, headers={"Content-Type": "multipart/x-mixed-replace;boundary=frame"}
    )
    client = await hass_client()
    response = await client.get(f"/api/camera_proxy_stream/{CAMERA}")
    assert response.status == 200
    assert await response.read() == body
    assert response.headers["Content-Type"] == "multipart/x-mixed-replace;boundary=frame"


async def test_smart_without_stream_url_streams_snapshots(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    hass_client: Any,
) -> None:
    """Only a snapshot URL: the MJPEG stream is made of snapshots."""
    fire(hass, "bobby/garden/announce", announce_payload(mode="smart", snapshot_url=SNAPSHOT_URL))
    fire(hass, "bobby/garden/availability", "online")
    await hass.async_block_till_done()
    aioclient_mock.get(SNAPSHOT_URL, content=JPEG_1)
    client = await hass_client()
    response = await client.get(f"/api/camera_proxy_stream/{CAMERA}")
    assert (await _read_parts(response, 1))[0] == JPEG_1
    response.close()
    await hass.async_block_till_done()


async def test_smart_without_http_is_unavailable(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """A smart camera with its HTTP server off has no live view to offer."""
    fire(hass, "bobby/garden/announce", announce_payload(mode="smart", stream_url="rtsp://x"))
    fire(hass, "bobby/garden/availability", "online")
    await hass.async_block_till_done()
    assert hass.states.get(CAMERA).state == STATE_UNAVAILABLE


async def test_viewer_gone_mid_write(hass: HomeAssistant, dumb: MockConfigEntry) -> None:
    """A viewer that closed the page: the write fails, the stream ends and lets go of MQTT."""
    entity = hass.data["camera"].get_entity(CAMERA)

    class ClosedResponse:
        content_type = ""

        async def prepare(self, request: Any) -> None:
            pass

        async def write(self, data: bytes) -> None:
            raise ConnectionResetError("Cannot write to closing transport")

    fire(hass, "bobby/garden/availability", "online")
    with patch("custom_components.bobby_camera.camera.web.StreamResponse", ClosedResponse):
        task = hass.async_create_task(entity.handle_async_mjpeg_stream(None))
        await asyncio.sleep(0.01)
        fire(hass, FRAME_TOPIC, JPEG_1)
        assert isinstance(await task, ClosedResponse)
    assert not _frame_subscribed(hass)
    assert entity.is_streaming is False


async def test_smart_still_without_snapshot_url(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """A smart camera that serves only a stream has no still to give."""
    fire(hass, "bobby/garden/announce", announce_payload(mode="smart", stream_url=STREAM_URL))
    fire(hass, "bobby/garden/availability", "online")
    await hass.async_block_till_done()
    with pytest.raises(HomeAssistantError):
        await async_get_image(hass, CAMERA)


async def test_closed_feed_gives_no_frame(hass: HomeAssistant, dumb: MockConfigEntry) -> None:
    """After the entity is gone its feed answers at once and subscribes nothing."""
    entity = hass.data["camera"].get_entity(CAMERA)
    feed = entity.feed
    assert await hass.config_entries.async_unload(dumb.entry_id)
    await feed.acquire()
    assert await feed.next_frame(5) is None
    feed.release()
    assert not _frame_subscribed(hass)
