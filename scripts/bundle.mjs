#!/usr/bin/env node
// Bundles the compiled CLI for start-up time (`npm run build` runs it after tsc): dist/cli/main.js and the
// cluster worker's entry dist/server/worker-main.js, with their npm dependencies, become dist/cli/main.js
// (replaced), dist/cli/worker-main.js and shared dist/cli/chunk-*.js. Node 20 spends most of an `edgens serve`
// start in its module loader (~420 files: zod, yaml, prom-client, pino and the tree), little in our code; a
// few chunks instead cut each process's start by ~0.2 s of CPU (docs/BENCHMARKS.md "Start-up time").
// - Lazy `import()`s stay lazy: each subcommand, the server mode and the optional features are chunks of their own.
// - Every `import.meta.url` path of the tree is relative to a directory two levels below the package root
//   (package.json, bgp/templates, build/Release/*.node, native/build/*.bpf.o, ./worker-main.js, ../lab/…);
//   dist/cli/ is one, so they resolve as they do unbundled. Native addons load at run time (createRequire).
// - The rest of dist/ stays as tsc wrote it (dist/health/agent-main.js, dist/lab/ns-helper-main.js and the
//   modules tests import). Running tsc again restores the unbundled main.js; the stale chunks are then unused.
// - Without rolldown (a dev dependency, installed today through vitest's vite: absent after
//   `npm ci --omit=dev`) or with EDGENS_NO_BUNDLE=1 this says so and leaves the tsc output: the CLI works the
//   same, only slower to start. A failed bundle exits 1 and leaves dist/ as it was.
//
//   node scripts/bundle.mjs [--dist DIR]   (default: this checkout's dist/; tests pass a compiled copy's src/)
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const ROOT = resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { dist: { type: "string" } } });
const dist = resolve(values.dist ?? join(ROOT, "dist"));
const entries = { main: join(dist, "cli", "main.js"), "worker-main": join(dist, "server", "worker-main.js") };

if (process.env.EDGENS_NO_BUNDLE === "1") {
  console.log("edgens bundle: skipped (EDGENS_NO_BUNDLE=1); the CLI runs unbundled");
  process.exit(0);
}
// A bundled main.js must never be re-bundled (it is no longer the tsc output): tsc rewrites it first.
if (existsSync(entries.main) && /["']\.\/chunk-/.test(readFileSync(entries.main, "utf8"))) {
  console.error(`edgens bundle: ${entries.main} is already a bundle: run tsc first (npm run build)`);
  process.exit(1);
}
for (const f of Object.values(entries)) {
  if (!existsSync(f)) {
    console.error(`edgens bundle: ${f} missing: run tsc first (npm run build)`);
    process.exit(1);
  }
}
let rolldown;
try {
  ({ rolldown } = await import("rolldown"));
} catch (e) {
  console.log(
    `edgens bundle: skipped, rolldown not installed (${e.code ?? e.message}); the CLI runs unbundled, ~0.2 s slower to start. Fix: npm ci (with dev dependencies), then npm run build`,
  );
  process.exit(0);
}

const out = join(dist, "cli");
// Written aside first (one directory per build: two builds at once never share it), so a failed build leaves
// dist/ as it was; then moved in, chunks before the entries that import them.
const staging = join(dist, `.bundle-staging-${process.pid}`);
let output;
try {
  const bundle = await rolldown({
    input: entries,
    platform: "node",
    cwd: dist,
    external: [/^node:/],
    logLevel: "warn",
  });
  ({ output } = await bundle.write({
    dir: staging,
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "chunk-[name]-[hash].js",
    sourcemap: true,
  }));
  await bundle.close();
} catch (e) {
  rmSync(staging, { recursive: true, force: true });
  // rolldown's message holds every error with a code frame; the first lines say what and where.
  console.error(
    `edgens bundle: failed, dist/ left as tsc wrote it:\n${e.message.split("\n").slice(0, 12).join("\n")}`,
  );
  process.exit(1);
}
const written = readdirSync(staging);
const isEntry = (f) => /^(main|worker-main)\.js(\.map)?$/.test(f);
for (const f of [...written.filter((f) => !isEntry(f)), ...written.filter(isEntry)]) {
  renameSync(join(staging, f), join(out, f));
}
rmSync(staging, { recursive: true, force: true });
// The previous bundle's chunks (content-hashed names) are unused now.
for (const f of readdirSync(out)) if (f.startsWith("chunk-") && !written.includes(f)) rmSync(join(out, f));
const bytes = output.reduce((n, o) => n + (o.type === "chunk" ? o.code.length : 0), 0);
const chunks = output.filter((o) => o.type === "chunk").length;
console.log(`edgens bundle: ${chunks} files, ${(bytes / 1048576).toFixed(1)} MiB in ${out}`);
