// The camera's recent visits (issue 21): a Lit reactive controller that reads them page by page
// with bobby_camera/events (newest first; "more" reads the page before the oldest one shown),
// reads them again when the camera's "Person visit" event entity changes (a visit started or
// ended), and otherwise at most once a minute, only while that entity is not found or a visit is
// still recording. It also holds the clip being played in the card. The answer is checked as
// untrusted (a file's address must be a path on Home Assistant itself). No DOM: unit-tested in
// test/visits.test.ts with a fake Home Assistant; the strip itself is visit-strip.ts.
import type { ReactiveController } from "lit";
import type { CardDataHost } from "./card-data";
import { languageOf, type HomeAssistant } from "./ha";
import { localize } from "./localize";
import type { ClipState, Visit, VisitPage } from "./types";

/** Visits read at a time (the command takes 1..50). */
export const PAGE_SIZE = 12;
/** The least time between two reads that no visit started or ended asked for. */
export const MIN_POLL_MS = 60_000;
/** How often the controller looks whether a read is due (and redraws the relative times). */
export const TICK_MS = 15_000;
/** The most visits kept in the strip ("more" stops there). */
export const MAX_VISITS = 200;
const CLIP_STATES: readonly ClipState[] = ["recording", "ready", "none", "failed"];
/** The most visits bobby_camera/events answers at once. */
const MAX_PAGE = 50;
/** A refused answer is written to the browser's console at most this often. */
const WARN_EVERY_MS = 60_000;
const MAX_REGIONS = 32;

// ---- the answer, checked ----------------------------------------------------------------------

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** A path on Home Assistant itself ("/api/…"), never another host ("//host", "https://…"). */
export function localPath(v: unknown): string | null {
  return typeof v === "string" && v.length <= 4096 && v.startsWith("/") && !v.startsWith("//") && !v.includes("\\") ? v : null;
}

/** One visit of the answer, or null when it is not one. */
export function parseVisit(raw: unknown): Visit | null {
  if (!raw || typeof raw !== "object") return null;
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== "string" || !r.id || r.id.length > 64 || !finite(r.start)) return null;
  const clip = CLIP_STATES.includes(r.clip as ClipState) ? (r.clip as ClipState) : "none";
  const regions = Array.isArray(r.regions) ? r.regions.filter((x): x is string => typeof x === "string").slice(0, MAX_REGIONS) : [];
  const clipUrl = localPath(r.clip_url);
  return {
    id: r.id,
    camera: typeof r.camera === "string" ? r.camera : "",
    start: r.start,
    end: finite(r.end) ? r.end : null,
    regions,
    max_persons: finite(r.max_persons) && r.max_persons >= 0 ? Math.round(r.max_persons) : 0,
    score: finite(r.score) ? r.score : null,
    // A clip is playable only when it is ready and has an address.
    clip: clip === "ready" && !clipUrl ? "recording" : clip,
    duration: finite(r.duration) && r.duration >= 0 ? r.duration : null,
    snapshot_url: localPath(r.snapshot_url),
    clip_url: clip === "ready" ? clipUrl : null,
  };
}

/** The answer of bobby_camera/events, its visits checked one by one (a bad one is left out and
 * counted in `refused`; an answer without a list of events counts as one). */
export function parsePage(raw: unknown): VisitPage & { refused: number } {
  const r = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  if (!Array.isArray(r.events)) return { events: [], more: false, refused: 1 };
  // At most a page's worth (the command answers at most 50): the rest counts as refused.
  const events = r.events
    .slice(0, MAX_PAGE)
    .map(parseVisit)
    .filter((v): v is Visit => v !== null);
  return { events, more: r.more === true, refused: r.events.length - events.length };
}

const newestFirst = (a: Visit, b: Visit): number => b.start - a.start || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * The strip after reading a page. The newest page replaces what it covers (a visit it no longer
 * has was removed) and keeps the older visits already read; an older page ("more") is added
 * behind. Each visit once, newest first, at most MAX_VISITS.
 */
export function mergePage(
  current: readonly Visit[],
  currentMore: boolean,
  page: VisitPage,
  kind: "newest" | "older",
): { visits: Visit[]; more: boolean } {
  let visits: Visit[];
  let more: boolean;
  if (kind === "older") {
    const ids = new Set(page.events.map((v) => v.id));
    visits = [...current.filter((v) => !ids.has(v.id)), ...page.events];
    more = page.more;
  } else if (!page.more || page.events.length === 0) {
    // The page holds every visit there is.
    visits = [...page.events];
    more = page.more;
  } else {
    const oldest = Math.min(...page.events.map((v) => v.start));
    const ids = new Set(page.events.map((v) => v.id));
    // The visits read before follow on only when the page reaches back to them; else more
    // visits started meanwhile than a page holds, and those between would be missing.
    const joined = current.some((v) => v.start >= oldest);
    const older = joined ? current.filter((v) => v.start < oldest && !ids.has(v.id)) : [];
    visits = [...page.events, ...older];
    // Older visits are known to exist: either those kept, or the ones a "more" will read.
    more = older.length > 0 ? currentMore : true;
  }
  const seen = new Set<string>();
  visits = visits.filter((v) => (seen.has(v.id) ? false : (seen.add(v.id), true))).sort(newestFirst);
  if (visits.length > MAX_VISITS) {
    visits = visits.slice(0, MAX_VISITS);
    more = false;
  }
  return { visits, more };
}

