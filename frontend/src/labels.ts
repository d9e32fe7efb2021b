// Where the card writes its labels: the score chip of every detected object and the name chip of
// every region, placed so that no two chips overlap however many people stand side by side and
// however the regions overlap. Pure functions in the picture's own units (any unit works: the card
// passes picture pixels); the text width comes from a `measure` function (the card measures with
// a canvas, the tests with a fixed width per character). Unit-tested in test/labels.test.ts.
import { pointInPolygon, type Point } from "./geometry";

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A score as the card and the snapshot write it: a whole percentage ("56%"). */
export const formatScore = (score: number): string => `${Math.round(Math.min(Math.max(score, 0), 1) * 100)}%`;

/** An object's caption, the same words as the snapshot's (edge_agent/detect/imaging.py caption). */
export const scoreCaption = (label: string, score: number): string => `${label} ${formatScore(score)}`;

/** Whether two rectangles overlap, or come closer than `gap` to each other. */
export const intersects = (a: Rect, b: Rect, gap = 0): boolean =>
  a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap;

const overlapArea = (a: Rect, b: Rect): number =>
  Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)) * Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));

export interface ChipStyle {
  /** The picture's size, in the units of everything else. */
  width: number;
  height: number;
  /** A chip's height (one line of text and its padding). */
  lineHeight: number;
  /** Space left and right of the text inside a chip. */
  pad: number;
  /** The least free space between two chips. */
  gap: number;
  /** The width of a text, without padding. */
  measure: (text: string) => number;
}

export interface ScoreLabel {
  /** The object's box [xmin, ymin, xmax, ymax], in picture units. */
  box: readonly [number, number, number, number];
  /** The full caption ("person 56%") and the shortened one used when it does not fit ("56%"). */
  text: string;
  short: string;
  /** Higher is placed first (and so nearest its box): the score. */
  priority: number;
}

export interface PlacedScore {
  /** Where the chip is, or null when this label is shown by another one (`mergedInto`) or not at all. */
  rect: Rect | null;
  /** The text written in the chip ("person 56%", "56%", "person 72% +2"). */
  text: string;
  /** The index of the label whose chip stands for this one too ("+N"), or -1. */
  mergedInto: number;
  /** A line from the chip to its box when the chip had to move away from it, else null. */
  leader: [number, number, number, number] | null;
}

const chipWidth = (style: ChipStyle, text: string): number => style.measure(text) + 2 * style.pad;

const inPicture = (r: Rect, style: ChipStyle): boolean =>
  r.x >= -1e-9 && r.y >= -1e-9 && r.x + r.w <= style.width + 1e-9 && r.y + r.h <= style.height + 1e-9;

/** A rectangle moved (not resized) into the picture; null when it is larger than the picture. */
function clampInto(r: Rect, style: ChipStyle): Rect | null {
  if (r.w > style.width || r.h > style.height) return null;
  return { ...r, x: Math.min(Math.max(r.x, 0), style.width - r.w), y: Math.min(Math.max(r.y, 0), style.height - r.h) };
}

/**
 * The places tried for a chip of w x h at a box, best first: touching the box (above, below,
 * inside its top or bottom edge, left- then right-aligned), then slid sideways along its top and
 * bottom edges, then stacked further above and below it.
 */
function candidates(box: readonly number[], w: number, h: number, step: number): [number, number][] {
  const [x0, y0, x1, y1] = box;
  const right = x1 - w;
  const out: [number, number][] = [
    [x0, y0 - h],
    [x0, y1],
    [x0, y0],
    [right, y0 - h],
    [right, y1],
    [x0, y1 - h],
    [right, y0],
    [right, y1 - h],
  ];
  for (let k = 1; k <= 6; k++) {
    for (const dx of [k * step, -k * step]) {
      out.push([x0 + dx, y0 - h], [x0 + dx, y1], [x0 + dx, y0]);
    }
  }
  for (let j = 1; j <= 4; j++) {
    for (const dx of [0, step, -step, 2 * step, -2 * step]) {
      out.push([x0 + dx, y0 - h - j * (h + step / 4)], [x0 + dx, y1 + j * (h + step / 4)]);
    }
  }
  return out;
}

