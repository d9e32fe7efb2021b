import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { hasKey, localize } from "../src/localize";
import { ackText, personsText } from "../src/status";

describe("texts", () => {
  test("acknowledgement texts", () => {
    const ok = { version: 7, ok: true, error: null, service: "listen_frame/pi4" };
    assert.equal(ackText("en", ok), "Applied by listen_frame/pi4, version 7");
    assert.equal(
      ackText("en", { version: 8, ok: false, error: "roi 'door': polygon is self-intersecting", service: "listen_frame/pi4" }),
      "Refused by listen_frame/pi4 (version 8): roi 'door': polygon is self-intersecting",
    );
    // An older ack than the set just sent is not its answer.
    assert.equal(ackText("en", ok, 8), "Sent as version 8; waiting for the detection service to acknowledge it.");
    assert.equal(ackText("en", null, 8), "Sent as version 8; waiting for the detection service to acknowledge it.");
    assert.equal(ackText("en", null), "");
  });

  test("translations fall back to English and fill placeholders", () => {
    assert.equal(localize("fr-FR", "card.persons", { count: 3 }), "3 persons");
    assert.equal(localize("en", "problems.too_few_points", { region: "Door" }), "Door: a region needs at least 3 points");
    assert.equal(localize("en", "no.such.key"), "no.such.key");
    assert.equal(personsText("en", 0), "No person");
    assert.equal(personsText("en", 1), "1 person");
    assert.equal(personsText("en", 2), "2 persons");
  });

  test("every text key the sources use exists in English", () => {
    const src = resolve(import.meta.dirname ?? ".", "../src");
    const used = new Set<string>();
    for (const file of readdirSync(src).filter((f) => f.endsWith(".ts"))) {
      const text = readFileSync(join(src, file), "utf8");
      for (const m of text.matchAll(/(?:\b_?t|localize)\((?:[^,()]+, )?"([a-z_]+\.[a-z_.]+)"/g)) used.add(m[1]);
    }
    assert.ok(used.size > 20, `found ${used.size} keys`);
    const problems = ["too_few_points", "too_many_points", "point_out_of_range", "degenerate_polygon", "self_intersecting",
      "invalid_name", "duplicate_name", "invalid_labels", "invalid_min_score", "invalid_threshold", "invalid_area",
      "invalid_frames", "invalid_clear_after"];
    for (const p of problems) used.add(`problems.${p}`);
    for (const key of ["entity", "title", "show_boxes", "show_regions", "show_events"]) used.add(`editor.${key}`);
    assert.deepEqual([...used].filter((k) => !hasKey(k)), []);
  });
});
