// Fakes shared by the card's tests (not a test file itself: build.mjs bundles *.test.ts only):
// Home Assistant as the card sees it, a controller host, and a camera's config.
import type { ReactiveController } from "lit";
import type { CardDataHost, StreamMessage } from "../src/card-data";
import type { HomeAssistant, MessageBase } from "../src/ha";
import type { Ack, CameraConfig, Detections } from "../src/types";

export const ENTITY = "camera.porch_live_view";

export const config = (over: Partial<CameraConfig> = {}): CameraConfig => ({
  entry_id: "e1",
  camera_id: "porch",
  name: "Porch",
  camera_entity: ENTITY,
  person_entity: "binary_sensor.porch_person",
  count_entity: "sensor.porch_person_count",
  region_entities: { door: "binary_sensor.porch_person_door" },
  version: 3,
  rois: [{ id: "door", name: "Door", points: [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]], labels: ["person"] }],
  detection: { labels: ["person"], threshold: 0.5, min_area: 0, max_area: 1, frames_needed: 2, frames_window: 3, clear_after: 10 },
  resolution: [1280, 720],
  last_ack: null,
  ...over,
});

export const detections = (persons: number, size: [number, number] | null = [640, 360]): Detections => ({
  persons,
  objects: [],
  size,
  analysed_at: 1,
  rois_version: 3,
});

export const ack = (version: number, ok = true): Ack => ({ version, ok, error: ok ? null : "bad polygon", service: "listen_frame/e2e" });

export type Handler = (message: MessageBase) => unknown;

/** Home Assistant as the card sees it: callWS answered by `handlers`, one subscription at a time. */
export class FakeHass {
  calls: MessageBase[] = [];
  subscriptions: MessageBase[] = [];
  unsubscribed = 0;
  stream?: (message: StreamMessage) => void;
  subscribeError?: Error;
  states = {};
  language = "en";
  handlers: Record<string, Handler> = { "bobby_camera/get_config": () => config() };

  readonly connection = {
    subscribeMessage: async <T>(callback: (message: T) => void, message: MessageBase) => {
      this.subscriptions.push(message);
      if (this.subscribeError) throw this.subscribeError;
      this.stream = callback as (message: StreamMessage) => void;
      return () => {
        this.unsubscribed++;
      };
    },
  };

  async callWS<T>(message: MessageBase): Promise<T> {
    this.calls.push(message);
    const handler = this.handlers[message.type];
    if (!handler) throw new Error(`unexpected ${message.type}`);
    return (await handler(message)) as T;
  }

  hassUrl(path = ""): string {
    return path;
  }

  count(type: string): number {
    return this.calls.filter((c) => c.type === type).length;
  }
}

export class FakeHost implements CardDataHost {
  hass?: HomeAssistant;
  updates = 0;
  controllers: ReactiveController[] = [];
  addController(c: ReactiveController): void {
    this.controllers.push(c);
  }
  removeController(): void {}
  requestUpdate(): void {
    this.updates++;
  }
  get updateComplete(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

/** Lets pending promise callbacks (the fake's answers) run. */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};
