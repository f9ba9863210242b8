#!/usr/bin/env node
// CPU time per query of the lookup path (no precompiled answers): `writeInternetAnswer` over a built 10 000-name
// zone for four query mixes. CPU time (process.cpuUsage), not wall, so a shared host disturbs it less.
//   node bench/lookup-cpu.mjs DIR [count]     (DIR: a tree whose DIR/dist was built with tsc -p tsconfig.build.json)
//   ONLY=ref node bench/lookup-cpu.mjs DIR    (only the mixes whose label starts with "ref")
import { join, resolve } from "node:path";

const dist = join(resolve(process.argv[2]), "dist");
const COUNT = Number(process.argv[3] ?? 1000000);
const { writeInternetAnswer } = await import(join(dist, "responder/answer.js"));
const { MessageWriter } = await import(join(dist, "wire/message-writer.js"));
const { parseQuery } = await import(join(dist, "wire/query-parser.js"));
const { parseNameText } = await import(join(dist, "wire/name.js"));
const { parseMasterFile } = await import(join(dist, "zone/master-parser.js"));
const { buildZone } = await import(join(dist, "zone/zone-image.js")).catch(
  () => import(join(dist, "zone/zone.js")),
);
const origin = parseNameText("bench.example.", null);
const lines = [
  "@ 3600 IN SOA ns1 hostmaster 1 7200 3600 1209600 300",
  "@ 3600 IN NS ns1",
  "ns1 IN A 192.0.2.53",
];
for (let i = 0; i < 10000; i++) {
  lines.push(
    `h${i} 300 IN A 192.0.2.${i % 250}`,
    `h${i} 300 IN A 198.51.100.${i % 250}`,
    `h${i} 300 IN AAAA 2001:db8::${i.toString(16)}`,
  );
  lines.push(`h${i} 300 IN MX 10 mx${i % 100}`);
}
for (let i = 0; i < 100; i++) lines.push(`mx${i} 300 IN A 192.0.2.${i}`);
for (let i = 0; i < 100; i++) lines.push(`d${i} 300 IN NS ns.d${i}`, `ns.d${i} 300 IN A 203.0.113.${i}`);
lines.push("*.wild 300 IN A 192.0.2.99");
const zone = buildZone(
  origin,
  parseMasterFile(`${lines.join("\n")}\n`, { file: "b", origin, defaultTtl: 3600 }).records,
);
const zones = new Map([[zone.originKey, zone]]);
function query(name, type) {
  const qname = parseNameText(name, null);
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0x1234, 0);
  h.writeUInt16BE(0x0100, 2);
  h.writeUInt16BE(1, 4);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(type, 0);
  q.writeUInt16BE(1, 2);
  const msg = Buffer.concat([h, qname, q]);
  return { msg, q: parseQuery(msg) };
}
const mixes = {
  "A (2 records)": (i) => query(`h${i}.bench.example.`, 1),
  "MX + additional": (i) => query(`h${i}.bench.example.`, 15),
  "referral + glue": (i) => query(`x.d${i % 100}.bench.example.`, 1),
  wildcard: (i) => query(`x${i}.wild.bench.example.`, 1),
};
const w = new MessageWriter(Buffer.alloc(65535));
const p = { dnssecOk: false, minimalAny: true, limit: 1232 };
const only = process.env.ONLY;
for (const [label, make] of Object.entries(mixes)) {
  if (only && !label.startsWith(only)) continue;
  const qs = Array.from({ length: 1000 }, (_, i) => make(i * 7));
  for (let i = 0; i < 100000; i++) {
    const x = qs[i % 1000];
    writeInternetAnswer(w, zones, x.msg, x.q, p);
  } // warm-up
  const c0 = process.cpuUsage();
  let bytes = 0;
  for (let i = 0; i < COUNT; i++) {
    const x = qs[i % 1000];
    writeInternetAnswer(w, zones, x.msg, x.q, p);
    bytes += w.pos;
  }
  const c = process.cpuUsage(c0);
  console.log(
    `${label.padEnd(18)} ${(((c.user + c.system) / COUNT) * 1000).toFixed(0).padStart(6)} ns/query cpu  (${(bytes / COUNT).toFixed(0)} B)`,
  );
}
