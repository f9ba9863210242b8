// Test helpers for the lookup and responder tables: load fixture zones through the real master-file parser,
// build wire queries (with exact case, EDNS knobs), and decode responses into presentation strings so tests
// read as DNS (CoreDNS style) rather than byte arrays.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import dnsPacket from "dns-packet";
import { compileSnapshot, type Snapshot } from "../../src/responder/snapshot.js";
import { newOutcome, type QueryOutcome, type Responder, type Transport } from "../../src/responder/types.js";
import { nameToText, parseNameText, readName } from "../../src/wire/name.js";
import { rdataToText } from "../../src/wire/rdata-text.js";
import { classToText, RRClass, RRType, typeFromText, typeToText } from "../../src/wire/rrtype.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import type { ZoneData } from "../../src/zone/zone.js";
import { buildZone } from "../../src/zone/zone-image.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/zones/lookup/", import.meta.url));

export function loadFixtureZone(file: string, origin: string): ZoneData {
  const originWire = parseNameText(origin, null);
  const text = readFileSync(FIXTURES + file, "latin1");
  const parsed = parseMasterFile(text, { file, origin: originWire });
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(`fixture ${file}: ${JSON.stringify(errors)}`);
  return buildZone(originWire, parsed.records);
}

/**
 * Records of a master-file text under `origin` ($TTL 300) as a transfer hands them over (no source positions).
 * Throws on any diagnostic; with `allowWarnings` only on errors.
 */
export function zoneRecords(text: string, origin: string, allowWarnings = false): ResourceRecord[] {
  const parsed = parseMasterFile(`$ORIGIN ${origin}\n$TTL 300\n${text}`, { file: "test" });
  const bad = parsed.diagnostics.filter((d) => !allowWarnings || d.severity === "error");
  if (bad.length > 0) throw new Error(`zone text: ${JSON.stringify(bad)}`);
  return parsed.records.map(({ owner, type, class: cls, ttl, rdata }) => ({
    owner,
    type,
    class: cls,
    ttl,
    rdata,
  }));
}

/** example. and its nested child.example., as the responder tests serve them. */
export function fixtureZones(): ZoneData[] {
  return [
    loadFixtureZone("example.zone", "example."),
    loadFixtureZone("child.example.zone", "child.example."),
  ];
}

export function fixtureSnapshot(generation = 1, precompile = true): Snapshot {
  return compileSnapshot(fixtureZones(), generation, { precompile });
}

export interface QueryOptions {
  id?: number;
  rd?: boolean;
  cd?: boolean;
  opcode?: number;
  qclass?: number;
  /** Add an OPT record. */
  edns?: { udpSize?: number; do?: boolean; version?: number; nsid?: boolean; options?: Buffer };
}

/** A wire query for `name` (case kept exactly as given) and `type` (mnemonic or number). */
export function makeQuery(name: string, type: string | number, opts: QueryOptions = {}): Buffer {
  const qname = parseNameText(name, null);
  const qtype = typeof type === "number" ? type : typeFromText(type)!;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(opts.id ?? 0x1234, 0);
  header.writeUInt16BE(((opts.opcode ?? 0) << 11) | (opts.rd ? 0x0100 : 0) | (opts.cd ? 0x0010 : 0), 2);
  header.writeUInt16BE(1, 4);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(qtype, 0);
  q.writeUInt16BE(opts.qclass ?? RRClass.IN, 2);
  const parts = [header, qname, q];
  if (opts.edns) {
    header.writeUInt16BE(1, 10);
    const e = opts.edns;
    let rdata = e.options ?? Buffer.alloc(0);
    if (e.nsid) rdata = Buffer.concat([rdata, Buffer.from([0, 3, 0, 0])]);
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(RRType.OPT, 1);
    opt.writeUInt16BE(e.udpSize ?? 1232, 3);
    opt[6] = e.version ?? 0;
    opt[7] = e.do ? 0x80 : 0;
    opt.writeUInt16BE(rdata.length, 9);
    parts.push(opt, rdata);
  }
  return Buffer.concat(parts);
}

/** RDATA layouts with compressible names (the writer's list), to decompress before rdataToText. */
const NAME_LAYOUT: Record<number, (number | "n")[]> = {
  2: ["n"],
  3: ["n"],
  4: ["n"],
  5: ["n"],
  6: ["n", "n", 20],
  7: ["n"],
  8: ["n"],
  9: ["n"],
  12: ["n"],
  14: ["n", "n"],
  15: [2, "n"],
};

