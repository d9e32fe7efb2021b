// The card's data controller against a fake Home Assistant connection (the lowest level: the
// websocket itself cannot exist here; tests/e2e drives the real one).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CameraData, DETECTIONS_MAX_AGE_MS } from "../src/card-data";
import type { HomeAssistant } from "../src/ha";
import type { CameraConfig } from "../src/types";
import { ack, config, detections, ENTITY, FakeHass, FakeHost, settle } from "./fakes";

function setup(options: { editing?: () => boolean } = {}) {
  const hass = new FakeHass();
  const host = new FakeHost();
  host.hass = hass as unknown as HomeAssistant;
  let now = 1_000_000;
  const data = new CameraData(host, { ...options, now: () => now });
  data.setEntity(ENTITY);
  return { hass, host, data, advance: (ms: number) => (now += ms) };
}

async function connected(options: { editing?: () => boolean } = {}) {
  const s = setup(options);
  s.data.hostConnected();
  await settle();
  return s;
}

describe("card data", () => {
  test("registers with its host; reads the camera and subscribes once it is connected", async () => {
    const { hass, host, data } = await connected();
    try {
      assert.deepEqual(host.controllers, [data]);
      assert.deepEqual(hass.calls, [{ type: "bobby_camera/get_config", entity_id: ENTITY }]);
      assert.deepEqual(hass.subscriptions, [{ type: "bobby_camera/subscribe_detections", entity_id: ENTITY }]);
      assert.equal(data.camera?.name, "Porch");
      assert.equal(data.error, undefined);
      assert.ok(host.updates > 0);
      // Home Assistant passed in again (every state change): no second read.
      data.hassChanged();
      await settle();
      assert.equal(hass.count("bobby_camera/get_config"), 1);
    } finally {
      data.hostDisconnected();
    }
  });

  test("nothing is read without Home Assistant, then once it is passed in", async () => {
    const { hass, host, data } = setup();
    host.hass = undefined;
    data.hostConnected();
    try {
      await settle();
      assert.equal(hass.calls.length, 0);
      host.hass = hass as unknown as HomeAssistant;
      data.hassChanged();
      await settle();
      assert.equal(hass.count("bobby_camera/get_config"), 1);
    } finally {
      data.hostDisconnected();
    }
  });

  test("the last acknowledgement becomes the status line", async () => {
    const { hass, data } = setup();
    hass.handlers["bobby_camera/get_config"] = () => config({ last_ack: ack(3) });
    await data.load();
    assert.equal(data.status, "Last set: Applied by listen_frame/e2e, version 3");
  });

  test("a camera that is not ours, a failed command, a failed subscription: an error, no stream", async () => {
    const { hass, data } = setup();
    hass.handlers["bobby_camera/get_config"] = () => Promise.reject({ code: "not_found", message: "no" });
    await data.load();
    assert.equal(data.error, `${ENTITY} is not a Bobby Camera camera.`);
    assert.equal(hass.subscriptions.length, 0);

    hass.handlers["bobby_camera/get_config"] = () => Promise.reject(new Error("connection lost"));
    await data.load();
    assert.equal(data.error, "Error: connection lost");

    hass.handlers["bobby_camera/get_config"] = () => config();
    hass.subscribeError = new Error("unknown command");
    await data.load();
    await settle();
    assert.equal(data.error, "Error: unknown command");
    // The subscription is asked again at the next read.
    hass.subscribeError = undefined;
    await data.load();
    await settle();
    assert.equal(hass.subscriptions.length, 2);
    assert.equal(data.error, undefined);
  });

  test("detections: shown, give the picture's size until it shows, dropped when stale", async () => {
    const { hass, data, advance } = await connected();
    try {
      hass.stream!({ detections: detections(2) });
      assert.equal(data.detections?.persons, 2);
      assert.deepEqual(data.size, [640, 360]);
      hass.stream!({ detections: detections(1, [640, 480]) });
      assert.deepEqual(data.size, [640, 480], "the latest frame's size (a camera restarted at another)");
      data.noteImageSize(1280, 720);
      assert.deepEqual(data.size, [1280, 720], "the picture's own size wins");
      data.noteImageSize(0, 0);
      assert.deepEqual(data.size, [1280, 720], "a picture not loaded yet tells nothing");
      hass.stream!({ detections: detections(1, [320, 180]) });
      assert.deepEqual(data.size, [1280, 720], "the picture shown rules its box");
      data.noteImageSize(480, 360);
      assert.deepEqual(data.size, [480, 360], "the picture's new size (the stream changed shape)");
      advance(DETECTIONS_MAX_AGE_MS);
      data.expireDetections();
      assert.equal(data.detections?.persons, 1, "not stale yet");
      advance(1);
      data.expireDetections();
      assert.equal(data.detections, undefined);
    } finally {
      data.hostDisconnected();
    }
  });

  test("pushed entities join the camera's, also when get_config answers after the push", async () => {
    const { hass, data } = await connected();
    try {
      const entities = {
        camera_entity: ENTITY,
        person_entity: "binary_sensor.porch_person",
        count_entity: "sensor.porch_person_count",
        region_entities: { door: "binary_sensor.porch_person_door", path: "binary_sensor.porch_person_path" },
      };
      hass.stream!({ entities });
      assert.deepEqual(data.camera?.region_entities, entities.region_entities);
      // A read asked before the push, answered after it (the same websocket frame): the pushed
      // sensor is kept.
      let answer: (c: CameraConfig) => void = () => undefined;
      hass.handlers["bobby_camera/get_config"] = () => new Promise<CameraConfig>((r) => (answer = r));
      const reading = data.load();
      hass.stream!({ entities });
      answer(config({ version: 4 }));
      await reading;
      assert.equal(data.camera?.version, 4);
      assert.deepEqual(data.camera?.region_entities, entities.region_entities);
    } finally {
      data.hostDisconnected();
    }
  });

  test("a newer set saved elsewhere is read again, unless the regions are being edited", async () => {
    let editing = false;
    const { hass, data } = await connected({ editing: () => editing });
    try {
      hass.stream!({ ack: ack(3) });
      await settle();
      assert.equal(hass.count("bobby_camera/get_config"), 1, "the set shown: nothing to read");
      assert.equal(data.status, "Applied by listen_frame/e2e, version 3");
      assert.deepEqual(data.camera?.last_ack, ack(3));
      editing = true;
      hass.stream!({ ack: ack(4) });
      await settle();
      assert.equal(hass.count("bobby_camera/get_config"), 1, "not over an open edit");
      editing = false;
      hass.handlers["bobby_camera/get_config"] = () => config({ version: 5 });
      hass.stream!({ ack: ack(5) });
      await settle();
      assert.equal(hass.count("bobby_camera/get_config"), 2);
      assert.equal(data.camera?.version, 5);
      assert.equal(hass.subscriptions.length, 1, "one subscription throughout");
    } finally {
      data.hostDisconnected();
    }
  });

  test("save: the set sent, the editor closed, the camera read again; older acks do not answer it", async () => {
    const { hass, data } = await connected();
    try {
      const order: string[] = [];
      hass.handlers["bobby_camera/save_rois"] = () => {
        assert.equal(data.saving, true);
        assert.equal(data.status, "Saving…");
        return { version: 7, ack: null };
      };
      const getConfig = hass.handlers["bobby_camera/get_config"];
      hass.handlers["bobby_camera/get_config"] = (m) => {
        order.push("read");
        return getConfig(m);
      };
      const payload = { rois: config().rois, detection: config().detection };
      await data.save(payload, () => order.push("saved"));
      assert.deepEqual(hass.calls.find((c) => c.type === "bobby_camera/save_rois"), { type: "bobby_camera/save_rois", entity_id: ENTITY, ...payload });
      assert.deepEqual(order, ["saved", "read"]);
      assert.equal(data.saving, false);
      assert.equal(data.status, "Sent as version 7; waiting for the detection service to acknowledge it.");
      hass.stream!({ ack: ack(6) });
      assert.equal(data.status, "Sent as version 7; waiting for the detection service to acknowledge it.");
      hass.stream!({ ack: ack(7, false) });
      assert.equal(data.status, "Refused by listen_frame/e2e (version 7): bad polygon");
    } finally {
      data.hostDisconnected();
    }
  });

  test("a refused save: the integration's reason in words, the editor left open", async () => {
    const { hass, data } = await connected();
    try {
      let saved = 0;
      const payload = { rois: [], detection: config().detection };
      hass.handlers["bobby_camera/save_rois"] = () =>
        Promise.reject({ code: "invalid", message: "x", translation_key: "self_intersecting", translation_placeholders: { region: "Door" } });
      await data.save(payload, () => saved++);
      assert.equal(data.status, "Door: the outline crosses itself");
      hass.handlers["bobby_camera/save_rois"] = () => Promise.reject({ message: "Unauthorized", translation_key: "no_such_key" });
      await data.save(payload, () => saved++);
      assert.equal(data.status, "Error: Unauthorized");
      assert.equal(saved, 0);
      assert.equal(data.saving, false);
    } finally {
      data.hostDisconnected();
    }
  });

  test("another camera or disconnection ends the subscription; reconnection reads again", async () => {
    const { hass, data } = await connected();
    hass.stream!({ detections: detections(2) });
    data.setEntity("camera.garden");
    await settle();
    assert.equal(hass.unsubscribed, 1);
    assert.equal(data.detections, undefined);
    assert.equal(data.status, "");
    await data.load();
    await settle();
    assert.deepEqual(hass.subscriptions.at(-1), { type: "bobby_camera/subscribe_detections", entity_id: "camera.garden" });
    data.hostDisconnected();
    await settle();
    assert.equal(hass.unsubscribed, 2);
    data.hostConnected();
    await settle();
    try {
      assert.equal(hass.count("bobby_camera/get_config"), 3);
      assert.equal(hass.subscriptions.length, 3);
    } finally {
      data.hostDisconnected();
    }
  });
});
