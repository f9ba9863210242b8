#!/usr/bin/env node
// Memory per small zone (issue #6: a catalog can bring thousands of member zones): N zones of 5 records each
// (SOA, NS, the NS's A, a host with A and AAAA) built with `buildZone`, one lookup each, all kept; bytes of
// heap + array buffers + external memory per zone after a full GC.
//   node --expose-gc bench/small-zones-memory.mjs [DIST] [N]   (DIST: a `tsc -p tsconfig.build.json` output)
import { resolve } from "node:path";

const D = resolve(process.argv[2] ?? resolve(import.meta.dirname, "../dist"));
const N = Number(process.argv[3] ?? 10_000);
if (typeof globalThis.gc !== "function") throw new Error("run with node --expose-gc");
// Builds before the zone image had buildZone in zone.js.
const { buildZone } = await import(`${D}/zone/zone-image.js`).catch(() => import(`${D}/zone/zone.js`));
const { nameKey, parseNameText } = await import(`${D}/wire/name.js`);

const held = () => {
  globalThis.gc();
  const u = process.memoryUsage();
  return u.heapUsed + u.arrayBuffers + u.external;
};
const name = (t) => parseNameText(t, null);
const base = held();
const zones = [];
for (let i = 0; i < N; i++) {
  const o = `z${i}.example.`;
  const origin = name(o);
  const soa = Buffer.concat([name(`ns.${o}`), name(`h.${o}`), Buffer.alloc(20, 1)]);
  const records = [
    { owner: origin, type: 6, class: 1, ttl: 300, rdata: soa },
    { owner: origin, type: 2, class: 1, ttl: 300, rdata: name(`ns.${o}`) },
    { owner: name(`ns.${o}`), type: 1, class: 1, ttl: 300, rdata: Buffer.from([192, 0, 2, 1]) },
    { owner: name(`www.${o}`), type: 1, class: 1, ttl: 300, rdata: Buffer.from([192, 0, 2, 2]) },
    { owner: name(`www.${o}`), type: 28, class: 1, ttl: 300, rdata: Buffer.alloc(16, 7) },
  ];
  const zone = buildZone(origin, records);
  zone.nodes.get(nameKey(name(`www.${o}`)));
  zones.push(zone);
}
console.log(
  `${D}: ${N} zones of 5 records, ${((held() - base) / N).toFixed(0)} bytes per zone (${zones.length} kept)`,
);
