// The shapes exchanged with the integration's websocket commands (custom_components/bobby_camera/
// websocket_api.py) and the card's own configuration.
import type { Point } from "./geometry";

export interface Region {
  /** Kept while the region keeps its name (its person sensor keeps its entity); new ones get theirs from the name. */
  id?: string;
  name: string;
  points: Point[];
  labels: string[];
  min_score?: number | null;
}

export interface DetectionSettings {
  labels: string[];
  threshold: number;
  min_area: number;
  max_area: number;
  frames_needed: number;
  frames_window: number;
  clear_after: number;
}

export interface Ack {
  version?: number;
  ok?: boolean;
  error?: string | null;
  active_version?: number;
  service?: string;
  at?: number;
}

export interface CameraConfig {
  entry_id: string;
  camera_id: string;
  name: string;
  camera_entity: string | null;
  person_entity: string | null;
  count_entity: string | null;
  region_entities: Record<string, string>;
  version: number;
  rois: Region[];
  detection: DetectionSettings;
  resolution: [number, number] | null;
  last_ack: Ack | null;
}

export interface DetectedObject {
  label: string;
  score: number;
  box: [number, number, number, number];
  rois: string[];
}

export interface Detections {
  persons: number;
  objects: DetectedObject[];
  size: [number, number] | null;
  analysed_at: number | null;
  rois_version: number | null;
}

export interface CardConfig {
  type: string;
  entity?: string;
  title?: string;
  show_boxes?: boolean;
  show_regions?: boolean;
  /** The strip of recent visits under the picture (default shown). */
  show_events?: boolean;
}

/** A visit's clip: being written, playable, not recorded (recording off), or lost (disk, encoder). */
export type ClipState = "recording" | "ready" | "none" | "failed";

/** One visit as bobby_camera/events answers it (docs/mqtt.md "events", the integration's index). */
export interface Visit {
  id: string;
  camera: string;
  /** Seconds since the epoch (UTC). */
  start: number;
  /** Null while the visit lasts. */
  end: number | null;
  /** The ids of the regions it touched. */
  regions: string[];
  max_persons: number;
  score: number | null;
  clip: ClipState;
  /** The clip's length in seconds once it is ready, else null. */
  duration: number | null;
  /** Signed Home Assistant paths; null while the file does not exist. */
  snapshot_url: string | null;
  clip_url: string | null;
}

/** bobby_camera/events: `{"camera", "limit": 1..50, "before": <a start>}` answers a page, newest first. */
export interface VisitPage {
  events: Visit[];
  more: boolean;
}
