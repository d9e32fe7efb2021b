// The parts of Home Assistant's frontend objects the card uses (the frontend passes them in).

export interface HassEntity {
  entity_id: string;
  state: string;
  attributes: Record<string, unknown> & { access_token?: string; entity_picture?: string; friendly_name?: string };
}

export interface HassEntityRegistryDisplayEntry {
  entity_id: string;
  platform?: string;
  device_id?: string;
}

export interface MessageBase {
  type: string;
  [key: string]: unknown;
}

export interface Connection {
  subscribeMessage<T>(callback: (message: T) => void, subscribeMessage: MessageBase): Promise<() => Promise<void> | void>;
}

export interface HomeAssistant {
  states: Record<string, HassEntity | undefined>;
  entities?: Record<string, HassEntityRegistryDisplayEntry | undefined>;
  user?: { is_admin: boolean; name?: string };
  language?: string;
  /** The user's profile: time_format "12" | "24" | "language" | "system", time_zone "local" | "server". */
  locale?: { language: string; time_format?: string; time_zone?: string };
  config?: { time_zone?: string };
  connection: Connection;
  callWS<T>(message: MessageBase): Promise<T>;
  hassUrl(path?: string): string;
}

export interface LovelaceCardEditor extends HTMLElement {
  hass?: HomeAssistant;
  setConfig(config: unknown): void;
}

/** The event Lovelace's card editor listens to. */
export function fireConfigChanged(node: HTMLElement, config: unknown): void {
  node.dispatchEvent(new CustomEvent("config-changed", { detail: { config }, bubbles: true, composed: true }));
}

export const languageOf = (hass: HomeAssistant | undefined): string => hass?.locale?.language ?? hass?.language ?? "en";
