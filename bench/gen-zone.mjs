#!/usr/bin/env node
// Generate the benchmark zone and dnsperf query file (deterministic: a fixed-seed LCG).
//   node bench/gen-zone.mjs OUTDIR [HOSTS]
// Zone bench.test.: HOSTS names with A (every 4th also AAAA), HOSTS/20 CNAMEs, HOSTS/20 delegations with glue,
// a wildcard. Query mix (20000 lines, shuffled): 60 % hits (A/AAAA/CNAME), 20 % NXDOMAIN, 10 % referrals,
// 10 % wildcard answers and NODATA.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [outDir, hostsArg] = process.argv.slice(2);
if (!outDir) {
  console.error("usage: gen-zone.mjs OUTDIR [HOSTS]");
  process.exit(2);
}
const HOSTS = Number(hostsArg ?? 4000);
const CNAMES = Math.floor(HOSTS / 20);
const CUTS = Math.floor(HOSTS / 20);
const QUERIES = 20000;

let seed = 0x2026;
const rand = (n) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
};
const ip4 = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

const zone = [
  "$ORIGIN bench.test.",
  "$TTL 3600",
  "@ SOA ns1.bench.test. hostmaster.bench.test. 1 7200 3600 1209600 300",
  "@ NS ns1",
  "@ NS ns2",
  "ns1 A 192.0.2.1",
  "ns2 A 192.0.2.2",
  "*.wild A 192.0.2.80",
];
for (let i = 0; i < HOSTS; i++) {
  zone.push(`h${i} A ${ip4(i + 256)}`);
  if (i % 4 === 0) zone.push(`h${i} AAAA 2001:db8::${i.toString(16)}`);
}
for (let i = 0; i < CNAMES; i++) zone.push(`c${i} CNAME h${rand(HOSTS)}`);
for (let i = 0; i < CUTS; i++) zone.push(`d${i} NS ns.d${i}`, `ns.d${i} A ${ip4(0x100000 + i)}`);

const queries = [];
for (let q = 0; q < QUERIES; q++) {
  const r = rand(100);
  if (r < 45) queries.push(`h${rand(HOSTS)}.bench.test. A`);
  else if (r < 52) queries.push(`h${rand(HOSTS / 4) * 4}.bench.test. AAAA`);
  else if (r < 60) queries.push(`c${rand(CNAMES)}.bench.test. A`);
  else if (r < 80) queries.push(`nx${rand(1_000_000)}.bench.test. A`);
  else if (r < 90) queries.push(`www.d${rand(CUTS)}.bench.test. A`);
  else if (r < 95) queries.push(`q${rand(100000)}.wild.bench.test. A`);
  else queries.push(`h${rand(HOSTS)}.bench.test. MX`);
}

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "bench.test.zone"), `${zone.join("\n")}\n`);
writeFileSync(join(outDir, "queries.txt"), `${queries.join("\n")}\n`);
console.log(
  `${join(outDir, "bench.test.zone")}: ${zone.length} records; ${join(outDir, "queries.txt")}: ${QUERIES} queries`,
);