// ---- the Person visit entity ---------------------------------------------------------------------

/**
 * The camera's "Person visit" event entity (MQTT discovery, unique id bobby_<cam>_visit, entity
 * id event.<cam>_visit unless renamed): the event entity of the camera entity's device, the one
 * whose id ends in _visit when there are several.
 */
export function visitEntity(hass: HomeAssistant | undefined, cameraEntity: string | null | undefined): string | undefined {
  const entities = hass?.entities;
  const device = cameraEntity ? entities?.[cameraEntity]?.device_id : undefined;
  if (!entities || !device) return undefined;
  const events = Object.values(entities).filter(
    (e): e is NonNullable<typeof e> => !!e && e.device_id === device && e.entity_id.startsWith("event.") && e.platform === "mqtt",
  );
  return (events.find((e) => e.entity_id.endsWith("_visit")) ?? events[0])?.entity_id;
}

// ---- the controller ---------------------------------------------------------------------------

export interface VisitsOptions {
  /** The clock (tests pass their own). */
  now?: () => number;
}

/** The clip shown in place of the live picture. */
export interface Playing {
  visit: Visit;
  /** Its address; undefined while a fresh one is read. */
  url?: string;
  error?: string;
}

export class VisitsData implements ReactiveController {
  visits: Visit[] = [];
  more = false;
  /** The first page was read (an empty strip then says so). */
  loaded = false;
  loading = false;
  loadingMore = false;
  /** Why the visits could not be read (the strip shows it). */
  error?: string;
  playing?: Playing;
  /** Visits of the answers left out as not valid (counted; logged at most once a minute). */
  refused = 0;

  private warnedAt = -Infinity;
  private camera?: string;
  private cameraEntity?: string | null;
  private enabled = true;
  private entity?: string;
  private entityState?: string;
  private entitiesSeen?: unknown;
  private readAt = -Infinity;
  private busy = false;
  private again = false;
  private generation = 0;
  private tickTimer?: ReturnType<typeof setInterval>;
  private readonly now: () => number;

  constructor(
    private readonly host: CardDataHost,
    options: VisitsOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    host.addController(this);
  }

  private t(key: string, values?: Record<string, string | number>): string {
    return localize(languageOf(this.host.hass), key, values);
  }

  /** The "Person visit" entity followed (undefined until it is found). */
  get eventEntity(): string | undefined {
    return this.entity;
  }

  hostConnected(): void {
    this.tickTimer = setInterval(() => this.tick(), TICK_MS);
    this.hassChanged();
  }

  hostDisconnected(): void {
    clearInterval(this.tickTimer);
    this.tickTimer = undefined;
  }

  /** The card's camera (its id for bobby_camera/events, its entity to find the device): another one starts afresh. */
  setCamera(camera: string | undefined, cameraEntity?: string | null): void {
    this.cameraEntity = cameraEntity;
    if (camera === this.camera) return;
    this.camera = camera;
    this.generation++;
    this.visits = [];
    this.more = false;
    this.loaded = false;
    this.loading = false;
    this.loadingMore = false;
    this.busy = false;
    this.again = false;
    this.error = undefined;
    this.playing = undefined;
    this.entity = undefined;
    this.entityState = undefined;
    this.entitiesSeen = undefined;
    this.readAt = -Infinity;
    this.hassChanged();
    this.host.requestUpdate();
  }

  /** The card's show_events: a hidden strip reads nothing. */
  setEnabled(enabled: boolean): void {
    if (enabled === this.enabled) return;
    this.enabled = enabled;
    if (!enabled) this.playing = undefined;
    else this.hassChanged();
    this.host.requestUpdate();
  }

  /** Home Assistant was passed in again: the first read, and a read whenever the Person visit entity changed. */
  hassChanged(): void {
    const hass = this.host.hass;
    if (!hass || !this.camera || !this.enabled) return;
    if (hass.entities !== this.entitiesSeen || !this.entity) {
      this.entitiesSeen = hass.entities;
      this.entity = visitEntity(hass, this.cameraEntity);
    }
    const state = this.entity ? hass.states[this.entity]?.state : undefined;
    const changed = state !== this.entityState;
    this.entityState = state;
    if (!this.loaded && !this.busy && !this.error) void this.refresh();
    else if (changed && this.loaded) void this.refresh();
  }

