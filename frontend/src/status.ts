// Texts of what the card reports, kept out of the element so that they are unit-tested.
import { localize } from "./localize";
import type { Ack } from "./types";

/** "Applied by <service>, version N", the refusal with its reason, or the wait for an answer. */
export function ackText(language: string, ack: Ack | null | undefined, sentVersion?: number): string {
  if (!ack || (sentVersion !== undefined && (ack.version ?? -1) < sentVersion)) {
    return sentVersion === undefined ? "" : localize(language, "ack.waiting", { version: sentVersion });
  }
  const values = { service: ack.service ?? "?", version: ack.version ?? "?", error: ack.error ?? "" };
  return localize(language, ack.ok ? "ack.applied" : "ack.refused", values);
}

export function personsText(language: string, count: number): string {
  if (count <= 0) return localize(language, "card.no_person");
  return count === 1 ? localize(language, "card.person") : localize(language, "card.persons", { count });
}
