// The card's view: what it draws over the camera's picture in view mode (the regions' fills and
// outlines, the detected boxes, every name and score as a chip, the person count) and the drawing
// helpers the ROI editor shares (roi-editor.ts). Where everything goes is computed by
// overlayLayout, without the DOM (unit-tested in test/card-view.test.ts with a fixed text width);
// overlayView only turns that layout into SVG.
import { svg, type SVGTemplateResult } from "lit";
import { footPoint, type Point } from "./geometry";
import type { HomeAssistant } from "./ha";
import {
  formatScore,
  placeRegionNames,
  placeScoreLabels,
  scoreCaption,
  type ChipStyle,
  type PlacedName,
  type PlacedScore,
  type Rect,
} from "./labels";
import { personsText } from "./status";
import type { CameraConfig, CardConfig, DetectedObject, Detections, Region } from "./types";

export const DEFAULT_SIZE: [number, number] = [640, 480];
// The chips' text and size, in screen pixels (scaled into the picture's units when drawn).
export const CHIP_FONT_PX = 13;
const CHIP_FONT_WEIGHT = 500;
const CHIP_HEIGHT_PX = 18;
const CHIP_PAD_PX = 4;
const CHIP_GAP_PX = 2;
// The person count's chip (.count in the styles): its font, padding, height and margin.
const COUNT_FONT_PX = 14;
const COUNT_PAD_PX = 8;
const COUNT_HEIGHT_PX = 24;
const COUNT_MARGIN_PX = 8;
// Below this width (screen pixels) the score chips hold the score alone ("56%", not "person 56%").
export const COMPACT_WIDTH_PX = 560;

let measureContext: CanvasRenderingContext2D | null | undefined;

/** The width of a chip's text in screen pixels, measured with the font the SVG draws it in. */
export function textWidth(text: string, family: string): number {
  if (measureContext === undefined) measureContext = document.createElement("canvas").getContext("2d");
  if (!measureContext) return text.length * CHIP_FONT_PX * 0.62;
  measureContext.font = `${CHIP_FONT_WEIGHT} ${CHIP_FONT_PX}px ${family}`;
  return measureContext.measureText(text).width;
}

/** The picture the overlay is drawn on. */
export interface Picture {
  /** Its size in picture units (the overlay's viewBox). */
  size: [number, number];
  /** Its width on screen in pixels (0 before the first layout). */
  width: number;
  /** The SVG's font family (part of the name places' cache key). */
  font: string;
  /** The width of a chip's text in screen pixels (textWidth in the card, a fixed width in tests). */
  measure: (text: string) => number;
}

/** How many picture units one screen pixel is (the overlay's viewBox is the picture's size). */
export const unitOf = (pic: Picture): number => (pic.width > 0 ? pic.size[0] / pic.width : 1);

/** Normalised points as an SVG `points` attribute in picture units. */
export function pointsAttr(pic: Picture, points: readonly Point[]): string {
  const [w, h] = pic.size;
  return points.map(([x, y]) => `${x * w},${y * h}`).join(" ");
}

/** The chips' sizes in picture units, and the text measured in the font the SVG uses. */
export function chipStyle(pic: Picture): ChipStyle {
  const [w, h] = pic.size;
  const u = unitOf(pic);
  return {
    width: w,
    height: h,
    lineHeight: CHIP_HEIGHT_PX * u,
    pad: CHIP_PAD_PX * u,
    gap: CHIP_GAP_PX * u,
    measure: (text) => pic.measure(text) * u,
  };
}

export function chip(pic: Picture, cls: string, r: Rect, text: string): SVGTemplateResult {
  const u = unitOf(pic);
  return svg`<g class="chip ${cls}">
      <rect x=${r.x} y=${r.y} width=${r.w} height=${r.h} rx=${3 * u}></rect>
      <text x=${r.x + CHIP_PAD_PX * u} y=${r.y + r.h / 2} font-size=${CHIP_FONT_PX * u} dominant-baseline="central">${text}</text>
    </g>`;
}

/** The region names' places: computed again only when the regions, the picture or its scale change. */
export class RegionNames {
  private cache?: { key: string; placed: PlacedName[] };

  place(
    pic: Picture,
    names: { points: Point[]; text: string }[],
    style: ChipStyle,
    anchor: "corner" | "centre",
    keepFree?: Rect,
  ): PlacedName[] {
    const key = JSON.stringify([names, style.width, style.height, style.lineHeight, pic.font, anchor, keepFree]);
    if (this.cache?.key !== key) this.cache = { key, placed: placeRegionNames(names, style, keepFree ? [keepFree] : [], anchor) };
    return this.cache.placed;
  }
}

/** The person count's text: the count sensor's state, else the latest detections'. */
export function countText(lang: string, camera: CameraConfig | undefined, states: HomeAssistant["states"] | undefined, detections: Detections | undefined): string {
  const entity = camera?.count_entity;
  const state = entity ? states?.[entity]?.state : undefined;
  const n = state !== undefined && state !== "" && !Number.isNaN(Number(state)) ? Number(state) : (detections?.persons ?? 0);
  return personsText(lang, n);
}

