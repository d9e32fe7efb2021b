// custom:bobby-camera-card: the camera's live picture with the latest detections and the regions;
// admins draw and save the regions on it. Everything goes through the integration's websocket
// commands (custom_components/bobby_camera/websocket_api.py); coordinates are normalised 0..1.
import { LitElement, html, svg, nothing, type PropertyValues, type TemplateResult, type SVGTemplateResult } from "lit";
import { CameraData } from "./card-data";
import { cardStyles } from "./card-styles";
import { chip, chipStyle, countText, DEFAULT_SIZE, imageUrl, overlayLayout, overlayView, pointsAttr, RegionNames, textWidth, unitOf, type Picture } from "./card-view";
import { EditorState, MAX_ROIS } from "./editor-state";
import { areaBox, midpoints, normalise, type Point } from "./geometry";
import { languageOf, type HomeAssistant } from "./ha";
import { localize } from "./localize";
import type { CardConfig, DetectionSettings } from "./types";
import "./bobby-camera-card-editor";

const CARD_TYPE = "bobby-camera-card";

export class BobbyCameraCard extends LitElement {
  static override properties = {
    hass: { attribute: false },
    _config: { state: true },
    _editing: { state: true },
    _rev: { state: true },
    _width: { state: true },
    _imageFailed: { state: true },
  };

  hass?: HomeAssistant;
  private _config?: CardConfig;
  private _editing = false;
  private _state?: EditorState;
  private _rev = 0;
  private _width = 0;
  private _imageFailed = false;
  private _resize?: ResizeObserver;
  private _font = "";
  private readonly _data = new CameraData(this, { editing: () => this._editing });
  private readonly _names = new RegionNames();

  static getConfigElement(): HTMLElement {
    return document.createElement("bobby-camera-card-editor");
  }

  static getStubConfig(hass: HomeAssistant): CardConfig {
    const ours = Object.values(hass.entities ?? {}).find((e) => e?.platform === "bobby_camera" && e.entity_id.startsWith("camera."));
    const any = Object.keys(hass.states).find((id) => id.startsWith("camera."));
    return { type: `custom:${CARD_TYPE}`, entity: ours?.entity_id ?? any ?? "" };
  }

  setConfig(config: CardConfig): void {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    if (config.entity !== undefined && (typeof config.entity !== "string" || (config.entity && !config.entity.startsWith("camera.")))) {
      throw new Error("entity must be a camera entity (camera.…)");
    }
    const changed = config.entity !== this._config?.entity;
    this._config = { show_boxes: true, show_regions: true, ...config };
    if (changed) {
      this._data.setEntity(config.entity);
      this._editing = false;
      this._state = undefined;
    }
  }

  getCardSize(): number {
    return this._editing ? 12 : 6;
  }

  getGridOptions(): Record<string, unknown> {
    return { columns: 12, min_columns: 6, rows: "auto" };
  }

  private get _lang(): string {
    return languageOf(this.hass);
  }

  private _t(key: string, values?: Record<string, string | number>): string {
    return localize(this._lang, key, values);
  }

