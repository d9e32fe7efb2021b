"""The visit index (events.py): `<base>/+/event` read as untrusted, merged by id, bounded, paged,
kept in HA's storage, forgotten with its camera; in HA's harness with its mocked MQTT client."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.components import media_source
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.bobby_camera import events
from custom_components.bobby_camera.const import DOMAIN
from custom_components.bobby_camera.diagnostics import async_get_config_entry_diagnostics
from custom_components.bobby_camera.events import (
    EventIndex,
    OutsideMediaFolder,
    Visit,
    event_index,
    file_kind,
    local_day,
    media_file,
)

from .conftest import CAM, camera_entry, fire, set_up

TOPIC = "bobby/garden/event"
T0 = 1764696612.4


def event_id(n: int) -> str:
    return f"20261202T173012Z-{n:012x}"


def message(n: int = 1, kind: str = "start", **fields: Any) -> dict[str, Any]:
    """An event message as docs/mqtt.md shows it (a start unless told)."""
    base: dict[str, Any] = {
        "id": event_id(n),
        "camera": CAM,
        "type": kind,
        "start": T0 + n,
        "end": None,
        "regions": [],
        "max_persons": 1,
        "score": 0.6,
        "snapshot": True,
        "clip": "recording",
        "duration": None,
        "store": "media",
        "service": "listen_frame/pi4",
        "at": T0 + n,
    }
    return {**base, **fields}


async def setup_media_source(hass: HomeAssistant) -> None:
    """HA's media_source (default_config has it; the manifest lists it in after_dependencies), and
    the wait until it found our platform (it loads media_source.py in the background)."""
    assert await async_setup_component(hass, "media_source", {})
    for _ in range(100):
        await hass.async_block_till_done(wait_background_tasks=True)
        if DOMAIN in hass.data.get("media_source", {}):
            return
        await asyncio.sleep(0.05)


def index_of(hass: HomeAssistant) -> EventIndex:
    index = event_index(hass)
    assert index is not None
    return index


async def test_start_update_end_merge(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """The three messages of a visit become one: regions united, the best score, the clip closed."""
    fire(hass, TOPIC, message(regions=["door"], score=0.6))
    fire(hass, TOPIC, message(kind="update", regions=["gate"], score=0.8, max_persons=2))
    fire(
        hass,
        TOPIC,
        message(kind="end", regions=["door"], score=0.7, end=T0 + 30, clip="ready", duration=34.5),
    )
    # An update that arrives late takes nothing back.
    fire(hass, TOPIC, message(kind="update", clip="recording", score=0.5, max_persons=1))
    await hass.async_block_till_done()
    visit = index_of(hass).get(CAM, event_id(1))
    assert visit is not None
    assert visit.regions == ["door", "gate"]
    assert visit.score == 0.8 and visit.max_persons == 2
    assert visit.clip == "ready" and visit.duration == 34.5 and visit.end == T0 + 30
    assert visit.ended and index_of(hass).count(CAM) == 1


async def test_end_without_start_and_a_failed_clip(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """HA restarted mid-visit: the end alone makes the visit; an end's clip state is final."""
    fire(hass, TOPIC, message(2, kind="end", end=T0 + 10, clip="failed"))
    fire(hass, TOPIC, message(3, kind="start"))
    fire(hass, TOPIC, message(3, kind="end", end=T0 + 20, clip="none"))
    await hass.async_block_till_done()
    index = index_of(hass)
    assert index.get(CAM, event_id(2)).clip == "failed"  # type: ignore[union-attr]
    assert index.get(CAM, event_id(3)).clip == "none"  # type: ignore[union-attr]


BAD = [
    (b"x" * 4097, "event_malformed"),
    (b"{not json", "event_malformed"),
    (b'{"id": NaN}', "event_malformed"),
    (json.dumps(message(id="../../etc/passwd")).encode(), "event_bad_id"),
    (json.dumps(message(id="20261202T173012Z-3FA9C1D27B40")).encode(), "event_bad_id"),
    (json.dumps(message(id=event_id(1) + "\n")).encode(), "event_bad_id"),
    (json.dumps(message(camera="porch")).encode(), "event_camera"),
    (json.dumps(message(regions=[f"r{i}" for i in range(33)])).encode(), "event_invalid"),
    (json.dumps(message(regions=["Door!"])).encode(), "event_invalid"),
    (json.dumps(message(regions="door")).encode(), "event_invalid"),
    (json.dumps(message(type="begin")).encode(), "event_invalid"),
    (json.dumps(message(start="today")).encode(), "event_invalid"),
    (json.dumps(message(start=1e308)).encode(), "event_invalid"),
    (json.dumps(message(end=T0 - 100)).encode(), "event_invalid"),
    (json.dumps(message(max_persons=True)).encode(), "event_invalid"),
    (json.dumps(message(max_persons=-1)).encode(), "event_invalid"),
    (json.dumps(message(score=1.5)).encode(), "event_invalid"),
    (json.dumps(message(snapshot="yes")).encode(), "event_invalid"),
    (json.dumps(message(clip="maybe")).encode(), "event_invalid"),
    (json.dumps(message(duration=-1)).encode(), "event_invalid"),
    (json.dumps(message(store="http://evil.example/x")).encode(), "event_invalid"),
    (json.dumps(message(service=["x"])).encode(), "event_invalid"),
    (b"[1, 2]", "event_malformed"),
]


