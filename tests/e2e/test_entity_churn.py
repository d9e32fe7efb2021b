"""Issue 18 in a real Home Assistant: entities that are quiet where nothing meaningful changes, and
the trigger trap closed.

1. Churn: over a window of continuous presence (the stack's camera on opencv_vtest.avi, people in
   every frame), the state changes of each of the camera's entities (HA's websocket), its recorder
   rows (HA's own SQLite database) and its logbook lines (HA's logbook API), with bounds: the
   person count at most 12 changes a minute (it followed every analysed frame: 494 changes in
   5 minutes), diagnostics at their stats interval, the last-person image at its snapshot
   interval, the person sensor steady. The window is BOBBY_CHURN_SECONDS (default 90); the 5-minute
   figures of docs/home-assistant.md come from BOBBY_CHURN_SECONDS=300 (the test prints them).
2. Restarts: listen_frame and then Home Assistant restarted while a person stays; two automations,
   one on our "Person detected" device trigger and one on the core binary-sensor trigger
   "<name> occupied", count their runs. Ours must not run; the core one is counted and printed,
   with the person sensor's states across the restarts from the recorder.

The camera is put on the all-people video for these tests and given back its earlier video after.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import re
import sqlite3
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
import pytest_asyncio

from tests.e2e.harness import Browser
from tests.e2e.stack import Stack
from tests.support.mqtt import Collector

_LOGGER = logging.getLogger(__name__)
WINDOW = float(os.environ.get("BOBBY_CHURN_SECONDS", "90"))
STATS_INTERVAL = 2.0  # tests/e2e/harness.py runs listen_frame with --stats-interval 2
SNAPSHOT_INTERVAL = 30.0  # the default
COUNT_PER_MINUTE = 12  # the bound of issue 18
RAW_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")  # an ISO time as the state holds it


def _iso(t: float) -> str:
    return quote(datetime.fromtimestamp(t, UTC).isoformat())


def _source(stack: Stack) -> Path:
    args = stack.camera.args
    return Path(args[args.index("--source") + 1])


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def presence(stack: Stack):
    """The camera on the stack's all-people video (a person in every frame) while this module runs;
    its earlier video afterwards (other modules may rely on their scene)."""
    earlier = _source(stack)
    people = stack.tmp / "people.avi"
    if earlier != people:
        await stack.replace_camera(people)

    async def on() -> bool:
        return await stack.state("person") == "on"

    await stack.until("binary_sensor person on (continuous presence)", on, 90)
    await asyncio.sleep(10)  # past the camera's restart: availability, the first count
    try:
        yield stack
    finally:
        if _source(stack) != earlier:
            await stack.replace_camera(earlier)


async def _device_entities(stack: Stack) -> dict[str, str]:
    """entity id -> what it is (the unique id's tail, or the integration's own kind)."""
    out = {}
    for e in await stack.client.entities():
        if e["device_id"] == stack.device_id:
            unique = e["unique_id"] or ""
            prefix = f"bobby_{stack.cam}_"
            out[e["entity_id"]] = unique[len(prefix) :] if unique.startswith(prefix) else e["entity_id"]
    return out


def _recorder_rows(stack: Stack, since: float, until: float) -> Counter[str]:
    """Rows in HA's `states` table per entity, last_updated in [since, until)."""
    db = stack.hass.config_dir / "home-assistant_v2.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        rows = conn.execute(
            "SELECT m.entity_id, COUNT(*) FROM states s JOIN states_meta m ON s.metadata_id = m.metadata_id "
            "WHERE s.last_updated_ts >= ? AND s.last_updated_ts < ? GROUP BY m.entity_id",
            (since, until),
        ).fetchall()
    return Counter(dict(rows))


def _recorded_states(stack: Stack, entity_id: str, since: float) -> list[tuple[float, str]]:
    db = stack.hass.config_dir / "home-assistant_v2.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute(
            "SELECT s.last_updated_ts, s.state FROM states s JOIN states_meta m ON s.metadata_id = m.metadata_id "
            "WHERE m.entity_id = ? AND s.last_updated_ts >= ? ORDER BY s.last_updated_ts",
            (entity_id, since),
        ).fetchall()


