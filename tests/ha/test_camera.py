"""The live view: MQTT frames of a dumb camera (still and MJPEG), the HTTP of a smart one."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import Mock, patch

import pytest
from aiohttp import ClientError, StreamReader
from homeassistant.components.camera import async_get_image
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from custom_components.bobby_camera.camera import PartBound, Refused
from custom_components.bobby_camera.const import CONF_TOKEN
from custom_components.bobby_camera.runtime import url_origin

from .conftest import JPEG_1, JPEG_2, announce_payload, fire, real_mqtt_client

CAMERA = "camera.garden_live_view"
FRAME_TOPIC = "bobby/garden/frame"
SNAPSHOT_URL = "http://garden.local:8080/snapshot.jpg"
STREAM_URL = "http://garden.local:8080/stream.mjpg"
JPEG_HEADERS = {"Content-Type": "image/jpeg"}
MJPEG_HEADERS = {"Content-Type": "multipart/x-mixed-replace;boundary=frame"}


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
    # The viewers are gone: the next frame fails to write, the subscription ends (once the server
    # has seen the connections close: 5 s and more, not 0.4 s, for a busy machine).
    for _ in range(250):
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
    aioclient_mock.get(SNAPSHOT_URL, content=JPEG_1, headers=JPEG_HEADERS)
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
    aioclient_mock.get(SNAPSHOT_URL, content=JPEG_2, headers=JPEG_HEADERS)
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
    aioclient_mock.get(STREAM_URL, content=body, headers=MJPEG_HEADERS)
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
    aioclient_mock.get(SNAPSHOT_URL, content=JPEG_1, headers=JPEG_HEADERS)
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


# ---- issue 10: the announce is untrusted -------------------------------------------------------

ORIGIN_ISSUE = "origin_changed_01JBOBBYGARDEN000000000000"
EVIL_SNAPSHOT = "http://evil.example:80/grab"


async def test_announce_pointing_elsewhere_is_not_followed(
    hass: HomeAssistant,
    smart: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A later announce with another origin: a repair issue naming it; the token goes only to
    the accepted origin, whose URLs stay in use."""
    hass.config_entries.async_update_entry(smart, data={**smart.data, CONF_TOKEN: "s3cret"})
    assert await hass.config_entries.async_reload(smart.entry_id)
    fire(
        hass,
        "bobby/garden/announce",
        announce_payload(mode="smart", stream_url=STREAM_URL, snapshot_url=SNAPSHOT_URL),
    )
    fire(hass, "bobby/garden/availability", "online")
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue("bobby_camera", ORIGIN_ISSUE) is None

    fire(hass, "bobby/garden/announce", announce_payload(mode="smart", snapshot_url=EVIL_SNAPSHOT))
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue("bobby_camera", ORIGIN_ISSUE)
    assert issue.translation_key == "origin_changed"
    assert issue.translation_placeholders["asked"] == "http://evil.example:80"
    assert issue.translation_placeholders["accepted"] == "http://garden.local:8080"
    assert "not followed" in caplog.text

    aioclient_mock.get(EVIL_SNAPSHOT, content=b"\xff\xd8evil", headers=JPEG_HEADERS)
    aioclient_mock.get(SNAPSHOT_URL, content=JPEG_1, headers=JPEG_HEADERS)
    assert (await async_get_image(hass, CAMERA)).content == JPEG_1
    assert [(str(url), headers) for _method, url, _data, headers in aioclient_mock.mock_calls] == [
        (SNAPSHOT_URL, {"Authorization": "Bearer s3cret"})
    ]
    diagnostics = smart.runtime_data.refused
    assert diagnostics["announce_origin"] == 1

    # The camera announces its accepted origin again: the issue clears.
    fire(hass, "bobby/garden/announce", announce_payload(mode="smart", snapshot_url=SNAPSHOT_URL))
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue("bobby_camera", ORIGIN_ISSUE) is None


