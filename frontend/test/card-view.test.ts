import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  chipStyle,
  countBox,
  countText,
  imageUrl,
  overlayLayout,
  overlayView,
  pointsAttr,
  RegionNames,
  unitOf,
  type OverlayInput,
  type Picture,
} from "../src/card-view";
import type { HomeAssistant } from "../src/ha";
import { intersects, type Rect } from "../src/labels";
import type { CameraConfig, Detections } from "../src/types";

// 7 screen pixels a character, as the labels tests measure.
const picture = (width = 640, size: [number, number] = [640, 480]): Picture => ({ size, width, font: "sans-serif", measure: (t) => t.length * 7 });

const camera = (over: Partial<CameraConfig> = {}): CameraConfig => ({
  entry_id: "e1",
  camera_id: "porch",
  name: "Porch",
  camera_entity: "camera.porch_live_view",
  person_entity: "binary_sensor.porch_person",
  count_entity: "sensor.porch_person_count",
  region_entities: { door: "binary_sensor.porch_person_door", path: "binary_sensor.porch_person_path" },
  version: 3,
  rois: [
    { id: "door", name: "Door", points: [[0.05, 0.05], [0.4, 0.05], [0.4, 0.5], [0.05, 0.5]], labels: ["person"] },
    { id: "path", name: "Path", points: [[0.3, 0.4], [0.95, 0.4], [0.95, 0.95], [0.3, 0.95]], labels: ["person"] },
  ],
  detection: { labels: ["person"], threshold: 0.5, min_area: 0, max_area: 1, frames_needed: 2, frames_window: 3, clear_after: 10 },
  resolution: [640, 480],
  last_ack: null,
  ...over,
});

const states = (values: Record<string, string>): HomeAssistant["states"] =>
  Object.fromEntries(Object.entries(values).map(([entity_id, state]) => [entity_id, { entity_id, state, attributes: {} }]));

const detections = (persons: number, boxes: [number, number, number, number][] = []): Detections => ({
  persons,
  objects: boxes.map((box, i) => ({ label: "person", score: 0.9 - i * 0.05, box, rois: [] })),
  size: [640, 480],
  analysed_at: 1,
  rois_version: 3,
});

const input = (over: Partial<OverlayInput> = {}): OverlayInput => ({
  picture: picture(),
  config: {},
  camera: camera(),
  states: states({ "binary_sensor.porch_person_door": "on", "binary_sensor.porch_person_path": "off" }),
  detections: detections(2, [
    [0.1, 0.2, 0.2, 0.6],
    [0.6, 0.3, 0.7, 0.8],
  ]),
  lang: "en",
  names: new RegionNames(),
  ...over,
});

