// The recent visits' controller against a fake Home Assistant whose bobby_camera/events answers as
// the integration's index does (newest first, `before` exclusive, `more`); tests/e2e drives the real one.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { HomeAssistant, MessageBase } from "../src/ha";
import type { Visit } from "../src/types";
import {
  localPath,
  MAX_VISITS,
  mergePage,
  MIN_POLL_MS,
  PAGE_SIZE,
  parsePage,
  parseVisit,
  VisitsData,
  visitEntity,
} from "../src/visits";
import { ENTITY, FakeHass, FakeHost, settle } from "./fakes";

const EVENT_ENTITY = "event.porch_visit"; // unique id bobby_porch_visit, as MQTT discovery names it
const T0 = 1_764_696_000; // a start, in seconds

const visit = (n: number, over: Partial<Visit> = {}): Visit => ({
  id: `20261202T1730${String(n).padStart(2, "0")}Z-${n.toString(16).padStart(12, "0")}`,
  camera: "porch",
  start: T0 + n * 60,
  end: T0 + n * 60 + 30,
  regions: ["door"],
  max_persons: 1,
  score: 0.8,
  clip: "ready",
  duration: 34.5,
  snapshot_url: `/api/bobby_camera/events/porch/${n}.jpg?authSig=a`,
  clip_url: `/api/bobby_camera/events/porch/${n}.mp4?authSig=a`,
  ...over,
});

/** The integration's index as bobby_camera/events reads it. */
class Index {
  visits: Visit[] = [];
  signature = "a";
  fail?: { code: string; message: string };
  answer(message: MessageBase): unknown {
    if (this.fail) throw this.fail;
    const limit = Math.min(Math.max(Number(message.limit ?? 20), 1), 50);
    const before = message.before as number | undefined;
    const older = this.visits
      .filter((v) => v.camera === message.camera && (before === undefined || v.start < before))
      .sort((a, b) => b.start - a.start);
    const page = older.slice(0, limit).map((v) => ({
      ...v,
      snapshot_url: v.snapshot_url?.replace(/authSig=\w+/, `authSig=${this.signature}`) ?? null,
      clip_url: v.clip_url?.replace(/authSig=\w+/, `authSig=${this.signature}`) ?? null,
    }));
    return { events: page, more: older.length > limit };
  }
}

function setup(count = 0, options: { entity?: boolean } = {}) {
  const hass = new FakeHass();
  const index = new Index();
  index.visits = Array.from({ length: count }, (_, i) => visit(i));
  hass.handlers["bobby_camera/events"] = (m) => index.answer(m);
  const h = hass as unknown as HomeAssistant & { entities: HomeAssistant["entities"]; states: HomeAssistant["states"] };
  h.entities = {
    [ENTITY]: { entity_id: ENTITY, platform: "bobby_camera", device_id: "dev1" },
    "binary_sensor.porch_person": { entity_id: "binary_sensor.porch_person", platform: "mqtt", device_id: "dev1" },
    "event.garden_person_visit": { entity_id: "event.garden_person_visit", platform: "mqtt", device_id: "dev2" },
    ...(options.entity === false ? {} : { [EVENT_ENTITY]: { entity_id: EVENT_ENTITY, platform: "mqtt", device_id: "dev1" } }),
  };
  h.states = { [EVENT_ENTITY]: { entity_id: EVENT_ENTITY, state: "2026-12-02T17:30:00+00:00", attributes: {} } };
  const host = new FakeHost();
  host.hass = h;
  let now = 5_000_000;
  const data = new VisitsData(host, { now: () => now });
  return {
    hass,
    h,
    index,
    host,
    data,
    advance: (ms: number) => (now += ms),
    /** The Person visit entity fires (a visit started or ended): HA passes a new hass in. */
    fire(state: string) {
      h.states = { ...h.states, [EVENT_ENTITY]: { entity_id: EVENT_ENTITY, state, attributes: {} } };
      data.hassChanged();
    },
  };
}

async function started(count: number, options: { entity?: boolean } = {}) {
  const s = setup(count, options);
  s.data.setCamera("porch", ENTITY);
  await settle();
  return s;
}

const ids = (visits: readonly Visit[]): number[] => visits.map((v) => (v.start - T0) / 60);

