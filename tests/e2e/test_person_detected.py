"""Issue 9 in a real Home Assistant: the camera's "person detected" device trigger fires once per
real arrival, and never on an unchanged ROI save, an HA restart or a listen_frame restart; the
detection switch is known from the start; a listen_frame restart raises no repair issue; the
last-person image is not rewritten every few seconds.

The test drives the scene: the camera is restarted on a video built here from the shared media,
empty - people - empty - people (long), so that it sees two separate visits and then keeps a
person in the picture while the disturbances happen (when the old triggers misfired).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest

from tests.e2e.harness import build_video
from tests.e2e.stack import DOMAIN, Stack
from tests.support.mqtt import Collector

_LOGGER = logging.getLogger(__name__)
FPS = 4  # the dumb camera's rate: a segment of n frames lasts n / FPS seconds
CLEAR_AFTER = 3.0  # seconds without a person before off (set through the options flow)
SNAPSHOT_INTERVAL = 30.0  # the contract's default: the last-person image at most this often
TIMELINE = [("empty", 10 * FPS), ("people", 8 * FPS), ("empty", 12 * FPS), ("people", 150 * FPS)]


def _json(payload: bytes) -> dict:
    return json.loads(payload.decode())


def _timeline(stack: Stack, since: float) -> str:
    """The camera's person, arrival and availability messages since `since`, for failures."""
    lines = []
    for m in stack.mqtt.messages:
        if m.at >= since and m.topic.split("/", 2)[-1].startswith(("person", "arrival", "availability")):
            payload = m.payload.decode(errors="replace")[:120]
            lines.append(f"  +{m.at - since:6.1f} s {m.topic} {'(retained) ' if m.retain else ''}{payload}")
    return "MQTT since the scene started:\n" + "\n".join(lines)


async def _counter(stack: Stack, entity_id: str) -> int:
    st = await stack.client.state(entity_id)
    assert st is not None, f"{entity_id} is gone"
    return int(float(st["state"]))


async def _save_options(stack: Stack, **detection: float) -> int:
    """The ROI editor (options flow): change the detection settings given (none: a save with no
    change), Save and send; returns the version HA published."""
    client = stack.client
    flow = await stack.options_flow()
    if detection:
        form = await client.flow_step(flow, {"next_step_id": "detection"}, options=True)
        assert form["type"] == "form" and form["step_id"] == "detection", form
        values = {f["name"]: f["description"]["suggested_value"] for f in form["data_schema"]}
        flow = await client.flow_step(form, {**values, **detection}, options=True)
        assert flow["type"] == "menu", flow
    t_save = time.monotonic()
    result = await client.flow_step(flow, {"next_step_id": "save"}, options=True)
    assert result["type"] == "create_entry", result
    published = stack.mqtt.wait_first(f"{stack.topic}/rois", after=t_save, timeout=30)
    return int(_json(published.payload)["version"])


async def _acknowledged(stack: Stack, version: int, after: float) -> dict:
    def ack() -> dict | None:
        for msg in reversed(stack.mqtt.on(f"{stack.topic}/rois/applied")):
            if msg.at >= after and _json(msg.payload).get("version") == version:
                return _json(msg.payload)
        return None

    answer = await stack.until(f"listen_frame to acknowledge ROI set {version}", ack, 30)
    assert answer["ok"] is True, answer
    return answer


async def _person(stack: Stack, value: str, timeout: float, what: str) -> None:
    async def check() -> bool:
        return await stack.state("person") == value

    await stack.until(f"binary_sensor person {value} ({what})", check, timeout)


async def test_detection_switch_known_from_start(stack: Stack) -> None:
    """detection/state is retained from the moment the camera is served: the switch is on
    without anyone toggling it (it was `unknown`)."""
    topic = f"{stack.topic}/detection/state"
    states = stack.mqtt.on(topic)
    assert states, f"listen_frame serves {stack.cam} but published no {topic}"
    assert _json(states[0].payload)["state"] == "ON"
    stats = stack.mqtt.on(f"{stack.topic}/stats")
    assert not stats or states[0].at <= stats[0].at, "detection/state came only after the first stats"
    fresh = Collector(stack.broker, topic)  # a subscriber arriving later gets it retained
    try:
        msg = fresh.wait_first(topic, timeout=5)
        assert msg.retain and _json(msg.payload)["state"] == "ON"
    finally:
        fresh.close()
    assert await stack.state("detection") == "on"


