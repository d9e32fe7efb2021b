// The ROI editor: the card's edit mode. It owns the working set (an EditorState), turns the
// pointer's presses, drags and right clicks on the picture into EditorState's gestures, draws the
// edit layer of the picture's SVG (area boxes, regions, names, handles) and the edit panel below it
// (toolbar, the selected region's form, the detection settings, the problems, save). Saving goes
// through the card's data (card-data.ts). A plain class rather than its own element, so that its
// layer can live inside the card's one SVG and its panel in the card's shadow root, styled by
// card-styles.ts. Its logic is unit-tested in test/roi-editor.test.ts (EditorState's gestures in
// test/editor-state.test.ts).
import { html, nothing, svg, type SVGTemplateResult, type TemplateResult } from "lit";
import type { CameraData } from "./card-data";
import { chip, chipStyle, pointsAttr, unitOf, type Picture, type RegionNames } from "./card-view";
import { EditorState, MAX_ROIS } from "./editor-state";
import { areaBox, midpoints, normalise, type Point } from "./geometry";
import { languageOf, type HomeAssistant } from "./ha";
import { localize } from "./localize";
import type { DetectionSettings } from "./types";

/** The element the editor draws in. */
export interface RoiEditorHost {
  readonly hass?: HomeAssistant;
  requestUpdate(): void;
}

// The grab radius around a point, in screen pixels (a finger needs more than a mouse).
const GRAB_RADIUS_PX = 11;
const GRAB_RADIUS_TOUCH_PX = 22;

/** A number field's text ("" when cleared). */
export const inputText = (ev: Event): string => (ev.target as HTMLInputElement).value;

/** A number field's value, null when it is empty. */
export function parseNumber(text: string): number | null {
  const value = text.trim();
  return value === "" ? null : Number(value);
}

/** A fraction (0..1) as the percentage its field shows ("" when unset or not a number). */
export const percentText = (v: number | null | undefined): string => (v == null || Number.isNaN(v) ? "" : String(Math.round(v * 10000) / 100));

/** A detection setting from its field: scaled (percentages by 0.01), NaN when empty (a problem until filled). */
export function settingValue(text: string, scale = 1): number {
  const v = parseNumber(text);
  return v === null ? NaN : Math.round(v * scale * 10000) / 10000;
}

/** A region's minimum score from its percentage field; empty: none (the set's threshold). */
export function minScoreValue(text: string): number | null {
  const v = parseNumber(text);
  return v === null ? null : Math.round(v * 100) / 10000;
}

/** What is wrong with the set, in words: each region's problem, the settings', too many regions. */
export function problemMessages(lang: string, st: EditorState): string[] {
  const problems = st.regionProblems();
  const detectionProblem = st.detectionProblem();
  return [
    ...problems.flatMap((p, i) => (p ? [localize(lang, `problems.${p}`, { region: st.regions[i].name || "?" })] : [])),
    ...(detectionProblem ? [localize(lang, `problems.${detectionProblem}`)] : []),
    ...(st.regions.length > MAX_ROIS ? [localize(lang, "problems.too_many_regions")] : []),
  ];
}

export class RoiEditor {
  /** The working set while editing, else undefined. */
  state?: EditorState;

  constructor(
    private readonly host: RoiEditorHost,
    private readonly data: CameraData,
  ) {}

  get editing(): boolean {
    return this.state !== undefined;
  }

  private get lang(): string {
    return languageOf(this.host.hass);
  }

  private t(key: string, values?: Record<string, string | number>): string {
    return localize(this.lang, key, values);
  }

  // ---- editing ----------------------------------------------------------------------------------

  /** Opens the editor on the camera's current set. */
  readonly start = (): void => {
    const cam = this.data.camera;
    if (!cam) return;
    this.state = new EditorState(cam.rois, cam.detection);
    this.data.clearStatus();
    this.host.requestUpdate();
  };

  /** Closes it; the working set is dropped. */
  readonly stop = (): void => {
    this.state = undefined;
    this.host.requestUpdate();
  };

  private act(fn: (st: EditorState) => void): void {
    if (!this.state) return;
    fn(this.state);
    this.host.requestUpdate();
  }

  private setDetection(ev: Event, key: keyof DetectionSettings, scale = 1): void {
    const v = settingValue(inputText(ev), scale);
    this.act((st) => st.setDetection(key, v as never));
  }

  /** Saves a valid set; the editor closes once the integration took it. */
  readonly save = async (): Promise<void> => {
    const st = this.state;
    if (!st || !st.valid) return;
    await this.data.save(st.payload(), this.stop);
  };