  /** Every TICK_MS: the times are drawn again, and a read is due after MIN_POLL_MS when no entity tells. */
  tick(): void {
    if (!this.enabled || !this.camera) return;
    const recording = this.visits.some((v) => v.clip === "recording" || v.end === null);
    const due = this.now() - this.readAt >= MIN_POLL_MS;
    if (due && (!this.entity || recording || this.error !== undefined)) void this.refresh();
    else this.host.requestUpdate();
  }

  /** A thumbnail did not load (its signed address may have expired): read the page again, at most once a minute. */
  thumbnailFailed(): void {
    if (this.now() - this.readAt >= MIN_POLL_MS) void this.refresh();
  }

  private async read(message: Record<string, unknown>): Promise<VisitPage> {
    const hass = this.host.hass;
    if (!hass) throw new Error("no connection");
    const page = parsePage(await hass.callWS<unknown>({ type: "bobby_camera/events", camera: this.camera, ...message }));
    if (page.refused > 0) {
      this.refused += page.refused;
      if (this.now() - this.warnedAt >= WARN_EVERY_MS) {
        this.warnedAt = this.now();
        console.warn(`Bobby Camera card: left out ${this.refused} visit(s) of bobby_camera/events that were not valid so far`);
      }
    }
    return page;
  }

  private failed(err: unknown): string {
    const e = err as { message?: string; code?: string };
    return this.t("card.error", { error: e?.message ?? e?.code ?? String(err) });
  }

  /** Reads the newest page (once at a time: a read asked for meanwhile follows it). */
  async refresh(): Promise<void> {
    if (!this.host.hass || !this.camera || !this.enabled) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    const generation = this.generation;
    this.busy = true;
    this.loading = !this.loaded;
    this.readAt = this.now();
    this.host.requestUpdate();
    try {
      const page = await this.read({ limit: PAGE_SIZE });
      if (generation !== this.generation) return;
      ({ visits: this.visits, more: this.more } = mergePage(this.visits, this.more, page, "newest"));
      this.loaded = true;
      this.error = undefined;
    } catch (err) {
      if (generation !== this.generation) return;
      this.error = this.failed(err);
    } finally {
      if (generation === this.generation) {
        this.busy = false;
        this.loading = false;
        this.host.requestUpdate();
        if (this.again) {
          this.again = false;
          void this.refresh();
        }
      }
    }
  }

  /** Reads the page before the oldest visit shown. */
  async loadMore(): Promise<void> {
    if (!this.host.hass || !this.camera || this.loadingMore || !this.more || !this.visits.length) return;
    const generation = this.generation;
    const before = this.visits[this.visits.length - 1].start;
    this.loadingMore = true;
    this.host.requestUpdate();
    try {
      const page = await this.read({ limit: PAGE_SIZE, before });
      if (generation !== this.generation) return;
      ({ visits: this.visits, more: this.more } = mergePage(this.visits, this.more, page, "older"));
      this.error = undefined;
    } catch (err) {
      if (generation === this.generation) this.error = this.failed(err);
    } finally {
      if (generation === this.generation) {
        this.loadingMore = false;
        this.host.requestUpdate();
      }
    }
  }

  /**
   * Plays a visit's clip in the card. Its address is read again first (a signed address expires):
   * the page that ends with this visit; the address in hand when that read fails.
   */
  async play(id: string): Promise<void> {
    const hass = this.host.hass;
    const visit = this.visits.find((v) => v.id === id);
    if (!hass || !visit || visit.clip !== "ready" || !visit.clip_url) return;
    const generation = this.generation;
    this.playing = { visit };
    this.host.requestUpdate();
    let path = visit.clip_url;
    try {
      const page = await this.read({ limit: 1, before: visit.start + 0.001 });
      const fresh = page.events.find((v) => v.id === id);
      if (fresh?.clip_url) path = fresh.clip_url;
    } catch {
      // The address in hand is tried; the video says when it fails.
    }
    if (generation !== this.generation || this.playing?.visit.id !== id) return;
    this.playing = { visit, url: hass.hassUrl(path) };
    this.host.requestUpdate();
  }

  /** The video could not load or play its clip. */
  playFailed(message: string): void {
    if (!this.playing) return;
    this.playing = { ...this.playing, error: this.t("visits.clip_error", { error: message }) };
    this.host.requestUpdate();
  }

  /** Back to the live picture. */
  stop(): void {
    if (!this.playing) return;
    this.playing = undefined;
    this.host.requestUpdate();
  }
}