async def test_camera_added_without_http_server(
    hass: HomeAssistant,
    mqtt_mock: Any,
    config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: Any,
) -> None:
    """No origin accepted when added: a dumb camera's URLs are ignored quietly, a smart one's are
    reported ("none" accepted) and never fetched."""
    config_entry = MockConfigEntry(
        domain=config_entry.domain,
        title=config_entry.title,
        unique_id=config_entry.unique_id,
        entry_id=config_entry.entry_id,
        data={**config_entry.data, "http_origin": ""},
    )
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    fire(hass, "bobby/garden/availability", "online")
    fire(hass, "bobby/garden/announce", announce_payload(snapshot_url=SNAPSHOT_URL))
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue("bobby_camera", ORIGIN_ISSUE) is None
    fire(hass, "bobby/garden/announce", announce_payload(mode="smart", snapshot_url=SNAPSHOT_URL))
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue("bobby_camera", ORIGIN_ISSUE)
    assert issue.translation_placeholders["accepted"] == "none"
    assert hass.states.get(CAMERA).state == STATE_UNAVAILABLE
    with pytest.raises(HomeAssistantError):
        await async_get_image(hass, CAMERA)
    assert aioclient_mock.call_count == 0


@pytest.mark.parametrize(
    ("mock", "reason"),
    [
        ({"content": b"<html>login</html>", "headers": {"Content-Type": "text/html"}}, "snapshot_type"),
        ({"content": JPEG_1, "headers": {}}, "snapshot_type"),
        (
            {"content": JPEG_1, "headers": {**JPEG_HEADERS, "Content-Length": str(9 * 1024 * 1024)}},
            "snapshot_size",
        ),
        ({"content": JPEG_1 * 200, "headers": JPEG_HEADERS}, "snapshot_size"),
    ],
)
async def test_snapshot_bounded_in_type_and_size(
    hass: HomeAssistant,
    smart: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    mock: dict[str, Any],
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Anything but a JPEG up to the bound is refused, logged and counted (diagnostics)."""
    aioclient_mock.get(SNAPSHOT_URL, **mock)
    with (
        patch("custom_components.bobby_camera.camera.MAX_SNAPSHOT_BYTES", 1000),
        pytest.raises(HomeAssistantError),
    ):
        await async_get_image(hass, CAMERA)
    assert smart.runtime_data.refused == {reason: 1}
    assert "snapshot refused" in caplog.text


async def test_stream_of_another_type_is_refused(
    hass: HomeAssistant,
    smart: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    hass_client: Any,
) -> None:
    """A stream that is not multipart/x-mixed-replace (with a boundary) is not passed on."""
    aioclient_mock.get(STREAM_URL, content=b"<script>", headers={"Content-Type": "text/html"})
    client = await hass_client()
    response = await client.get(f"/api/camera_proxy_stream/{CAMERA}")
    assert response.status == 502
    assert smart.runtime_data.refused == {"stream_type": 1}


async def test_stream_http_error(
    hass: HomeAssistant,
    smart: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    hass_client: Any,
) -> None:
    """The camera answers with an error, or not at all: HA answers 502 / 504."""
    aioclient_mock.get(STREAM_URL, status=403, headers=MJPEG_HEADERS)
    client = await hass_client()
    assert (await client.get(f"/api/camera_proxy_stream/{CAMERA}")).status == 502
    aioclient_mock.clear_requests()
    aioclient_mock.get(STREAM_URL, exc=ClientError("refused"))
    assert (await client.get(f"/api/camera_proxy_stream/{CAMERA}")).status == 502
    aioclient_mock.clear_requests()
    aioclient_mock.get(STREAM_URL, exc=TimeoutError())
    assert (await client.get(f"/api/camera_proxy_stream/{CAMERA}")).status == 504


async def test_stream_part_too_large_cuts_the_stream(
    hass: HomeAssistant,
    smart: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    hass_client: Any,
) -> None:
    """Parts within the bound pass; the first part past it ends the stream (and is counted)."""
    good = b"--frame\r\nContent-Type: image/jpeg\r\n\r\n" + JPEG_1 + b"\r\n"
    huge = b"--frame\r\nContent-Type: image/jpeg\r\n\r\n" + b"\xff" * (200 * 1024)
    aioclient_mock.get(STREAM_URL, content=good * 3 + huge + good, headers=MJPEG_HEADERS)
    client = await hass_client()
    with patch("custom_components.bobby_camera.camera.MAX_STREAM_PART_BYTES", 100 * 1024):
        response = await client.get(f"/api/camera_proxy_stream/{CAMERA}")
        body = await response.read()
    assert body.startswith(good * 3)
    # Cut within a chunk of the bound: the rest of the huge part and what follows never come.
    assert len(body) <= len(good) * 3 + 100 * 1024 + 64 * 1024
    assert not body.endswith(good)
    assert smart.runtime_data.refused == {"stream_part_size": 1}


def test_part_bound_finds_a_boundary_split_across_chunks() -> None:
    """The boundary line may arrive in two pieces."""
    bound = PartBound("frame", 14)
    bound.feed(b"0123456789--fr")
    bound.feed(b"ame\r\n01234")
    assert bound.since_marker == 7
    bound.feed(b"56789")
    with pytest.raises(Refused):
        bound.feed(b"abc")


async def test_frames_not_jpeg_or_too_large_are_refused(hass: HomeAssistant, dumb: MockConfigEntry) -> None:
    """MQTT frames are shown as they are: only JPEGs up to the bound."""
    task = hass.async_create_task(async_get_image(hass, CAMERA))
    await asyncio.sleep(0.01)
    fire(hass, FRAME_TOPIC, b"<svg onload=alert(1)>")
    with patch("custom_components.bobby_camera.camera.MAX_FRAME_BYTES", 100):
        fire(hass, FRAME_TOPIC, JPEG_1 + b"\0" * 100)
    fire(hass, FRAME_TOPIC, JPEG_2)
    assert (await task).content == JPEG_2
    assert dumb.runtime_data.refused == {"frame": 2}


class _SilentCamera(AiohttpClientMockResponse):
    """A camera that sends its stream's headers, then nothing (its stream never ends)."""

    def __init__(self) -> None:
        super().__init__("get", URL(STREAM_URL), headers=MJPEG_HEADERS)
        self._stream = StreamReader(Mock(_reading_paused=False), limit=2**16)
        self._stream.feed_data(b"--frame\r\n")

    @property
    def content(self) -> StreamReader:
        return self._stream


async def test_stream_ends_when_camera_goes_quiet(
    hass: HomeAssistant,
    smart: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    hass_client: Any,
) -> None:
    """A camera that stops sending: the proxied stream ends after the idle timeout."""

    async def silent(method: str, url: URL, data: Any) -> _SilentCamera:
        return _SilentCamera()

    aioclient_mock.get(STREAM_URL, side_effect=silent)
    client = await hass_client()
    with patch("custom_components.bobby_camera.camera.STREAM_IDLE_TIMEOUT", 0.05):
        response = await client.get(f"/api/camera_proxy_stream/{CAMERA}")
        assert await asyncio.wait_for(response.read(), 5) == b"--frame\r\n"
    assert smart.runtime_data.refused == {}


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://cam.lan/stream", "http://cam.lan:80"),
        ("HTTPS://Cam.Lan/x", "https://cam.lan:443"),
        ("http://user:pw@10.0.0.2:8080/x?y=1", "http://10.0.0.2:8080"),
        ("http://[fe80::1]:81/x", "http://[fe80::1]:81"),
        ("http://cam.lan:99999/x", None),
        ("http:///x", None),
        ("rtsp://cam.lan/x", None),
        ("http://cam.lan/" + "x" * 3000, None),
        (5, None),
    ],
)
def test_url_origin(url: Any, origin: str | None) -> None:
    """The origin compared with the accepted one: scheme, host and port, always written."""
    assert url_origin(url) == origin
