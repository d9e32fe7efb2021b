"""A Home Assistant camera entity published as a Bobby camera (ha_source.py), in HA's harness: HA's
own `generic` camera on a real snapshot server (tests/support/still_server.py) serving stills of
the shared media, HA's mocked MQTT client (what is published is read from it, commands are
fired into it)."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import slugify
from PIL import Image
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bobby_camera import ha_source
from custom_components.bobby_camera.const import (
    CONF_BASE_TOPIC,
    CONF_CAMERA_ID,
    CONF_ORIGIN,
    CONF_SOURCE_ENTITY,
    CONF_SOURCE_FPS,
    DOMAIN,
)
from custom_components.bobby_camera.diagnostics import async_get_config_entry_diagnostics
from custom_components.bobby_camera.ha_source import (
    CommandError,
    clamp_fps,
    entity_camera_id,
    jpeg_size,
    parse_forget,
    parse_switch,
    reencode,
)
from tests.conftest import MEDIA
from tests.support.still_server import StillServer, jpeg_of

from .conftest import fire, published, real_mqtt_client

CAM = "front_door"
BASE = "bobby"
SOURCE = "camera.front_door"
T = f"{BASE}/{CAM}"
# A real picture with a person in it (tests/conftest.py PERSON_STILLS), as a camera's JPEG.
PERSON_PNG = MEDIA / "skimage_astronaut.png"


@pytest.fixture(autouse=True)
def quick_start() -> Any:
    """The retained stream state is waited for a second at start; a tenth here."""
    with patch.object(ha_source, "STREAM_STATE_WAIT", 0.1):
        yield


@pytest.fixture
async def still(socket_enabled: None) -> AsyncGenerator[StillServer]:
    server = await StillServer([jpeg_of(PERSON_PNG, (640, 480))]).start()
    yield server
    await server.stop()


async def add_generic(
    hass: HomeAssistant, url: str, content_type: str = "image/jpeg", title: str = "Front door"
) -> MockConfigEntry:
    """HA's generic camera on the snapshot URL: `camera.front_door` (SOURCE) by default, else
    camera.<title as a slug>."""
    entry = MockConfigEntry(
        domain="generic",
        title=title,
        options={
            "still_image_url": url,
            "content_type": content_type,
            "framerate": 50,
            "verify_ssl": False,
            "limit_refetch_to_url_change": False,
            "authentication": "basic",
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entity = f"camera.{slugify(title)}"
    assert hass.states.get(entity) is not None, hass.states.async_entity_ids("camera")
    return entry


def source_entry(
    fps: float = 4.0, cam: str = CAM, source: str = SOURCE, base: str = BASE, title: str = "Front door"
) -> MockConfigEntry:
    """A Bobby camera publishing the HA camera `source`."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        unique_id=cam,
        data={
            CONF_CAMERA_ID: cam,
            CONF_BASE_TOPIC: base,
            CONF_ORIGIN: "",
            CONF_SOURCE_ENTITY: source,
            CONF_SOURCE_FPS: fps,
        },
    )