/** The nearest points of two rectangles, as a line; null when they touch. */
function leaderLine(chip: Rect, box: Rect, tolerance: number): [number, number, number, number] | null {
  const axis = (a0: number, a1: number, b0: number, b1: number): [number, number, number] => {
    if (a1 < b0) return [a1, b0, b0 - a1];
    if (b1 < a0) return [a0, b1, a0 - b1];
    const mid = (Math.max(a0, b0) + Math.min(a1, b1)) / 2;
    return [mid, mid, 0];
  };
  const [ax, bx, dx] = axis(chip.x, chip.x + chip.w, box.x, box.x + box.w);
  const [ay, by, dy] = axis(chip.y, chip.y + chip.h, box.y, box.y + box.h);
  return Math.hypot(dx, dy) <= tolerance ? null : [ax, ay, bx, by];
}

/**
 * Places the score chips of detected objects: each at the first free place near its box (see
 * `candidates`), the surest detections first; a caption that finds no room is shortened to its
 * score, and one that still finds none is merged into the nearest placed chip ("person 72% +1").
 * No returned chip overlaps another, an obstacle (the region names) or leaves the picture.
 */
export function placeScoreLabels(labels: readonly ScoreLabel[], style: ChipStyle, obstacles: readonly Rect[] = []): PlacedScore[] {
  const h = style.lineHeight;
  const boxes: Rect[] = labels.map(({ box: [x0, y0, x1, y1] }) => ({ x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) }));
  const out: PlacedScore[] = labels.map((l) => ({ rect: null, text: l.text, mergedInto: -1, leader: null }));
  const placed: number[] = [];
  const free = (r: Rect, except = -1): boolean =>
    inPicture(r, style) &&
    !obstacles.some((o) => intersects(r, o, style.gap)) &&
    !placed.some((j) => j !== except && out[j].rect !== null && intersects(r, out[j].rect!, style.gap));

  const find = (i: number, text: string, except = -1): Rect | null => {
    const w = chipWidth(style, text);
    let best: Rect | null = null;
    let bestCost = Infinity;
    const tries = candidates(labels[i].box, w, h, h);
    for (let rank = 0; rank < tries.length && rank < bestCost; rank++) {
      // (A cost is at least its rank: once the rank reaches the best cost, nothing later is cheaper.)
      const r = clampInto({ x: tries[rank][0], y: tries[rank][1], w, h }, style);
      if (!r || !free(r, except)) continue;
      // Covering other people's boxes is allowed but costs; the order of the candidates decides the rest.
      const covered = boxes.reduce((s, b, j) => (j === i ? s : s + overlapArea(r, b)), 0) / (w * h);
      const cost = rank + 6 * covered;
      if (cost < bestCost) {
        bestCost = cost;
        best = r;
      }
    }
    return best;
  };

  const order = labels.map((_, i) => i).sort((a, b) => labels[b].priority - labels[a].priority || a - b);
  const unplaced: number[] = [];
  for (const i of order) {
    for (const text of [labels[i].text, labels[i].short]) {
      const r = find(i, text);
      if (r) {
        out[i] = { ...out[i], rect: r, text };
        placed.push(i);
        break;
      }
    }
    if (!out[i].rect) unplaced.push(i);
  }

  // Merging: the nearest placed chip stands for the labels that found no room ("+N").
  const centre = (i: number): Point => [boxes[i].x + boxes[i].w / 2, boxes[i].y + boxes[i].h / 2];
  const extra = new Map<number, number[]>();
  for (const i of unplaced) {
    const [cx, cy] = centre(i);
    // Only a chip of a neighbour (its box touching or near this one) may stand for it.
    const near = placed.filter((j) => intersects(boxes[j], boxes[i], 2 * h));
    const hosts = near.sort((a, b) => Math.hypot(...sub(centre(a), [cx, cy])) - Math.hypot(...sub(centre(b), [cx, cy])) || a - b);
    for (const host of hosts) {
      const members = [...(extra.get(host) ?? []), i];
      const base = out[host].text.replace(/ \+\d+$/, "");
      const text = `${base} +${members.length}`;
      const grown = clampInto({ ...out[host].rect!, w: chipWidth(style, text) }, style);
      const r = grown && free(grown, host) ? grown : find(host, text, host);
      if (!r) continue;
      out[host] = { ...out[host], rect: r, text };
      extra.set(host, members);
      out[i] = { ...out[i], mergedInto: host };
      break;
    }
  }
  for (const i of placed) out[i].leader = leaderLine(out[i].rect!, boxes[i], style.gap + 1);
  return out;
}

const sub = (a: Point, b: Point): [number, number] => [a[0] - b[0], a[1] - b[1]];