export interface DecodedOpt {
  udpSize: number;
  extRcode: number;
  version: number;
  do: boolean;
  options: { code: number; data: Buffer }[];
}

export interface Decoded {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  cd: boolean;
  /** Full RCODE, extended bits from OPT included. */
  rcode: number;
  /** Question owner exactly as in the response (case kept) + " " + class + " " + type. */
  question: string[];
  answer: string[];
  ns: string[];
  extra: string[];
  opt: DecodedOpt | null;
  /** Raw question name bytes (for 0x20 checks). */
  qnameWire: Buffer | null;
}

/** Decode a response into presentation strings (owner names keep the case found in the message). */
export function decodeResponse(msg: Buffer): Decoded {
  const flags = msg.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => msg.readUInt16BE(o));
  const d: Decoded = {
    id: msg.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: flags & 0xf,
    question: [],
    answer: [],
    ns: [],
    extra: [],
    opt: null,
    qnameWire: null,
  };
  let pos = 12;
  for (let i = 0; i < counts[0]!; i++) {
    const { name, next } = readName(msg, pos);
    d.qnameWire = name;
    d.question.push(
      `${nameToText(name)} ${classToText(msg.readUInt16BE(next + 2))} ${typeToText(msg.readUInt16BE(next))}`,
    );
    pos = next + 4;
  }
  const sections = [d.answer, d.ns, d.extra];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const { name, next } = readName(msg, pos);
      const type = msg.readUInt16BE(next);
      const cls = msg.readUInt16BE(next + 2);
      const ttl = msg.readUInt32BE(next + 4);
      const rdlen = msg.readUInt16BE(next + 8);
      const start = next + 10;
      const end = start + rdlen;
      if (end > msg.length) throw new Error("RDATA past end of message");
      pos = end;
      if (type === RRType.OPT) {
        const options: { code: number; data: Buffer }[] = [];
        for (let o = start; o < end; ) {
          const len = msg.readUInt16BE(o + 2);
          options.push({ code: msg.readUInt16BE(o), data: Buffer.from(msg.subarray(o + 4, o + 4 + len)) });
          o += 4 + len;
        }
        d.opt = {
          udpSize: cls,
          extRcode: ttl >>> 24,
          version: (ttl >> 16) & 0xff,
          do: (ttl & 0x8000) !== 0,
          options,
        };
        d.rcode |= (ttl >>> 24) << 4;
        continue;
      }
      let rdata = Buffer.from(msg.subarray(start, end));
      const layout = NAME_LAYOUT[type];
      if (layout) {
        const parts: Buffer[] = [];
        let o = start;
        for (const p of layout) {
          if (p === "n") {
            const r = readName(msg, o);
            parts.push(r.name);
            o = r.next;
          } else {
            parts.push(msg.subarray(o, o + p));
            o += p;
          }
        }
        if (o !== end) throw new Error(`RDATA of ${typeToText(type)} has ${end - o} trailing octets`);
        rdata = Buffer.concat(parts);
      }
      sections[s]!.push(
        `${nameToText(name)} ${ttl} ${classToText(cls)} ${typeToText(type)} ${rdataToText(type, rdata)}`,
      );
    }
  }
  return d;
}

export interface Asked {
  wire: Buffer;
  d: Decoded;
  outcome: QueryOutcome;
}

/**
 * Send one query through `responder` and decode the answer. Every response is also decoded by dns-packet, an
 * independent parser, so a malformed message fails the test even where the presentation strings look right.
 */
export function ask(
  responder: Responder,
  name: string,
  type: string | number,
  opts: QueryOptions & { transport?: Transport } = {},
): Asked {
  const query = makeQuery(name, type, opts);
  const outcome = newOutcome();
  const wire = responder.respond(query, opts.transport ?? "tcp", outcome);
  if (!wire) throw new Error(`no response to ${name} ${type}`);
  const packet = dnsPacket.decode(wire);
  if (packet.id !== query.readUInt16BE(0)) throw new Error("dns-packet decoded a different ID");
  return { wire, d: decodeResponse(wire), outcome };
}