describe("recent visits: reading", () => {
  test("the first page once the camera is known, newest first; more reads older pages to the end", async () => {
    const { hass, data } = await started(30);
    assert.deepEqual(hass.calls, [{ type: "bobby_camera/events", camera: "porch", limit: PAGE_SIZE }]);
    assert.equal(data.loaded, true);
    assert.deepEqual(ids(data.visits), Array.from({ length: PAGE_SIZE }, (_, i) => 29 - i));
    assert.equal(data.more, true);
    await data.loadMore();
    assert.deepEqual(hass.calls[1], { type: "bobby_camera/events", camera: "porch", limit: PAGE_SIZE, before: T0 + 18 * 60 });
    await data.loadMore();
    assert.deepEqual(ids(data.visits), Array.from({ length: 30 }, (_, i) => 29 - i));
    assert.equal(data.more, false);
    await data.loadMore(); // nothing more to read
    assert.equal(hass.count("bobby_camera/events"), 3);
  });

  test("nothing is read before the camera is known, without Home Assistant, or with the strip hidden", async () => {
    const s = setup(3);
    s.data.hassChanged();
    await settle();
    assert.equal(s.hass.calls.length, 0);
    s.data.setEnabled(false);
    s.data.setCamera("porch", ENTITY);
    await settle();
    assert.equal(s.hass.calls.length, 0);
    s.host.hass = undefined;
    s.data.setEnabled(true);
    await settle();
    assert.equal(s.hass.calls.length, 0);
    s.host.hass = s.h;
    s.data.hassChanged();
    await settle();
    assert.equal(s.hass.count("bobby_camera/events"), 1);
    assert.equal(s.data.visits.length, 3);
  });

  test("the Person visit entity firing reads the newest page again; the older visits read stay", async () => {
    const s = await started(30);
    await s.data.loadMore();
    assert.equal(s.data.visits.length, 24);
    assert.equal(s.data.eventEntity, EVENT_ENTITY);
    // Other state changes (HA passes hass in on every one) read nothing.
    s.data.hassChanged();
    s.data.hassChanged();
    await settle();
    assert.equal(s.hass.count("bobby_camera/events"), 2);
    // A visit starts: recording, no clip yet.
    s.index.visits.push(visit(30, { end: null, clip: "recording", duration: null, clip_url: null }));
    s.fire("2026-12-02T18:00:00+00:00");
    await settle();
    assert.equal(s.hass.count("bobby_camera/events"), 3);
    assert.deepEqual(ids(s.data.visits).slice(0, 3), [30, 29, 28]);
    assert.equal(s.data.visits.length, 25);
    assert.equal(s.data.visits[0].clip, "recording");
    assert.equal(s.data.more, true);
    // It ends, its clip closed.
    s.index.visits[30] = visit(30);
    s.fire("2026-12-02T18:01:00+00:00");
    await settle();
    assert.equal(s.data.visits[0].clip, "ready");
    assert.equal(s.data.visits.length, 25);
  });

  test("reads asked for while one runs are folded into one more read", async () => {
    const s = await started(3);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    s.hass.handlers["bobby_camera/events"] = async (m) => {
      await gate;
      return s.index.answer(m);
    };
    s.fire("a");
    s.fire("b");
    s.fire("c");
    await settle();
    assert.equal(s.hass.count("bobby_camera/events"), 2);
    release();
    await settle();
    assert.equal(s.hass.count("bobby_camera/events"), 3);
  });

  test("no polling more often than once a minute, and only when no entity tells or a clip is recording", async () => {
    const s = await started(3);
    const reads = () => s.hass.count("bobby_camera/events");
    s.advance(MIN_POLL_MS * 5);
    s.data.tick();
    await settle();
    assert.equal(reads(), 1, "the entity tells when something changes: no polling");
    // A clip still recording: read once a minute until it is ready.
    s.index.visits.push(visit(3, { clip: "recording", clip_url: null, duration: null }));
    s.fire("x");
    await settle();
    assert.equal(reads(), 2);
    s.advance(MIN_POLL_MS - 1);
    s.data.tick();
    await settle();
    assert.equal(reads(), 2);
    s.advance(1);
    s.data.tick();
    await settle();
    assert.equal(reads(), 3);

    const lone = await started(2, { entity: false });
    assert.equal(lone.data.eventEntity, undefined);
    lone.data.tick();
    await settle();
    assert.equal(lone.hass.count("bobby_camera/events"), 1);
    lone.advance(MIN_POLL_MS);
    lone.data.tick();
    await settle();
    assert.equal(lone.hass.count("bobby_camera/events"), 2, "without the entity: once a minute");
  });

  test("errors are shown, not thrown, and the next read clears them", async () => {
    const s = setup(2);
    s.index.fail = { code: "unknown_command", message: "Unknown command." };
    s.data.setCamera("porch", ENTITY);
    await settle();
    assert.equal(s.data.error, "Error: Unknown command.");
    assert.equal(s.data.loaded, false);
    // Not retried on every state change...
    s.data.hassChanged();
    await settle();
    assert.equal(s.hass.count("bobby_camera/events"), 1);
    // ...but a minute later.
    s.index.fail = undefined;
    s.advance(MIN_POLL_MS);
    s.data.tick();
    await settle();
    assert.equal(s.data.error, undefined);
    assert.equal(s.data.visits.length, 2);
    // A failed "more" keeps what was shown.
    s.index.visits = Array.from({ length: 20 }, (_, i) => visit(i));
    s.fire("y");
    await settle();
    s.index.fail = { code: "timeout", message: "Timed out" };
    await s.data.loadMore();
    assert.equal(s.data.error, "Error: Timed out");
    assert.equal(s.data.visits.length, PAGE_SIZE);
    assert.equal(s.data.loadingMore, false);
  });

  test("visits that are not valid are left out, counted, and logged at most once a minute", async () => {
    const s = setup(2);
    const bad = { ...visit(9), start: "soon" };
    s.hass.handlers["bobby_camera/events"] = (m) => {
      const page = s.index.answer(m) as { events: unknown[]; more: boolean };
      return { ...page, events: [...page.events, bad] };
    };
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
    try {
      s.data.setCamera("porch", ENTITY);
      await settle();
      s.fire("again");
      await settle();
      assert.equal(s.data.visits.length, 2);
      assert.equal(s.data.refused, 2);
      assert.equal(warnings.length, 1, String(warnings));
      assert.match(String(warnings[0]), /left out 1 visit/);
      s.advance(MIN_POLL_MS);
      s.fire("later");
      await settle();
      assert.equal(warnings.length, 2);
    } finally {
      console.warn = warn;
    }
  });

  test("another camera starts afresh, and a late answer for the first one is dropped", async () => {
    const s = setup(3);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    s.hass.handlers["bobby_camera/events"] = async (m) => {
      if (m.camera === "porch") await gate;
      return s.index.answer(m);
    };
    s.index.visits.push(visit(9, { camera: "garden" }));
    s.data.setCamera("porch", ENTITY);
    await settle();
    s.data.setCamera("garden", ENTITY);
    await settle();
    release();
    await settle();
    assert.deepEqual(ids(s.data.visits), [9]);
  });
});

