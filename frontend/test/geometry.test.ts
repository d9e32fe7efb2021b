import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  areaBox,
  footPoint,
  hitRegion,
  hitVertex,
  midpoints,
  normalise,
  pointInPolygon,
  polygonProblem,
  segmentsTouch,
  translate,
  type Point,
} from "../src/geometry";

const square: Point[] = [
  [0.1, 0.1],
  [0.5, 0.1],
  [0.5, 0.5],
  [0.1, 0.5],
];

describe("geometry", () => {
  test("point in polygon: inside, outside, concave notch", () => {
    assert.equal(pointInPolygon([0.3, 0.3], square), true);
    assert.equal(pointInPolygon([0.6, 0.3], square), false);
    assert.equal(pointInPolygon([0.05, 0.05], square), false);
    // A U shape: the notch between its arms is outside.
    const u: Point[] = [
      [0, 0],
      [0.3, 0],
      [0.3, 0.6],
      [0.6, 0.6],
      [0.6, 0],
      [0.9, 0],
      [0.9, 0.9],
      [0, 0.9],
    ];
    assert.equal(pointInPolygon([0.45, 0.3], u), false);
    assert.equal(pointInPolygon([0.15, 0.3], u), true);
    assert.equal(pointInPolygon([0.45, 0.8], u), true);
  });

  test("segments: crossing, apart, touching at an end, collinear overlap", () => {
    assert.equal(segmentsTouch([0, 0], [1, 1], [0, 1], [1, 0]), true);
    assert.equal(segmentsTouch([0, 0], [0.4, 0.4], [0.6, 0.6], [1, 1]), false);
    assert.equal(segmentsTouch([0, 0], [0.5, 0.5], [0.5, 0.5], [1, 0]), true);
    assert.equal(segmentsTouch([0, 0], [0.6, 0], [0.4, 0], [1, 0]), true);
    assert.equal(segmentsTouch([0, 0], [1, 0], [0, 0.1], [1, 0.1]), false);
  });

  test("polygon problems match rois.py check_polygon", () => {
    assert.equal(polygonProblem(square), null);
    assert.equal(
      polygonProblem([
        [0.1, 0.1],
        [0.5, 0.1],
      ]),
      "too_few_points",
    );
    assert.equal(polygonProblem(Array.from({ length: 65 }, (_, i) => [i / 100, (i * i) % 7 / 10] as Point)), "too_many_points");
    assert.equal(
      polygonProblem([
        [0, 0],
        [1.2, 0],
        [1, 1],
      ]),
      "point_out_of_range",
    );
    // A bow tie crosses itself (the example of the set_rois tests).
    assert.equal(
      polygonProblem([
        [0, 0],
        [1, 1],
        [1, 0],
        [0, 1],
      ]),
      "self_intersecting",
    );
    // Three points on a line, and a repeated point, enclose nothing.
    assert.equal(
      polygonProblem([
        [0, 0],
        [0.5, 0.5],
        [1, 1],
      ]),
      "degenerate_polygon",
    );
    assert.equal(
      polygonProblem([
        [0, 0],
        [0, 0],
        [1, 1],
        [0, 1],
      ]),
      "degenerate_polygon",
    );
    // An edge folding back over its neighbour.
    assert.equal(
      polygonProblem([
        [0, 0],
        [0.6, 0],
        [0.3, 0],
        [0.3, 0.5],
      ]),
      "self_intersecting",
    );
    // Concave but simple is fine.
    assert.equal(
      polygonProblem([
        [0, 0],
        [0.5, 0.3],
        [1, 0],
        [1, 1],
        [0, 1],
      ]),
      null,
    );
  });

  test("normalise: pointer position to 0..1, clamped, rounded", () => {
    const rect = { left: 100, top: 50, width: 400, height: 300 };
    assert.deepEqual(normalise(300, 200, rect), [0.5, 0.5]);
    assert.deepEqual(normalise(100, 50, rect), [0, 0]);
    assert.deepEqual(normalise(600, 400, rect), [1, 1]);
    assert.deepEqual(normalise(50, 10, rect), [0, 0]);
    assert.deepEqual(normalise(233.3333333, 50, rect), [0.333333, 0]);
    assert.deepEqual(normalise(1, 1, { left: 0, top: 0, width: 0, height: 0 }), [0, 0]);
  });

  test("hit testing of points measures screen pixels, not normalised units", () => {
    // On a 1000 x 100 picture, 0.01 in x is 10 px but 0.1 in y is 10 px too.
    assert.equal(hitVertex([0.11, 0.1], square, 1000, 100, 12), 0);
    assert.equal(hitVertex([0.1, 0.2], square, 1000, 100, 12), 0);
    assert.equal(hitVertex([0.13, 0.1], square, 1000, 100, 12), -1);
    // The nearest of two candidates wins.
    assert.equal(
      hitVertex(
        [0.5, 0.5],
        [
          [0.49, 0.5],
          [0.505, 0.5],
        ],
        1000,
        1000,
        20,
      ),
      1,
    );
  });

  test("hit testing of regions: the topmost containing one", () => {
    const other: Point[] = [
      [0.3, 0.3],
      [0.9, 0.3],
      [0.9, 0.9],
      [0.3, 0.9],
    ];
    assert.equal(hitRegion([0.2, 0.2], [square, other]), 0);
    assert.equal(hitRegion([0.4, 0.4], [square, other]), 1);
    assert.equal(hitRegion([0.95, 0.95], [square, other]), -1);
    assert.equal(hitRegion([0.2, 0.2], [[[0.1, 0.1]], square]), 1);
  });

  test("midpoints of each edge, closing edge included", () => {
    assert.deepEqual(midpoints(square), [
      [0.3, 0.1],
      [0.5, 0.3],
      [0.3, 0.5],
      [0.1, 0.3],
    ]);
  });

  test("translate keeps the whole shape inside the picture", () => {
    assert.deepEqual(translate(square, 0.1, 0.2), [
      [0.2, 0.3],
      [0.6, 0.3],
      [0.6, 0.7],
      [0.2, 0.7],
    ]);
    // Pushed against the right and top edges: stops there, shape unchanged.
    assert.deepEqual(translate(square, 0.9, -0.5), [
      [0.6, 0],
      [1, 0],
      [1, 0.4],
      [0.6, 0.4],
    ]);
  });

  test("foot point and area boxes", () => {
    assert.deepEqual(footPoint([0.2, 0.1, 0.4, 0.9]), [0.30000000000000004, 0.9]);
    const [x0, y0, x1, y1] = areaBox(0.25);
    assert.deepEqual([x0, y0, x1, y1], [0.25, 0.25, 0.75, 0.75]);
    assert.ok(Math.abs((x1 - x0) * (y1 - y0) - 0.25) < 1e-12);
    assert.deepEqual(areaBox(2), [0, 0, 1, 1]);
  });
});