async def test_untrusted_messages_are_refused_counted_and_logged_once(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """Every malformed message is refused and counted by reason; each reason is logged once a minute."""
    caplog.set_level(logging.WARNING)
    for payload, _reason in BAD:
        fire(hass, TOPIC, payload)
        fire(hass, TOPIC, payload)
    await hass.async_block_till_done()
    index = index_of(hass)
    assert index.count(CAM) == 0
    expected: dict[str, int] = {}
    for _payload, reason in BAD:
        expected[reason] = expected.get(reason, 0) + 2
    assert dict(index.refusals.counts) == expected
    lines = [r for r in caplog.records if "Bobby Camera events" in r.getMessage()]
    assert len(lines) == len(expected), [r.getMessage() for r in lines]
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_entry)
    assert diagnostics["events"]["refused"] == expected
    # None of them took the subscription or the camera down.
    fire(hass, TOPIC, message(9))
    await hass.async_block_till_done()
    assert index.count(CAM) == 1


async def test_other_cameras_and_bases(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, mqtt_mock: Any
) -> None:
    """Only cameras with an entry on that base topic are indexed; one subscription per base."""
    fire(hass, "bobby/porch/event", message(camera="porch"))
    fire(hass, "bobby/bad id/event", message(camera="bad id"))
    fire(hass, TOPIC, "")
    await hass.async_block_till_done()
    index = index_of(hass)
    assert index.count("porch") == 0 and index.total == 0
    assert sum(index.ignored.values()) == 1
    subscribed = [c.args[0] for c in mqtt_mock.async_subscribe.call_args_list if c.args[0].endswith("/event")]
    assert subscribed == ["bobby/+/event"]

    porch = await set_up(hass, camera_entry("porch"))
    fire(hass, "bobby/porch/event", message(camera="porch"))
    await hass.async_block_till_done()
    assert index.count("porch") == 1
    subscribed = [c.args[0] for c in mqtt_mock.async_subscribe.call_args_list if c.args[0].endswith("/event")]
    assert subscribed == ["bobby/+/event"], "a second entry on the same base subscribes again"
    # Unloading both entries releases the subscription: nothing is indexed any more.
    for entry in (porch, loaded_entry):
        assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    fire(hass, "bobby/porch/event", message(5, camera="porch"))
    await hass.async_block_till_done()
    assert index.count("porch") == 1


