import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { withEntities, type CardEntities } from "../src/entities";

const config: CardEntities & { version: number } = {
  version: 3,
  camera_entity: "camera.porch_live_view",
  person_entity: "binary_sensor.porch_person",
  count_entity: "sensor.porch_person_count",
  region_entities: { plaza: "binary_sensor.porch_person_plaza" },
};

describe("entities", () => {
  test("nothing pushed: get_config's", () => {
    assert.equal(withEntities(config, undefined), config);
  });

  test("a push adds the sensor registered after get_config", () => {
    const pushed: CardEntities = {
      ...config,
      region_entities: { plaza: "binary_sensor.porch_person_plaza", middle: "binary_sensor.porch_person_middle" },
    };
    assert.deepEqual(withEntities(config, pushed).region_entities, pushed.region_entities);
    assert.equal(withEntities(config, pushed).version, 3);
  });

  test("an older get_config result after a push does not lose the pushed sensors", () => {
    // HA delivered the push and then (same frame) the result of a get_config asked before it.
    const pushed: CardEntities = { ...config, region_entities: { middle: "binary_sensor.porch_person_middle" } };
    const older = { ...config, region_entities: {} };
    assert.deepEqual(withEntities(older, pushed).region_entities, { middle: "binary_sensor.porch_person_middle" });
  });

  test("a push made before a newer set was stored keeps get_config's new regions; renames win", () => {
    const pushed: CardEntities = { ...config, region_entities: { plaza: "binary_sensor.plaza_renamed" }, count_entity: null };
    const newer = { ...config, region_entities: { plaza: "binary_sensor.porch_person_plaza", door: "binary_sensor.porch_person_door" } };
    const merged = withEntities(newer, pushed);
    assert.deepEqual(merged.region_entities, { plaza: "binary_sensor.plaza_renamed", door: "binary_sensor.porch_person_door" });
    // An entity not known to the push keeps get_config's.
    assert.equal(merged.count_entity, "sensor.porch_person_count");
  });
});
