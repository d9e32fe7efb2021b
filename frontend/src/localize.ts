// Translations: one JSON file per language under translations/, English as the fallback. Add a
// language by adding its file and a line to LANGUAGES.
import en from "./translations/en.json";

type Tree = { [key: string]: string | Tree };
const LANGUAGES: Record<string, Tree> = { en };

function lookup(tree: Tree | undefined, key: string): string | undefined {
  let node: string | Tree | undefined = tree;
  for (const part of key.split(".")) {
    if (node === undefined || typeof node === "string") return undefined;
    node = node[part];
  }
  return typeof node === "string" ? node : undefined;
}

/** The text of `key` ("section.name") in `language` (e.g. "de", "pt-BR"), with {placeholders} filled in. */
export function localize(language: string | undefined, key: string, values: Record<string, string | number> = {}): string {
  const lang = (language ?? "en").toLowerCase();
  const text =
    lookup(LANGUAGES[lang], key) ?? lookup(LANGUAGES[lang.split("-")[0]], key) ?? lookup(LANGUAGES.en, key) ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

export const hasKey = (key: string): boolean => lookup(LANGUAGES.en, key) !== undefined;
