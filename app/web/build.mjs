// Bundles the page into dist/ (index.html, app.js, app.css), which hdx serve
// embeds (app/node/src/web.rs). `node build.mjs --check` rebuilds in memory
// and fails if the committed dist/ differs (CI runs it).
import * as esbuild from "esbuild";
import { readFileSync, writeFileSync, mkdirSync, copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const check = process.argv.includes("--check");
const dist = join(here, "dist");

const result = await esbuild.build({
  entryPoints: { app: join(here, "src/main.js"), "app.css": join(here, "src/app.css") },
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  minify: true,
  legalComments: "none",
  charset: "utf8",
  // The IDL is bundled without its docs (the page shows none of them) except
  // the constants' (their first line is a code's stable name, src/idl.js).
  plugins: [{
    name: "idl-without-docs",
    setup(build) {
      build.onLoad({ filter: /idl[\\/]health_data_exchange\.json$/ }, (args) => {
        const idl = JSON.parse(readFileSync(args.path, "utf8"));
        const strip = (v) => JSON.parse(JSON.stringify(v, (k, x) => (k === "docs" ? undefined : x)));
        const slim = Object.fromEntries(Object.entries(idl).map(([k, v]) => [k, k === "constants" ? v : strip(v)]));
        return { contents: JSON.stringify(slim), loader: "json" };
      });
    },
  }],
  outdir: dist,
  entryNames: "[name]",
  write: false,
  logLevel: "warning",
});

const files = new Map(result.outputFiles.map((f) => [f.path.split(/[\\/]/).pop(), f.contents]));
files.set("app.css", files.get("app.css.css") ?? files.get("app.css"));
files.delete("app.css.css");
files.set("index.html", readFileSync(join(here, "index.html")));

// The page's budget (a phone on a slow link loads it whole before anything works).
const BUDGET = 300 * 1024;
const size = files.get("app.js").length;
if (size > BUDGET) {
  console.error(`dist/app.js is ${(size / 1024).toFixed(1)} KB minified, over the page's budget of ${BUDGET / 1024} KB`);
  process.exit(1);
}

let drift = [];
for (const [name, contents] of files) {
  const path = join(dist, name);
  if (check) {
    let committed = null;
    try { committed = readFileSync(path); } catch {}
    if (!committed || Buffer.compare(Buffer.from(contents), committed) !== 0) drift.push(name);
  } else {
    mkdirSync(dist, { recursive: true });
    writeFileSync(path, contents);
  }
}
if (check) {
  if (drift.length) {
    console.error(`app/web/dist is out of date (${drift.join(", ")}): run \`npm run build\` in app/web and commit dist/`);
    process.exit(1);
  }
  console.log(`app/web/dist is up to date; app.js ${(size / 1024).toFixed(1)} KB of a ${BUDGET / 1024} KB budget`);
} else {
  for (const [name, contents] of files) console.log(`dist/${name}  ${(contents.length / 1024).toFixed(1)} KB`);
}