export interface RegionName {
  /** The region's polygon, in picture units. */
  points: readonly Point[];
  text: string;
}

export interface PlacedName {
  rect: Rect;
  text: string;
  /** False only when no free place was found anywhere (then the chip sits on its region's centre). */
  free: boolean;
}

const polygonArea = (pts: readonly Point[]): number =>
  Math.abs(pts.reduce((s, [x, y], i) => {
    const [nx, ny] = pts[(i + 1) % pts.length];
    return s + x * ny - nx * y;
  }, 0)) / 2;

/**
 * Places the name chips of regions: as a tab inside the region's top-left corner (`anchor`
 * "corner", the view: on its own outline) or on its centre ("centre", the editor, whose corner
 * holds a handle); where that is taken by the chips placed before it or an obstacle (the person
 * count), inside the region as near its centre as possible (the smallest regions first: they have
 * the least room), else next to it; a name is shortened with "…" before it may overlap.
 */
export function placeRegionNames(
  regions: readonly RegionName[],
  style: ChipStyle,
  obstacles: readonly Rect[] = [],
  anchor: "corner" | "centre" = "corner",
): PlacedName[] {
  const h = style.lineHeight;
  const out: (PlacedName | undefined)[] = new Array(regions.length);
  const taken: Rect[] = [...obstacles];
  const order = regions.map((_, i) => i).sort((a, b) => polygonArea(regions[a].points) - polygonArea(regions[b].points) || a - b);
  for (const i of order) {
    const { points, text } = regions[i];
    const n = points.length || 1;
    const cx = points.reduce((s, p) => s + p[0], 0) / n;
    const cy = points.reduce((s, p) => s + p[1], 0) / n;
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const texts = [text];
    for (let keep = text.length - 1; keep >= 3; keep = Math.min(keep - 1, Math.floor(keep * 0.75))) texts.push(`${text.slice(0, keep).trimEnd()}…`);
    let done: PlacedName | undefined;
    for (const t of texts) {
      const w = chipWidth(style, t);
      // Centres to try: the centroid, then a grid over the region's bounds, nearest the centroid first;
      // inside the region before outside it.
      const grid: { c: Point; inside: boolean; d: number }[] = [];
      const steps = 12;
      for (let gx = 0; gx <= steps; gx++) {
        for (let gy = 0; gy <= steps; gy++) {
          const c: Point = [minX + ((maxX - minX) * gx) / steps, minY + ((maxY - minY) * gy) / steps];
          grid.push({ c, inside: pointInPolygon(c, points), d: Math.hypot(c[0] - cx, c[1] - cy) });
        }
      }
      // Around the region: further and further out from the centroid.
      for (let ring = 1; ring <= 8; ring++) {
        for (let a = 0; a < 16; a++) {
          const c: Point = [cx + Math.cos((a * Math.PI) / 8) * ring * h * 1.5, cy + Math.sin((a * Math.PI) / 8) * ring * h];
          grid.push({ c, inside: false, d: 1e6 + ring });
        }
      }
      const first: { c: Point; inside: boolean; d: number }[] = [{ c: [cx, cy], inside: pointInPolygon([cx, cy], points), d: -1 }];
      if (anchor === "corner" && points.length) {
        // A tab just inside the top-left corner: on the region's own outline, so that the name
        // is read as this outline's even where regions overlap.
        const v = points.reduce((best, p) => (p[0] + p[1] < best[0] + best[1] ? p : best), points[0]);
        const c: Point = [v[0] + 2 * style.gap + w / 2, v[1] + 2 * style.gap + h / 2];
        first.unshift({ c, inside: pointInPolygon(c, points), d: -2 });
      }
      const tries = [...first, ...grid].sort(
        (a, b) => Number(b.inside) - Number(a.inside) || a.d - b.d,
      );
      for (const { c } of tries) {
        const r = clampInto({ x: c[0] - w / 2, y: c[1] - h / 2, w, h }, style);
        if (r && !taken.some((o) => intersects(r, o, style.gap))) {
          done = { rect: r, text: t, free: true };
          break;
        }
      }
      if (done) break;
    }
    if (!done) {
      const t = texts[texts.length - 1];
      const w = chipWidth(style, t);
      const r = clampInto({ x: cx - w / 2, y: cy - h / 2, w, h }, style) ?? { x: 0, y: 0, w, h };
      done = { rect: r, text: t, free: false };
    }
    taken.push(done.rect);
    out[i] = done;
  }
  return out as PlacedName[];
}