  // ---- life cycle -----------------------------------------------------------------------------

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this._resize?.disconnect();
    this._resize = undefined;
  }

  protected override firstUpdated(): void {
    this._observe();
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has("hass")) this._data.hassChanged();
    this._observe();
  }

  private _observe(): void {
    const wrap = this.renderRoot.querySelector(".picture");
    if (!wrap || this._resize) return;
    this._resize = new ResizeObserver((entries) => {
      this._width = entries[0]?.contentRect.width ?? 0;
    });
    this._resize.observe(wrap);
  }

  // ---- picture ----------------------------------------------------------------------------------

  private get _picSize(): [number, number] {
    return this._data.size ?? this._data.camera?.resolution ?? DEFAULT_SIZE;
  }

  private _onImageLoad(ev: Event): void {
    const img = ev.target as HTMLImageElement;
    this._data.noteImageSize(img.naturalWidth, img.naturalHeight);
  }

  // ---- drawing ----------------------------------------------------------------------------------

  /** The picture as the view draws it (the SVG's font is read the first time it is needed). */
  private get _picture(): Picture {
    if (!this._font) {
      const svgEl = this.renderRoot?.querySelector("svg");
      this._font = (svgEl && getComputedStyle(svgEl).fontFamily) || "sans-serif";
    }
    const font = this._font;
    return { size: this._picSize, width: this._width, font, measure: (text) => textWidth(text, font) };
  }

  private _overlayView(): SVGTemplateResult[] {
    const picture = this._picture;
    const layout = overlayLayout({
      picture,
      config: this._config ?? {},
      camera: this._data.camera,
      states: this.hass?.states,
      detections: this._data.detections,
      lang: this._lang,
      names: this._names,
    });
    return overlayView(picture, layout);
  }

  private _editView(): SVGTemplateResult[] {
    const st = this._state;
    if (!st) return [];
    const pic = this._picture;
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
    const names = this._names.place(
      pic,
      st.regions.map((r) => ({ points: r.points.map(([x, y]): Point => [x * w, y * h]), text: r.name })),
      chipStyle(pic),
      "centre", // the corners hold the handles
    );
    st.regions.forEach((r, i) => {
      if (r.name) out.push(chip(pic, `name ${i === st.selected ? "selected" : ""} ${problems[i] ? "invalid" : ""}`, names[i].rect, names[i].text));
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

  // ---- pointer ----------------------------------------------------------------------------------

  private _point(ev: PointerEvent | MouseEvent): { p: Point; w: number; h: number } {
    const rect = (ev.currentTarget as Element).getBoundingClientRect();
    return { p: normalise(ev.clientX, ev.clientY, rect), w: rect.width, h: rect.height };
  }

  private _onPointerDown(ev: PointerEvent): void {
    const st = this._state;
    if (!this._editing || !st || ev.button > 0) return;
    ev.preventDefault();
    const { p, w, h } = this._point(ev);
    st.pointerDown(p, w, h, ev.pointerType === "touch" ? 22 : 11);
    if (st.dragging) (ev.currentTarget as Element).setPointerCapture?.(ev.pointerId);
    this._rev++;
  }

  private _onPointerMove(ev: PointerEvent): void {
    const st = this._state;
    if (!st?.dragging) return;
    ev.preventDefault();
    if (st.pointerMove(this._point(ev).p)) this._rev++;
  }

  private _onPointerUp(ev: PointerEvent): void {
    const st = this._state;
    if (!st?.dragging) return;
    st.pointerUp();
    (ev.currentTarget as Element).releasePointerCapture?.(ev.pointerId);
    this._rev++;
  }

  private _onContextMenu(ev: MouseEvent): void {
    // Right click (or a long press) on a point of the selected region removes it.
    const st = this._state;
    if (!this._editing || !st) return;
    ev.preventDefault();
    if (st.selectedPoint >= 0) {
      st.removePoint(st.selected, st.selectedPoint);
      st.pointerUp();
      this._rev++;
    }
  }

  // ---- editing ----------------------------------------------------------------------------------

  private _startEditing(): void {
    const cam = this._data.camera;
    if (!cam) return;
    this._state = new EditorState(cam.rois, cam.detection);
    this._editing = true;
    this._data.clearStatus();
  }

  private _stopEditing(): void {
    this._editing = false;
    this._state = undefined;
  }

  private _act(fn: (st: EditorState) => void): void {
    if (!this._state) return;
    fn(this._state);
    this._rev++;
  }

  private _num(ev: Event): number | null {
    const value = (ev.target as HTMLInputElement).value.trim();
    return value === "" ? null : Number(value);
  }

  private _setDetection(key: keyof DetectionSettings, ev: Event, scale = 1): void {
    const v = this._num(ev);
    this._act((st) => st.setDetection(key, (v === null ? NaN : Math.round(v * scale * 10000) / 10000) as never));
  }

  private async _save(): Promise<void> {
    const st = this._state;
    if (!st || !st.valid) return;
    await this._data.save(st.payload(), () => this._stopEditing());
  }

  // ---- render -----------------------------------------------------------------------------------

  override render(): TemplateResult {
    if (!this._config) return html``;
    const title = this._config.title ?? this._data.camera?.name;
    if (!this._config.entity) return html`<ha-card .header=${title}><div class="message">${this._t("card.no_entity")}</div></ha-card>`;
    const [w, h] = this._picSize;
    const url = imageUrl(this.hass, this._data.camera?.camera_entity ?? this._config?.entity, this._imageFailed);
    const admin = this.hass?.user?.is_admin === true;
    return html`<ha-card .header=${title}>
      ${this._data.error ? html`<div class="message error">${this._data.error}</div>` : nothing}
      <div class="picture" style="aspect-ratio: ${w} / ${h}">
        ${url
          ? html`<img src=${url} alt="" @load=${this._onImageLoad} @error=${() => (this._imageFailed = true)} />`
          : html`<div class="unavailable">${this._t(this._data.camera ? "card.unavailable" : "card.loading")}</div>`}
        <svg
          class=${this._editing ? "editing" : ""}
          viewBox="0 0 ${w} ${h}"
          preserveAspectRatio="none"
          @pointerdown=${this._onPointerDown}
          @pointermove=${this._onPointerMove}
          @pointerup=${this._onPointerUp}
          @pointercancel=${this._onPointerUp}
          @contextmenu=${this._onContextMenu}
        >
          ${this._editing ? this._editView() : this._overlayView()}
        </svg>
        ${this._editing ? nothing : html`<div class="count">${this._countText()}</div>`}
      </div>
      ${this._editing ? this._editPanel() : this._footer(admin)}
    </ha-card>`;
  }

  private _countText(): string {
    return countText(this._lang, this._data.camera, this.hass?.states, this._data.detections);
  }

  private _footer(admin: boolean): TemplateResult {
    return html`<div class="footer">
      <span class="status" role="status">${this._data.status}</span>
      ${admin && this._data.camera ? html`<button class="primary" @click=${this._startEditing}>${this._t("card.edit")}</button>` : nothing}
    </div>`;
  }

  private _editPanel(): TemplateResult {
    const st = this._state!;
    const problems = st.regionProblems();
    const detectionProblem = st.detectionProblem();
    const sel = st.regions[st.selected];
    const messages = [
      ...problems.flatMap((p, i) => (p ? [this._t(`problems.${p}`, { region: st.regions[i].name || "?" })] : [])),
      ...(detectionProblem ? [this._t(`problems.${detectionProblem}`)] : []),
      ...(st.regions.length > MAX_ROIS ? [this._t("problems.too_many_regions")] : []),
    ];
    const d = st.detection;
    const pct = (v: number | null | undefined): string => (v == null || Number.isNaN(v) ? "" : String(Math.round(v * 10000) / 100));
    return html`<div class="edit">
      <div class="hint">${this._t(st.drawing ? "edit.hint_drawing" : "edit.hint_view")}</div>
      <div class="toolbar">
        ${st.drawing
          ? html`<button class="finish" ?disabled=${st.drawing.length < 3} @click=${() => this._act((s) => s.closeDrawing())}>${this._t("edit.finish")}</button>
              <button @click=${() => this._act((s) => s.cancelDrawing())}>${this._t("edit.cancel_drawing")}</button>`
          : html`<button class="add" ?disabled=${st.regions.length >= MAX_ROIS} @click=${() => this._act((s) => s.startDrawing())}>${this._t("edit.add_region")}</button>`}
        ${sel && !st.drawing
          ? html`<button class="remove-point" ?disabled=${st.selectedPoint < 0} @click=${() => this._act((s) => s.removePoint(s.selected, s.selectedPoint))}>
                ${this._t("edit.remove_point")}
              </button>
              <button class="delete" @click=${() => this._act((s) => s.deleteRegion(s.selected))}>${this._t("edit.delete_region")}</button>`
          : nothing}
      </div>
      ${sel && !st.drawing
        ? html`<fieldset class="region-form">
            <legend>${this._t("edit.region")}</legend>
            <label>${this._t("edit.name")}<input class="name" .value=${sel.name} @input=${(e: Event) => this._act((s) => s.rename(s.selected, (e.target as HTMLInputElement).value))} /></label>
            <label>${this._t("edit.labels")}<input class="labels" .value=${sel.labels.join(", ")} @change=${(e: Event) => this._act((s) => s.setLabels(s.selected, (e.target as HTMLInputElement).value.split(",")))} /></label>
            <label>${this._t("edit.min_score")}<input class="min-score" type="number" min="0" max="100" step="1" .value=${pct(sel.min_score)}
              @change=${(e: Event) => {
                const v = this._num(e);
                this._act((s) => s.setMinScore(s.selected, v === null ? null : Math.round(v * 100) / 10000));
              }} /></label>
          </fieldset>`
        : html`<div class="regions-summary">${st.regions.length ? st.regions.map((r) => r.name).join(", ") : this._t("edit.no_regions")}</div>`}
      <details class="detection">
        <summary>${this._t("edit.detection")}</summary>
        <div class="grid">
          <label>${this._t("edit.threshold")}<input class="threshold" type="number" min="1" max="100" step="1" .value=${pct(d.threshold)} @change=${(e: Event) => this._setDetection("threshold", e, 0.01)} /></label>
          <label>${this._t("edit.min_area")}<input class="min-area" type="number" min="0" max="100" step="0.1" .value=${pct(d.min_area)} @input=${(e: Event) => this._setDetection("min_area", e, 0.01)} /></label>
          <label>${this._t("edit.max_area")}<input class="max-area" type="number" min="0.1" max="100" step="0.1" .value=${pct(d.max_area)} @input=${(e: Event) => this._setDetection("max_area", e, 0.01)} /></label>
          <label>${this._t("edit.frames_needed")}<input class="frames-needed" type="number" min="1" max="30" step="1" .value=${String(d.frames_needed)} @change=${(e: Event) => this._setDetection("frames_needed", e)} /></label>
          <label>${this._t("edit.frames_window")}<input class="frames-window" type="number" min="1" max="30" step="1" .value=${String(d.frames_window)} @change=${(e: Event) => this._setDetection("frames_window", e)} /></label>
          <label>${this._t("edit.clear_after")}<input class="clear-after" type="number" min="0" max="3600" step="0.5" .value=${String(d.clear_after)} @change=${(e: Event) => this._setDetection("clear_after", e)} /></label>
        </div>
        <div class="hint">${this._t("edit.area_boxes")}</div>
      </details>
      ${messages.length ? html`<ul class="problems">${messages.map((m) => html`<li>${m}</li>`)}</ul>` : nothing}
      <div class="footer">
        <span class="status" role="status">${this._data.status || (st.dirty ? this._t("edit.unsaved") : "")}</span>
        <button @click=${this._stopEditing}>${this._t("edit.cancel")}</button>
        <button class="primary save" ?disabled=${!st.valid || st.regions.length > MAX_ROIS || this._data.saving} @click=${this._save}>${this._t(this._data.saving ? "edit.saving" : "edit.save")}</button>
      </div>
    </div>`;
  }

  static override styles = cardStyles;
}

if (!customElements.get(CARD_TYPE)) {
  customElements.define(CARD_TYPE, BobbyCameraCard);
  const w = window as unknown as { customCards?: Record<string, unknown>[] };
  w.customCards = w.customCards ?? [];
  w.customCards.push({
    type: CARD_TYPE,
    name: localize(navigator.language, "card.name"),
    description: localize(navigator.language, "card.description"),
    preview: true,
    documentationURL: "https://github.com/bobby-camera/bobby-camera/blob/main/docs/home-assistant.md#the-dashboard-card",
  });
}
