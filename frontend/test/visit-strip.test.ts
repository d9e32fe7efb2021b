// The strip of recent visits: its time labels (in the user's locale and zone), the clip's length,
// and what each of its states shows (stripModel, no DOM).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { cardStyles } from "../src/card-styles";
import type { HomeAssistant } from "../src/ha";
import { hasKey } from "../src/localize";
import type { Region, Visit } from "../src/types";
import { clipView, durationText, stripModel, timeStyle, visitTime, type StripInput } from "../src/visit-strip";

// Wednesday 2 December 2026, 17:30:00 UTC.
const NOW = Date.UTC(2026, 11, 2, 17, 30, 0);
const at = (y: number, mo: number, d: number, h: number, mi: number): number => Date.UTC(y, mo - 1, d, h, mi) / 1000;
const UTC24 = { language: "en", hour12: false, timeZone: "UTC" };

const visit = (n: number, over: Partial<Visit> = {}): Visit => ({
  id: `v${n}`,
  camera: "porch",
  start: NOW / 1000 - n * 600,
  end: NOW / 1000 - n * 600 + 30,
  regions: [],
  max_persons: 1,
  score: 0.8,
  clip: "ready",
  duration: 34.4,
  snapshot_url: `/snap/${n}.jpg`,
  clip_url: `/clip/${n}.mp4`,
  ...over,
});

const rois: Region[] = [
  { id: "door", name: "Front door", points: [], labels: ["person"] },
  { id: "path", name: "Path", points: [], labels: ["person"] },
];

const input = (over: Partial<StripInput> = {}): StripInput => ({
  visits: [],
  more: false,
  loaded: true,
  loadingMore: false,
  rois,
  now: NOW,
  style: UTC24,
  url: (path) => `http://ha.local:8123${path}`,
  ...over,
});

describe("visit times", () => {
  test("relative within the hour, then the time today, the weekday this week, else the date", () => {
    const text = (start: number, style = UTC24): string => visitTime(start, NOW, style).text;
    assert.equal(text(NOW / 1000 - 10), "now");
    assert.equal(text(NOW / 1000 + 30), "now", "a clock a little ahead is not the future");
    assert.equal(text(NOW / 1000 - 5 * 60), "5 min. ago");
    assert.equal(text(NOW / 1000 - 59 * 60), "59 min. ago");
    assert.equal(text(at(2026, 12, 2, 14, 3)), "14:03");
    assert.equal(text(at(2026, 12, 2, 0, 5)), "00:05");
    assert.equal(text(at(2026, 12, 1, 23, 50)), "Tue 23:50");
    assert.equal(text(at(2026, 11, 26, 9, 0)), "Thu 09:00");
    assert.equal(text(at(2026, 11, 22, 9, 0)), "Nov 22, 09:00");
    assert.equal(text(at(2025, 12, 24, 18, 0)), "Dec 24, 2025, 18:00");
    assert.equal(visitTime(at(2026, 12, 2, 14, 3), NOW, UTC24).title, "Wednesday, December 2, 2026 at 14:03:00");
  });

  test("in the user's language, 12 or 24 hours, and the zone's calendar day", () => {
    assert.equal(visitTime(at(2026, 12, 2, 14, 3), NOW, { language: "en", hour12: true, timeZone: "UTC" }).text, "2:03 PM");
    assert.equal(visitTime(at(2026, 12, 1, 14, 3), NOW, { language: "de", timeZone: "UTC" }).text, "Di., 14:03");
    assert.equal(visitTime(NOW / 1000 - 300, NOW, { language: "de", timeZone: "UTC" }).text, "vor 5 Min.");
    // 23:50 UTC yesterday is 00:50 today in Berlin (UTC+1): the same day there, so the time alone.
    assert.equal(visitTime(at(2026, 12, 1, 23, 50), NOW, { language: "en", hour12: false, timeZone: "Europe/Berlin" }).text, "00:50");
    // An unknown language or zone does not break the strip.
    assert.ok(visitTime(at(2026, 12, 1, 23, 50), NOW, { language: "xx-invalid-!!", timeZone: "Mars/Olympus" }).text.length > 0);
  });

  test("the style comes from the user's Home Assistant profile", () => {
    const hass = (locale: Record<string, string>, zone = "America/New_York") =>
      ({ locale: { language: "fr", ...locale }, config: { time_zone: zone } }) as unknown as HomeAssistant;
    assert.deepEqual(timeStyle(hass({ time_format: "24", time_zone: "server" })), { language: "fr", hour12: false, timeZone: "America/New_York" });
    assert.deepEqual(timeStyle(hass({ time_format: "12", time_zone: "local" })), { language: "fr", hour12: true, timeZone: undefined });
    assert.deepEqual(timeStyle(hass({ time_format: "language" })), { language: "fr", hour12: undefined, timeZone: undefined });
    assert.equal(typeof timeStyle(hass({ time_format: "system" })).hour12, "boolean");
    assert.deepEqual(timeStyle(undefined), { language: "en", hour12: undefined, timeZone: undefined });
  });

  test("a clip's length", () => {
    assert.equal(durationText(34.4), "0:34");
    assert.equal(durationText(0), "0:00");
    assert.equal(durationText(725), "12:05");
    assert.equal(durationText(3723), "1:02:03");
    assert.equal(durationText(-3), "0:00");
  });
});

