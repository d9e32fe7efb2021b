// The card's data: a Lit reactive controller that reads the camera's config (bobby_camera/get_config),
// follows bobby_camera/subscribe_detections (detections, acknowledgements, entity changes), saves a
// region set (bobby_camera/save_rois) and holds what the card shows from them (the camera, its
// latest detections, the status line, the error). No DOM: unit-tested in test/card-data.test.ts
// with a fake Home Assistant connection. The commands are custom_components/bobby_camera/websocket_api.py.
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { withEntities, type CardEntities } from "./entities";
import { languageOf, type HomeAssistant } from "./ha";
import { localize } from "./localize";
import { ackText } from "./status";
import type { Ack, CameraConfig, DetectionSettings, Detections, Region } from "./types";

// Boxes older than this (no new detections message) are no longer drawn.
export const DETECTIONS_MAX_AGE_MS = 4000;

/** What bobby_camera/subscribe_detections sends: detections, acknowledgements and entity changes. */
export interface StreamMessage {
  detections?: Detections;
  ack?: Ack;
  entities?: CardEntities;
}

interface SaveResult {
  version: number;
  ack: Ack | null;
}

/** The element the controller serves: it passes Home Assistant in. */
export interface CardDataHost extends ReactiveControllerHost {
  readonly hass?: HomeAssistant;
}

export interface CameraDataOptions {
  /** Whether the regions are being edited: a set saved elsewhere meanwhile is not read over the edit. */
  editing?: () => boolean;
  /** The clock (tests pass their own). */
  now?: () => number;
}

export class CameraData implements ReactiveController {
  /** The camera's config, with the entities pushed since. */
  camera?: CameraConfig;
  /** Why the card cannot show the camera (not found, a failed command). */
  error?: string;
  /** The latest detections, dropped once older than DETECTIONS_MAX_AGE_MS. */
  detections?: Detections;
  /** The status line: the last acknowledgement, a save in progress or its failure. */
  status = "";
  saving = false;
  /** The picture's own size (its natural size, read whenever the card renders: an MJPEG stream
   * fires `load` once, and a camera restarted at another size keeps the same address). */
  private imageSize?: [number, number];
  /** The size of the latest frame analysed (its detections' `size`). */
  private frameSize?: [number, number];

  private entity?: string;
  private detectionsAt = 0;
  private sentVersion?: number;
  private pushed?: CardEntities;
  private unsub?: Promise<() => Promise<void> | void>;
  private loadedFor?: string;
  private tick?: ReturnType<typeof setInterval>;
  private readonly editing: () => boolean;
  private readonly now: () => number;

  constructor(
    private readonly host: CardDataHost,
    options: CameraDataOptions = {},
  ) {
    this.editing = options.editing ?? (() => false);
    this.now = options.now ?? Date.now;
    host.addController(this);
  }

  private get lang(): string {
    return languageOf(this.host.hass);
  }

  private t(key: string, values?: Record<string, string | number>): string {
    return localize(this.lang, key, values);
  }

  // ---- life cycle -----------------------------------------------------------------------------

  hostConnected(): void {
    // Stale boxes disappear even when no message comes any more.
    this.tick = setInterval(() => this.expireDetections(), 1000);
    if (this.host.hass && this.entity) void this.load();
  }

  hostDisconnected(): void {
    clearInterval(this.tick);
    this.tick = undefined;
    this.unsubscribe();
    this.loadedFor = undefined;
  }

  /** The card's camera entity (from its config): another one starts afresh. */
  setEntity(entity: string | undefined): void {
    if (entity === this.entity) return;
    this.entity = entity;
    this.unsubscribe();
    this.loadedFor = undefined;
    this.camera = undefined;
    this.pushed = undefined;
    this.detections = undefined;
    this.error = undefined;
    this.status = "";
    this.host.requestUpdate();
  }

  /** Home Assistant was passed in again: the camera is read once it is there. */
  hassChanged(): void {
    if (this.host.hass && this.entity && this.loadedFor !== this.entity) void this.load();
  }

  expireDetections(): void {
    if (this.detections && this.now() - this.detectionsAt > DETECTIONS_MAX_AGE_MS) {
      this.detections = undefined;
      this.host.requestUpdate();
    }
  }

  /** The picture's size, which the picture's box and overlay follow (any aspect: the frames keep
   * their source's, docs/camera.md): the picture's own once it shows, else the latest frame's;
   * undefined before either (the card then takes the camera's announced resolution). */
  get size(): [number, number] | undefined {
    return this.imageSize ?? this.frameSize;
  }

