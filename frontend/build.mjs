// Builds the card into one ES module, committed under custom_components/bobby_camera/frontend/
// (HACS installs only the integration's folder). Deterministic: the same sources and lockfile give
// the same bytes (no timestamps, no absolute paths), which test/bundle.test.ts checks.
//   node build.mjs                  the bundle, into the integration
//   node build.mjs --out FILE       the bundle, elsewhere (the test builds into a temporary dir)
//   node build.mjs --tests          the unit tests, into .test-build/ for node --test
import { build } from "esbuild";
import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
export const BUNDLE = resolve(here, "../custom_components/bobby_camera/frontend/bobby-camera-card.js");

export async function buildBundle(outfile = BUNDLE) {
  await build({
    absWorkingDir: here,
    entryPoints: ["src/bobby-camera-card.ts"],
    outfile,
    bundle: true,
    format: "esm",
    target: "es2021",
    minify: true,
    legalComments: "eof",
    charset: "utf8",
    sourcemap: false,
    logLevel: "warning",
    banner: { js: "// Bobby Camera card: built from frontend/ by `make frontend`; do not edit." },
  });
}

async function buildTests() {
  const tests = readdirSync(join(here, "test")).filter((f) => f.endsWith(".test.ts"));
  await build({
    absWorkingDir: here,
    entryPoints: tests.map((f) => `test/${f}`),
    outdir: ".test-build",
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (args.includes("--tests")) await buildTests();
  else await buildBundle(outIndex >= 0 ? resolve(args[outIndex + 1]) : BUNDLE);
}
