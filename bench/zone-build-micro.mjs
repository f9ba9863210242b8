#!/usr/bin/env node
// ZoneBuilder alone (issue #6): the records of the transfer benches' zone (bench/xfr/zone-shape.mjs: hosts with
// A, every 4th also AAAA) fed to `addRecord` as the AXFR reader hands them over (key, owner, RDATA made before
// the clock starts, the owner and key shared by a host's records), then `finish`. No transfer, no parse: what
// a change to the tree's build costs shows without the noise of the rest. Prints the median and the minimum
// (less disturbed by other processes on a shared host) of the build's wall time, and of the CPU time of the
// process (GC threads included) over the build, which waiting for a CPU does not inflate.
//
//   npm run build && node --expose-gc bench/zone-build-micro.mjs [--records 1000000] [--rounds 7] [--build DIR]
// Before/after: run it once per build, alternating, e.g. `--build /tmp/before` then without.
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { hostCount } from "./xfr/zone-shape.mjs";

const { values: args } = parseArgs({
  options: {
    records: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "7" },
    build: { type: "string" },
  },
});
const RECORDS = Number(args.records);
const ROUNDS = Number(args.rounds);
const dist = args.build ? join(resolve(args.build), "dist") : resolve(import.meta.dirname, "../dist");
if (!globalThis.gc) throw new Error("run with node --expose-gc (each round starts after a full GC)");
const { ZoneBuilder } = await import(join(dist, "zone/zone-image.js")).catch(
  () => import(join(dist, "zone/zone.js")),
);
const { parseNameText } = await import(join(dist, "wire/name.js"));

const A = 1;
const AAAA = 28;
const origin = parseNameText("xfr.test.", null);
const soa = Buffer.concat([
  parseNameText("ns1.xfr.test.", null),
  parseNameText("hostmaster.xfr.test.", null),
  Buffer.from([0, 0, 0, 1, 0, 0, 14, 16, 0, 0, 2, 88, 0, 18, 117, 0, 0, 0, 1, 44]),
]);

/** One round's input: parallel arrays, as RecordBatch holds them. */
function records() {
  const keys = [];
  const owners = [];
  const types = [];
  const rdatas = [];
  const push = (owner, type, rdata) => {
    owners.push(owner);
    keys.push(owner.latin1Slice(0, owner.length));
    types.push(type);
    rdatas.push(rdata);
  };
  push(origin, 6, soa);
  for (let i = 0; i < hostCount(RECORDS); i++) {
    const owner = Buffer.from(`${String.fromCharCode(`h${i}`.length)}h${i}\x03xfr\x04test\x00`, "latin1");
    push(owner, A, Buffer.from([10, (i >> 16) & 255, (i >> 8) & 255, i & 255]));
    if (i % 4 === 0) push(owner, AAAA, Buffer.alloc(16, i & 255));
    // The reader shares one key string per owner.
    if (i % 4 === 0) keys[keys.length - 1] = keys[keys.length - 2];
  }
  return { keys, owners, types, rdatas };
}

const ms = [];
const cpu = [];
for (let r = 0; r < ROUNDS; r++) {
  const { keys, owners, types, rdatas } = records();
  globalThis.gc();
  const t = performance.now();
  const c = process.cpuUsage();
  const b = new ZoneBuilder(origin);
  for (let i = 0; i < keys.length; i++) b.addRecord(keys[i], owners[i], types[i], 1, 3600, rdatas[i]);
  const tree = b.finish();
  ms.push(performance.now() - t);
  const used = process.cpuUsage(c);
  cpu.push((used.user + used.system) / 1000);
  if (tree.nodes.size !== hostCount(RECORDS) + 1) throw new Error(`wrong tree: ${tree.nodes.size} names`);
}
const stats = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return `median ${s[ROUNDS >> 1].toFixed(0)} ms, min ${s[0].toFixed(0)} ms (${a.map((x) => x.toFixed(0)).join(" ")})`;
};
console.log(`build ${RECORDS} records, ${dist}; load ${loadavg().map((l) => l.toFixed(2))}`);
console.log(`  wall ${stats(ms)}`);
console.log(`  cpu  ${stats(cpu)}`);
