// Geometry of the card, in normalised picture coordinates (0..1, origin top-left, x right, y down),
// the coordinates of docs/mqtt.md. Pure functions: unit-tested with node's test runner.

export type Point = [number, number];

export const MIN_POINTS = 3;
export const MAX_POINTS = 64;
const EPS = 1e-12;

export const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Rounds to 6 decimals, as the integration stores points (rois.py). */
export const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;

/** A pointer position on an element's box to a normalised point, clamped into the picture. */
export function normalise(
  clientX: number,
  clientY: number,
  rect: { left: number; top: number; width: number; height: number },
): Point {
  if (rect.width <= 0 || rect.height <= 0) return [0, 0];
  return [
    round6(clamp01((clientX - rect.left) / rect.width)),
    round6(clamp01((clientY - rect.top) / rect.height)),
  ];
}

/** Even-odd ray casting: whether p is inside the polygon (points on an edge may go either way). */
export function pointInPolygon(p: Point, poly: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

const cross = (o: Point, a: Point, b: Point): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);

const onSegment = (p: Point, q: Point, r: Point): boolean =>
  Math.min(p[0], q[0]) - EPS <= r[0] &&
  r[0] <= Math.max(p[0], q[0]) + EPS &&
  Math.min(p[1], q[1]) - EPS <= r[1] &&
  r[1] <= Math.max(p[1], q[1]) + EPS;

/** Whether segments a-b and c-d cross or touch. */
export function segmentsTouch(a: Point, b: Point, c: Point, d: Point): boolean {
  const d1 = cross(c, d, a);
  const d2 = cross(c, d, b);
  const d3 = cross(a, b, c);
  const d4 = cross(a, b, d);
  if (((d1 > EPS && d2 < -EPS) || (d1 < -EPS && d2 > EPS)) && ((d3 > EPS && d4 < -EPS) || (d3 < -EPS && d4 > EPS))) {
    return true;
  }
  return (
    (Math.abs(d1) <= EPS && onSegment(c, d, a)) ||
    (Math.abs(d2) <= EPS && onSegment(c, d, b)) ||
    (Math.abs(d3) <= EPS && onSegment(a, b, c)) ||
    (Math.abs(d4) <= EPS && onSegment(a, b, d))
  );
}

export type ShapeProblem = "too_few_points" | "too_many_points" | "point_out_of_range" | "degenerate_polygon" | "self_intersecting";

/**
 * The first reason why points are not a simple polygon, or null. The same checks, in the same
 * order, as check_polygon in custom_components/bobby_camera/rois.py: a shape marked valid here is
 * accepted there.
 */
export function polygonProblem(points: readonly Point[]): ShapeProblem | null {
  const n = points.length;
  if (n < MIN_POINTS) return "too_few_points";
  if (n > MAX_POINTS) return "too_many_points";
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y) || x < 0 || x > 1 || y < 0 || y > 1) return "point_out_of_range";
  }
  for (let i = 0; i < n; i++) {
    const a = points[i];
    const b = points[(i + 1) % n];
    if (Math.abs(a[0] - b[0]) <= EPS && Math.abs(a[1] - b[1]) <= EPS) return "degenerate_polygon";
  }
  if (points.slice(2).every((p) => Math.abs(cross(points[0], points[1], p)) <= EPS)) return "degenerate_polygon";
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const [a, b] = [points[i], points[(i + 1) % n]];
      const [c, d] = [points[j], points[(j + 1) % n]];
      if (j === i + 1 || (i === 0 && j === n - 1)) {
        // Neighbours share a corner; they cross only by folding back over each other.
        const [shared, p, q] = j === i + 1 ? [b, a, d] : [a, b, c];
        const dot = (p[0] - shared[0]) * (q[0] - shared[0]) + (p[1] - shared[1]) * (q[1] - shared[1]);
        if (Math.abs(cross(shared, p, q)) <= EPS && dot > 0) return "self_intersecting";
        continue;
      }
      if (segmentsTouch(a, b, c, d)) return "self_intersecting";
    }
  }
  return null;
}

/** Distance between two normalised points measured in pixels of a w x h picture. */
export function pixelDistance(a: Point, b: Point, w: number, h: number): number {
  return Math.hypot((a[0] - b[0]) * w, (a[1] - b[1]) * h);
}

/** The index of the point nearest to p within `radius` pixels, or -1. */
export function hitVertex(p: Point, points: readonly Point[], w: number, h: number, radius: number): number {
  let best = -1;
  let bestD = radius;
  points.forEach((q, i) => {
    const d = pixelDistance(p, q, w, h);
    if (d <= bestD) {
      best = i;
      bestD = d;
    }
  });
  return best;
}

/** The middle of every edge of a closed polygon (edge i goes from point i to point i + 1). */
export function midpoints(points: readonly Point[]): Point[] {
  return points.map((a, i) => {
    const b = points[(i + 1) % points.length];
    return [round6((a[0] + b[0]) / 2), round6((a[1] + b[1]) / 2)];
  });
}

/** The topmost (last drawn) polygon containing p, or -1. */
export function hitRegion(p: Point, polygons: readonly (readonly Point[])[]): number {
  for (let i = polygons.length - 1; i >= 0; i--) {
    if (polygons[i].length >= MIN_POINTS && pointInPolygon(p, polygons[i])) return i;
  }
  return -1;
}

/** Moves every point by (dx, dy), limited so that the whole shape stays inside the picture. */
export function translate(points: readonly Point[], dx: number, dy: number): Point[] {
  if (!points.length) return [];
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const ddx = Math.min(Math.max(dx, -Math.min(...xs)), 1 - Math.max(...xs));
  const ddy = Math.min(Math.max(dy, -Math.min(...ys)), 1 - Math.max(...ys));
  return points.map(([x, y]) => [round6(clamp01(x + ddx)), round6(clamp01(y + ddy))]);
}

/** The point where a person stands in a [xmin, ymin, xmax, ymax] box: its bottom centre. */
export const footPoint = (box: readonly number[]): Point => [(box[0] + box[2]) / 2, box[3]];

/**
 * A box of `area` (a fraction of the picture) with the picture's own proportions, centred: how the
 * card shows the minimum and maximum box area to scale.
 */
export function areaBox(area: number): [number, number, number, number] {
  const side = Math.sqrt(Math.min(Math.max(area, 0), 1));
  const lo = (1 - side) / 2;
  return [lo, lo, lo + side, lo + side];
}

/** The centroid of a polygon's points (their mean), where its name is written. */
export function labelPoint(points: readonly Point[]): Point {
  const n = points.length || 1;
  return [points.reduce((s, p) => s + p[0], 0) / n, points.reduce((s, p) => s + p[1], 0) / n];
}