  // ---- pointer ----------------------------------------------------------------------------------

  private point(ev: PointerEvent | MouseEvent): { p: Point; w: number; h: number } {
    const rect = (ev.currentTarget as Element).getBoundingClientRect();
    return { p: normalise(ev.clientX, ev.clientY, rect), w: rect.width, h: rect.height };
  }

  readonly onPointerDown = (ev: PointerEvent): void => {
    const st = this.state;
    if (!this.editing || !st || ev.button > 0) return;
    ev.preventDefault();
    const { p, w, h } = this.point(ev);
    st.pointerDown(p, w, h, ev.pointerType === "touch" ? GRAB_RADIUS_TOUCH_PX : GRAB_RADIUS_PX);
    if (st.dragging) (ev.currentTarget as Element).setPointerCapture?.(ev.pointerId);
    this.host.requestUpdate();
  };

  readonly onPointerMove = (ev: PointerEvent): void => {
    const st = this.state;
    if (!st?.dragging) return;
    ev.preventDefault();
    if (st.pointerMove(this.point(ev).p)) this.host.requestUpdate();
  };

  readonly onPointerUp = (ev: PointerEvent): void => {
    const st = this.state;
    if (!st?.dragging) return;
    st.pointerUp();
    (ev.currentTarget as Element).releasePointerCapture?.(ev.pointerId);
    this.host.requestUpdate();
  };

  readonly onContextMenu = (ev: MouseEvent): void => {
    // Right click (or a long press) on a point of the selected region removes it.
    const st = this.state;
    if (!this.editing || !st) return;
    ev.preventDefault();
    if (st.selectedPoint >= 0) {
      st.removePoint(st.selected, st.selectedPoint);
      st.pointerUp();
      this.host.requestUpdate();
    }
  };

  // ---- drawing ----------------------------------------------------------------------------------

  /** The edit mode's layer of the picture's SVG: the area boxes, the regions, their names and handles. */
  layer(pic: Picture, names: RegionNames): SVGTemplateResult[] {
    const st = this.state;
    if (!st) return [];
    const [w, h] = pic.size;
    const u = unitOf(pic);
    const problems = st.regionProblems();
    const out: SVGTemplateResult[] = [];
    // The minimum and maximum box area, to scale, centred.
    for (const [cls, area] of [
      ["min-area", st.detection.min_area],
      ["max-area", st.detection.max_area],
    ] as const) {
      if (area > 0 && area < 1) {
        const [x0, y0, x1, y1] = areaBox(area);
        out.push(svg`<rect class="area ${cls}" x=${x0 * w} y=${y0 * h} width=${(x1 - x0) * w} height=${(y1 - y0) * h}></rect>`);
      }
    }
    st.regions.forEach((r, i) => {
      const selected = i === st.selected;
      out.push(svg`<g class="region edit ${selected ? "selected" : ""} ${problems[i] ? "invalid" : ""}" data-index=${i}>
        <polygon points=${pointsAttr(pic, r.points)}></polygon>
      </g>`);
    });
    // The names on top of every region, placed apart (as in view mode).
    const placed = names.place(
      pic,
      st.regions.map((r) => ({ points: r.points.map(([x, y]): Point => [x * w, y * h]), text: r.name })),
      chipStyle(pic),
      "centre", // the corners hold the handles
    );
    st.regions.forEach((r, i) => {
      if (r.name) out.push(chip(pic, `name ${i === st.selected ? "selected" : ""} ${problems[i] ? "invalid" : ""}`, placed[i].rect, placed[i].text));
    });
    const sel = st.regions[st.selected];
    if (sel && !st.drawing) {
      midpoints(sel.points).forEach(([x, y]) => out.push(svg`<circle class="mid" cx=${x * w} cy=${y * h} r=${5 * u}></circle>`));
      sel.points.forEach(([x, y], i) =>
        out.push(svg`<circle class="vertex ${i === st.selectedPoint ? "current" : ""}" cx=${x * w} cy=${y * h} r=${7 * u}></circle>`),
      );
    }
    if (st.drawing) {
      out.push(svg`<polyline class="drawing" points=${pointsAttr(pic, st.drawing)}></polyline>`);
      st.drawing.forEach(([x, y], i) =>
        out.push(svg`<circle class="vertex ${i === 0 && st.drawing!.length >= 3 ? "first" : ""}" cx=${x * w} cy=${y * h} r=${(i === 0 ? 9 : 6) * u}></circle>`),
      );
    }
    return out;
  }

