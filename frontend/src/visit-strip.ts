// The strip of recent visits under the picture (issue 21): a thumbnail per visit (its best
// snapshot), its time (relative while recent, else local, in the user's Home Assistant locale),
// the regions it touched, and its clip's state; newest first, "More" at the end. What each
// thumbnail says is computed by stripModel without the DOM (unit-tested in
// test/visit-strip.test.ts); stripView only turns that into HTML, and clipView is the video
// played in place of the live picture.
import { html, nothing, type TemplateResult } from "lit";
import type { HomeAssistant } from "./ha";
import { localize } from "./localize";
import type { ClipState, Region, Visit } from "./types";
import type { Playing } from "./visits";

// ---- times --------------------------------------------------------------------------------------

/** How a time is written: the user's language, 12/24 h, and the zone (undefined: the browser's). */
export interface TimeStyle {
  language: string;
  hour12?: boolean;
  timeZone?: string;
}

/** The time style of the user's Home Assistant profile (hass.locale: time_format, time_zone). */
export function timeStyle(hass: HomeAssistant | undefined): TimeStyle {
  const locale = hass?.locale;
  const language = locale?.language ?? hass?.language ?? "en";
  let hour12: boolean | undefined;
  if (locale?.time_format === "12") hour12 = true;
  else if (locale?.time_format === "24") hour12 = false;
  else if (locale?.time_format === "system") hour12 = new Intl.DateTimeFormat(undefined, { hour: "numeric" }).resolvedOptions().hour12;
  const timeZone = locale?.time_zone === "server" ? hass?.config?.time_zone : undefined;
  return { language, hour12, timeZone };
}

function format(style: TimeStyle, options: Intl.DateTimeFormatOptions, at: Date): string {
  try {
    // (hour12: false would write midnight "24:05" in some languages; the h23 cycle writes "00:05".)
    const hours: Intl.DateTimeFormatOptions = style.hour12 === false ? { hourCycle: "h23" } : { hour12: style.hour12 };
    return new Intl.DateTimeFormat(style.language, { ...options, ...hours, timeZone: style.timeZone }).format(at);
  } catch {
    // An unknown language or zone: the browser's own.
    return new Intl.DateTimeFormat(undefined, options).format(at);
  }
}