# A guard against a hang, not a bound on the scene (each step waits with its own deadline): two
# visits, a listen_frame and an HA restart took 190 s (and 56 s of setup) in a make test run
# beside the other suites, against the 360 s this had.
@pytest.mark.timeout(600)
async def test_person_detected_once_per_visit(stack: Stack) -> None:
    client = stack.client
    video = asyncio.create_task(
        asyncio.to_thread(build_video, stack.tmp / "visits.avi", stack.media, TIMELINE)
    )

    # A counter the automation increments: it survives HA restarts (restore).
    counter = await client.ws_command("counter/create", name="Porch visits", initial=0, step=1, restore=True)
    counter_id = await stack.until(
        "the counter entity", lambda: client.entity_id(counter["id"], "counter"), 20
    )

    # Quick visits: people gone for CLEAR_AFTER s count as gone (a changed save: a new version).
    t_save = time.monotonic()
    version = await _save_options(stack, clear_after=CLEAR_AFTER)
    await _acknowledged(stack, version, t_save)

    # The automation a user makes: Device > the camera > "Person detected".
    triggers = await client.ws_command("device_automation/trigger/list", device_id=stack.device_id)
    person_triggers = [
        t for t in triggers if t["domain"] == "mqtt" and "person" in f"{t['type']} {t['subtype']}".lower()
    ]
    assert len(person_triggers) == 1, f"one camera-wide person trigger expected (no regions): {triggers}"
    trigger = person_triggers[0]
    _LOGGER.warning("device trigger: %s", trigger)
    await client.post(
        "/api/config/automation/config/e2e_person_detected",
        {
            "alias": "Porch person detected",
            "triggers": [trigger],
            "actions": [{"action": "counter.increment", "target": {"entity_id": counter_id}}],
            "mode": "queued",  # every run counts, none is dropped as "already running"
        },
    )

    async def automation_on() -> bool:
        st = await client.state("automation.porch_person_detected")
        return st is not None and st["state"] == "on"

    await _person(stack, "on", 40, "people in the picture when the automation is made")
    await stack.until("the automation", automation_on, 30)
    # Created while a person is in the picture (retained ON): that is no arrival.
    await asyncio.sleep(4)
    assert await _counter(stack, counter_id) == 0, "the trigger fired when the automation was created"

    # The scene: empty, a visit, empty, a long visit.
    await video
    t_scene = time.monotonic()
    await stack.replace_camera(stack.tmp / "visits.avi")
    await _person(stack, "off", 40, "the empty scene")
    assert await _counter(stack, counter_id) == 0, "fired while nobody arrived (camera restart, empty scene)"

    await _person(stack, "on", 30, "visit 1")
    await stack.until("the automation to run for visit 1", lambda: _is_count(stack, counter_id, 1), 15)
    await _person(stack, "off", 30, "visit 1 over")
    await _person(stack, "on", 40, "visit 2")
    t_visit2 = time.monotonic()
    await stack.until("the automation to run for visit 2", lambda: _is_count(stack, counter_id, 2), 15)
    await asyncio.sleep(2)
    assert await _counter(stack, counter_id) == 2, (
        f"two visits, but not two runs\n{_timeline(stack, t_scene)}"
    )
    arrivals = [m for m in stack.mqtt.on(f"{stack.topic}/arrival") if m.at >= t_scene]
    assert len(arrivals) == 2, (
        f"two arrival messages expected, got {len(arrivals)}\n{_timeline(stack, t_scene)}"
    )

    # From here a person stays in the picture (the long visit): nothing below is an arrival.

    # 1. The same retained ROI set again (what a re-save by hand or a broker replay does).
    rois_topic = f"{stack.topic}/rois"
    retained = stack.mqtt.last(rois_topic)
    assert retained is not None
    t_replay = time.monotonic()
    stack.mqtt.publish(rois_topic, retained, qos=1, retain=True)
    await _acknowledged(stack, int(_json(retained)["version"]), t_replay)
    await asyncio.sleep(3)
    assert await _counter(stack, counter_id) == 2, (
        f"fired on a republished, unchanged ROI set\n{_timeline(stack, t_scene)}"
    )

    # 2. The ROI editor saved with nothing changed (a new version of the same set).
    t_save = time.monotonic()
    version = await _save_options(stack)
    await _acknowledged(stack, version, t_save)
    await asyncio.sleep(3)
    assert await _counter(stack, counter_id) == 2, (
        f"fired on a ROI save without changes\n{_timeline(stack, t_scene)}"
    )

    # 3. A listen_frame restart: no run, no repair issue, the switch never unknown.
    issues_seen: dict[str, set[str]] = {}
    switch_seen: set[str] = set()
    health_seen: list[tuple[float, str]] = []  # (seconds after the restart, state) on each change
    t_restart = time.monotonic()
    restart = asyncio.create_task(stack.restart_listen_frame())

    def stats_since_restart() -> bool:
        return any(m.at > t_restart for m in stack.mqtt.on(f"{stack.topic}/stats"))

    async def sample() -> None:
        for issue in await client.issues(DOMAIN):
            issues_seen.setdefault(issue["issue_id"], set()).add(issue.get("translation_key") or "")
        switch_seen.add(await stack.state("detection") or "missing")
        health = await stack.state("detection_service") or "missing"
        if not health_seen or health_seen[-1][1] != health:
            health_seen.append((round(time.monotonic() - t_restart, 1), health))

    while not stats_since_restart() and time.monotonic() - t_restart < 60:
        await sample()
        await asyncio.sleep(0.5)
    await restart
    assert stats_since_restart(), f"no stats from the restarted listen_frame\n{stack.logs()}"
    t_back = time.monotonic()
    while time.monotonic() - t_back < 8:  # the false "stats stopped" came ~11 s after a restart
        await sample()
        await asyncio.sleep(0.5)
    _LOGGER.warning(
        "listen_frame back (stats) after %.1f s; issues seen %s; switch states %s; health %s",
        t_back - t_restart,
        issues_seen,
        switch_seen,
        health_seen,
    )
    assert health_seen[-1][1] == "on", (
        f"detection service sensor not on 8 s after the first stats: {health_seen}"
    )
    # The restarted listen_frame's first detections: awaited (its first stats say it is up, not
    # that it has analysed a frame with the person yet on a busy machine).
    await _person(stack, "on", 30, "after the listen_frame restart")
    assert await _counter(stack, counter_id) == 2, (
        f"fired on a listen_frame restart\n{_timeline(stack, t_scene)}"
    )
    assert "unknown" not in switch_seen, f"detection switch went unknown during the restart: {switch_seen}"
    assert not issues_seen, f"a listen_frame restart raised repair issues: {issues_seen}"

    # 4. A Home Assistant restart (the retained person ON is delivered again on subscribe).
    took = await stack.restart_hass()
    _LOGGER.warning("hass restarted in %.1f s", took)
    await _person(stack, "on", 60, "after the HA restart")
    await stack.until("the automation after the restart", automation_on, 30)
    await asyncio.sleep(5)
    assert await _counter(stack, counter_id) == 2, (
        f"fired on a Home Assistant restart\n{_timeline(stack, t_scene)}"
    )
    assert await stack.state("detection") == "on"

    # Over all of it: two arrivals on the wire, none retained; the last-person image written
    # when the visit started and then at most every SNAPSHOT_INTERVAL (a listen_frame restart
    # may start afresh once).
    arrivals = [m for m in stack.mqtt.on(f"{stack.topic}/arrival") if m.at >= t_scene]
    assert len(arrivals) == 2 and not any(m.retain for m in arrivals), _timeline(stack, t_scene)
    elapsed = time.monotonic() - t_visit2
    snapshots = [m for m in stack.mqtt.on(f"{stack.topic}/snapshot") if m.at >= t_visit2 - 1]
    allowed = 2 + int(elapsed // SNAPSHOT_INTERVAL)
    _LOGGER.warning("visit 2: %d snapshots in %.0f s (allowed %d)", len(snapshots), elapsed, allowed)
    assert len(snapshots) <= allowed, f"{len(snapshots)} snapshots in a {elapsed:.0f} s visit"


async def _is_count(stack: Stack, counter_id: str, value: int) -> bool:
    count = await _counter(stack, counter_id)
    assert count <= value, f"the automation ran {count} times where {value} arrivals happened"
    return count == value
