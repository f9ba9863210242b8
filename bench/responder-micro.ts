// Micro-benchmark of Responder.respond() on one core: precompiled hits vs the lookup path.
// Run: npx tsc -p tsconfig.json --noEmit false --sourceMap false --outDir dist/bench-build \
//        && node dist/bench-build/bench/responder-micro.js
import { createResponder } from "../src/responder/responder.js";
import { compileSnapshot } from "../src/responder/snapshot.js";
import { newOutcome } from "../src/responder/types.js";
import { parseNameText } from "../src/wire/name.js";
import { typeFromText } from "../src/wire/rrtype.js";
import { parseMasterFile } from "../src/zone/master-parser.js";
import { buildZone } from "../src/zone/zone-image.js";

const NAMES = 10_000;
const origin = parseNameText("bench.example.", null);
const lines = [
  "@ 3600 IN SOA ns1 hostmaster 1 7200 3600 1209600 300",
  "@ 3600 IN NS ns1",
  "ns1 IN A 192.0.2.53",
];
for (let i = 0; i < NAMES; i++)
  lines.push(`h${i} 300 IN A 192.0.2.${i % 250}`, `h${i} 300 IN AAAA 2001:db8::${i.toString(16)}`);
lines.push("*.wild 300 IN A 192.0.2.99");
const parsed = parseMasterFile(`${lines.join("\n")}\n`, { file: "bench", origin, defaultTtl: 3600 });
const t0 = performance.now();
const snapshot = compileSnapshot([buildZone(origin, parsed.records)], 1);
const compileMs = performance.now() - t0;
const responder = createResponder(snapshot, {
  identity: "bench",
  nsid: Buffer.from("b1"),
  maxUdpPayload: 1232,
});

function query(name: string, type: string, edns: boolean, dnssecOk = false): Buffer {
  const qname = parseNameText(name, null);
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0x1234, 0);
  h.writeUInt16BE(0x0100, 2);
  h.writeUInt16BE(1, 4);
  if (edns) h.writeUInt16BE(1, 10);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(typeFromText(type)!, 0);
  q.writeUInt16BE(1, 2);
  const opt = Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, dnssecOk ? 0x80 : 0, 0, 0, 0]);
  return Buffer.concat(edns ? [h, qname, q, opt] : [h, qname, q]);
}

function run(label: string, queries: Buffer[]): void {
  const outcome = newOutcome();
  for (let i = 0; i < 50_000; i++) responder.respond(queries[i % queries.length]!, "udp", outcome); // JIT warm-up
  let n = 0;
  let bytes = 0;
  const end = performance.now() + 1000;
  const start = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) {
      const out = responder.respond(queries[n % queries.length]!, "udp", outcome);
      bytes += out ? out.length : 0;
      n++;
    }
  }
  const secs = (performance.now() - start) / 1000;
  console.log(
    `${label.padEnd(44)} ${Math.round(n / secs)
      .toLocaleString("en")
      .padStart(10)} q/s  (${Math.round(bytes / n)} B avg)`,
  );
}

console.log(
  `zone: ${NAMES} names, ${snapshot.exactAnswers.size} precompiled entries, compiled in ${compileMs.toFixed(0)} ms`,
);
const hits = Array.from({ length: 1000 }, (_, i) =>
  query(`H${i * 7}.Bench.Example.`, i % 2 ? "A" : "AAAA", true),
);
run("precompiled hit, EDNS, 0x20 case", hits);
run(
  "precompiled hit, no EDNS",
  Array.from({ length: 1000 }, (_, i) => query(`h${i}.bench.example.`, "A", false)),
);
run(
  "lookup path: wildcard",
  Array.from({ length: 1000 }, (_, i) => query(`x${i}.wild.bench.example.`, "A", true)),
);
run(
  "lookup path: NXDOMAIN",
  Array.from({ length: 1000 }, (_, i) => query(`nx${i}.bench.example.`, "A", true)),
);
run("REFUSED (not our zone)", [query("www.example.org.", "A", true)]);
