import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { cardEditorConfig, cardOptions, EditorState, slug } from "../src/editor-state";
import type { Point } from "../src/geometry";

const W = 640;
const H = 480;
const R = 11;
const door = {
  id: "door",
  name: "Door",
  points: [
    [0.1, 0.1],
    [0.4, 0.1],
    [0.4, 0.9],
    [0.1, 0.9],
  ] as Point[],
  labels: ["person"],
  min_score: 0.7,
};

describe("editor state", () => {
  test("drawing: click points, click the first point to close", () => {
    const st = new EditorState();
    st.startDrawing();
    assert.equal(st.pointerDown([0.5, 0.5], W, H, R), "added");
    // The first point closes only once there are three.
    assert.equal(st.pointerDown([0.8, 0.5], W, H, R), "added");
    assert.equal(st.pointerDown([0.501, 0.501], W, H, R), "added");
    assert.equal(st.drawing?.length, 3);
    assert.equal(st.pointerDown([0.8, 0.9], W, H, R), "added");
    assert.equal(st.pointerDown([0.505, 0.505], W, H, R), "closed");
    assert.equal(st.drawing, null);
    assert.equal(st.regions.length, 1);
    assert.equal(st.regions[0].name, "Region 1");
    assert.equal(st.selected, 0);
    assert.equal(st.dirty, true);
    // The close click is not a point of the region.
    assert.equal(st.regions[0].points.length, 4);
  });

  test("a drawing with fewer than 3 points cannot be closed; cancel drops it", () => {
    const st = new EditorState();
    st.startDrawing();
    st.pointerDown([0.1, 0.1], W, H, R);
    st.pointerDown([0.2, 0.1], W, H, R);
    assert.equal(st.closeDrawing(), -1);
    assert.equal(st.valid, false);
    st.cancelDrawing();
    assert.equal(st.regions.length, 0);
    assert.equal(st.valid, true);
  });

  test("drag a point of the selected region", () => {
    const st = new EditorState([door]);
    assert.equal(st.pointerDown([0.2, 0.5], W, H, R), "drag-region");
    st.pointerUp();
    assert.equal(st.selected, 0);
    assert.equal(st.pointerDown([0.401, 0.101], W, H, R), "drag-point");
    assert.equal(st.selectedPoint, 1);
    st.pointerMove([0.6, 0.2]);
    st.pointerMove([0.7, 0.15]);
    st.pointerUp();
    assert.deepEqual(st.regions[0].points[1], [0.7, 0.15]);
    assert.equal(st.pointerMove([0.9, 0.9]), false);
  });

  test("a press on an edge's midpoint adds a point there and drags it", () => {
    const st = new EditorState([door]);
    st.select(0);
    assert.equal(st.pointerDown([0.25, 0.1], W, H, R), "inserted");
    assert.equal(st.regions[0].points.length, 5);
    assert.deepEqual(st.regions[0].points[1], [0.25, 0.1]);
    st.pointerMove([0.25, 0.02]);
    st.pointerUp();
    assert.deepEqual(st.regions[0].points[1], [0.25, 0.02]);
    assert.equal(st.regionProblems()[0], null);
  });

  test("remove a point; too few points is marked", () => {
    const st = new EditorState([door]);
    st.removePoint(0, 3);
    assert.equal(st.regions[0].points.length, 3);
    assert.equal(st.regionProblems()[0], null);
    st.removePoint(0, 0);
    assert.equal(st.regionProblems()[0], "too_few_points");
    assert.equal(st.valid, false);
  });

  test("move a whole region by dragging inside it, clamped to the picture", () => {
    const st = new EditorState([door]);
    assert.equal(st.pointerDown([0.2, 0.5], W, H, R), "drag-region");
    st.pointerMove([0.3, 0.55]);
    assert.deepEqual(st.regions[0].points[0], [0.2, 0.15]);
    // Far down: the bottom edge stops at the picture's edge; the shape keeps its size.
    st.pointerMove([0.3, 1]);
    st.pointerUp();
    assert.deepEqual(st.regions[0].points, [
      [0.2, 0.2],
      [0.5, 0.2],
      [0.5, 1],
      [0.2, 1],
    ]);
  });

  test("a press on nothing deselects", () => {
    const st = new EditorState([door]);
    st.select(0);
    assert.equal(st.pointerDown([0.9, 0.5], W, H, R), "deselected");
    assert.equal(st.selected, -1);
    assert.equal(st.pointerDown([0.9, 0.5], W, H, R), "none");
  });

  test("rename, delete, labels, minimum score; the payload", () => {
    const st = new EditorState([door, { name: "Gate", points: door.points.map(([x, y]) => [x + 0.5, y] as Point), labels: ["person"] }]);
    // Unchanged regions keep their ids; a renamed one gets the id of its new name.
    assert.deepEqual(
      st.payload().rois.map((r) => r.id),
      ["door", undefined],
    );
    st.rename(0, "Front door");
    assert.equal(st.payload().rois[0].id, undefined);
    st.rename(0, "Door");
    assert.equal(st.payload().rois[0].id, "door");
    st.setLabels(1, [" person", "dog ", "", "dog"]);
    st.setMinScore(1, 0.55);
    st.setMinScore(0, null);
    const payload = st.payload();
    assert.deepEqual(payload.rois[1], { name: "Gate", points: payload.rois[1].points, labels: ["person", "dog"], min_score: 0.55 });
    assert.equal("min_score" in payload.rois[0], false);
    st.deleteRegion(0);
    assert.deepEqual(
      st.payload().rois.map((r) => r.name),
      ["Gate"],
    );
    assert.equal(st.selected, -1);
  });

  test("duplicate and empty names, bad scores are marked", () => {
    const st = new EditorState([door, { ...door, id: undefined, name: "door " }]);
    assert.deepEqual(st.regionProblems(), [null, "duplicate_name"]);
    st.rename(1, "!!!");
    assert.deepEqual(st.regionProblems(), [null, "invalid_name"]);
    st.rename(1, "Side");
    st.setLabels(1, []);
    assert.deepEqual(st.regionProblems(), [null, "invalid_labels"]);
    st.setLabels(1, ["person"]);
    st.setMinScore(1, 1.5);
    assert.deepEqual(st.regionProblems(), [null, "invalid_min_score"]);
    st.setMinScore(1, 0.5);
    assert.equal(st.valid, true);
  });

  test("a self-intersecting region made by dragging is marked", () => {
    const st = new EditorState([door]);
    // Swapping two corners turns the rectangle into a bow tie.
    st.movePoint(0, 1, [0.4, 0.9]);
    st.movePoint(0, 2, [0.4, 0.1]);
    assert.deepEqual(st.regionProblems(), ["self_intersecting"]);
    assert.equal(st.valid, false);
  });

  test("detection settings and their checks", () => {
    const st = new EditorState([], { threshold: 0.6 });
    assert.equal(st.detection.threshold, 0.6);
    assert.equal(st.detection.frames_window, 3);
    assert.equal(st.detectionProblem(), null);
    st.setDetection("min_area", 0.5);
    st.setDetection("max_area", 0.4);
    assert.equal(st.detectionProblem(), "invalid_area");
    st.setDetection("max_area", 0.9);
    st.setDetection("frames_needed", 4);
    assert.equal(st.detectionProblem(), "invalid_frames");
    st.setDetection("frames_window", 31);
    assert.equal(st.detectionProblem(), "invalid_frames");
    st.setDetection("frames_window", 5);
    st.setDetection("clear_after", 4000);
    assert.equal(st.detectionProblem(), "invalid_clear_after");
    st.setDetection("clear_after", 30);
    st.setDetection("threshold", NaN);
    assert.equal(st.detectionProblem(), "invalid_threshold");
    st.setDetection("threshold", 0.45);
    assert.equal(st.valid, true);
    assert.deepEqual(st.payload().detection, {
      labels: ["person"],
      threshold: 0.45,
      min_area: 0.5,
      max_area: 0.9,
      frames_needed: 4,
      frames_window: 5,
      clear_after: 30,
    });
  });

  test("new names skip taken ones; slugs as the integration makes ids", () => {
    const st = new EditorState([{ ...door, name: "Region 2" }]);
    assert.equal(st.newName(), "Region 3");
    assert.equal(slug("  Front Door! "), "front_door");
    assert.equal(slug("Café"), "cafe");
    assert.equal(slug("x".repeat(40)).length, 32);
  });

  test("the constructor copies what it is given", () => {
    const st = new EditorState([door]);
    st.movePoint(0, 0, [0.2, 0.2]);
    assert.deepEqual(door.points[0], [0.1, 0.1]);
  });
});

describe("the card's options", () => {
  test("boxes, regions and the recent visits are shown unless turned off", () => {
    assert.deepEqual(cardOptions({ type: "custom:bobby-camera-card" }), {
      type: "custom:bobby-camera-card",
      show_boxes: true,
      show_regions: true,
      show_events: true,
    });
    assert.equal(cardOptions({ show_events: false }).show_events, false);
  });

  test("the card editor writes only what differs from the defaults", () => {
    const form = { entity: "camera.porch_live_view", show_boxes: true, show_regions: false, show_events: true };
    assert.deepEqual(cardEditorConfig(form, "custom:bobby-camera-card"), {
      type: "custom:bobby-camera-card",
      entity: "camera.porch_live_view",
      show_regions: false,
    });
    assert.equal(cardEditorConfig({ show_events: false }, "custom:bobby-camera-card").show_events, false);
  });
});
