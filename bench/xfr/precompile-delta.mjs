#!/usr/bin/env node
// Precompile after an IXFR (issue 6): CPU and wall time of the background precompile a serving process runs
// after a 100-name IXFR into an N-record zone, with the earlier snapshot's answers taken over (`reuse`, what
// ServingNode.applySecondary does since the incremental precompile) and without (a full precompile, what it did
// before), in the same minutes. The zone has the shape of xfr-bench.mjs (hosts with A, every 4th also AAAA);
// each round is one IXFR (new serial + 100 hosts spread over the zone, ~1/4 of them inside the precompiled
// part) applied with applyDeltaToZone; both precompiles run as ServingNode runs them (compileSnapshotAsync,
// slices of 100 entries, default 64 MiB budget), and their answers are compared key by key and byte by byte.
//
//   node --expose-gc bench/xfr/precompile-delta.mjs [--records 1000000] [--rounds 3] [--build DIR]
// (--build DIR: a tree with DIR/dist, e.g. the before tree of the lead's instructions; a build without `reuse`
// only prints the full precompile.) No network, no daemons.
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    records: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "3" },
    build: { type: "string" },
  },
});
const N = Number(args.records);
const ROUNDS = Number(args.rounds);
const dist = args.build ? join(resolve(args.build), "dist") : resolve(import.meta.dirname, "../../dist");
const { buildZone } = await import(join(dist, "zone/zone-image.js")).catch(
  () => import(join(dist, "zone/zone.js")),
);
const { applyDeltaToZone } = await import(join(dist, "zone/zone-delta.js"));
const { parseNameText, nameKey } = await import(join(dist, "wire/name.js"));
const { compileSnapshotAsync } = await import(join(dist, "responder/snapshot.js"));

const name = (t) => parseNameText(t, null);
const rec = (owner, type, rdata) => ({ owner: name(owner), type, class: 1, ttl: 3600, rdata });
const soa = (serial) => {
  const b = Buffer.alloc(20);
  b.writeUInt32BE(serial, 0);
  b.writeUInt32BE(3600, 4);
  b.writeUInt32BE(600, 8);
  b.writeUInt32BE(1209600, 12);
  b.writeUInt32BE(300, 16);
  return Buffer.concat([name("ns1.xfr.test."), name("hostmaster.xfr.test."), b]);
};
const ip4 = (i) => Buffer.from([10, (i >> 16) & 255, (i >> 8) & 255, i & 255]);
const apex = (serial) => [
  rec("xfr.test.", 6, soa(serial)),
  rec("xfr.test.", 2, name("ns1.xfr.test.")),
  rec("xfr.test.", 2, name("ns2.xfr.test.")),
];
const hosts = Math.floor(N / 1.25);
const records = [...apex(1), rec("ns1.xfr.test.", 1, ip4(1)), rec("ns2.xfr.test.", 1, ip4(2))];
for (let i = 0; i < hosts; i++) {
  records.push(rec(`h${i}.xfr.test.`, 1, ip4(i + 256)));
  if (i % 4 === 0) records.push(rec(`h${i}.xfr.test.`, 28, Buffer.alloc(16, i & 255)));
}
let zone = buildZone(name("xfr.test."), records);
records.length = 0;

/** One precompile as ServingNode runs it: CPU (user+system) and wall in ms, and its stats when it reports them. */
async function precompile(zones, generation, reuse) {
  let stats = null;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const snap = await compileSnapshotAsync(zones, generation, {
    chunk: 100,
    ...(reuse ? { reuse } : {}),
    onStats: (s) => {
      stats = s;
    },
  });
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { snap, wall, cpu: (c.user + c.system) / 1000, stats };
}

function identical(a, b) {
  if (a.exactAnswers.size !== b.exactAnswers.size) return false;
  const ib = b.exactAnswers.entries();
  for (const [k, e] of a.exactAnswers) {
    const [kb, eb] = ib.next().value;
    if (k !== kb || !e.wire.equals(eb.wire)) return false;
  }
  return true;
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const fmt = (x) => x.toFixed(0);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

console.log(`${N} records (${zone.nodes.size} names), build ${dist}; load ${load()}`);
globalThis.gc?.();
let base = (await precompile([zone], 1)).snap;
console.log(`first precompile: ${base.exactAnswers.size} answers`);
const rows = { inc: [], full: [] };
for (let round = 1; round <= ROUNDS; round++) {
  const serial = round + 1;
  const changed = apex(serial);
  for (let i = 0; i < 100; i++) {
    // Spread over the zone, shifted per round so that each IXFR touches other names.
    const h = (i * Math.floor(hosts / 100) + round * 7) % hosts;
    changed.push(rec(`h${h}.xfr.test.`, 1, ip4(h + serial)));
  }
  const next = applyDeltaToZone(zone, changed, new Set(changed.map((r) => nameKey(r.owner))));
  if (!next) throw new Error("applyDeltaToZone refused the IXFR");
  zone = next;
  globalThis.gc?.();
  const inc = await precompile([zone], serial, base);
  globalThis.gc?.();
  const full = await precompile([zone], serial);
  const same = identical(inc.snap, full.snap);
  if (!same) throw new Error(`round ${round}: the incremental precompile differs from the full one`);
  rows.inc.push(inc);
  rows.full.push(full);
  const s = inc.stats;
  console.log(
    `round ${round}: with reuse cpu ${fmt(inc.cpu)} ms wall ${fmt(inc.wall)} ms` +
      (s
        ? ` (${s.compiled} computed, ${s.reused} taken over, ${s.patched} SOA-patched)`
        : " (build has no reuse)") +
      ` | full cpu ${fmt(full.cpu)} ms wall ${fmt(full.wall)} ms | ${full.snap.exactAnswers.size} answers, identical ${same}; load ${load()}`,
  );
  base = inc.snap;
}
const m = (k, f) => fmt(median(rows[k].map(f)));
console.log(
  `median of ${ROUNDS}: with reuse cpu ${m("inc", (r) => r.cpu)} ms wall ${m("inc", (r) => r.wall)} ms; ` +
    `full cpu ${m("full", (r) => r.cpu)} ms wall ${m("full", (r) => r.wall)} ms; load ${load()}`,
);
