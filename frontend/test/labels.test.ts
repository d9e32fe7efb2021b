import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { pointInPolygon, type Point } from "../src/geometry";
import {
  formatScore,
  intersects,
  placeRegionNames,
  placeScoreLabels,
  scoreCaption,
  type ChipStyle,
  type Rect,
  type ScoreLabel,
} from "../src/labels";

// A 640 x 480 picture, 13 px text at 7 px a character, 18 px chips.
const style = (width = 640, height = 480): ChipStyle => ({
  width,
  height,
  lineHeight: 18,
  pad: 4,
  gap: 2,
  measure: (t: string) => t.length * 7,
});

const person = (box: [number, number, number, number], score: number): ScoreLabel => ({
  box,
  text: scoreCaption("person", score),
  short: formatScore(score),
  priority: score,
});

/** Every property a placement must have, whatever the scene. */
function assertSound(rects: Rect[], s: ChipStyle, obstacles: Rect[] = []): void {
  for (const r of rects) {
    assert.ok(r.x >= -1e-9 && r.y >= -1e-9 && r.x + r.w <= s.width + 1e-9 && r.y + r.h <= s.height + 1e-9, `outside the picture: ${JSON.stringify(r)}`);
    for (const o of obstacles) assert.ok(!intersects(r, o), `on an obstacle: ${JSON.stringify([r, o])}`);
  }
  for (let i = 0; i < rects.length; i++) {
    for (let j = i + 1; j < rects.length; j++) {
      assert.ok(!intersects(rects[i], rects[j]), `chips ${i} and ${j} overlap: ${JSON.stringify([rects[i], rects[j]])}`);
    }
  }
}

// A small deterministic generator (mulberry32) for the random scenes.
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("score format", () => {
  test("a whole percentage, the same as the snapshot's", () => {
    assert.equal(formatScore(0.56), "56%");
    assert.equal(formatScore(0.555), "56%");
    assert.equal(formatScore(0.994), "99%");
    assert.equal(formatScore(1), "100%");
    assert.equal(formatScore(1.5), "100%");
    assert.equal(formatScore(-0.2), "0%");
    assert.equal(scoreCaption("person", 0.56), "person 56%");
  });
});

describe("score labels", () => {
  test("a lone person: the chip sits on top of its box, left-aligned, with the full caption", () => {
    const [p] = placeScoreLabels([person([100, 100, 160, 260], 0.56)], style());
    assert.equal(p.text, "person 56%");
    assert.deepEqual(p.rect, { x: 100, y: 82, w: 78, h: 18 });
    assert.equal(p.leader, null);
    assert.equal(p.mergedInto, -1);
  });

  test("a box at the top edge: the chip stays in the picture (below the box's top, not above the picture)", () => {
    const [p] = placeScoreLabels([person([600, 0, 640, 100], 0.8)], style());
    assert.ok(p.rect);
    assertSound([p.rect], style());
  });

  test("a row of people shoulder to shoulder: every caption shown, none overlapping", () => {
    // Ten boxes 40 px wide, 30 px apart: the captions (78 px) are wider than the spacing.
    const labels = Array.from({ length: 10 }, (_, i) => person([20 + i * 30, 200, 60 + i * 30, 330], 0.5 + i * 0.04));
    const placed = placeScoreLabels(labels, style());
    assertSound(placed.flatMap((p) => (p.rect ? [p.rect] : [])), style());
    assert.ok(placed.every((p) => p.rect !== null), JSON.stringify(placed));
    // The surest one keeps the best place: right above its box.
    const best = placed[9];
    assert.deepEqual([best.rect!.x, best.rect!.y], [290, 182]);
    // Chips that had to move away from their box point at it.
    assert.ok(placed.some((p) => p.leader !== null));
  });

  test("the same people in the same order give the same placement", () => {
    const labels = Array.from({ length: 8 }, (_, i) => person([100 + i * 20, 150, 150 + i * 20, 300], 0.6));
    assert.deepEqual(placeScoreLabels(labels, style()), placeScoreLabels(labels, style()));
  });

  test("no room for the caption: shortened to the score", () => {
    // A 120 x 30 picture (one row of chips): two 78 px captions cannot both fit; "person 90%" and "60%" do.
    const s = style(120, 30);
    const placed = placeScoreLabels([person([0, 0, 60, 30], 0.9), person([60, 0, 120, 30], 0.6)], s);
    assert.equal(placed[0].text, "person 90%");
    assert.equal(placed[1].text, "60%");
    assertSound(placed.map((p) => p.rect!), s);
  });

  test("no room at all: merged into the neighbour's chip as +N", () => {
    // Room for one chip only: the others are counted on it.
    const s = style(110, 18);
    const placed = placeScoreLabels([person([0, 0, 30, 18], 0.7), person([20, 0, 50, 18], 0.9), person([40, 0, 70, 18], 0.5)], s);
    assert.equal(placed[1].text, "person 90% +2");
    assert.equal(placed[0].rect, null);
    assert.equal(placed[0].mergedInto, 1);
    assert.equal(placed[2].mergedInto, 1);
    assertSound([placed[1].rect!], s);
  });

  test("the region names are obstacles", () => {
    const name: Rect = { x: 80, y: 70, w: 100, h: 18 };
    const placed = placeScoreLabels([person([100, 100, 160, 260], 0.56)], style(), [name]);
    assertSound([placed[0].rect!], style(), [name]);
  });

  test("random crowds: never two chips on each other, never outside, every person accounted for", () => {
    const next = rng(18);
    for (let scene = 0; scene < 300; scene++) {
      const s = style(320 + Math.floor(next() * 700), 240 + Math.floor(next() * 500));
      const n = 1 + Math.floor(next() * 25);
      const labels = Array.from({ length: n }, () => {
        const w = 15 + next() * 120;
        const h = 30 + next() * 200;
        const x = next() * (s.width - w);
        const y = next() * (s.height - h);
        return person([x, y, x + w, y + h], 0.3 + next() * 0.7);
      });
      const obstacles: Rect[] = next() < 0.5 ? [{ x: next() * (s.width - 80), y: next() * (s.height - 18), w: 80, h: 18 }] : [];
      const placed = placeScoreLabels(labels, s, obstacles);
      const rects = placed.flatMap((p) => (p.rect ? [p.rect] : []));
      assertSound(rects, s, obstacles);
      for (const [i, p] of placed.entries()) {
        if (p.mergedInto >= 0) {
          assert.equal(p.rect, null);
          assert.notEqual(placed[p.mergedInto].rect, null, `scene ${scene}: ${i} merged into a hidden chip`);
          assert.match(placed[p.mergedInto].text, / \+\d+$/);
        }
      }
      // The "+N" of the merged chips adds up to the labels merged.
      const counted = placed.reduce((s2, p) => s2 + Number(/ \+(\d+)$/.exec(p.text)?.[1] ?? 0), 0);
      assert.equal(counted, placed.filter((p) => p.mergedInto >= 0).length, `scene ${scene}`);
      // A moderate crowd in a normal picture: nobody left out.
      if (n <= 10 && s.width >= 640 && s.height >= 480) {
        assert.ok(placed.every((p) => p.rect !== null || p.mergedInto >= 0), `scene ${scene}: ${JSON.stringify(placed)}`);
      }
    }
  });
});

