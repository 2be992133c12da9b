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
  // web3.js 1.x and Anchor use Node's Buffer; the browser gets the npm `buffer` package.
  inject: [join(here, "src/buffer-shim.js")],
  define: { global: "globalThis", "process.env.NODE_ENV": '"production"' },
  outdir: dist,
  entryNames: "[name]",
  write: false,
  logLevel: "warning",
});

const files = new Map(result.outputFiles.map((f) => [f.path.split(/[\\/]/).pop(), f.contents]));
files.set("app.css", files.get("app.css.css") ?? files.get("app.css"));
files.delete("app.css.css");
files.set("index.html", readFileSync(join(here, "index.html")));

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
  console.log("app/web/dist is up to date");
} else {
  for (const [name, contents] of files) console.log(`dist/${name}  ${(contents.length / 1024).toFixed(1)} KB`);
}
