// Micro-benchmark: an IXFR of 100 changed names applied to the tree of an N-record zone (`applyDeltaToZone`, given
// only the records at the touched names), beside what a full copy of the zone's name map costs.
//   node bench/xfr/delta-micro.mjs dist [1000000]      (dist: a built tree, e.g. the repository's dist/)

import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

const dist = pathToFileURL(resolve(process.argv[2] ?? "dist")).href;
const { buildZone } = await import(`${dist}/zone/zone-image.js`).catch(() => import(`${dist}/zone/zone.js`));
const { applyDeltaToZone } = await import(`${dist}/zone/zone-delta.js`);
const { parseNameText, nameKey } = await import(`${dist}/wire/name.js`);
const N = Number(process.argv[3] ?? 1000000);
const origin = parseNameText("xfr.test.", null);
const rec = (name, type, rdata) => ({ owner: parseNameText(name, null), type, class: 1, ttl: 3600, rdata });
const soa = (serial) => {
  const b = Buffer.alloc(20);
  b.writeUInt32BE(serial, 0);
  return Buffer.concat([parseNameText("ns1.xfr.test.", null), parseNameText("h.xfr.test.", null), b]);
};
const records = [
  rec("xfr.test.", 6, soa(1)),
  rec("xfr.test.", 2, parseNameText("ns1.xfr.test.", null)),
  rec("ns1.xfr.test.", 1, Buffer.from([192, 0, 2, 1])),
];
for (let i = 0; i < N / 1.25; i++) {
  records.push(rec(`h${i}.xfr.test.`, 1, Buffer.from([10, (i >> 16) & 255, (i >> 8) & 255, i & 255])));
  if (i % 4 === 0) records.push(rec(`h${i}.xfr.test.`, 28, Buffer.alloc(16, i & 255)));
}
let t = performance.now();
const zone = buildZone(origin, records);
console.log(
  `buildZone ${records.length} records: ${(performance.now() - t).toFixed(0)} ms; heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MiB`,
);
const changed = [rec("xfr.test.", 6, soa(2)), rec("xfr.test.", 2, parseNameText("ns1.xfr.test.", null))];
for (let i = 0; i < 100; i++) changed.push(rec(`h${i * 8000}.xfr.test.`, 1, Buffer.from([11, 0, 0, i])));
const touched = new Set(changed.map((r) => nameKey(r.owner)));
for (let k = 0; k < 3; k++) {
  t = performance.now();
  const m = new Map(zone.nodes);
  const tm = performance.now() - t;
  t = performance.now();
  const d = applyDeltaToZone(zone, changed, touched);
  console.log(
    `Map copy ${tm.toFixed(0)} ms; applyDeltaToZone (touched records only) ${(performance.now() - t).toFixed(0)} ms, ok=${d !== null}, ${m.size}`,
  );
}