async def load(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def frames(mqtt_mock: Any, cam: str = CAM) -> list[bytes]:
    return [p for p, _q, _r in published(mqtt_mock, f"{BASE}/{cam}/frame")]


def last(mqtt_mock: Any, topic: str) -> Any:
    sent = published(mqtt_mock, topic)
    return sent[-1] if sent else None


async def until(what: str, check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Wait (real time) until `check()` is truthy; a generous deadline for a busy machine."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)
    return result


async def test_frames_at_the_rate_then_offline(
    hass: HomeAssistant, mqtt_mock: Any, still: StillServer
) -> None:
    """The camera's stills are published as a dumb camera's frames, never faster than the rate;
    the announce, availability and stream state are those of docs/mqtt.md; unloading publishes
    offline and stops the frames."""
    await add_generic(hass, still.url)
    entry = await load(hass, source_entry(fps=4.0))
    announce = json.loads(published(mqtt_mock, f"{T}/announce")[0][0])
    assert announce["id"] == CAM and announce["mode"] == "dumb" and announce["source"] == SOURCE
    assert announce["fps"] == 4.0 and announce["name"] == "Front door"
    assert published(mqtt_mock, f"{T}/announce")[0][1:] == (1, True)
    assert published(mqtt_mock, f"{T}/forget")[0] == ("", 1, True)  # an old marker cleared
    assert last(mqtt_mock, f"{T}/availability") == ("online", 1, True)

    await until("the first frame", lambda: frames(mqtt_mock))
    t0 = time.monotonic()
    await until("9 frames", lambda: len(frames(mqtt_mock)) >= 9)
    elapsed = time.monotonic() - t0
    # 8 intervals of 0.25 s: never faster than the rate (a busy machine may make them slower; that
    # frames keep coming is what `until` waited for).
    assert elapsed >= 8 * 0.25 * 0.9, elapsed
    # The JPEG as the camera gave it (a JPEG under the frame size limit is not re-encoded).
    assert frames(mqtt_mock)[0] == still.images[0]
    assert published(mqtt_mock, f"{T}/frame")[0][1:] == (0, False)
    assert json.loads(last(mqtt_mock, f"{T}/stream/state")[0])["state"] == "ON"
    # Its resolution, once known, is announced.
    assert json.loads(last(mqtt_mock, f"{T}/announce")[0])["resolution"] == [640, 480]

    # A frame is in the mock's calls once its publish starts, counted once it is done.
    await until("9 frames counted", lambda: entry.runtime_data.source.counters["published"] >= 9)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    source = diagnostics["source"]
    assert source["entity_id"] == SOURCE and source["online"] is True
    assert source["counters"]["published"] >= 9 and source["failures"] == {}
    assert source["max_concurrent_fetches"] == 1 and still.max_active == 1

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert last(mqtt_mock, f"{T}/availability") == ("offline", 1, True)
    count = len(frames(mqtt_mock))
    await asyncio.sleep(0.6)
    assert len(frames(mqtt_mock)) == count


async def test_one_device_for_the_camera(hass: HomeAssistant, mqtt_mock: Any, still: StillServer) -> None:
    """The integration's entities are on the camera's device (`bobby_<cam>`, the identifier the
    services' discovery uses), apart from the source camera's own device; discovery adds none."""
    await add_generic(hass, still.url)
    entry = await load(hass, source_entry())
    fire(
        hass,
        f"homeassistant/binary_sensor/bobby_{CAM}/person/config",
        {
            "name": "Person",
            "unique_id": f"bobby_{CAM}_person",
            "state_topic": f"{T}/person",
            "device": {"identifiers": [f"bobby_{CAM}"], "name": "Front door"},
        },
    )
    await hass.async_block_till_done()
    devices = dr.async_get(hass)
    ours = [d for d in devices.devices.values() if ("mqtt", f"bobby_{CAM}") in d.identifiers]
    assert len(ours) == 1
    entities = er.async_entries_for_device(er.async_get(hass), ours[0].id)
    assert {e.platform for e in entities} == {DOMAIN, "mqtt"}
    source_device = er.async_get(hass).async_get(SOURCE).device_id
    assert source_device != ours[0].id
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_not_a_jpeg_is_reencoded(hass: HomeAssistant, mqtt_mock: Any, socket_enabled: None) -> None:
    """A camera that gives PNG: each frame is re-encoded to a JPEG of the same size."""
    server = await StillServer([PERSON_PNG.read_bytes()], content_type="image/png").start()
    try:
        await add_generic(hass, server.url, content_type="image/png")
        entry = await load(hass, source_entry(fps=5.0))
        frame = (await until("a frame", lambda: frames(mqtt_mock)))[0]
        assert frame[:2] == b"\xff\xd8"
        with Image.open(io.BytesIO(frame)) as img:
            assert img.format == "JPEG" and img.size == (512, 512)
        assert entry.runtime_data.source is not None
        assert entry.runtime_data.source.counters["reencoded"] >= 1
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await server.stop()


async def test_slow_camera_no_overlap_timeouts_backoff_offline(
    hass: HomeAssistant, mqtt_mock: Any, still: StillServer
) -> None:
    """A camera slower than the timeout: one fetch at a time, timeouts counted and backed off,
    offline once it has given nothing for a while, online again with its next picture."""
    await add_generic(hass, still.url)
    still.delay = 1.5
    with (
        patch.object(ha_source, "SOURCE_FETCH_TIMEOUT", 0.5),
        patch.object(ha_source, "OFFLINE_AFTER", 1.5),
    ):
        entry = await load(hass, source_entry(fps=5.0))
        source = entry.runtime_data.source
        assert source is not None
        await until("3 timeouts", lambda: source.failures.counts["timeout"] >= 3)
        await until("offline", lambda: last(mqtt_mock, f"{T}/availability") == ("offline", 1, True))
        assert not frames(mqtt_mock)
        # Backed off: 0.2 s apart at first, then doubling (far fewer than 5 a second).
        assert source.consecutive_failures >= 3 and source._backoff() >= 1.6
        assert source.max_fetching == 1
        still.delay = 0.0
        await until("a frame after the camera recovered", lambda: frames(mqtt_mock), timeout=30)
        await until("online", lambda: last(mqtt_mock, f"{T}/availability") == ("online", 1, True))
        assert source.consecutive_failures == 0
        diagnostics = await async_get_config_entry_diagnostics(hass, entry)
        assert diagnostics["source"]["failures"]["timeout"] >= 3
        assert diagnostics["source"]["last_error"] == "timeout"
        assert await hass.config_entries.async_unload(entry.entry_id)
    # Its server never had two requests waiting for an answer at once.
    assert still.max_active == 1


async def test_stream_switch_and_forget(hass: HomeAssistant, mqtt_mock: Any, still: StillServer) -> None:
    """`stream/set` OFF stops the frames and is answered on `stream/state` with its request id;
    ON starts them again; a live `forget` stops everything and empties the retained topics."""
    await add_generic(hass, still.url)
    entry = await load(hass, source_entry(fps=5.0))
    await until("frames", lambda: len(frames(mqtt_mock)) >= 2)
    fire(hass, f"{T}/stream/set", json.dumps({"state": "OFF", "request_id": "r1"}))
    await hass.async_block_till_done()
    state = json.loads(last(mqtt_mock, f"{T}/stream/state")[0])
    assert state["state"] == "OFF" and state["request_id"] == "r1"
    assert last(mqtt_mock, f"{T}/stream/state")[1:] == (1, True)
    await asyncio.sleep(0.3)  # a fetch under way when the command came is not sent either
    count = len(frames(mqtt_mock))
    await asyncio.sleep(0.8)  # 4 frame intervals
    assert len(frames(mqtt_mock)) == count
    fire(hass, f"{T}/stream/set", "garbage")
    await hass.async_block_till_done()
    assert entry.runtime_data.source is not None
    assert entry.runtime_data.source.failures.counts["bad_command"] == 1
    fire(hass, f"{T}/stream/set", "ON")
    await until("frames again", lambda: len(frames(mqtt_mock)) > count)
    assert json.loads(last(mqtt_mock, f"{T}/stream/state")[0])["state"] == "ON"

    fire(hass, f"{T}/forget", {"by": "home_assistant", "reason": "old marker"}, retain=True)
    await hass.async_block_till_done()
    assert not entry.runtime_data.source.forgotten  # a retained marker predates our start
    fire(hass, f"{T}/forget", {"by": "home_assistant", "reason": "device deleted", "at": 1.0})
    await hass.async_block_till_done()
    assert entry.runtime_data.source.forgotten
    for topic in ("announce", "stream/state", "availability"):
        assert last(mqtt_mock, f"{T}/{topic}") == ("", 1, True), topic
    await asyncio.sleep(0.3)
    count = len(frames(mqtt_mock))
    await asyncio.sleep(0.8)
    assert len(frames(mqtt_mock)) == count
    assert await hass.config_entries.async_unload(entry.entry_id)
    # Forgotten: its availability stays empty (no `offline` written back).
    assert last(mqtt_mock, f"{T}/availability") == ("", 1, True)


async def test_retained_stream_off_is_adopted(
    hass: HomeAssistant, mqtt_mock: Any, still: StillServer
) -> None:
    """Streaming switched off before a restart stays off: no frame is sent."""
    await add_generic(hass, still.url)
    with patch.object(ha_source, "STREAM_STATE_WAIT", 0.5):
        entry = source_entry(fps=5.0)
        entry.add_to_hass(hass)
        setup = hass.async_create_task(hass.config_entries.async_setup(entry.entry_id))
        # The retained state comes as soon as the source has subscribed: the wait starts after
        # that, while the entry only becomes LOADED once its platforms are set up (on a busy
        # machine that can take longer than the wait, and frames would have started).
        await until(
            "the subscription",
            lambda: any(s.topic == f"{T}/stream/state" for s in real_mqtt_client(hass).subscriptions),
        )
        fire(hass, f"{T}/stream/state", {"state": "OFF", "request_id": None, "at": 1.0}, retain=True)
        await setup
        await asyncio.sleep(1.5)
    assert not frames(mqtt_mock)
    assert json.loads(last(mqtt_mock, f"{T}/stream/state")[0])["state"] == "OFF"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_unavailable_removed_and_renamed_source(
    hass: HomeAssistant, mqtt_mock: Any, still: StillServer
) -> None:
    """The source unavailable: counted; renamed: followed; removed: a repair issue."""
    generic = await add_generic(hass, still.url)
    entry = await load(hass, source_entry(fps=5.0))
    source = entry.runtime_data.source
    assert source is not None
    await until("a frame", lambda: frames(mqtt_mock))

    registry = er.async_get(hass)
    registry.async_update_entity(SOURCE, new_entity_id="camera.porch_door")
    await hass.async_block_till_done()
    assert source.entity_id == "camera.porch_door"
    assert entry.data[CONF_SOURCE_ENTITY] == "camera.porch_door"
    count = len(frames(mqtt_mock))
    await until("frames from the renamed camera", lambda: len(frames(mqtt_mock)) > count)

    assert await hass.config_entries.async_unload(generic.entry_id)
    await hass.async_block_till_done()
    await until("unavailable counted", lambda: source.failures.counts["unavailable"] >= 1)

    registry.async_remove("camera.porch_door")
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"source_missing_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders["entity_id"] == "camera.porch_door"
    await until("missing counted", lambda: source.failures.counts["missing"] >= 1)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_errors_pictures_publish_failures_and_reconnection(
    hass: HomeAssistant, mqtt_mock: Any, still: StillServer
) -> None:
    """An error answer, a picture that is none, a failed publish: each counted under its reason
    and retried; a reconnection of HA's MQTT client republishes what is retained; a malformed
    forget is refused."""
    from homeassistant.components.mqtt.const import MQTT_CONNECTION_STATE
    from homeassistant.exceptions import HomeAssistantError
    from homeassistant.helpers.dispatcher import async_dispatcher_send

    await add_generic(hass, still.url)
    still.status = 500
    entry = await load(hass, source_entry(fps=5.0))
    source = entry.runtime_data.source
    assert source is not None
    await until("an error counted", lambda: source.failures.counts["error"] >= 1)
    still.status = 200
    still.images = [b"this is not a picture"]
    await until("not_an_image counted", lambda: source.failures.counts["not_an_image"] >= 1, timeout=30)
    still.images = [jpeg_of(PERSON_PNG, (320, 240))]
    await until("a frame", lambda: frames(mqtt_mock), timeout=30)

    with patch.object(ha_source.mqtt, "async_publish", side_effect=HomeAssistantError("broker gone")):
        await until("a failed publish", lambda: source.failures.counts["publish"] >= 1)
    announces = len(published(mqtt_mock, f"{T}/announce"))
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, True)
    await hass.async_block_till_done()
    assert len(published(mqtt_mock, f"{T}/announce")) == announces + 1
    assert last(mqtt_mock, f"{T}/availability") == ("online", 1, True)

    fire(hass, f"{T}/forget", "not json")
    await hass.async_block_till_done()
    assert source.failures.counts["bad_forget"] == 1 and not source.forgotten
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_missing_source_raises_the_issue(hass: HomeAssistant, mqtt_mock: Any) -> None:
    """A source entity that never appears: counted, and a repair issue once it has been missing
    for a while; the camera is offline meanwhile."""
    with (
        patch.object(ha_source, "MISSING_ISSUE_DELAY", 0.0),
        patch.object(ha_source, "OFFLINE_AFTER", 0.0),
    ):
        entry = await load(hass, source_entry(source="camera.gone"))
        source = entry.runtime_data.source
        assert source is not None
        issues = ir.async_get(hass)
        await until("the issue", lambda: issues.async_get_issue(DOMAIN, f"source_missing_{entry.entry_id}"))
        assert source.failures.counts["missing"] >= 1
        await until("offline", lambda: last(mqtt_mock, f"{T}/availability") == ("offline", 1, True))
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_ha_stop_publishes_offline(hass: HomeAssistant, mqtt_mock: Any, still: StillServer) -> None:
    """Home Assistant stopping (entries are not unloaded then): the camera says offline."""
    await add_generic(hass, still.url)
    entry = await load(hass, source_entry())
    await until("a frame", lambda: frames(mqtt_mock))
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert last(mqtt_mock, f"{T}/availability") == ("offline", 1, True)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_cap_on_cameras(hass: HomeAssistant, mqtt_mock: Any, still: StillServer) -> None:
    """Past the cap, the flow refuses another camera and an entry made otherwise does not load."""
    await add_generic(hass, still.url)
    with (
        patch("custom_components.bobby_camera.MAX_SOURCE_CAMERAS", 1),
        patch("custom_components.bobby_camera.config_flow.MAX_SOURCE_CAMERAS", 1),
    ):
        first = await load(hass, source_entry())
        second = await load(hass, source_entry(cam="back", source=SOURCE))
        assert first.state is ConfigEntryState.LOADED
        assert second.state is ConfigEntryState.SETUP_ERROR
        assert "At most 1" in str(second.reason)
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "ha_camera"}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "too_many_sources"
        assert result["description_placeholders"] == {"max": "1"}
    assert await hass.config_entries.async_unload(first.entry_id)


