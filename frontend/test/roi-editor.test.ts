// The ROI editor with real pointer coordinates on a fake SVG (the browser's events are the lowest
// level that cannot exist here; tests/e2e/test_card.py draws with Chromium's real mouse).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { SVGTemplateResult } from "lit";
import { CameraData } from "../src/card-data";
import { RegionNames, type Picture } from "../src/card-view";
import { EditorState } from "../src/editor-state";
import type { HomeAssistant } from "../src/ha";
import { minScoreValue, parseNumber, percentText, problemMessages, RoiEditor, settingValue } from "../src/roi-editor";
import { config, ENTITY, FakeHass, FakeHost, settle } from "./fakes";

// The picture's SVG on screen: 400 x 300 pixels at (10, 20).
const RECT = { left: 10, top: 20, width: 400, height: 300 };

class FakeSvg {
  captured: number[] = [];
  getBoundingClientRect() {
    return RECT;
  }
  setPointerCapture(id: number): void {
    this.captured.push(id);
  }
  releasePointerCapture(id: number): void {
    this.captured = this.captured.filter((c) => c !== id);
  }
}

function pointer(svg: FakeSvg, x: number, y: number, over: Partial<PointerEvent> = {}): PointerEvent & { prevented: boolean } {
  const ev = {
    button: 0,
    pointerType: "mouse",
    pointerId: 1,
    clientX: RECT.left + x * RECT.width,
    clientY: RECT.top + y * RECT.height,
    currentTarget: svg,
    prevented: false,
    preventDefault() {
      ev.prevented = true;
    },
    ...over,
  };
  return ev as unknown as PointerEvent & { prevented: boolean };
}

async function setup(rois = config().rois) {
  const hass = new FakeHass();
  hass.handlers["bobby_camera/get_config"] = () => config({ rois });
  const host = new FakeHost();
  host.hass = hass as unknown as HomeAssistant;
  const data = new CameraData(host);
  data.setEntity(ENTITY);
  await data.load();
  const editor = new RoiEditor(host, data);
  return { hass, host, data, editor, svg: new FakeSvg() };
}

const picture: Picture = { size: [640, 480], width: 400, font: "sans-serif", measure: (t) => t.length * 7 };

/** The SVG elements of a layer by the start of their markup ("<circle class=\"vertex" ...). */
const count = (layer: SVGTemplateResult[], start: string): number => layer.filter((t) => t.strings[0].trimStart().startsWith(start)).length;