describe("recent visits: playing a clip", () => {
  test("a tap reads the clip's address again (a signed one expires) and plays it; back to live", async () => {
    const s = await started(5);
    s.index.signature = "fresh";
    const target = s.data.visits[2];
    const playing = s.data.play(target.id);
    assert.equal(s.data.playing?.visit.id, target.id);
    assert.equal(s.data.playing?.url, undefined, "no address until it is read again");
    await playing;
    assert.deepEqual(s.hass.calls.at(-1), { type: "bobby_camera/events", camera: "porch", limit: 1, before: target.start + 0.001 });
    assert.equal(s.data.playing?.url, target.clip_url!.replace("authSig=a", "authSig=fresh"));
    s.data.playFailed("MEDIA_ERR_SRC_NOT_SUPPORTED");
    assert.equal(s.data.playing?.error, "The clip could not be played: MEDIA_ERR_SRC_NOT_SUPPORTED");
    s.data.stop();
    assert.equal(s.data.playing, undefined);
  });

  test("the address in hand when the read fails; a clip still recording or absent does not play", async () => {
    const s = await started(0);
    s.index.visits = [visit(1), visit(2, { clip: "recording", clip_url: null, duration: null }), visit(3, { clip: "failed", clip_url: null })];
    s.fire("z");
    await settle();
    s.index.fail = { code: "timeout", message: "Timed out" };
    await s.data.play(s.data.visits[2].id);
    assert.equal(s.data.playing?.url, visit(1).clip_url);
    s.data.stop();
    for (const v of s.data.visits.slice(0, 2)) {
      await s.data.play(v.id);
      assert.equal(s.data.playing, undefined, v.clip);
    }
  });
});

