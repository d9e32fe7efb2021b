// The edit mode's state: the working ROI set, the selection, the polygon being drawn and the drag
// in progress. No DOM here: the card turns pointer events into normalised points and calls these
// methods, so that every gesture is unit-tested with node's test runner.
import {
  hitRegion,
  hitVertex,
  midpoints,
  MAX_POINTS,
  MIN_POINTS,
  polygonProblem,
  round6,
  translate,
  type Point,
  type ShapeProblem,
} from "./geometry";
import type { CardConfig, DetectionSettings, Region } from "./types";

// The services' limits (docs/mqtt.md, rois.py).
export const MAX_FRAMES_WINDOW = 30;
export const MAX_CLEAR_AFTER = 3600;
// Each region becomes entities in HA (const.py MAX_ROIS).
export const MAX_ROIS = 32;

export const DEFAULT_DETECTION: DetectionSettings = {
  labels: ["person"],
  threshold: 0.5,
  min_area: 0,
  max_area: 1,
  frames_needed: 2,
  frames_window: 3,
  clear_after: 10,
};

// ---- the card's own options (the card editor's form, bobby-camera-card-editor.ts) -----------------

/** The card's options that default to on: a config without them shows everything. */
export const CARD_DEFAULTS: Readonly<CardDefaults> = { show_boxes: true, show_regions: true, show_events: true };
type CardDefaults = Required<Pick<CardConfig, "show_boxes" | "show_regions" | "show_events">>;

/** The card's config with its defaults filled in (what the card draws and the editor's form shows). */
export function cardOptions<T extends Partial<CardConfig>>(config: T): T & CardDefaults {
  return { ...CARD_DEFAULTS, ...config };
}

/**
 * The config the card editor saves from its form: the options left at their defaults are not
 * written (a card saved before an option existed, and one saved now, read the same).
 */
export function cardEditorConfig(value: Partial<CardConfig>, type: string): CardConfig {
  const out: Record<string, unknown> = { ...value, type };
  for (const [key, on] of Object.entries(CARD_DEFAULTS)) if (out[key] === on) delete out[key];
  return out as unknown as CardConfig;
}

export type RegionProblem = ShapeProblem | "invalid_name" | "duplicate_name" | "invalid_labels" | "invalid_min_score";
export type DetectionProblem = "invalid_threshold" | "invalid_area" | "invalid_frames" | "invalid_clear_after" | "invalid_labels";

/** The ROI id the integration derives from a name (close to HA's slugify, for spotting duplicates early). */
export function slug(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 32)
    .replace(/_+$/g, "");
}

type Drag =
  | { kind: "point"; region: number; index: number }
  | { kind: "region"; region: number; start: Point; original: Point[] };

export type PointerResult = "added" | "closed" | "drag-point" | "inserted" | "drag-region" | "selected" | "deselected" | "none";

const isScore = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 1;

export class EditorState {
  regions: Region[];
  detection: DetectionSettings;
  selected = -1;
  selectedPoint = -1;
  drawing: Point[] | null = null;
  dirty = false;
  private drag: Drag | null = null;
  private readonly originalNames: Map<number, string>;

  constructor(regions: readonly Region[] = [], detection: Partial<DetectionSettings> = {}) {
    this.regions = regions.map((r) => ({
      ...r,
      points: r.points.map((p) => [p[0], p[1]] as Point),
      labels: [...(r.labels?.length ? r.labels : ["person"])],
    }));
    this.detection = { ...DEFAULT_DETECTION, ...detection, labels: [...(detection.labels ?? DEFAULT_DETECTION.labels)] };
    this.originalNames = new Map();
  }

  get dragging(): boolean {
    return this.drag !== null;
  }

  // ---- regions ----------------------------------------------------------------------------

  /** A name no region has yet: "Region 1", "Region 2", … */
  newName(base = "Region"): string {
    const taken = new Set(this.regions.map((r) => slug(r.name)));
    let n = this.regions.length + 1;
    while (taken.has(slug(`${base} ${n}`))) n++;
    return `${base} ${n}`;
  }