describe("ROI editor", () => {
  test("opens on the camera's set, clears the status line, closes without saving", async () => {
    const { editor, data, host, hass } = await setup();
    data.status = "Last set: Applied";
    const before = host.updates;
    editor.start();
    assert.equal(editor.editing, true);
    assert.deepEqual(editor.state?.regions.map((r) => r.name), ["Door"]);
    assert.equal(data.status, "");
    assert.ok(host.updates > before);
    // The working set is a copy: editing it leaves the camera's alone.
    editor.state!.rename(0, "Gate");
    assert.equal(data.camera?.rois[0].name, "Door");
    editor.stop();
    assert.equal(editor.editing, false);
    assert.equal(hass.count("bobby_camera/save_rois"), 0);
  });

  test("no camera yet: nothing to edit", () => {
    const host = new FakeHost();
    const editor = new RoiEditor(host, new CameraData(host));
    editor.start();
    assert.equal(editor.editing, false);
  });

  test("drawing with the pointer: points where pressed, closed on the first point", async () => {
    const { editor, svg, host } = await setup([]);
    editor.onPointerDown(pointer(svg, 0.1, 0.1));
    assert.equal(editor.state, undefined, "not editing: presses are the picture's");
    editor.start();
    editor.state!.startDrawing();
    const square: [number, number][] = [
      [0.1, 0.1],
      [0.6, 0.1],
      [0.6, 0.7],
      [0.1, 0.7],
    ];
    for (const [x, y] of square) {
      const ev = pointer(svg, x, y);
      editor.onPointerDown(ev);
      assert.ok(ev.prevented);
    }
    assert.deepEqual(editor.state!.drawing, square);
    const updates = host.updates;
    // A right button press adds nothing.
    editor.onPointerDown(pointer(svg, 0.9, 0.9, { button: 2 }));
    assert.equal(editor.state!.drawing!.length, 4);
    // 5 px off the first point still hits it (the grab radius), and closes the region.
    editor.onPointerDown(pointer(svg, 0.1 + 5 / 400, 0.1));
    assert.equal(editor.state!.drawing, null);
    assert.deepEqual(editor.state!.regions[0].points, square);
    assert.equal(editor.state!.selected, 0);
    assert.ok(host.updates > updates);
  });

  test("dragging a point: captured, moved, released", async () => {
    const { editor, svg } = await setup();
    editor.start();
    editor.state!.select(0);
    // The first point of Door is at (0.1, 0.1).
    editor.onPointerDown(pointer(svg, 0.1, 0.1));
    assert.equal(editor.state!.selectedPoint, 0);
    assert.deepEqual(svg.captured, [1]);
    editor.onPointerMove(pointer(svg, 0.2, 0.15));
    assert.deepEqual(editor.state!.regions[0].points[0], [0.2, 0.15]);
    editor.onPointerUp(pointer(svg, 0.2, 0.15));
    assert.deepEqual(svg.captured, []);
    assert.equal(editor.state!.dragging, false);
    // A move with no drag does nothing.
    editor.onPointerMove(pointer(svg, 0.5, 0.5));
    assert.deepEqual(editor.state!.regions[0].points[0], [0.2, 0.15]);
  });

  test("a finger grabs from further away than a mouse", async () => {
    const { editor, svg } = await setup();
    editor.start();
    editor.state!.select(0);
    // 16 px right of the first point (0.1, 0.1) and outside the region.
    const off = (over: Partial<PointerEvent>) => pointer(svg, 0.1 - 16 / 400, 0.1, over);
    editor.onPointerDown(off({ pointerType: "mouse" }));
    assert.equal(editor.state!.selectedPoint, -1);
    assert.equal(editor.state!.selected, -1, "a press beside the region deselects it");
    editor.state!.select(0);
    editor.onPointerDown(off({ pointerType: "touch" }));
    assert.equal(editor.state!.selectedPoint, 0);
  });

  test("right click on the selected point removes it", async () => {
    const { editor, svg } = await setup([{ id: "door", name: "Door", points: [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]], labels: ["person"] }]);
    editor.start();
    editor.state!.select(0);
    editor.onPointerDown(pointer(svg, 0.5, 0.5));
    editor.onPointerUp(pointer(svg, 0.5, 0.5));
    const ev = pointer(svg, 0.5, 0.5);
    editor.onContextMenu(ev);
    assert.ok(ev.prevented);
    assert.equal(editor.state!.regions[0].points.length, 3);
  });

  test("the number fields: percentages in, fractions out; empty is unset", () => {
    assert.equal(parseNumber(" 12 "), 12);
    assert.equal(parseNumber(""), null);
    assert.equal(percentText(0.001), "0.1");
    assert.equal(percentText(0.4), "40");
    assert.equal(percentText(null), "");
    assert.equal(percentText(NaN), "");
    assert.equal(settingValue("0.1", 0.01), 0.001);
    assert.equal(settingValue("40", 0.01), 0.4);
    assert.equal(settingValue("2"), 2);
    assert.ok(Number.isNaN(settingValue("")), "an empty setting is a problem until filled");
    assert.equal(minScoreValue("55"), 0.55);
    assert.equal(minScoreValue(""), null);
  });

  test("the problems in words", () => {
    const st = new EditorState(
      [
        { name: "Door", points: [[0.1, 0.1], [0.5, 0.1]], labels: ["person"] },
        { name: "Path", points: [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]], labels: ["person"] },
      ],
      { min_area: 0.5, max_area: 0.2 },
    );
    assert.deepEqual(problemMessages("en", st), ["Door: a region needs at least 3 points", "The minimum box area must be below the maximum"]);
    const many = new EditorState(Array.from({ length: 33 }, (_, i) => ({ name: `R${i}`, points: [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]], labels: ["person"] })));
    assert.deepEqual(problemMessages("en", many), ["At most 32 regions"]);
  });

  test("save: only a valid set; the editor closes once it is taken", async () => {
    const { editor, hass, data } = await setup();
    hass.handlers["bobby_camera/save_rois"] = () => ({ version: 4, ack: null });
    editor.start();
    editor.state!.startDrawing();
    await editor.save();
    assert.equal(hass.count("bobby_camera/save_rois"), 0, "a polygon being drawn is not saved");
    editor.state!.cancelDrawing();
    editor.state!.rename(0, "Gate");
    await editor.save();
    await settle();
    const sent = hass.calls.find((c) => c.type === "bobby_camera/save_rois");
    assert.deepEqual((sent?.rois as { name: string; id?: string }[]).map((r) => [r.name, r.id]), [["Gate", undefined]]);
    assert.equal(editor.editing, false);
    assert.equal(data.status, "Sent as version 4; waiting for the detection service to acknowledge it.");
  });

  test("the edit layer: area boxes, regions, names and the selected region's handles", async () => {
    const { editor } = await setup();
    assert.deepEqual(editor.layer(picture, new RegionNames()), []);
    editor.start();
    const names = new RegionNames();
    let layer = editor.layer(picture, names);
    assert.equal(count(layer, '<g class="region edit'), 1);
    assert.equal(count(layer, '<g class="chip'), 1);
    assert.equal(count(layer, '<circle class="vertex'), 0, "no handles until selected");
    assert.equal(count(layer, '<rect class="area'), 0, "areas 0..1: nothing to show");
    editor.state!.select(0);
    editor.state!.setDetection("min_area", 0.01);
    editor.state!.setDetection("max_area", 0.4);
    layer = editor.layer(picture, names);
    assert.equal(count(layer, '<circle class="vertex'), 3);
    assert.equal(count(layer, '<circle class="mid"'), 3);
    assert.equal(count(layer, '<rect class="area'), 2);
    editor.state!.startDrawing();
    editor.state!.pointerDown([0.7, 0.7], 400, 300, 11);
    layer = editor.layer(picture, names);
    assert.equal(count(layer, '<polyline class="drawing"'), 1);
    assert.equal(count(layer, '<circle class="vertex'), 1, "the point drawn; the region's handles hidden");
  });
});