describe("recent visits: the answer, checked", () => {
  test("only paths on Home Assistant itself are used as addresses", () => {
    assert.equal(localPath("/api/bobby_camera/x.mp4?authSig=1"), "/api/bobby_camera/x.mp4?authSig=1");
    for (const bad of ["//evil.example/x.mp4", "https://evil.example/x.mp4", "javascript:alert(1)", "/a\\b", "", 7, null]) {
      assert.equal(localPath(bad), null, String(bad));
    }
  });

  test("a visit is checked field by field; a bad one is left out of its page", () => {
    const page = parsePage({
      events: [
        visit(1, { clip_url: "https://evil.example/1.mp4", snapshot_url: "//evil/1.jpg" }),
        { ...visit(2), clip: "exploded", regions: ["door", 5, "path"], score: "high", max_persons: -3 },
        { ...visit(3), start: "yesterday" },
        { id: 4 },
        null,
        visit(5, { clip: "recording", clip_url: "/ignored.mp4" }),
      ],
      more: "yes",
    });
    assert.equal(page.more, false);
    assert.equal(page.refused, 3);
    assert.deepEqual(
      page.events.map((v) => [v.id.slice(-1), v.clip, v.clip_url, v.snapshot_url]),
      [
        ["1", "recording", null, null], // ready without a usable address: not playable
        ["2", "none", null, visit(2).snapshot_url],
        ["5", "recording", null, visit(5).snapshot_url],
      ],
    );
    assert.deepEqual(page.events[1].regions, ["door", "path"]);
    assert.equal(page.events[1].score, null);
    assert.equal(page.events[1].max_persons, 0);
    assert.deepEqual(parsePage("nonsense"), { events: [], more: false, refused: 1 });
    const long = parsePage({ events: Array.from({ length: 60 }, (_, i) => visit(i)), more: true });
    assert.deepEqual([long.events.length, long.refused], [50, 10], "at most a page's worth");
    assert.equal(parseVisit({ ...visit(1), id: "x".repeat(65) }), null);
  });

  test("merging: the newest page replaces what it covers, older pages go behind, each visit once, bounded", () => {
    const all = Array.from({ length: 10 }, (_, i) => visit(i)).reverse(); // newest first
    // Visit 7 was removed meanwhile (retention): the newest page no longer has it.
    const fresh = [visit(10), ...all.slice(0, 4).filter((v) => v.id !== visit(7).id)];
    const merged = mergePage(all, false, { events: fresh, more: true }, "newest");
    assert.deepEqual(ids(merged.visits), [10, 9, 8, 6, 5, 4, 3, 2, 1, 0]);
    assert.equal(merged.more, false);
    // A page holding everything there is replaces the list.
    assert.deepEqual(ids(mergePage(all, true, { events: [visit(9)], more: false }, "newest").visits), [9]);
    // An older page that overlaps (a visit that started meanwhile shifted the pages): no duplicates.
    // More visits started since the last read than a page holds: the ones read before do not
    // follow on (those between are missing), so the strip starts again from this page.
    const gap = mergePage(all.slice(6), false, { events: all.slice(0, 3), more: true }, "newest");
    assert.deepEqual(ids(gap.visits), [9, 8, 7]);
    assert.equal(gap.more, true);
    const older = mergePage(all.slice(0, 5), true, { events: all.slice(4, 8), more: true }, "older");
    assert.deepEqual(ids(older.visits), [9, 8, 7, 6, 5, 4, 3, 2]);
    assert.equal(older.more, true);
    const many = Array.from({ length: MAX_VISITS + 5 }, (_, i) => visit(i));
    const capped = mergePage([], true, { events: many, more: true }, "older");
    assert.equal(capped.visits.length, MAX_VISITS);
    assert.equal(capped.more, false);
  });

  test("the Person visit entity is the event entity of the camera's device", () => {
    const { h } = setup();
    assert.equal(visitEntity(h, ENTITY), EVENT_ENTITY);
    assert.equal(visitEntity(h, "camera.unknown"), undefined);
    assert.equal(visitEntity({ ...h, entities: undefined }, ENTITY), undefined);
    const other = { entity_id: "event.porch_doorbell", platform: "mqtt", device_id: "dev1" };
    assert.equal(visitEntity({ ...h, entities: { other, ...h.entities } }, ENTITY), EVENT_ENTITY, "the *_visit one first");
    const renamed = { ...h.entities, [EVENT_ENTITY]: undefined, "event.front": { entity_id: "event.front", platform: "mqtt", device_id: "dev1" } };
    assert.equal(visitEntity({ ...h, entities: renamed }, ENTITY), "event.front", "renamed: still the device's event entity");
  });
});
