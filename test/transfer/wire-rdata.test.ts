import { describe, expect, it } from "vitest";
import { canonicalRdata, decodeRdata, RdataDecodeError } from "../../src/transfer/wire-rdata.js";
import { parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";

const name = (t: string) => parseNameText(t, null);
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const ptr = (off: number) => Buffer.from([0xc0 | (off >> 8), off & 0xff]);

// A fake message: 12 header bytes, then "example.test." at offset 12, then the RDATA under test.
const HEADER = Buffer.alloc(12);
const ORIGIN = name("example.test.");
const RDATA_AT = 12 + ORIGIN.length;
function msgWith(rdata: Buffer): Buffer {
  return Buffer.concat([HEADER, ORIGIN, rdata]);
}
function decode(type: number, rdata: Buffer): Buffer {
  return decodeRdata(msgWith(rdata), RDATA_AT, rdata.length, type);
}

describe("decodeRdata: names in RDATA come out uncompressed", () => {
  it("MX with a compressed exchange", () => {
    const rd = Buffer.concat([u16(10), Buffer.from([4, ...Buffer.from("mail")]), ptr(12)]);
    expect(decode(RRType.MX, rd)).toEqual(Buffer.concat([u16(10), name("mail.example.test.")]));
  });

  it("SOA with both names compressed", () => {
    const timers = Buffer.alloc(20, 1);
    const rd = Buffer.concat([Buffer.from([3, ...Buffer.from("ns1")]), ptr(12), ptr(12), timers]);
    expect(decode(RRType.SOA, rd)).toEqual(Buffer.concat([name("ns1.example.test."), ORIGIN, timers]));
  });

  it.each([
    ["NS", RRType.NS, Buffer.alloc(0)],
    ["CNAME", RRType.CNAME, Buffer.alloc(0)],
    ["PTR", RRType.PTR, Buffer.alloc(0)],
    ["MB", 7, Buffer.alloc(0)],
    ["AFSDB", RRType.AFSDB, u16(1)],
    ["RT", 21, u16(1)],
    ["SRV (RFC 3597 §4: decompress for old senders)", RRType.SRV, Buffer.from([0, 1, 0, 2, 0, 3])],
  ])("%s", (_label, type, fixed) => {
    expect(decode(type, Buffer.concat([fixed, ptr(12)]))).toEqual(Buffer.concat([fixed, ORIGIN]));
  });

  it("RP, MINFO and PX have two names", () => {
    const two = Buffer.concat([ptr(12), ptr(12)]);
    expect(decode(RRType.RP, two)).toEqual(Buffer.concat([ORIGIN, ORIGIN]));
    expect(decode(14, two)).toEqual(Buffer.concat([ORIGIN, ORIGIN]));
    expect(decode(26, Buffer.concat([u16(5), two]))).toEqual(Buffer.concat([u16(5), ORIGIN, ORIGIN]));
  });

  it("NAPTR: skips three character-strings, then the replacement name", () => {
    const strs = Buffer.from([1, 0x53, 7, ...Buffer.from("SIP+D2U"), 0]);
    const rd = Buffer.concat([u16(100), u16(10), strs, ptr(12)]);
    expect(decode(RRType.NAPTR, rd)).toEqual(Buffer.concat([u16(100), u16(10), strs, ORIGIN]));
  });

  it("SIG and NXT keep their trailing opaque part", () => {
    const fixed = Buffer.alloc(18, 2);
    const sig = Buffer.from([9, 9, 9]);
    expect(decode(24, Buffer.concat([fixed, ptr(12), sig]))).toEqual(Buffer.concat([fixed, ORIGIN, sig]));
    expect(decode(30, Buffer.concat([ptr(12), Buffer.from([0, 1, 0x40])]))).toEqual(
      Buffer.concat([ORIGIN, Buffer.from([0, 1, 0x40])]),
    );
  });

  it("other types are copied byte for byte, even when they look like pointers", () => {
    const rd = Buffer.concat([ptr(12), Buffer.from([1, 2, 3])]);
    expect(decode(RRType.TXT, rd)).toEqual(rd);
    expect(decode(65280, rd)).toEqual(rd);
    // RRSIG signer and NSEC next name are never compressed (RFC 4034); they stay opaque here.
    expect(decode(RRType.NSEC, rd)).toEqual(rd);
  });

  it.each([
    ["SOA with 19 timer octets", RRType.SOA, Buffer.concat([ptr(12), ptr(12), Buffer.alloc(19)])],
    ["SOA with 21 timer octets", RRType.SOA, Buffer.concat([ptr(12), ptr(12), Buffer.alloc(21)])],
    ["MX without a name", RRType.MX, u16(10)],
    ["MX with trailing bytes", RRType.MX, Buffer.concat([u16(10), ptr(12), Buffer.from([0])])],
    ["NS whose name runs past RDLENGTH", RRType.NS, Buffer.from([4, 0x61, 0x62])],
    ["NAPTR string past RDLENGTH", RRType.NAPTR, Buffer.concat([u16(1), u16(1), Buffer.from([5, 0x41])])],
    ["CNAME with a forward pointer", RRType.CNAME, ptr(200)],
  ])("rejects %s", (_label, type, rd) => {
    expect(() => decode(type, rd)).toThrow(RdataDecodeError);
  });

  it("rejects RDATA running past the message", () => {
    expect(() => decodeRdata(msgWith(Buffer.alloc(2)), RDATA_AT, 10, RRType.A)).toThrow(RdataDecodeError);
  });

  it("a name whose encoding starts inside RDATA and points outside it is fine; one that ends outside is not", () => {
    // "ns" + pointer: the 4 octets lie inside RDLENGTH.
    const rd = Buffer.concat([Buffer.from([2, 0x6e, 0x73]), ptr(12)]);
    expect(decodeRdata(msgWith(rd), RDATA_AT, 5, RRType.NS)).toEqual(name("ns.example.test."));
    expect(() => decodeRdata(msgWith(rd), RDATA_AT, 4, RRType.NS)).toThrow(RdataDecodeError);
  });
});

describe("canonicalRdata", () => {
  it("lower-cases names inside RDATA of known types only", () => {
    const mx = Buffer.concat([u16(10), name("MAIL.Example.TEST.")]);
    expect(canonicalRdata(RRType.MX, mx)).toEqual(Buffer.concat([u16(10), name("mail.example.test.")]));
    const txt = Buffer.from([3, 0x41, 0x42, 0x43]);
    expect(canonicalRdata(RRType.TXT, txt)).toEqual(txt);
  });
});