  startDrawing(): void {
    this.drawing = [];
    this.selected = -1;
    this.selectedPoint = -1;
  }

  cancelDrawing(): void {
    this.drawing = null;
  }

  /** Ends the polygon being drawn as a new region (when it has enough points); returns its index. */
  closeDrawing(name?: string): number {
    if (!this.drawing || this.drawing.length < MIN_POINTS) return -1;
    this.regions.push({ name: name ?? this.newName(), points: this.drawing, labels: ["person"] });
    this.drawing = null;
    this.dirty = true;
    this.selected = this.regions.length - 1;
    this.selectedPoint = -1;
    return this.selected;
  }

  select(index: number): void {
    this.selected = index >= 0 && index < this.regions.length ? index : -1;
    this.selectedPoint = -1;
  }

  movePoint(region: number, index: number, p: Point): void {
    const r = this.regions[region];
    if (!r || index < 0 || index >= r.points.length) return;
    r.points[index] = [round6(p[0]), round6(p[1])];
    this.dirty = true;
  }

  /** Inserts a point after `after` (on the edge from point `after` to the next one). */
  insertPoint(region: number, after: number, p: Point): number {
    const r = this.regions[region];
    if (!r || r.points.length >= MAX_POINTS) return -1;
    r.points.splice(after + 1, 0, [round6(p[0]), round6(p[1])]);
    this.dirty = true;
    return after + 1;
  }

  removePoint(region: number, index: number): void {
    const r = this.regions[region];
    if (!r || index < 0 || index >= r.points.length) return;
    r.points.splice(index, 1);
    if (this.selected === region) this.selectedPoint = -1;
    this.dirty = true;
  }

  moveRegion(region: number, original: readonly Point[], dx: number, dy: number): void {
    const r = this.regions[region];
    if (!r) return;
    r.points = translate(original, dx, dy);
    this.dirty = true;
  }

  rename(region: number, name: string): void {
    const r = this.regions[region];
    if (!r) return;
    if (r.id !== undefined && !this.originalNames.has(region)) this.originalNames.set(region, r.name);
    r.name = name;
    this.dirty = true;
  }

  deleteRegion(region: number): void {
    if (region < 0 || region >= this.regions.length) return;
    this.regions.splice(region, 1);
    // Indices after the deleted region move down by one.
    const names = [...this.originalNames.entries()];
    this.originalNames.clear();
    for (const [i, n] of names) if (i !== region) this.originalNames.set(i > region ? i - 1 : i, n);
    this.selected = -1;
    this.selectedPoint = -1;
    this.dirty = true;
  }

  setLabels(region: number, labels: string[]): void {
    const r = this.regions[region];
    if (!r) return;
    r.labels = [...new Set(labels.map((l) => l.trim()).filter(Boolean))];
    this.dirty = true;
  }

  setMinScore(region: number, score: number | null): void {
    const r = this.regions[region];
    if (!r) return;
    if (score === null) delete r.min_score;
    else r.min_score = score;
    this.dirty = true;
  }

  setDetection<K extends keyof DetectionSettings>(key: K, value: DetectionSettings[K]): void {
    this.detection = { ...this.detection, [key]: value };
    this.dirty = true;
  }

  // ---- pointer gestures -------------------------------------------------------------------

