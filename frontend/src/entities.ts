// The card's entities: from get_config, and pushed again by subscribe_detections whenever the
// entity registry changes (websocket_api.py). HA may deliver a pushed update in the same websocket
// frame as an older get_config result, so neither may simply replace the other.
import type { CameraConfig } from "./types";

export type CardEntities = Pick<CameraConfig, "camera_entity" | "person_entity" | "count_entity" | "region_entities">;

/**
 * The camera's config with the entities last pushed: the pushed ones win (they follow the registry),
 * and a region the push does not know yet keeps the entity get_config gave it (a push computed
 * before a newer set was stored lacks the new regions; an entity the card no longer needs is
 * never looked up).
 */
export function withEntities<T extends CardEntities>(config: T, pushed: CardEntities | undefined): T {
  if (!pushed) return config;
  return {
    ...config,
    camera_entity: pushed.camera_entity ?? config.camera_entity,
    person_entity: pushed.person_entity ?? config.person_entity,
    count_entity: pushed.count_entity ?? config.count_entity,
    region_entities: { ...config.region_entities, ...pushed.region_entities },
  };
}