  /** The picture's own size (0 x 0 while it has not loaded: ignored). */
  noteImageSize(width: number, height: number): void {
    if (width <= 0 || height <= 0) return;
    if (!this.imageSize || this.imageSize[0] !== width || this.imageSize[1] !== height) {
      this.imageSize = [width, height];
      this.host.requestUpdate();
    }
  }

  clearStatus(): void {
    this.status = "";
    this.host.requestUpdate();
  }

  // ---- websocket --------------------------------------------------------------------------------

  private unsubscribe(): void {
    const unsub = this.unsub;
    this.unsub = undefined;
    unsub?.then((f) => f()).catch(() => undefined);
  }

  /** Reads the camera's config, then subscribes to its stream (once). */
  async load(): Promise<void> {
    const entity = this.entity;
    const hass = this.host.hass;
    if (!hass || !entity) return;
    this.loadedFor = entity;
    try {
      const camera = await hass.callWS<CameraConfig>({ type: "bobby_camera/get_config", entity_id: entity });
      if (this.loadedFor !== entity) return;
      this.camera = withEntities(camera, this.pushed);
      this.error = undefined;
      if (!this.status && camera.last_ack) this.status = this.t("ack.last", { status: ackText(this.lang, camera.last_ack) });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      this.error = e.code === "not_found" ? this.t("card.not_found", { entity }) : this.t("card.error", { error: e.message ?? String(err) });
      return;
    } finally {
      this.host.requestUpdate();
    }
    if (!this.unsub) {
      this.unsub = hass.connection.subscribeMessage<StreamMessage>((message) => this.onMessage(message), {
        type: "bobby_camera/subscribe_detections",
        entity_id: entity,
      });
      this.unsub.catch((err: { message?: string }) => {
        this.unsub = undefined;
        this.error = this.t("card.error", { error: err.message ?? String(err) });
        this.host.requestUpdate();
      });
    }
  }

  onMessage(message: StreamMessage): void {
    if (message.entities) {
      // An entity created after get_config (a new region's person sensor, registered when its
      // discovery arrives): the card follows its state from that moment on.
      this.pushed = message.entities;
      if (this.camera) this.camera = withEntities(this.camera, this.pushed);
    }
    if (message.detections) {
      this.detections = message.detections;
      this.detectionsAt = this.now();
      if (message.detections.size) this.frameSize = message.detections.size;
    }
    if (message.ack) {
      const ack = message.ack;
      // A newer set than the one shown was saved elsewhere (another card, the options flow, the
      // set_rois action): its regions are read again.
      const newer = this.camera !== undefined && (ack.version ?? -1) > this.camera.version;
      if (this.camera) this.camera = { ...this.camera, last_ack: ack };
      if (newer && !this.editing() && !this.saving) {
        this.loadedFor = undefined;
        void this.load();
      }
      if (this.sentVersion === undefined || (ack.version ?? -1) >= this.sentVersion) {
        this.status = ackText(this.lang, ack, this.sentVersion);
      }
    }
    this.host.requestUpdate();
  }

  /**
   * Saves a region set; `onSaved` runs once the integration took it (before the camera is read
   * again). The status line says what became of it: waiting for, or the service's acknowledgement,
   * or why it was refused.
   */
  async save(payload: { rois: Region[]; detection: DetectionSettings }, onSaved: () => void): Promise<void> {
    const entity = this.entity;
    const hass = this.host.hass;
    if (!entity || !hass) return;
    this.saving = true;
    this.status = this.t("edit.saving");
    this.host.requestUpdate();
    try {
      const result = await hass.callWS<SaveResult>({ type: "bobby_camera/save_rois", entity_id: entity, ...payload });
      this.sentVersion = result.version;
      this.status = ackText(this.lang, result.ack, result.version);
      onSaved();
      this.loadedFor = undefined;
      await this.load();
    } catch (err) {
      const e = err as { message?: string; translation_key?: string; translation_placeholders?: Record<string, string> };
      const key = e.translation_key ? `problems.${e.translation_key}` : "";
      const known = key && localize("en", key) !== key;
      this.status = known ? this.t(key, e.translation_placeholders ?? {}) : this.t("card.error", { error: e.message ?? String(err) });
    } finally {
      this.saving = false;
      this.host.requestUpdate();
    }
  }
}
