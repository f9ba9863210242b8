// Key/value codecs of the answer maps and the addon loader's "unavailable" result: no kernel needed.
import { describe, expect, it } from "vitest";
import {
  checkQname,
  decodeAnswerKey,
  decodeAnswerValue,
  encodeAnswerKey,
  encodeAnswerValue,
  type FastAnswer,
  fastAnswerFromWire,
  onesComplementSum,
  qnameHash,
} from "../../src/fastpath/answer-codec.js";
import { FastPathError } from "../../src/fastpath/errors.js";
import { ANSWER, ANSWER_KEY, BODY_MAX } from "../../src/fastpath/layout.js";
import { loadNativeAddon, unavailableMessage } from "../../src/fastpath/native-addon.js";
import { parseNameText } from "../../src/wire/name.js";

const wire = (s: string) => parseNameText(s, null);

const base: FastAnswer = {
  qname: wire("WWW.Example."),
  qtype: 1,
  dnssecOk: true,
  flags: 0x0400,
  rcode: 3,
  ancount: 1,
  nscount: 2,
  arcount: 3,
  body: Buffer.from([1, 2, 3]),
  withOpt: true,
};

describe("answer codec", () => {
  it("hashes 64-bit words of the zero-padded name like the BPF program", () => {
    expect(qnameHash(Buffer.alloc(0))).toBe(0xcbf29ce484222325n);
    // One word: (offset ^ word) * prime mod 2^64, the word read little-endian.
    const w = Buffer.from([1, 0x61, 0, 0, 0, 0, 0, 0]).readBigUInt64LE(0);
    expect(qnameHash(Buffer.from([1, 0x61, 0]))).toBe(
      ((0xcbf29ce484222325n ^ w) * 0x100000001b3n) & ((1n << 64n) - 1n),
    );
    expect(qnameHash(wire("www.example.com."))).not.toBe(qnameHash(wire("www.example.org.")));
  });

  it("keys on the lower-cased name, qtype and DO", () => {
    const k = encodeAnswerKey(wire("WWW.Example."), 28, true);
    expect(k.length).toBe(ANSWER_KEY.size);
    expect(k.equals(encodeAnswerKey(wire("www.example."), 28, true))).toBe(true);
    expect(k.equals(encodeAnswerKey(wire("www.example."), 28, false))).toBe(false);
    expect(decodeAnswerKey(k)).toEqual({
      hash: qnameHash(wire("www.example.")),
      qtype: 28,
      qnameLen: 13,
      dnssecOk: true,
    });
  });

  it("round-trips a value", () => {
    const v = encodeAnswerValue(base);
    expect(v.length).toBe(ANSWER.size);
    const back = decodeAnswerValue(v, decodeAnswerKey(encodeAnswerKey(base.qname, 1, true)));
    expect(back).toEqual({ ...base, qname: wire("www.example."), body: Buffer.from([1, 2, 3]) });
  });

  it("sums like RFC 1071", () => {
    expect(onesComplementSum(Buffer.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]))).toBe(0xddf2);
    expect(onesComplementSum(Buffer.from([0xff]))).toBe(0xff00);
  });

  it.each([
    ["label > 63", { qname: Buffer.concat([Buffer.from([64]), Buffer.alloc(64, 97), Buffer.from([0])]) }],
    ["no root label", { qname: Buffer.from([1, 97]) }],
    ["bytes after the root", { qname: Buffer.from([0, 0]) }],
    ["rcode > 15", { rcode: 16 }],
    ["opcode bits in flags", { flags: 0x2000 }],
    ["RD in flags (copied from the query)", { flags: 0x0100 }],
    ["body too big", { body: Buffer.alloc(BODY_MAX + 1) }],
    ["qtype out of range", { qtype: 70000 }],
  ] as [string, Partial<FastAnswer>][])("rejects %s with a typed error", (_what, patch) => {
    const err = (() => {
      try {
        encodeAnswerValue({ ...base, ...patch });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(FastPathError);
    expect((err as FastPathError).code).toBe("EDGENS_ERR_XDP_ARGUMENT");
  });

  it("checkQname lower-cases", () => {
    expect(checkQname(wire("A.B.")).equals(wire("a.b."))).toBe(true);
  });

  it("takes a precompiled response (snapshot form) apart", () => {
    const msg = Buffer.from(
      "0000840300010000000100000377777707657861" + "6d706c650000010001" + "c0100006000100000e100002abcd",
      "hex",
    );
    const a = fastAnswerFromWire(msg, 12 + 13 + 4, false);
    expect(a).toMatchObject({
      qtype: 1,
      rcode: 3,
      flags: 0x0400,
      ancount: 0,
      nscount: 1,
      arcount: 0,
      withOpt: true,
    });
    expect(Buffer.from(a!.qname).equals(wire("www.example."))).toBe(true);
    expect(Buffer.from(a!.body).equals(msg.subarray(29))).toBe(true);
  });
});

describe("native addon loader", () => {
  it("reports unavailable with the reason and the fix", () => {
    const load = loadNativeAddon(["/nonexistent/edgens_fastpath.node"]);
    expect(load.available).toBe(false);
    const msg = unavailableMessage(load);
    expect(msg).toMatch(/socket-only mode/);
    expect(msg).toMatch(/not built/);
    expect(msg).toMatch(/apt-get install clang llvm libbpf-dev/);
  });
});