@pytest.mark.timeout(300 + 2 * WINDOW)
async def test_entities_are_quiet_in_continuous_presence(presence: Stack) -> None:
    stack = presence
    client = stack.client
    entities = await _device_entities(stack)
    changes: Counter[str] = Counter()
    seen: defaultdict[str, list[str]] = defaultdict(list)
    window: dict[str, float] = {}

    def on_event(event: dict) -> None:
        data = event["data"]
        entity_id = data["entity_id"]
        if entity_id not in entities or "t0" not in window or "t1" in window:
            return
        old, new = data.get("old_state"), data.get("new_state")
        if old is None or new is None or old["state"] != new["state"]:
            changes[entity_id] += 1
            seen[entity_id].append(new["state"] if new else "removed")

    # The per-frame count, what the person count sensor followed before (value_json.persons).
    frames = Collector(stack.broker, [f"{stack.topic}/detections", f"{stack.topic}/person_count"])
    try:
        await client.subscribe("subscribe_events", on_event, event_type="state_changed")
        await asyncio.sleep(2)
        window["t0"] = time.time()
        m0 = time.monotonic()
        await asyncio.sleep(WINDOW)
        window["t1"] = time.time()
        m1 = time.monotonic()
    finally:
        frames.close()
    t0, t1 = window["t0"], window["t1"]
    await asyncio.sleep(5)  # the recorder commits every second here (5 s by default)

    rows = _recorder_rows(stack, t0, t1)
    logbook = await client.get(f"/api/logbook/{_iso(t0)}?end_time={_iso(t1)}")
    lines = Counter(e.get("entity_id") for e in logbook if e.get("entity_id") in entities)
    persons = [_persons(m.payload) for m in frames.on(f"{stack.topic}/detections") if m0 <= m.at < m1]
    per_frame = sum(1 for a, b in itertools.pairwise(persons) if a != b)

    scale = 300.0 / WINDOW
    report = [
        f"churn over {WINDOW:.0f} s of continuous presence ({len(persons)} analysed frames); "
        f"per 5 min in brackets",
        f"{'entity':44} {'changes':>14} {'recorder rows':>16} {'logbook lines':>16}",
    ]
    for entity_id in sorted(entities):
        report.append(
            f"{entity_id:44} {changes[entity_id]:5d} ({changes[entity_id] * scale:5.0f})"
            f" {rows[entity_id]:7d} ({rows[entity_id] * scale:5.0f})"
            f" {lines[entity_id]:7d} ({lines[entity_id] * scale:5.0f})"
        )
    report.append(
        f"{'the per-frame count (detections persons)':44} {per_frame:5d} ({per_frame * scale:5.0f})"
        "   what the person count sensor followed before"
    )
    _LOGGER.warning("\n%s", "\n".join(report))
    print("\n".join(report))

    by_kind = {kind: entity_id for entity_id, kind in entities.items()}
    count_id, person_id = by_kind["person_count"], by_kind["person"]
    allowed = COUNT_PER_MINUTE * WINDOW / 60
    assert changes[count_id] <= allowed, (
        f"{count_id} changed {changes[count_id]} times in {WINDOW:.0f} s (at most {allowed:.0f}): "
        f"{seen[count_id]}"
    )
    assert rows[count_id] <= allowed + 1, f"{count_id}: {rows[count_id]} recorder rows"
    assert changes[count_id] < per_frame, "the walk should change the per-frame count more often"
    assert changes[person_id] <= 2, f"{person_id} flapped in continuous presence: {seen[person_id]}"
    for kind in ("analysed_fps", "inference_ms", "dropped_frames"):
        entity_id = by_kind[kind]
        assert changes[entity_id] <= WINDOW / STATS_INTERVAL + 2, (entity_id, changes[entity_id])
    image_id = by_kind["last_person"]
    assert changes[image_id] <= WINDOW / SNAPSHOT_INTERVAL + 1, (image_id, seen[image_id])


def _persons(payload: bytes) -> int:
    return int(json.loads(payload)["persons"])


async def _counter(stack: Stack, entity_id: str) -> int:
    st = await stack.client.state(entity_id)
    assert st is not None, f"{entity_id} is gone"
    return int(float(st["state"]))