/** The calendar day of a moment in the style's zone, as days since the epoch. */
function dayNumber(style: TimeStyle, at: Date): number {
  let ymd: string;
  try {
    ymd = new Intl.DateTimeFormat("en-CA", { timeZone: style.timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
  } catch {
    ymd = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
  }
  const [y, m, d] = ymd.split("-").map(Number);
  return Math.round(Date.UTC(y, m - 1, d) / 86_400_000);
}

/**
 * A visit's start as the strip writes it, `now` in milliseconds: "now" and "12 min. ago" within
 * the hour, the time ("14:03") earlier today, the weekday and time within the week, else the
 * date and time; `title` is the full date and time.
 */
export function visitTime(start: number, now: number, style: TimeStyle): { text: string; title: string } {
  const at = new Date(start * 1000);
  const title = format(style, { dateStyle: "full", timeStyle: "medium" }, at);
  const age = Math.max(0, now - at.getTime());
  const time: Intl.DateTimeFormatOptions = { hour: "numeric", minute: "2-digit" };
  let text: string;
  if (age < 3_600_000) {
    let rtf: Intl.RelativeTimeFormat;
    try {
      rtf = new Intl.RelativeTimeFormat(style.language, { numeric: "auto", style: "short" });
    } catch {
      rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" });
    }
    text = age < 45_000 ? rtf.format(0, "second") : rtf.format(-Math.max(1, Math.round(age / 60_000)), "minute");
  } else {
    const days = dayNumber(style, new Date(now)) - dayNumber(style, at);
    if (days <= 0) text = format(style, time, at);
    else if (days < 7) text = format(style, { weekday: "short", ...time }, at);
    else {
      const sameYear = format(style, { year: "numeric" }, at) === format(style, { year: "numeric" }, new Date(now));
      text = format(style, { day: "numeric", month: "short", ...(sameYear ? {} : { year: "numeric" }), ...time }, at);
    }
  }
  return { text, title };
}

/** A clip's length: "0:34", "12:05", "1:02:03". */
export function durationText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const two = (n: number): string => String(n).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

// ---- the strip's model ---------------------------------------------------------------------------

export interface StripItem {
  id: string;
  /** The thumbnail's address (the best snapshot), or undefined while there is none. */
  thumb?: string;
  time: string;
  title: string;
  /** The names of the regions the visit touched ("Door, Path"), "" for none. */
  regions: string;
  clip: ClipState;
  /** What the thumbnail says instead of a length: "Recording…", "No clip", "Clip failed". */
  badge: string;
  playable: boolean;
  /** The label of its button (read by screen readers). */
  label: string;
  /** Being played now. */
  active: boolean;
}

export interface StripInput {
  visits: readonly Visit[];
  more: boolean;
  loaded: boolean;
  loadingMore: boolean;
  error?: string;
  /** The camera's regions, for their names. */
  rois: readonly Region[];
  now: number;
  style: TimeStyle;
  url: (path: string) => string;
  playing?: string;
}

export interface StripModel {
  /** "loading" before the first page, "error" when none could be read, "empty" with no visits. */
  state: "loading" | "error" | "empty" | "list";
  /** The error, shown over the list too when a later read failed. */
  error?: string;
  items: StripItem[];
  more: boolean;
  loadingMore: boolean;
}

/** What the strip shows, from the visits read (visits.ts) and the camera's regions. */
export function stripModel(input: StripInput): StripModel {
  const t = (key: string, values?: Record<string, string | number>): string => localize(input.style.language, key, values);
  const names = new Map(input.rois.map((r) => [r.id ?? "", r.name]));
  const items = input.visits.map((v): StripItem => {
    const time = visitTime(v.start, input.now, input.style);
    const playable = v.clip === "ready" && v.clip_url !== null;
    const badge =
      v.clip === "ready"
        ? v.duration !== null
          ? durationText(v.duration)
          : ""
        : t(v.clip === "recording" ? "visits.recording" : v.clip === "failed" ? "visits.failed" : "visits.no_clip");
    const regions = v.regions.map((id) => names.get(id) ?? id).join(", ");
    return {
      id: v.id,
      thumb: v.snapshot_url ? input.url(v.snapshot_url) : undefined,
      time: time.text,
      title: time.title,
      regions,
      clip: v.clip,
      badge,
      playable,
      label: [playable ? t("visits.play", { time: time.title }) : time.title, regions, badge].filter(Boolean).join(", "),
      active: input.playing === v.id,
    };
  });
  const state = items.length ? "list" : input.error ? "error" : !input.loaded ? "loading" : "empty";
  return { state, error: input.error, items, more: input.more && items.length > 0, loadingMore: input.loadingMore };
}

// ---- HTML ---------------------------------------------------------------------------------------

export interface StripHandlers {
  play: (id: string) => void;
  more: () => void;
  thumbnailFailed: () => void;
}

/** The strip: its thumbnails in a row that scrolls sideways, "More" at its end, or what stands in for them. */
export function stripView(model: StripModel, lang: string, on: StripHandlers): TemplateResult {
  const t = (key: string): string => localize(lang, key);
  const message = (cls: string, text: string): TemplateResult => html`<div class="visits-message ${cls}">${text}</div>`;
  let body: TemplateResult;
  if (model.state === "loading") body = message("loading", t("visits.loading"));
  else if (model.state === "empty") body = message("empty", t("visits.empty"));
  else if (model.state === "error") body = message("error", model.error ?? "");
  else {
    body = html`<ol class="visit-list">
      ${model.items.map(
        (item) => html`<li>
          <button
            class="visit ${item.clip} ${item.active ? "active" : ""}"
            data-id=${item.id}
            ?disabled=${!item.playable}
            aria-label=${item.label}
            title=${item.label}
            @click=${() => on.play(item.id)}
          >
            <span class="thumb">
              ${item.thumb ? html`<img src=${item.thumb} alt="" loading="lazy" @error=${on.thumbnailFailed} />` : nothing}
              ${item.badge ? html`<span class="badge">${item.badge}</span>` : nothing}
              ${item.playable ? html`<span class="play" aria-hidden="true"></span>` : nothing}
            </span>
            <span class="when">${item.time}</span>
            ${item.regions ? html`<span class="where">${item.regions}</span>` : nothing}
          </button>
        </li>`,
      )}
      ${model.more
        ? html`<li>
            <button class="more" ?disabled=${model.loadingMore} @click=${on.more}>${t(model.loadingMore ? "visits.loading_more" : "visits.more")}</button>
          </li>`
        : nothing}
    </ol>`;
  }
  return html`<section class="visits" aria-label=${t("visits.title")}>
    ${model.state === "list" && model.error ? message("error", model.error) : nothing} ${body}
  </section>`;
}

/** The clip played in place of the live picture, with the way back to it. */
export function clipView(playing: Playing, lang: string, onBack: () => void, onError: (message: string) => void): TemplateResult {
  const t = (key: string, values?: Record<string, string | number>): string => localize(lang, key, values);
  const videoError = (ev: Event): void => {
    const err = (ev.target as HTMLVideoElement).error;
    onError(err?.message || `code ${err?.code ?? "?"}`);
  };
  return html`${playing.url
      ? html`<video class="clip" src=${playing.url} controls playsinline autoplay muted preload="auto" @error=${videoError}></video>`
      : html`<div class="unavailable">${t("card.loading")}</div>`}
    <button class="back" @click=${onBack}>${t("visits.live")}</button>
    ${playing.error ? html`<div class="clip-error" role="alert">${playing.error}</div>` : nothing}`;
}
