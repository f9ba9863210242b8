import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { splitPresentation } from "../../src/wire/rdata/presentation-lexer.js";
import { typeBitmapFromTypes } from "../../src/wire/rdata/type-bitmap.js";
import { rdataFromText, rdataToText } from "../../src/wire/rdata-text.js";
import { RRType } from "../../src/wire/rrtype.js";
import { parseMasterFile, recordToText } from "../../src/zone/master-parser.js";

const bytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b));
const u8 = fc.integer({ min: 0, max: 255 }).map((n) => Buffer.from([n]));
const u16 = fc.integer({ min: 0, max: 0xffff }).map((n) => Buffer.from([n >> 8, n & 255]));
const u32 = bytes(4, 4);
const lp = (b: fc.Arbitrary<Buffer>) => b.map((x) => Buffer.concat([Buffer.from([x.length]), x]));
// Names of random bytes (any octet, escaped in text), up to 4 labels so they stay under 255 octets.
const name = fc
  .array(bytes(1, 40), { minLength: 0, maxLength: 4 })
  .map((labels) =>
    Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), l])), Buffer.from([0])]),
  );
const str = lp(bytes(0, 60));
const types = fc.array(fc.integer({ min: 1, max: 0xffff }), { maxLength: 8 }).map(typeBitmapFromTypes);
const svcParams = fc
  .record({
    alpn: fc.option(fc.array(lp(bytes(1, 10)), { minLength: 1, maxLength: 3 })),
    ndAlpn: fc.boolean(),
    port: fc.option(u16),
    v4: fc.option(fc.array(bytes(4, 4), { minLength: 1, maxLength: 3 })),
    ech: fc.option(bytes(1, 20)),
    v6: fc.option(fc.array(bytes(16, 16), { minLength: 1, maxLength: 2 })),
    other: fc.option(fc.tuple(fc.integer({ min: 8, max: 0xffff }), bytes(0, 10))),
    mandatory: fc.boolean(),
  })
  .map((p) => {
    const params: [number, Buffer][] = [];
    if (p.alpn) params.push([1, Buffer.concat(p.alpn)]);
    if (p.ndAlpn) params.push([2, Buffer.alloc(0)]);
    if (p.port) params.push([3, p.port]);
    if (p.v4) params.push([4, Buffer.concat(p.v4)]);
    if (p.ech) params.push([5, p.ech]);
    if (p.v6) params.push([6, Buffer.concat(p.v6)]);
    if (p.other) params.push(p.other);
    if (p.mandatory && params.length > 0) {
      const keys = params.map(([k]) => k);
      const v = Buffer.alloc(keys.length * 2);
      keys.forEach((k, i) => {
        v.writeUInt16BE(k, i * 2);
      });
      params.unshift([0, v]);
    }
    return Buffer.concat(
      params.map(([k, v]) =>
        Buffer.concat([Buffer.from([k >> 8, k & 255, v.length >> 8, v.length & 255]), v]),
      ),
    );
  });
const loc = fc
  .record({
    prec: fc.array(
      fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 9 })).map(([m, e]) => (m << 4) | e),
      { minLength: 3, maxLength: 3 },
    ),
    lat: fc.integer({ min: 2 ** 31 - 90 * 3_600_000, max: 2 ** 31 + 90 * 3_600_000 }),
    lon: fc.integer({ min: 2 ** 31 - 180 * 3_600_000, max: 2 ** 31 + 180 * 3_600_000 }),
    alt: fc.integer({ min: 0, max: 0xffffffff }).filter((a) => Math.abs(a - 10_000_000) < 1e10),
  })
  .map((l) => {
    const b = Buffer.alloc(16);
    b.set([0, ...l.prec]);
    b.writeUInt32BE(l.lat, 4);
    b.writeUInt32BE(l.lon, 8);
    b.writeUInt32BE(l.alt, 12);
    return b;
  });
const tag = fc.stringMatching(/^[a-z0-9]{1,15}$/).map((s) => Buffer.from([s.length, ...Buffer.from(s)]));