describe("card view", () => {
  test("picture units: the overlay's viewBox is the picture, chips keep their screen size", () => {
    const half = picture(320);
    assert.equal(unitOf(half), 2);
    assert.equal(unitOf(picture(0)), 1, "before the first layout: one unit a pixel");
    assert.equal(pointsAttr(half, [[0.5, 0.25], [1, 1]]), "320,120 640,480");
    const style = chipStyle(half);
    assert.equal(style.lineHeight, 36);
    assert.equal(style.measure("abc"), 42, "screen pixels into picture units");
  });

  test("the person count: the count sensor's state, else the latest detections", () => {
    const cam = camera();
    assert.equal(countText("en", cam, states({ "sensor.porch_person_count": "3" }), detections(1)), "3 persons");
    assert.equal(countText("en", cam, states({ "sensor.porch_person_count": "unavailable" }), detections(1)), "1 person");
    assert.equal(countText("en", cam, states({}), undefined), "No person");
    assert.equal(countText("en", camera({ count_entity: null }), states({ "sensor.porch_person_count": "5" }), detections(2)), "2 persons");
  });

  test("the count's chip sits bottom right and does not grow with one- or two-digit counts", () => {
    const pic = picture(320);
    const one = countBox(pic, "1 person", "en");
    assert.deepEqual(countBox(pic, "12 persons", "en"), one);
    assert.ok(Math.abs(one.x + one.w - (640 - 16)) < 1e-9 && Math.abs(one.y + one.h - (480 - 16)) < 1e-9, JSON.stringify(one));
  });

  test("view layout: regions with their sensors, names and scores apart and off the count", () => {
    const layout = overlayLayout(input());
    assert.deepEqual(
      layout.regions.map((r) => [r.roi.id, r.on]),
      [
        ["door", true],
        ["path", false],
      ],
    );
    assert.deepEqual(
      layout.names.map((n) => n.text),
      ["Door", "Path"],
    );
    assert.deepEqual(
      layout.scores.map((s) => s.text),
      ["person 90%", "person 85%"],
    );
    const chips: Rect[] = [...layout.names.map((n) => n.rect), ...layout.scores.flatMap((s) => (s.rect ? [s.rect] : []))];
    for (let i = 0; i < chips.length; i++) {
      assert.ok(!intersects(chips[i], layout.countBox), `chip ${i} on the count`);
      for (let j = i + 1; j < chips.length; j++) assert.ok(!intersects(chips[i], chips[j]), `chips ${i} and ${j} overlap`);
    }
  });

  test("the card's options hide regions or boxes; a narrow card writes the score alone", () => {
    assert.equal(overlayLayout(input({ config: { show_regions: false } })).regions.length, 0);
    assert.equal(overlayLayout(input({ config: { show_boxes: false } })).scores.length, 0);
    assert.equal(overlayLayout(input({ camera: undefined })).regions.length, 0);
    const phone = overlayLayout(input({ picture: picture(400) }));
    assert.deepEqual(
      phone.scores.map((s) => s.text),
      ["90%", "85%"],
    );
  });

  test("the region names are placed again only when the regions or the scale change", () => {
    const names = new RegionNames();
    const first = overlayLayout(input({ names })).names;
    assert.equal(overlayLayout(input({ names, detections: detections(0) })).names, first, "new detections: same places");
    assert.notEqual(overlayLayout(input({ names, picture: picture(320) })).names, first, "a new scale: placed again");
  });

  test("the SVG: two fill layers, an outline per region, a box per object, a chip per name and score", () => {
    const pic = picture();
    const layout = overlayLayout(input());
    const out = overlayView(pic, layout);
    const leaders = layout.scores.filter((s) => s.leader).length;
    assert.equal(out.length, 2 + 2 + 2 + leaders + 2 + 2);
    // The fill layers hold the regions by state: "off" first, then "on" over it.
    assert.deepEqual(
      out.slice(0, 2).map((t) => t.values[0]),
      ["off", "on"],
    );
    assert.equal((out[1].values[1] as unknown[]).length, 1, "one region on");
  });

  test("the picture's address: the proxied stream, its still after a failure, none while unavailable", () => {
    const hass = {
      states: states({}),
      hassUrl: (path = "") => `http://ha.local${path}`,
    } as unknown as HomeAssistant;
    hass.states["camera.porch"] = {
      entity_id: "camera.porch",
      state: "idle",
      attributes: { access_token: "a b", entity_picture: "/api/camera_proxy/camera.porch?token=a" },
    };
    assert.equal(imageUrl(hass, "camera.porch", false), "http://ha.local/api/camera_proxy_stream/camera.porch?token=a%20b");
    assert.equal(imageUrl(hass, "camera.porch", true), "http://ha.local/api/camera_proxy/camera.porch?token=a");
    assert.equal(imageUrl(hass, "camera.other", false), undefined);
    assert.equal(imageUrl(undefined, "camera.porch", false), undefined);
    hass.states["camera.porch"]!.state = "unavailable";
    assert.equal(imageUrl(hass, "camera.porch", false), undefined);
  });
});