async def test_config_flow_adds_a_ha_camera(hass: HomeAssistant, mqtt_mock: Any, still: StillServer) -> None:
    """The menu's second entry: pick a camera entity, a rate; the id comes from the entity."""
    await add_generic(hass, still.url)
    existing = await load(hass, source_entry(cam="taken"))
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "ha_camera"})
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "ha_camera"
    selector = result["data_schema"].schema[CONF_SOURCE_ENTITY]
    assert selector.config["domain"] == ["camera"]
    flow_id = result["flow_id"]

    async def submit(**data: Any) -> Any:
        return await hass.config_entries.flow.async_configure(
            flow_id, {CONF_SOURCE_ENTITY: SOURCE, CONF_SOURCE_FPS: 2.0, CONF_BASE_TOPIC: BASE, **data}
        )

    assert (await submit(source_entity="camera.nope"))["errors"] == {CONF_SOURCE_ENTITY: "source_not_found"}
    bobby_live = er.async_get(hass).async_get_entity_id("camera", DOMAIN, "bobby_taken_live")
    assert bobby_live is not None
    assert (await submit(source_entity=bobby_live))["errors"] == {CONF_SOURCE_ENTITY: "source_is_bobby"}
    assert (await submit(camera_id="bad id"))["errors"] == {CONF_CAMERA_ID: "invalid_camera_id"}
    assert (await submit(camera_id="taken"))["errors"] == {CONF_CAMERA_ID: "camera_id_taken"}
    assert (await submit(base_topic="a/+"))["errors"] == {CONF_BASE_TOPIC: "invalid_base_topic"}
    result = await submit()
    assert result["step_id"] == "confirm_ha_camera"
    assert result["description_placeholders"] == {
        "name": "Front door",
        "camera_id": CAM,
        "base_topic": BASE,
        "entity_id": SOURCE,
        "fps": "2",
    }
    with patch("custom_components.bobby_camera.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Front door"
    assert result["data"] == {
        CONF_CAMERA_ID: CAM,
        CONF_BASE_TOPIC: BASE,
        CONF_ORIGIN: "",
        CONF_SOURCE_ENTITY: SOURCE,
        CONF_SOURCE_FPS: 2.0,
    }
    assert result["result"].unique_id == CAM
    assert await hass.config_entries.async_unload(existing.entry_id)


async def test_options_flow_changes_the_rate(hass: HomeAssistant, mqtt_mock: Any, still: StillServer) -> None:
    """The ROI editor's menu has the rate for such a camera: stored, used, announced."""
    await add_generic(hass, still.url)
    entry = await load(hass, source_entry(fps=1.0))
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert "source_rate" in result["menu_options"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "source_rate"}
    )
    assert result["step_id"] == "source_rate"
    result = await hass.config_entries.options.async_configure(result["flow_id"], {CONF_SOURCE_FPS: 2.5})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.data[CONF_SOURCE_FPS] == 2.5
    assert entry.runtime_data.source is not None and entry.runtime_data.source.fps == 2.5
    assert json.loads(last(mqtt_mock, f"{T}/announce")[0])["fps"] == 2.5
    assert await hass.config_entries.async_unload(entry.entry_id)


