// The card's visual editor: HA's own form (ha-form) with an entity picker limited to the
// integration's cameras.
import { LitElement, html, css, type TemplateResult } from "lit";
import { cardEditorConfig, cardOptions } from "./editor-state";
import { fireConfigChanged, languageOf, type HomeAssistant } from "./ha";
import { localize } from "./localize";
import type { CardConfig } from "./types";

const SCHEMA = [
  { name: "entity", required: true, selector: { entity: { domain: "camera", integration: "bobby_camera" } } },
  { name: "title", selector: { text: {} } },
  { name: "show_boxes", selector: { boolean: {} } },
  { name: "show_regions", selector: { boolean: {} } },
  { name: "show_events", selector: { boolean: {} } },
];

export class BobbyCameraCardEditor extends LitElement {
  static override properties = { hass: { attribute: false }, _config: { state: true } };
  hass?: HomeAssistant;
  private _config?: CardConfig;

  setConfig(config: CardConfig): void {
    this._config = config;
  }

  private _label = (schema: { name: string }): string => localize(languageOf(this.hass), `editor.${schema.name}`);

  private _changed(ev: CustomEvent<{ value: CardConfig }>): void {
    ev.stopPropagation();
    const config = cardEditorConfig(ev.detail.value, this._config?.type ?? "custom:bobby-camera-card");
    fireConfigChanged(this, config);
  }

  override render(): TemplateResult {
    if (!this.hass || !this._config) return html``;
    return html`<ha-form
      .hass=${this.hass}
      .data=${cardOptions(this._config)}
      .schema=${SCHEMA}
      .computeLabel=${this._label}
      @value-changed=${this._changed}
    ></ha-form>`;
  }

  static override styles = css`
    :host {
      display: block;
    }
  `;
}

if (!customElements.get("bobby-camera-card-editor")) customElements.define("bobby-camera-card-editor", BobbyCameraCardEditor);
