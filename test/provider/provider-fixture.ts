// Shared by the provider tests: the fixture zone and edited versions of it, a big generated zone, the TSIG keys,
// a logger that keeps its lines, and record-set comparison helpers.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { recordKey } from "../../src/transfer/apply-ixfr.js";
import { parseTsigKey, type TsigKey } from "../../src/transfer/tsig.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import type { ResourceRecord } from "../../src/zone/record.js";

export const FIXTURE = join(resolve(import.meta.dirname, "../fixtures/zones/provider"), "prov.test.zone");
export const BASE_SERIAL = 2026112301;

export const KEY = {
  name: "xfr-key.",
  algorithm: "hmac-sha256",
  secret: Buffer.alloc(32, 0x5a).toString("base64"),
};
export const tsig: TsigKey = parseTsigKey(`${KEY.name}:${KEY.algorithm}:${KEY.secret}`);
/** Same name, other secret: BADSIG. */
export const wrongSecret: TsigKey = parseTsigKey(
  `${KEY.name}:${KEY.algorithm}:${Buffer.alloc(32, 1).toString("base64")}`,
);
/** A key edgens does not know: BADKEY. */
export const unknownKey: TsigKey = parseTsigKey(`other-key.:hmac-sha256:${KEY.secret}`);

/** The fixture at `serial` with edits: v ≥ 2 changes www's address, drops MiXeD, adds new-v<serial>. */
export function fixtureText(version: number): string {
  let text = readFileSync(FIXTURE, "latin1").replace(String(BASE_SERIAL), String(BASE_SERIAL + version - 1));
  if (version >= 2) {
    text = text
      .replace("www             A       192.0.2.10", `www             A       192.0.2.${100 + version}`)
      .replace(/^MiXeD .*$/m, "");
    for (let v = 2; v <= version; v++) text += `new-v${v}           A       198.51.100.${v}\n`;
  }
  return text;
}

/** A zone of `count` records: SOA, NS, glue and hosts with A and TXT. */
export function bigZoneText(origin: string, serial: number, count: number): string {
  const lines = [
    `$ORIGIN ${origin}`,
    "$TTL 300",
    `@ SOA ns1 hostmaster ${serial} 7200 3600 1209600 300`,
    "@ NS ns1",
  ];
  lines.push("ns1 A 192.0.2.53");
  for (let i = 0; lines.length - 2 < count; i++) {
    lines.push(
      i % 2 === 0
        ? `host-${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
        : `host-${i} TXT "record ${i}"`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Records of a zone text as sorted identities with TTL (order-free comparison). */
export function textRecords(text: string, origin?: string): string[] {
  const r = parseMasterFile(text, { file: "fixture" });
  if (r.diagnostics.some((d) => d.severity === "error"))
    throw new Error(`fixture does not parse (${origin ?? ""})`);
  return ids(r.records);
}

export function ids(records: readonly ResourceRecord[]): string[] {
  return records.map((r) => `${recordKey(r)}|${r.ttl}`).sort();
}

/** A pino logger whose JSON lines are kept in `lines`. */
export function memoryLogger(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { log, lines };
}