describe("the strip's states", () => {
  test("loading, then 'No visits yet'; an error shown in place of the list", () => {
    assert.equal(stripModel(input({ loaded: false })).state, "loading");
    const empty = stripModel(input());
    assert.equal(empty.state, "empty");
    assert.equal(empty.more, false);
    const failed = stripModel(input({ loaded: false, error: "Error: Unknown command." }));
    assert.deepEqual([failed.state, failed.error], ["error", "Error: Unknown command."]);
  });

  test("each visit: thumbnail, time, regions by name, its clip's state; only a ready clip plays", () => {
    const model = stripModel(
      input({
        visits: [
          visit(0, { clip: "recording", end: null, duration: null, clip_url: null, regions: ["door", "gone"] }),
          visit(1, { regions: ["door", "path"] }),
          visit(2, { clip: "failed", clip_url: null, snapshot_url: null }),
          visit(3, { clip: "none", clip_url: null, duration: null }),
          visit(4, { duration: null }),
        ],
        more: true,
        playing: "v1",
        error: "Error: Timed out",
      }),
    );
    assert.equal(model.state, "list");
    assert.equal(model.error, "Error: Timed out", "a later read's error is shown over the list");
    assert.equal(model.more, true);
    assert.deepEqual(
      model.items.map((i) => [i.id, i.time, i.regions, i.badge, i.playable, i.active]),
      [
        ["v0", "now", "Front door, gone", "Recording…", false, false],
        ["v1", "10 min. ago", "Front door, Path", "0:34", true, true],
        ["v2", "20 min. ago", "", "Clip failed", false, false],
        ["v3", "30 min. ago", "", "No clip", false, false],
        ["v4", "40 min. ago", "", "", true, false],
      ],
    );
    assert.equal(model.items[1].thumb, "http://ha.local:8123/snap/1.jpg");
    assert.equal(model.items[2].thumb, undefined);
    assert.equal(model.items[1].label, "Play the visit of Wednesday, December 2, 2026 at 17:20:00, Front door, Path, 0:34");
    assert.equal(model.items[0].label, "Wednesday, December 2, 2026 at 17:30:00, Front door, gone, Recording…");
  });

  test("the clip plays in an HTML video with controls, inline, with a way back to live", () => {
    // A template's markup with the texts and nested templates put in.
    const text = (t: unknown): string => {
      if (t && typeof t === "object" && "strings" in t) {
        const { strings, values } = t as { strings: string[]; values: unknown[] };
        return strings.map((s, i) => s + (i < values.length ? text(values[i]) : "")).join("");
      }
      return typeof t === "string" ? t : "";
    };
    const markup = text(clipView({ visit: visit(1), url: "http://ha.local:8123/clip/1.mp4" }, "en", () => undefined, () => undefined));
    for (const part of ["<video", "controls", "playsinline", "muted", 'class="back"', "Back to live", "/clip/1.mp4"]) {
      assert.ok(markup.includes(part), part);
    }
    const waiting = text(clipView({ visit: visit(1) }, "en", () => undefined, () => undefined));
    assert.ok(!waiting.includes("<video") && waiting.includes("Loading"));
  });

  test("the card's styles hold the strip's and the clip's (an escape a template cannot cook drops them all)", () => {
    const text = cardStyles.cssText;
    assert.ok(!text.includes("undefined"), "a style sheet lost to an invalid escape");
    for (const rule of [".visit-list", ".clip-layer video", ".clip-layer .back", ".visits-message.error"]) assert.ok(text.includes(rule), rule);
  });

  test("every text of the strip exists in English", () => {
    const src = readFileSync(resolve(import.meta.dirname ?? ".", "../src/visit-strip.ts"), "utf8");
    const keys = new Set([...src.matchAll(/"(visits\.[a-z_]+)"/g)].map((m) => m[1]));
    assert.ok(keys.size >= 9, [...keys].join(" "));
    assert.deepEqual([...keys].filter((k) => !hasKey(k)), []);
    assert.ok(hasKey("editor.show_events"));
  });
});