# ---- the pure parts ---------------------------------------------------------------------------


def test_commands_agree_with_the_edge_agent() -> None:
    """The stream switch's and forget's readers are twins of edge_agent's (docs/mqtt.md)."""
    from edge_agent.mqtt import messages

    for payload in [b"ON", b"off", b'{"state": "OFF", "request_id": "r"}', b'{"state": "on"}']:
        assert parse_switch(payload) == messages.parse_switch(payload)
    for bad in [
        b"",
        b"maybe",
        b"[1]",
        b"\xff\xfe",
        b'{"state": "ON"',
        b'{"state": "x"}',
        b'{"state": "ON", "request_id": 3}',
        b"x" * 2000,
    ]:
        with pytest.raises(CommandError):
            parse_switch(bad)
        with pytest.raises(messages.CommandError):
            messages.parse_switch(bad)
    assert ha_source.MAX_COMMAND_BYTES == messages.MAX_COMMAND_BYTES
    assert ha_source.MAX_FORGET_BYTES == messages.MAX_FORGET_BYTES
    assert ha_source.FORGET_TEXT_MAX == messages.FORGET_TEXT_MAX
    good = b'{"by": "home_assistant", "reason": "gone", "at": 5}'
    assert parse_forget(good) == messages.Forget.parse(good).by == "home_assistant"
    for bad in [
        b"[]",
        b"nope",
        b'{"by": 3}',
        b'{"at": -1}',
        b'{"reason": "' + b"x" * 70 + b'"}',
        b" " * 2000,
    ]:
        with pytest.raises(CommandError):
            parse_forget(bad)
        with pytest.raises(messages.CommandError):
            messages.Forget.parse(bad)


