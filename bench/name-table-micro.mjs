#!/usr/bin/env node
// The zone tree's name map (issue #6): `Map` against `NameTable` (src/zone/name-table.ts) on the names of the
// transfer benches' zone (bench/xfr/zone-shape.mjs: h0 … h799999 below xfr.test., as ownerKey makes them).
// Per round, alternating the two:
// - `set` of every name (a NameTable without and with a capacity hint);
// - `get`, and on a miss `set`, of every name: what ZoneBuilder.nodeFor does for each new owner;
// - `get` of every name with the same key strings (V8 has their hash cached, as for the query's full key, which
//   `lookup` puts in a Set first), with fresh key strings (as the query path's `key.slice(at)`: nothing
//   cached), and of absent names (NXDOMAIN probes);
// - a walk over `values()` and over the entries (the build's occlusion pass, snapshots, journal diffs).
// Also the heap each map holds after a full GC. Prints medians, and minimums (less disturbed by other processes
// on a shared host).
//
//   npm run build && node --expose-gc bench/name-table-micro.mjs [--names 800000] [--rounds 5] [--build DIR]
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    names: { type: "string", default: "800000" },
    rounds: { type: "string", default: "5" },
    build: { type: "string" },
    held: { type: "string" },
  },
});
const N = Number(args.names);
const ROUNDS = Number(args.rounds);
const dist = args.build ? join(resolve(args.build), "dist") : resolve(import.meta.dirname, "../dist");
if (!globalThis.gc) throw new Error("run with node --expose-gc (the heap held is measured after a GC)");
const { NameTable } = await import(join(dist, "zone/name-table.js"));

const wire = (label) =>
  Buffer.from(`${String.fromCharCode(label.length)}${label}\x03xfr\x04test\x00`, "latin1");
const present = Array.from({ length: N }, (_, i) => wire(`h${i}`));
const absent = Array.from({ length: N }, (_, i) => wire(`x${i}`));
// New strings each time, as ownerKey and nameKey make them (latin1Slice: not internalized, no hash yet).
const keysOf = (bufs) => bufs.map((b) => b.latin1Slice(0, b.length));

const kinds = {
  Map: () => new Map(),
  NameTable: () => new NameTable(),
  "NameTable(hint)": () => new NameTable(N),
};
// The probe table is an ArrayBuffer: outside the JS heap.
const held = () => {
  const u = process.memoryUsage();
  return u.heapUsed + u.arrayBuffers;
};
// The memory one map holds, in a process of its own (`--held KIND`): in this one the other maps' garbage,
// swept after the GC returns, blurs the difference. Printed in MB.
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 50));
  }
};
if (args.held) {
  const keys = keysOf(present);
  await settle();
  const before = held();
  const m = kinds[args.held]();
  for (let i = 0; i < N; i++) m.set(keys[i], i);
  await settle();
  console.log(((held() - before) / 2 ** 20).toFixed(1));
  if (m.size !== N) throw new Error(`${args.held}: wrong size`);
  process.exit(0);
}
const heldMb = {};
for (const kind of Object.keys(kinds)) {
  const argv = ["--expose-gc", import.meta.filename, "--held", kind, "--names", String(N)];
  heldMb[kind] = Number(
    execFileSync(process.execPath, [...argv, ...(args.build ? ["--build", args.build] : [])]),
  );
}

const times = {};
const record = (what, ms) => {
  times[what] ??= [];
  times[what].push(ms);
};

for (let r = 0; r < ROUNDS; r++) {
  for (const [kind, make] of Object.entries(kinds)) {
    const keys = keysOf(present);
    const fresh = keysOf(present);
    const missing = keysOf(absent);
    globalThis.gc();
    let t = performance.now();
    const m = make();
    for (let i = 0; i < N; i++) m.set(keys[i], i);
    record(`${kind} set`, performance.now() - t);
    // What ZoneBuilder.nodeFor does for each new owner: get, and on a miss set.
    const built = make();
    const more = keysOf(present);
    t = performance.now();
    for (let i = 0; i < N; i++) if (built.get(more[i]) === undefined) built.set(more[i], i);
    record(`${kind} get-miss + set`, performance.now() - t);
    if (kind === "NameTable(hint)") continue; // the gets are those of NameTable
    let sum = 0;
    t = performance.now();
    for (let i = 0; i < N; i++) sum += m.get(keys[i]);
    record(`${kind} get (hashed key)`, performance.now() - t);
    t = performance.now();
    for (let i = 0; i < N; i++) sum += m.get(fresh[i]);
    record(`${kind} get (fresh key)`, performance.now() - t);
    t = performance.now();
    let misses = 0;
    for (let i = 0; i < N; i++) if (m.get(missing[i]) === undefined) misses++;
    record(`${kind} get (absent)`, performance.now() - t);
    // Whole-tree walks: the build's occlusion pass, snapshots, journal diffs.
    let walked = 0;
    t = performance.now();
    for (const v of m.values()) walked += v;
    record(`${kind} values()`, performance.now() - t);
    t = performance.now();
    for (const [k, v] of m) walked += k.length + v;
    record(`${kind} entries`, performance.now() - t);
    if (sum !== N * (N - 1) || misses !== N || walked <= 0) throw new Error(`${kind}: wrong answers`);
  }
}

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(
  `${N} names, ${ROUNDS} rounds, node ${process.version}, load ${loadavg().map((l) => l.toFixed(2))}`,
);
for (const [what, ms] of Object.entries(times)) {
  const m = median(ms);
  console.log(
    `${what.padEnd(28)} median ${m.toFixed(0).padStart(5)} ms  ${((m * 1e6) / N).toFixed(0).padStart(4)} ns/name` +
      `  min ${Math.min(...ms)
        .toFixed(0)
        .padStart(5)} ms  (runs ${ms.map((x) => x.toFixed(0)).join(" ")})`,
  );
}
for (const [kind, mb] of Object.entries(heldMb)) console.log(`${kind.padEnd(28)} holds ${mb.toFixed(1)} MB`);