  /**
   * A press on the picture at normalised `p`; `w` x `h` is the picture's size on screen in pixels
   * and `radius` the grab radius (larger for touch).
   */
  pointerDown(p: Point, w: number, h: number, radius: number): PointerResult {
    if (this.drawing) {
      if (this.drawing.length >= MIN_POINTS && hitVertex(p, [this.drawing[0]], w, h, radius) === 0) {
        this.closeDrawing();
        return "closed";
      }
      if (this.drawing.length >= MAX_POINTS) return "none";
      this.drawing.push([round6(p[0]), round6(p[1])]);
      return "added";
    }
    const sel = this.regions[this.selected];
    if (sel) {
      const vertex = hitVertex(p, sel.points, w, h, radius);
      if (vertex >= 0) {
        this.selectedPoint = vertex;
        this.drag = { kind: "point", region: this.selected, index: vertex };
        return "drag-point";
      }
      const mid = hitVertex(p, midpoints(sel.points), w, h, radius);
      if (mid >= 0) {
        const index = this.insertPoint(this.selected, mid, p);
        if (index >= 0) {
          this.selectedPoint = index;
          this.drag = { kind: "point", region: this.selected, index };
          return "inserted";
        }
      }
    }
    const hit = hitRegion(
      p,
      this.regions.map((r) => r.points),
    );
    if (hit >= 0) {
      if (hit !== this.selected) this.select(hit);
      else this.selectedPoint = -1;
      this.drag = { kind: "region", region: hit, start: p, original: this.regions[hit].points.map((q) => [q[0], q[1]] as Point) };
      return "drag-region";
    }
    const had = this.selected >= 0;
    this.select(-1);
    return had ? "deselected" : "none";
  }

  pointerMove(p: Point): boolean {
    const d = this.drag;
    if (!d) return false;
    if (d.kind === "point") this.movePoint(d.region, d.index, p);
    else this.moveRegion(d.region, d.original, p[0] - d.start[0], p[1] - d.start[1]);
    return true;
  }

  pointerUp(): void {
    this.drag = null;
  }

  // ---- checks and the payload ---------------------------------------------------------------

  /** What is wrong with each region (null when nothing), index for index. */
  regionProblems(): (RegionProblem | null)[] {
    const ids = this.regions.map((r, i) => this.payloadId(r, i) ?? slug(r.name));
    return this.regions.map((r, i) => {
      const shape = polygonProblem(r.points);
      if (shape) return shape;
      if (!ids[i]) return "invalid_name";
      if (ids.indexOf(ids[i]) !== i) return "duplicate_name";
      if (!r.labels.length) return "invalid_labels";
      if (r.min_score != null && !isScore(r.min_score)) return "invalid_min_score";
      return null;
    });
  }

  detectionProblem(): DetectionProblem | null {
    const d = this.detection;
    if (!d.labels.length) return "invalid_labels";
    if (!isScore(d.threshold)) return "invalid_threshold";
    if (!isScore(d.min_area) || !isScore(d.max_area) || d.min_area >= d.max_area) return "invalid_area";
    const ints = Number.isInteger(d.frames_needed) && Number.isInteger(d.frames_window);
    if (!ints || d.frames_needed < 1 || d.frames_needed > d.frames_window || d.frames_window > MAX_FRAMES_WINDOW) {
      return "invalid_frames";
    }
    if (!Number.isFinite(d.clear_after) || d.clear_after < 0 || d.clear_after > MAX_CLEAR_AFTER) return "invalid_clear_after";
    return null;
  }

  get valid(): boolean {
    return !this.drawing && this.detectionProblem() === null && this.regionProblems().every((p) => p === null);
  }

  private payloadId(r: Region, index: number): string | undefined {
    // A renamed region gets the id of its new name, as the options flow gives it.
    if (r.id === undefined) return undefined;
    const original = this.originalNames.get(index);
    return original === undefined || original === r.name ? r.id : undefined;
  }

  /** The whole set as bobby_camera/save_rois takes it. */
  payload(): { rois: Region[]; detection: DetectionSettings } {
    return {
      rois: this.regions.map((r, i) => {
        const out: Region = { name: r.name.trim(), points: r.points.map((p) => [p[0], p[1]] as Point), labels: [...r.labels] };
        const id = this.payloadId(r, i);
        if (id !== undefined) out.id = id;
        if (r.min_score != null) out.min_score = r.min_score;
        return out;
      }),
      detection: { ...this.detection, labels: [...this.detection.labels] },
    };
  }
}
