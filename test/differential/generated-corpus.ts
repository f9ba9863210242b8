// A generated corpus on top of the hand-written table: every owner name of the differential zones, with random
// case, random labels prepended (NXDOMAIN, wildcard, below-cut and ENT paths), random types, EDNS variants and
// transports. Deterministic (fixed seed) so a failure names a reproducible case id.
import { readFileSync } from "node:fs";
import type { EdnsOptions } from "../helpers/dns-client.js";
import { type Case, DIFF_ZONES } from "./corpus.js";

const TYPES = [
  "A",
  "AAAA",
  "NS",
  "SOA",
  "MX",
  "TXT",
  "SRV",
  "CNAME",
  "DNAME",
  "DS",
  "HINFO",
  "CAA",
  "PTR",
  "TYPE65280",
];
const EDNS: (EdnsOptions | false)[] = [
  false,
  { udpSize: 1232 },
  { udpSize: 512 },
  { udpSize: 4096, do: true },
  { udpSize: 1232, nsid: true },
];

/** Owner names of a master file in this fixture's simple layout (owner in column 1, $ORIGIN given). */
function owners(file: string, origin: string): string[] {
  const out = new Set<string>([origin]);
  for (const line of readFileSync(file, "latin1").split("\n")) {
    const owner = /^([^\s;$][^\s]*)\s/.exec(line)?.[1];
    if (!owner) continue;
    out.add(owner === "@" ? origin : owner.endsWith(".") ? owner : `${owner}.${origin}`);
  }
  return [...out];
}

export function generatedCorpus(count: number, seed = 0x5eed): Case[] {
  let s = seed >>> 0;
  const rand = (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  const names = DIFF_ZONES.flatMap((z) => owners(z.file, z.origin));
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    let name = names[rand(names.length)]!;
    const prefix = rand(10);
    if (prefix < 2) name = `zz${rand(100)}.${name}`;
    else if (prefix < 3) name = `a${rand(10)}.b.${name}`;
    // RFC 4343: flip the case of random letters.
    name = [...name].map((ch) => (rand(3) === 0 ? ch.toUpperCase() : ch)).join("");
    const qtype = TYPES[rand(TYPES.length)]!;
    const edns = EDNS[rand(EDNS.length)]!;
    const transport = rand(5) === 0 ? "tcp" : "udp";
    cases.push({ id: `gen-${i}`, q: `${name} ${qtype}`, transport, edns, rule: "generated" });
  }
  return cases;
}