def test_frame_limit_is_listen_frames() -> None:
    """Frames larger than listen_frame takes by default are re-encoded before they are sent."""
    from edge_agent.listen_frame.state import ListenFrameConfig

    assert ListenFrameConfig.__dataclass_fields__["max_payload"].default == ha_source.MAX_SOURCE_FRAME_BYTES


def test_jpeg_size_and_reencode(tmp_path: Path) -> None:
    jpeg = jpeg_of(PERSON_PNG, (320, 200))
    assert jpeg_size(jpeg) == (320, 200)
    assert jpeg_size(b"\xff\xd8\xff\xda" + b"\x00" * 20) is None
    assert jpeg_size(b"\xff\xd8garbage-garbage") is None
    # Fill bytes and markers without a length before the frame header are stepped over.
    assert jpeg_size(b"\xff\xd8\xff\xff\x01" + jpeg[2:]) == (320, 200)
    assert jpeg_size(b"\xff\xd8\xff\xc0\x00\x11\x08\x00\x00\x00\x00" + b"\x00" * 12) is None
    # Too large for a frame: smaller (its longest side at most 1920) and within the limit.
    big = Image.new("RGB", (2400, 1800))
    raw = io.BytesIO()
    big.save(raw, "JPEG")
    out = reencode(raw.getvalue(), limit=200_000)
    assert jpeg_size(out) == (1920, 1440) and len(out) <= 200_000
    with pytest.raises(ValueError, match="not a picture"):
        reencode(b"not a picture at all")
    with pytest.raises(ValueError, match="even re-encoded"):
        reencode(jpeg, limit=100)
    with patch.object(ha_source, "MAX_SOURCE_PIXELS", 100):
        with pytest.raises(ValueError, match="pixels"):
            reencode(jpeg)
    with patch.object(ha_source, "MAX_SOURCE_IMAGE_BYTES", 10):
        with pytest.raises(ValueError, match="bytes"):
            reencode(jpeg)


def test_ids_and_rates() -> None:
    assert entity_camera_id("camera.front_door") == "front_door"
    assert entity_camera_id("camera." + "x" * 80) == "x" * 64
    assert clamp_fps(100) == 5.0 and clamp_fps(0) == 0.1 and clamp_fps("x") == 0.1
    assert clamp_fps(float("nan")) == 0.1 and clamp_fps(2) == 2.0
