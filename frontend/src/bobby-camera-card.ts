// custom:bobby-camera-card: the camera's live picture with the latest detections and the regions;
// admins draw and save the regions on it. Everything goes through the integration's websocket
// commands (custom_components/bobby_camera/websocket_api.py); coordinates are normalised 0..1.
// The element only puts the parts together:
//   card-data.ts     the data: get_config, subscribe_detections, save_rois (a reactive controller)
//   card-view.ts     the view: the picture's address and what is drawn over it in view mode
//   roi-editor.ts    the edit mode: pointer editing, its SVG layer and the edit panel
//   visits.ts        the recent visits: bobby_camera/events, paged and refreshed (a reactive controller)
//   visit-strip.ts   the strip of visits under the picture, and a visit's clip played in its place
//   card-styles.ts   the styles
import { LitElement, html, nothing, type PropertyValues, type TemplateResult, type SVGTemplateResult } from "lit";
import { CameraData } from "./card-data";
import { cardStyles } from "./card-styles";
import { countText, DEFAULT_SIZE, imageUrl, overlayLayout, overlayView, RegionNames, textWidth, type Picture } from "./card-view";
import { cardOptions } from "./editor-state";
import { languageOf, type HomeAssistant } from "./ha";
import { localize } from "./localize";
import { RoiEditor } from "./roi-editor";
import type { CardConfig } from "./types";
import { clipView, stripModel, stripView, timeStyle } from "./visit-strip";
import { VisitsData } from "./visits";
import "./bobby-camera-card-editor";

const CARD_TYPE = "bobby-camera-card";

export class BobbyCameraCard extends LitElement {
  static override properties = {
    hass: { attribute: false },
    _config: { state: true },
    _width: { state: true },
    _imageFailed: { state: true },
  };

  hass?: HomeAssistant;
  private _config?: CardConfig;
  private _width = 0;
  private _imageFailed = false;
  private _resize?: ResizeObserver;
  private _font = "";
  private readonly _data: CameraData = new CameraData(this, { editing: () => this._editor.editing });
  private readonly _editor: RoiEditor = new RoiEditor(this, this._data);
  private readonly _names = new RegionNames();
  private readonly _visits: VisitsData = new VisitsData(this);

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
    this._config = cardOptions(config);
    this._visits.setEnabled(this._config.show_events !== false);
    if (changed) {
      this._data.setEntity(config.entity);
      this._editor.stop();
    }
  }

  getCardSize(): number {
    return this._editor.editing ? 12 : this._config?.show_events === false ? 6 : 8;
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
    this._visits.setCamera(this._data.camera?.camera_id, this._data.camera?.camera_entity);
    if (changed.has("hass")) this._visits.hassChanged();
    // Editing the regions needs the live picture: a clip being played stops.
    if (this._editor.editing) this._visits.stop();
    this._observe();
    // The picture's own size, read again at every render: an MJPEG stream fires `load` once.
    const img = this.renderRoot.querySelector<HTMLImageElement>(".picture img");
    if (img) this._data.noteImageSize(img.naturalWidth, img.naturalHeight);
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

  /** The picture as the view draws it. The SVG's font is read once the SVG exists (before the
   * first render it is not there yet, and the host's font, which it inherits, stands in). */
  private get _picture(): Picture {
    if (!this._font) {
      const svgEl = this.renderRoot?.querySelector("svg");
      if (svgEl) this._font = getComputedStyle(svgEl).fontFamily || "sans-serif";
    }
    const font = this._font || (this.isConnected && getComputedStyle(this).fontFamily) || "sans-serif";
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

  // ---- render -----------------------------------------------------------------------------------

  override render(): TemplateResult {
    if (!this._config) return html``;
    const title = this._config.title ?? this._data.camera?.name;
    if (!this._config.entity) return html`<ha-card .header=${title}><div class="message">${this._t("card.no_entity")}</div></ha-card>`;
    const [w, h] = this._picSize;
    // A visit's clip plays in place of the live picture (whose stream stops meanwhile).
    const playing = this._editor.editing ? undefined : this._visits.playing;
    const url = playing ? undefined : imageUrl(this.hass, this._data.camera?.camera_entity ?? this._config?.entity, this._imageFailed);
    const admin = this.hass?.user?.is_admin === true;
    return html`<ha-card .header=${title}>
      ${this._data.error ? html`<div class="message error">${this._data.error}</div>` : nothing}
      <div class="picture" style="aspect-ratio: ${w} / ${h}">
        ${url
          ? html`<img src=${url} alt="" @load=${this._onImageLoad} @error=${() => (this._imageFailed = true)} />`
          : html`<div class="unavailable">${this._t(this._data.camera ? "card.unavailable" : "card.loading")}</div>`}
        <svg
          class=${this._editor.editing ? "editing" : ""}
          viewBox="0 0 ${w} ${h}"
          preserveAspectRatio="none"
          @pointerdown=${this._editor.onPointerDown}
          @pointermove=${this._editor.onPointerMove}
          @pointerup=${this._editor.onPointerUp}
          @pointercancel=${this._editor.onPointerUp}
          @contextmenu=${this._editor.onContextMenu}
        >
          ${this._editor.editing ? this._editor.layer(this._picture, this._names) : this._overlayView()}
        </svg>
        ${this._editor.editing ? nothing : html`<div class="count">${this._countText()}</div>`}
        ${playing
          ? html`<div class="clip-layer">
              ${clipView(playing, this._lang, () => this._visits.stop(), (message) => this._visits.playFailed(message))}
            </div>`
          : nothing}
      </div>
      ${this._editor.editing || this._config.show_events === false ? nothing : this._strip()}
      ${this._editor.editing ? this._editor.panel() : this._footer(admin)}
    </ha-card>`;
  }

  private _countText(): string {
    return countText(this._lang, this._data.camera, this.hass?.states, this._data.detections);
  }

  private _strip(): TemplateResult {
    const v = this._visits;
    const model = stripModel({
      visits: v.visits,
      more: v.more,
      loaded: v.loaded,
      loadingMore: v.loadingMore,
      error: v.error,
      rois: this._data.camera?.rois ?? [],
      now: Date.now(),
      style: timeStyle(this.hass),
      url: (path) => this.hass?.hassUrl(path) ?? path,
      playing: v.playing?.visit.id,
    });
    return stripView(model, this._lang, {
      play: (id) => void v.play(id),
      more: () => void v.loadMore(),
      thumbnailFailed: () => v.thumbnailFailed(),
    });
  }

  private _footer(admin: boolean): TemplateResult {
    return html`<div class="footer">
      <span class="status" role="status">${this._data.status}</span>
      ${admin && this._data.camera ? html`<button class="primary" @click=${this._editor.start}>${this._t("card.edit")}</button>` : nothing}
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