/** Where the person count's chip (HTML, bottom right) sits, in picture units. */
export function countBox(pic: Picture, text: string, lang: string): Rect {
  const [w, h] = pic.size;
  const u = unitOf(pic);
  // At least as wide as a two-digit count, so that the names do not move with the count.
  const textW = Math.max(pic.measure(text), pic.measure(personsText(lang, 88)));
  const countW = (textW * COUNT_FONT_PX) / CHIP_FONT_PX + 2 * COUNT_PAD_PX;
  return {
    x: w - (COUNT_MARGIN_PX + countW) * u,
    y: h - (COUNT_MARGIN_PX + COUNT_HEIGHT_PX) * u,
    w: countW * u,
    h: COUNT_HEIGHT_PX * u,
  };
}

export interface OverlayInput {
  picture: Picture;
  config: Pick<CardConfig, "show_boxes" | "show_regions">;
  camera?: CameraConfig;
  states?: HomeAssistant["states"];
  detections?: Detections;
  lang: string;
  names: RegionNames;
}

export interface OverlayLayout {
  /** The regions drawn, each with whether its person sensor is on. */
  regions: { roi: Region; on: boolean }[];
  /** Their name chips, index for index. */
  names: PlacedName[];
  objects: DetectedObject[];
  /** The objects' score chips, index for index. */
  scores: PlacedScore[];
  countBox: Rect;
}

/**
 * View mode's layout: the regions (with their sensors' states), their name tabs on their own
 * outlines, the objects' score chips, none of them over another or over the person count.
 */
export function overlayLayout(input: OverlayInput): OverlayLayout {
  const { picture: pic, camera: cam, config } = input;
  const [w, h] = pic.size;
  const style = chipStyle(pic);
  const px = (points: readonly Point[]): Point[] => points.map(([x, y]) => [x * w, y * h]);
  const regions =
    cam && config.show_regions !== false
      ? cam.rois.map((roi) => {
          const entity = roi.id ? cam.region_entities[roi.id] : undefined;
          return { roi, on: entity ? input.states?.[entity]?.state === "on" : false };
        })
      : [];
  // The person count's chip is kept free too.
  const box = countBox(pic, countText(input.lang, cam, input.states, input.detections), input.lang);
  const names = input.names.place(
    pic,
    regions.map(({ roi }) => ({ points: px(roi.points), text: roi.name })),
    style,
    "corner", // tabs on their own outlines
    box,
  );
  const d = config.show_boxes === false ? undefined : input.detections;
  const objects = d?.objects ?? [];
  // On a narrow card (a phone) a caption would cover the people: the score alone.
  const compact = pic.width > 0 && pic.width < COMPACT_WIDTH_PX;
  const scores = placeScoreLabels(
    objects.map((o) => ({
      box: [o.box[0] * w, o.box[1] * h, o.box[2] * w, o.box[3] * h] as const,
      text: compact ? formatScore(o.score) : scoreCaption(o.label, o.score),
      short: formatScore(o.score),
      priority: o.score,
    })),
    style,
    [...names.map((n) => n.rect), box],
  );
  return { regions, names, objects, scores, countBox: box };
}

/**
 * View mode: the regions' fills (one translucent layer per state, so that overlapping regions do
 * not darken each other), their outlines, the detected boxes, then every name and score on top
 * as chips that never overlap (labels.ts places them).
 */
export function overlayView(pic: Picture, layout: OverlayLayout): SVGTemplateResult[] {
  const [w, h] = pic.size;
  const u = unitOf(pic);
  const { regions, names, objects, scores } = layout;
  const fills = (on: boolean): SVGTemplateResult =>
    svg`<g class="fills ${on ? "on" : "off"}">${regions.filter((r) => r.on === on).map(({ roi }) => svg`<polygon points=${pointsAttr(pic, roi.points)}></polygon>`)}</g>`;
  return [
    fills(false),
    fills(true),
    ...regions.map(({ roi, on }) => svg`<g class="region ${on ? "on" : ""}" data-id=${roi.id ?? ""}><polygon points=${pointsAttr(pic, roi.points)}></polygon></g>`),
    ...objects.map((o) => {
      const [x0, y0, x1, y1] = o.box;
      const [fx, fy] = footPoint(o.box);
      return svg`<g class="box">
          <rect x=${x0 * w} y=${y0 * h} width=${(x1 - x0) * w} height=${(y1 - y0) * h}></rect>
          <circle class="foot" cx=${fx * w} cy=${fy * h} r=${4 * u}></circle>
        </g>`;
    }),
    ...scores.flatMap((p) => (p.leader ? [svg`<line class="leader" x1=${p.leader[0]} y1=${p.leader[1]} x2=${p.leader[2]} y2=${p.leader[3]}></line>`] : [])),
    ...regions.map(({ on }, i) => chip(pic, `name ${on ? "on" : ""}`, names[i].rect, names[i].text)),
    ...scores.flatMap((p) => (p.rect ? [chip(pic, "score", p.rect, p.text)] : [])),
  ];
}

/**
 * The picture's address: the camera's MJPEG stream through HA's proxy, or its still (reloaded as
 * the token rotates: entity_picture changes with it) once the stream failed; none while the camera
 * is unavailable.
 */
export function imageUrl(
  hass: HomeAssistant | undefined,
  entityId: string | null | undefined,
  imageFailed: boolean,
): string | undefined {
  const state = entityId ? hass?.states[entityId] : undefined;
  if (!hass || !state || state.state === "unavailable") return undefined;
  const token = state.attributes.access_token;
  if (imageFailed) return state.attributes.entity_picture ? hass.hassUrl(state.attributes.entity_picture) : undefined;
  return token ? hass.hassUrl(`/api/camera_proxy_stream/${entityId}?token=${encodeURIComponent(token)}`) : undefined;
}