  /** The edit panel below the picture: the toolbar, the selected region's form, the detection settings, the problems, save. */
  panel(): TemplateResult {
    const st = this.state;
    if (!st) return html``;
    const sel = st.regions[st.selected];
    const messages = problemMessages(this.lang, st);
    const d = st.detection;
    return html`<div class="edit">
      <div class="hint">${this.t(st.drawing ? "edit.hint_drawing" : "edit.hint_view")}</div>
      <div class="toolbar">
        ${st.drawing
          ? html`<button class="finish" ?disabled=${st.drawing.length < 3} @click=${() => this.act((s) => s.closeDrawing())}>${this.t("edit.finish")}</button>
              <button @click=${() => this.act((s) => s.cancelDrawing())}>${this.t("edit.cancel_drawing")}</button>`
          : html`<button class="add" ?disabled=${st.regions.length >= MAX_ROIS} @click=${() => this.act((s) => s.startDrawing())}>${this.t("edit.add_region")}</button>`}
        ${sel && !st.drawing
          ? html`<button class="remove-point" ?disabled=${st.selectedPoint < 0} @click=${() => this.act((s) => s.removePoint(s.selected, s.selectedPoint))}>
                ${this.t("edit.remove_point")}
              </button>
              <button class="delete" @click=${() => this.act((s) => s.deleteRegion(s.selected))}>${this.t("edit.delete_region")}</button>`
          : nothing}
      </div>
      ${sel && !st.drawing
        ? html`<fieldset class="region-form">
            <legend>${this.t("edit.region")}</legend>
            <label>${this.t("edit.name")}<input class="name" .value=${sel.name} @input=${(e: Event) => this.act((s) => s.rename(s.selected, (e.target as HTMLInputElement).value))} /></label>
            <label>${this.t("edit.labels")}<input class="labels" .value=${sel.labels.join(", ")} @change=${(e: Event) => this.act((s) => s.setLabels(s.selected, (e.target as HTMLInputElement).value.split(",")))} /></label>
            <label>${this.t("edit.min_score")}<input class="min-score" type="number" min="0" max="100" step="1" .value=${percentText(sel.min_score)}
              @change=${(e: Event) => this.act((s) => s.setMinScore(s.selected, minScoreValue(inputText(e))))} /></label>
          </fieldset>`
        : html`<div class="regions-summary">${st.regions.length ? st.regions.map((r) => r.name).join(", ") : this.t("edit.no_regions")}</div>`}
      <details class="detection">
        <summary>${this.t("edit.detection")}</summary>
        <div class="grid">
          <label>${this.t("edit.threshold")}<input class="threshold" type="number" min="1" max="100" step="1" .value=${percentText(d.threshold)} @change=${(e: Event) => this.setDetection(e, "threshold", 0.01)} /></label>
          <label>${this.t("edit.min_area")}<input class="min-area" type="number" min="0" max="100" step="0.1" .value=${percentText(d.min_area)} @input=${(e: Event) => this.setDetection(e, "min_area", 0.01)} /></label>
          <label>${this.t("edit.max_area")}<input class="max-area" type="number" min="0.1" max="100" step="0.1" .value=${percentText(d.max_area)} @input=${(e: Event) => this.setDetection(e, "max_area", 0.01)} /></label>
          <label>${this.t("edit.frames_needed")}<input class="frames-needed" type="number" min="1" max="30" step="1" .value=${String(d.frames_needed)} @change=${(e: Event) => this.setDetection(e, "frames_needed")} /></label>
          <label>${this.t("edit.frames_window")}<input class="frames-window" type="number" min="1" max="30" step="1" .value=${String(d.frames_window)} @change=${(e: Event) => this.setDetection(e, "frames_window")} /></label>
          <label>${this.t("edit.clear_after")}<input class="clear-after" type="number" min="0" max="3600" step="0.5" .value=${String(d.clear_after)} @change=${(e: Event) => this.setDetection(e, "clear_after")} /></label>
        </div>
        <div class="hint">${this.t("edit.area_boxes")}</div>
      </details>
      ${messages.length ? html`<ul class="problems">${messages.map((m) => html`<li>${m}</li>`)}</ul>` : nothing}
      <div class="footer">
        <span class="status" role="status">${this.data.status || (st.dirty ? this.t("edit.unsaved") : "")}</span>
        <button @click=${this.stop}>${this.t("edit.cancel")}</button>
        <button class="primary save" ?disabled=${!st.valid || st.regions.length > MAX_ROIS || this.data.saving} @click=${this.save}>${this.t(this.data.saving ? "edit.saving" : "edit.save")}</button>
      </div>
    </div>`;
  }
}