const seq = (...parts: fc.Arbitrary<Buffer>[]) => fc.tuple(...parts).map((p) => Buffer.concat(p));
const T = RRType;
// Well-formed wire RDATA per type: these must print in the type's own format (never `\#`) and parse back.
const WELL_FORMED: [string, number, fc.Arbitrary<Buffer>][] = [
  ["A", T.A, bytes(4, 4)],
  ["AAAA", T.AAAA, bytes(16, 16)],
  ["NS", T.NS, name],
  ["SOA", T.SOA, seq(name, name, u32, u32, u32, u32, u32)],
  ["MX", T.MX, seq(u16, name)],
  ["TXT", T.TXT, fc.array(str, { minLength: 1, maxLength: 4 }).map((a) => Buffer.concat(a))],
  ["HINFO", T.HINFO, seq(str, str)],
  ["SRV", T.SRV, seq(u16, u16, u16, name)],
  ["NAPTR", T.NAPTR, seq(u16, u16, str, str, str, name)],
  ["CAA", T.CAA, seq(u8, tag, bytes(0, 40))],
  ["DS", T.DS, seq(u16, u8, u8, bytes(1, 48))],
  ["DNSKEY", T.DNSKEY, seq(u16, u8, u8, bytes(1, 64))],
  ["RRSIG", T.RRSIG, seq(u16, u8, u8, u32, u32, u32, u16, name, bytes(1, 64))],
  ["NSEC", T.NSEC, seq(name, types)],
  ["NSEC3", T.NSEC3, seq(u8, u8, u16, lp(bytes(0, 16)), lp(bytes(1, 32)), types)],
  ["NSEC3PARAM", T.NSEC3PARAM, seq(u8, u8, u16, lp(bytes(0, 16)))],
  ["TLSA", T.TLSA, seq(u8, u8, u8, bytes(1, 64))],
  ["SSHFP", T.SSHFP, seq(u8, u8, bytes(1, 32))],
  ["URI", T.URI, seq(u16, u16, bytes(0, 40))],
  ["ZONEMD", T.ZONEMD, seq(u32, u8, u8, bytes(1, 48))],
  ["CERT", T.CERT, seq(u16, u16, u8, bytes(1, 32))],
  ["CSYNC", T.CSYNC, seq(u32, u16, types)],
  ["SVCB", T.SVCB, seq(u16, name, svcParams)],
  ["HTTPS", T.HTTPS, seq(u16, name, svcParams)],
  ["LOC", T.LOC, loc],
  ["EUI64", T.EUI64, bytes(8, 8)],
  [
    "IPSECKEY",
    T.IPSECKEY,
    fc
      .oneof(
        fc.constant(Buffer.from([0])),
        bytes(4, 4).map((b) => Buffer.concat([Buffer.from([1]), b])),
        bytes(16, 16).map((b) => Buffer.concat([Buffer.from([2]), b])),
        name.map((b) => Buffer.concat([Buffer.from([3]), b])),
      )
      .chain((gw) =>
        seq(u8, u8, bytes(0, 20)).map((x) =>
          Buffer.concat([
            x.subarray(0, 1),
            gw.subarray(0, 1),
            x.subarray(1, 2),
            gw.subarray(1),
            x.subarray(2),
          ]),
        ),
      ),
  ],
  [
    "APL",
    T.APL,
    fc
      .array(
        fc
          .tuple(fc.boolean(), fc.boolean(), bytes(16, 16), fc.integer({ min: 0, max: 128 }))
          .map(([v6, neg, a, p]) => {
            const size = v6 ? 16 : 4;
            let len = size;
            while (len > 0 && a[len - 1] === 0) len--;
            return Buffer.concat([
              Buffer.from([0, v6 ? 2 : 1, p % (size * 8 + 1), (neg ? 0x80 : 0) | len]),
              a.subarray(0, len),
            ]);
          }),
        { maxLength: 4 },
      )
      .map((items) => Buffer.concat(items)),
  ],
];

describe("rdataToText → rdataFromText round trip (fast-check)", () => {
  test.each(WELL_FORMED)("%s: well-formed wire prints in its own format and parses back", (_n, type, arb) => {
    fc.assert(
      fc.property(arb, (w) => {
        const text = rdataToText(type, w);
        expect(text.startsWith("\\#")).toBe(false);
        expect(rdataFromText(type, splitPresentation(text), null).equals(w)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test.each(WELL_FORMED)("%s: arbitrary bytes round trip (own format or generic)", (_n, type) => {
    fc.assert(
      fc.property(bytes(0, 80), (w) => {
        const text = rdataToText(type, w);
        expect(rdataFromText(type, splitPresentation(text), null).equals(w)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("parseMasterFile never throws (fast-check)", () => {
  const zoneChars = fc.constantFrom(
    ...'abc.@$;()"\\ \t\n\r0123456789#-=,:'.split(""),
    "A ",
    "IN ",
    "TXT ",
    "SOA ",
    "MX ",
    "$ORIGIN ",
    "$TTL ",
    "$INCLUDE ",
    "\\# ",
    "HTTPS ",
    "LOC ",
    "NSEC ",
    "1h",
    "\u00ff",
    "\u2603",
  );
  test("on zone-like noise", () => {
    fc.assert(
      fc.property(
        fc.array(zoneChars, { maxLength: 120 }).map((a) => a.join("")),
        (text) => {
          const r = parseMasterFile(text, { file: "fuzz", readInclude: () => ({ text, file: "fuzz-inc" }) });
          // Whatever was accepted prints and re-parses to the same bytes.
          for (const rec of r.records) {
            const line = recordToText(rec);
            const again = parseMasterFile(line, { file: "again" });
            expect(again.diagnostics).toEqual([]);
            expect(again.records[0]!.rdata.equals(rec.rdata)).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
  test("on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => {
        parseMasterFile(text, { file: "fuzz", origin: Buffer.from([0]) });
      }),
      { numRuns: 1000 },
    );
  });
});