describe("region names", () => {
  const square = (x0: number, y0: number, x1: number, y1: number): Point[] => [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ];

  test("one region: its name as a tab in its top-left corner, or on its centre", () => {
    const [tab] = placeRegionNames([{ points: square(100, 100, 300, 300), text: "Door" }], style());
    assert.deepEqual(tab, { rect: { x: 104, y: 104, w: 36, h: 18 }, text: "Door", free: true });
    const [centre] = placeRegionNames([{ points: square(100, 100, 300, 300), text: "Door" }], style(), [], "centre");
    assert.deepEqual(centre, { rect: { x: 200 - 18, y: 191, w: 36, h: 18 }, text: "Door", free: true });
  });

  test("a corner outside its region (a triangle's sharp corner): inside, nearest the centre", () => {
    const triangle: Point[] = [
      [100, 100],
      [400, 104],
      [110, 112],
    ];
    const [n] = placeRegionNames([{ points: triangle, text: "Long region name" }], style());
    assert.equal(n.free, true);
    const centre: Point = [n.rect.x + n.rect.w / 2, n.rect.y + n.rect.h / 2];
    // The tab's centre (164, 113) is below the thin triangle: a place whose centre is inside was taken.
    assert.notDeepEqual([n.rect.x, n.rect.y], [104, 104]);
    assert.ok(pointInPolygon(centre, triangle), JSON.stringify(n));
  });

  test("three overlapping regions with the same centre: three names apart, each inside its region", () => {
    const regions = [
      { points: square(100, 100, 500, 400), text: "Garden" },
      { points: square(150, 150, 450, 350), text: "Path" },
      { points: square(200, 200, 400, 300), text: "Door" },
    ];
    for (const anchor of ["corner", "centre"] as const) {
      const placed = placeRegionNames(regions, style(), [], anchor);
      assertSound(
        placed.map((p) => p.rect),
        style(),
      );
      for (const [i, p] of placed.entries()) {
        assert.equal(p.text, regions[i].text);
        assert.equal(p.free, true);
        const centre: Point = [p.rect.x + p.rect.w / 2, p.rect.y + p.rect.h / 2];
        assert.ok(pointInPolygon(centre, regions[i].points), `${anchor}: ${p.text} at ${centre}`);
      }
    }
    // As tabs: each in its own corner.
    assert.deepEqual(
      placeRegionNames(regions, style()).map((p) => [p.rect.x, p.rect.y]),
      [
        [104, 104],
        [154, 154],
        [204, 204],
      ],
    );
    const placed = placeRegionNames(regions, style(), [], "centre");
    assertSound(
      placed.map((p) => p.rect),
      style(),
    );
    for (const [i, p] of placed.entries()) {
      assert.equal(p.text, regions[i].text);
      assert.equal(p.free, true);
      const centre: Point = [p.rect.x + p.rect.w / 2, p.rect.y + p.rect.h / 2];
      assert.ok(pointInPolygon(centre, regions[i].points), `${p.text} at ${centre}`);
    }
    // The smallest region has the least room: it keeps its centre.
    assert.deepEqual([placed[2].rect.x + placed[2].rect.w / 2, placed[2].rect.y + placed[2].rect.h / 2], [300, 250]);
  });

  test("the person count is an obstacle", () => {
    const count: Rect = { x: 150, y: 180, w: 100, h: 40 };
    const [n] = placeRegionNames([{ points: square(100, 100, 300, 300), text: "Door" }], style(), [count], "centre");
    assertSound([n.rect], style(), [count]);
    assert.equal(n.free, true);
  });

  test("no room anywhere: the name is shortened with an ellipsis", () => {
    const s = style(100, 40);
    const placed = placeRegionNames(
      [
        { points: square(0, 0, 100, 40), text: "Front garden path" },
        { points: square(0, 0, 60, 20), text: "Steps" },
      ],
      s,
    );
    assert.equal(placed[1].text, "Steps");
    assert.match(placed[0].text, /…$/);
    assert.ok(placed[0].text.length < "Front garden path".length);
    assertSound(
      placed.map((p) => p.rect),
      s,
    );
  });
});
