// The committed bundle is what the sources build to (run `make frontend` after changing them).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname ?? ".", "..");

describe("bundle", () => {
  test("the committed bundle equals a fresh build", () => {
    const dir = mkdtempSync(join(tmpdir(), "bobby-card-"));
    try {
      const out = join(dir, "bobby-camera-card.js");
      execFileSync(process.execPath, ["build.mjs", "--out", out], { cwd: root });
      const fresh = readFileSync(out);
      const committed = readFileSync(resolve(root, "../custom_components/bobby_camera/frontend/bobby-camera-card.js"));
      assert.ok(fresh.length > 10000, "the build is the whole card");
      assert.ok(fresh.equals(committed), "custom_components/bobby_camera/frontend/bobby-camera-card.js is stale: run make frontend");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the bundle defines the card and its editor and registers them for the card picker", () => {
    const bundle = readFileSync(resolve(root, "../custom_components/bobby_camera/frontend/bobby-camera-card.js"), "utf8");
    for (const text of ["bobby-camera-card", "bobby-camera-card-editor", "customCards", "bobby_camera/save_rois", "bobby_camera/subscribe_detections"]) {
      assert.ok(bundle.includes(text), text);
    }
    assert.doesNotMatch(bundle, /\/work\/|\/home\//, "no absolute paths of the build machine");
  });
});