@pytest.mark.timeout(600)
async def test_restarts_fire_neither_trigger(presence: Stack) -> None:
    stack = presence
    client = stack.client
    triggers = await client.ws_command("device_automation/trigger/list", device_id=stack.device_id)
    registry = {e["entity_id"]: e["id"] for e in await client.entities()}
    person_entity = stack.entities["person"]
    ours = next(t for t in triggers if t["domain"] == "mqtt" and t["type"] == "Person detected")
    core = next(
        t
        for t in triggers
        if t["domain"] == "binary_sensor"
        and t["type"] == "occupied"
        and t["entity_id"] in (registry[person_entity], person_entity)
    )
    counters, counter_ids = {}, {}
    for name, trigger in (("ours", ours), ("core", core)):
        made = await client.ws_command(
            "counter/create", name=f"Churn {name} runs", initial=0, step=1, restore=True
        )
        counter_ids[name] = made["id"]
        counters[name] = await stack.until(
            "the counter entity", lambda made=made: client.entity_id(made["id"], "counter"), 20
        )
        await client.post(
            f"/api/config/automation/config/e2e_restart_{name}",
            {
                "alias": f"Restart trigger {name}",
                "triggers": [trigger],
                "actions": [{"action": "counter.increment", "target": {"entity_id": counters[name]}}],
                "mode": "queued",
            },
        )

    async def automations_on() -> bool:
        for name in counters:
            st = await client.state(f"automation.restart_trigger_{name}")
            if st is None or st["state"] != "on":
                return False
        return True

    async def person_on() -> bool:
        return await stack.state("person") == "on"

    try:
        await stack.until("the two automations", automations_on, 30)
        await asyncio.sleep(4)
        assert {n: await _counter(stack, c) for n, c in counters.items()} == {"ours": 0, "core": 0}
        t_start = time.time()

        # listen_frame restarted while the person stays
        t_restart = time.monotonic()
        await stack.restart_listen_frame()
        await stack.until(
            "stats from the restarted listen_frame",
            lambda: any(m.at > t_restart for m in stack.mqtt.on(f"{stack.topic}/stats")),
            90,
        )
        await stack.until("person on after the listen_frame restart", person_on, 60)
        await asyncio.sleep(8)
        after_lf = {n: await _counter(stack, c) for n, c in counters.items()}

        # Home Assistant restarted while the person stays
        await stack.restart_hass()
        await stack.until("person on after the HA restart", person_on, 90)
        await stack.until("the two automations after the restart", automations_on, 60)
        await asyncio.sleep(8)
        after_ha = {n: await _counter(stack, c) for n, c in counters.items()}
        await asyncio.sleep(2)
        states = _recorded_states(stack, person_entity, t_start)
        timeline = ", ".join(f"+{ts - t_start:.1f} s {state}" for ts, state in states)
        report = (
            f"restart triggers: after the listen_frame restart {after_lf}, after the HA restart "
            f"{after_ha}; {person_entity} (recorder): {timeline}"
        )
        _LOGGER.warning("%s", report)
        print(report)
        assert after_ha["ours"] == 0, f"our 'Person detected' fired on a restart: {report}"
        # The person sensor stays on across a restart of listen_frame (it expires instead of
        # following listen_frame's availability): the core trigger is quiet there too. An HA
        # restart starts every MQTT entity unavailable: the core trigger fires once (documented).
        assert after_lf["core"] == 0, f"the core 'occupied' trigger fired on a listen_frame restart: {report}"
        assert after_ha["core"] <= 1, report
    finally:
        for name in counters:
            await client.request("DELETE", f"/api/config/automation/config/e2e_restart_{name}")
            await client.ws_command("counter/delete", counter_id=counter_ids[name])


async def test_the_logbook_shows_the_last_person_image_readably(
    presence: Stack, browser: Browser, artifacts: Path
) -> None:
    """HA's logbook lists the last-person image's updates (its state is the time of the picture;
    MQTT discovery has no option to keep an entity out of the logbook): at most one line per
    snapshot interval during a visit, each with the time formatted, not the raw timestamp.
    Screenshot: artifacts/e2e-logbook-last-person.png."""
    stack = presence
    image_id = stack.entities["last_person"]
    st = await stack.client.state(image_id)
    assert st is not None
    name = st["attributes"].get("friendly_name", image_id)
    start = _iso(time.time() - 600)
    page = await browser.page(stack.client)
    await page.navigate(f"{stack.hass.url}/logbook?entity_id={image_id}&start_date={start}")
    text = await page.wait_text(name, "changed to", timeout=90)
    shot = await page.screenshot(artifacts / "e2e-logbook-last-person.png")
    # e.g. "Porch Snapshot changed to December 2, 2026 at 3:08 PM"
    entries = re.findall(rf"{re.escape(name)} changed to ([^\n]{{0,40}}?\d{{4}} at \d{{1,2}}:\d\d)", text)
    _LOGGER.warning("logbook of %s: %d lines, e.g. %s", image_id, len(entries), entries[:3])
    print(f"logbook of {image_id}: {len(entries)} 'changed to' lines, e.g. {entries[:3]}")
    assert shot.stat().st_size > 10_000
    assert entries, f"no readable 'changed to' line: {text[-3000:]}"
    raw = RAW_TIMESTAMP.search(text)
    assert raw is None, f"a raw timestamp in the logbook: {text[max(0, raw.start() - 200) : raw.end() + 50]}"