async def test_bounds_drop_the_oldest(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """Per camera and in all, the oldest visits go; a visit older than all kept is not taken."""
    index = index_of(hass)
    with patch.object(events, "MAX_PER_CAMERA", 5), patch.object(events, "MAX_EVENTS", 8):
        for n in range(10, 17):
            assert index.async_apply(CAM, json.dumps(message(n))) is not None
        assert index.count(CAM) == 5
        assert [v.id for v in index.page(CAM, 10)[0]] == [event_id(n) for n in range(16, 11, -1)]
        assert index.async_apply(CAM, json.dumps(message(3))) is None
        index.cameras.setdefault("porch", events.CameraVisits())
        for n in range(20, 24):
            assert index.async_apply("porch", json.dumps(message(n, camera="porch"))) is not None
        # 9 > 8 in all: the oldest of all (garden's 12) went.
        assert index.total == 8 and index.count(CAM) == 4
        assert index.get(CAM, event_id(12)) is None
        assert index.dropped == 4


async def test_ten_thousand_visits_page_fast(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """A camera with 10,000 visits: a page, an older page and a day are bisections, not scans."""
    index = index_of(hass)
    for n in range(10000):
        index.async_apply(CAM, json.dumps(message(n, start=T0 + 60 * n)))
    assert index.count(CAM) == 10000
    began = time.perf_counter()
    for _ in range(100):
        page, more = index.page(CAM, 20)
        older, _ = index.page(CAM, 20, before=page[-1].start)
    elapsed = (time.perf_counter() - began) / 100
    assert [v.id for v in page][:2] == [event_id(9999), event_id(9998)] and more
    assert older[0].id == event_id(9979)
    assert elapsed < 0.05, f"a page of a 10,000-visit camera took {elapsed * 1000:.1f} ms"
    first, more = index.page(CAM, 20, before=T0 + 60 * 5)
    assert [v.id for v in first] == [event_id(n) for n in range(4, -1, -1)] and not more
    assert sum(index.days(CAM).values()) == 10000

    # The media browser: the camera's days, and a day's first page (about 1,440 visits a day).
    await setup_media_source(hass)
    began = time.perf_counter()
    camera = await media_source.async_browse_media(hass, f"media-source://{DOMAIN}/{CAM}")
    days_ms = (time.perf_counter() - began) * 1000
    day = camera.children[1].identifier
    began = time.perf_counter()
    listing = await media_source.async_browse_media(hass, f"media-source://{DOMAIN}/{day}")
    day_ms = (time.perf_counter() - began) * 1000
    assert len(listing.children) == 51  # a page and the older page
    print(
        f"\n10,000 visits: a page of 20 {elapsed * 1000:.3f} ms, the camera's {len(camera.children)} days"
        f" {days_ms:.1f} ms, a day's first page {day_ms:.1f} ms"
    )
    assert days_ms < 2000 and day_ms < 2000


async def test_stored_and_loaded_again(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """The index is saved (delayed) in HA's storage and read back at the next start."""
    fire(hass, TOPIC, message(1, kind="end", end=T0 + 9, clip="ready", duration=9.0, regions=["door"]))
    await hass.async_block_till_done()
    assert events.STORAGE_KEY not in hass_storage, "saved at once, not delayed"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=events.SAVE_DELAY + 1))
    await hass.async_block_till_done()
    assert len(hass_storage[events.STORAGE_KEY]["data"]["events"]) == 1
    # The next message is saved at the latest when HA stops (its final write).
    fire(hass, TOPIC, message(2))
    await hass.async_block_till_done()
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    stored = hass_storage[events.STORAGE_KEY]["data"]["events"]
    assert [v["id"] for v in stored] == [event_id(1), event_id(2)]
    # Something edited by hand is left out when read back.
    stored.append({**stored[0], "id": "../x"})
    stored.append({**stored[0], "camera": "no/such"})
    stored.append("junk")

    again = EventIndex(hass)
    await again.async_load()
    assert again.count(CAM) == 2
    visit = again.get(CAM, event_id(1))
    assert visit is not None and visit.ended and visit.clip == "ready" and visit.regions == ["door"]
    assert not again.get(CAM, event_id(2)).ended  # type: ignore[union-attr]


async def test_empty_storage(hass: HomeAssistant, hass_storage: dict[str, Any]) -> None:
    """Nothing stored, or not an index: an empty index."""
    hass_storage[events.STORAGE_KEY] = {"version": 1, "key": events.STORAGE_KEY, "data": {"events": "x"}}
    index = EventIndex(hass)
    await index.async_load()
    assert index.total == 0


async def test_removing_the_camera_forgets_its_visits(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, mqtt_mock: Any
) -> None:
    """Removing the camera's entry (the forget of removal.py) drops its visits from the index."""
    fire(hass, TOPIC, message(1))
    fire(hass, TOPIC, message(2))
    await hass.async_block_till_done()
    index = index_of(hass)
    assert index.count(CAM) == 2
    assert index.async_forget_camera("porch") == 0
    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert index.count(CAM) == 0 and index.total == 0


async def test_diagnostics_show_the_camera_visits(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    fire(hass, TOPIC, message(1))
    await hass.async_block_till_done()
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_entry)
    assert diagnostics["events"]["visits"] == 1
    assert diagnostics["events"]["newest"]["id"] == event_id(1)


def test_file_names_and_paths(tmp_path: Any) -> None:
    """File names are a visit id and one of three suffixes; paths stay inside the folder."""
    assert file_kind(f"{event_id(1)}.mp4") == (event_id(1), "clip")
    assert file_kind(f"{event_id(1)}.jpg") == (event_id(1), "snapshot")
    assert file_kind(f"{event_id(1)}-clean.jpg") == (event_id(1), "clean")
    for name in ("x.mp4", f"{event_id(1)}.mp4.part", f"../{event_id(1)}.mp4", f"{event_id(1)}.MP4"):
        assert file_kind(name) is None, name
    root = tmp_path / "bobby_camera"
    (root / CAM).mkdir(parents=True)
    assert media_file(root, CAM, event_id(1), "clip") is None
    (root / CAM / f"{event_id(1)}.mp4").write_bytes(b"x")
    assert media_file(root, CAM, event_id(1), "clip") == (root / CAM / f"{event_id(1)}.mp4").resolve()
    with pytest.raises(OutsideMediaFolder):
        media_file(root, "..", event_id(1), "clip")
    with pytest.raises(OutsideMediaFolder):
        media_file(root, CAM, "../../x", "clip")
    (tmp_path / "secret.jpg").write_bytes(b"x")
    (root / CAM / f"{event_id(1)}.jpg").symlink_to(tmp_path / "secret.jpg")
    with pytest.raises(OutsideMediaFolder):
        media_file(root, CAM, event_id(1), "snapshot")


def test_visit_round_trip() -> None:
    _kind, visit = Visit.parse(message(1, kind="end", clip="ready", duration=3.0), CAM)
    assert Visit.from_stored(visit.as_dict()) == visit
    assert local_day(T0) == dt_util.as_local(dt_util.utc_from_timestamp(T0)).date()
