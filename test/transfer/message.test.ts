// The answer parser faces bytes from the network: whatever arrives, it returns or throws a typed error.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TsigError, XfrError } from "../../src/transfer/errors.js";
import { buildQuery, parseMessage, RecordBatch } from "../../src/transfer/message.js";
import { parseTsigKey, signMessage, TsigResponseVerifier } from "../../src/transfer/tsig.js";
import { nameToText, parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";
import { a, answerTo, rr, signerFor, soa } from "./fake-primary.js";

const origin = parseNameText("xfr.test.", null);
const key = parseTsigKey(`k:hmac-sha256:${Buffer.alloc(32, 1).toString("base64")}`);

describe("parseMessage", () => {
  it("reads a query back: question, SOA in authority", () => {
    const m = parseMessage(buildQuery(42, origin, RRType.IXFR, [soa(7)]));
    expect(m.id).toBe(42);
    expect(m.qr).toBe(false);
    expect(nameToText(m.question[0]!.name)).toBe("xfr.test.");
    expect(m.authority[0]!.rdata).toEqual(soa(7).rdata);
  });

  it("keeps a trailing TSIG apart and rejects one that is not last", () => {
    const q = signMessage(buildQuery(1, origin, RRType.AXFR), key).message;
    const m = parseMessage(q);
    expect(m.tsig?.type).toBe(RRType.TSIG);
    expect(m.additional).toHaveLength(0);
    // Append an A record after the TSIG and bump ARCOUNT.
    const extra = Buffer.concat([q, Buffer.from([0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4])]);
    extra.writeUInt16BE(2, 10);
    expect(() => parseMessage(extra)).toThrow(XfrError);
  });

  const query = buildQuery(7, origin, RRType.AXFR);
  const valid = answerTo(query, [
    soa(1),
    a("www.xfr.test.", "192.0.2.1"),
    rr("xfr.test.", RRType.MX, Buffer.concat([Buffer.from([0, 10]), parseNameText("mail.xfr.test.", null)])),
    soa(1),
  ]);

  it("records of one owner share its Buffer; another owner or spelling gets its own (issue 6: fewer objects)", () => {
    const m = parseMessage(
      answerTo(query, [
        soa(1),
        a("www.xfr.test.", "192.0.2.1"),
        a("www.xfr.test.", "192.0.2.2"),
        a("WWW.xfr.test.", "192.0.2.3"),
        a("mail.xfr.test.", "192.0.2.4"),
        soa(1),
      ]),
    );
    const owners = m.answer.map((r) => r.owner);
    expect(owners.map((o) => nameToText(o))).toEqual([
      "xfr.test.",
      "www.xfr.test.",
      "www.xfr.test.",
      "WWW.xfr.test.",
      "mail.xfr.test.",
      "xfr.test.",
    ]);
    expect(owners[2]).toBe(owners[1]);
    expect(owners[3]).not.toBe(owners[2]);
    expect(owners[4]).not.toBe(owners[3]);
    // Plain records: no offsets kept for anything but a TSIG record.
    expect(Object.keys(m.answer[1]!).sort()).toEqual(["class", "owner", "rdata", "ttl", "type"]);
    expect(m.answer[1]!.rdata).toEqual(Buffer.from([192, 0, 2, 1]));
  });

  it("a batch keeps a Buffer only for an owner whose case differs from its key, and RDATA without names in the message (issue 6)", () => {
    // MX RDATA that points back at the question name (offset 12): "mail" + pointer = mail.xfr.test.
    const mx = Buffer.from([0, 10, 4, ...Buffer.from("mail"), 0xc0, 12]);
    const msg = answerTo(query, [
      soa(1),
      a("www.xfr.test.", "192.0.2.1"),
      a("WWW.xfr.test.", "192.0.2.2"),
      rr("xfr.test.", RRType.MX, mx),
      soa(1),
    ]);
    const batch = new RecordBatch();
    parseMessage(msg, batch);
    expect(batch.length).toBe(5);
    expect(batch.keys[1]).toBe(batch.keys[2]);
    expect(batch.owners[1]).toBeNull();
    expect(nameToText(batch.owner(1))).toBe("www.xfr.test.");
    expect(nameToText(batch.owners[2]!)).toBe("WWW.xfr.test.");
    // A: read from the message itself; rdata(i) is a copy of the four octets.
    expect(batch.rdataSources[1]).toBe(msg);
    const copy = batch.rdata(1);
    expect(copy).toEqual(Buffer.from([192, 0, 2, 1]));
    // MX: decompressed into a Buffer of its own.
    expect(batch.rdataSources[3]).not.toBe(msg);
    expect(batch.rdata(3)).toEqual(
      Buffer.concat([Buffer.from([0, 10]), parseNameText("mail.xfr.test.", null)]),
    );
    expect(batch.record(2)).toMatchObject({ type: RRType.A, ttl: 3600 });
    msg.fill(0);
    expect(copy).toEqual(Buffer.from([192, 0, 2, 1]));
  });

  it("mutated answers parse or throw XfrError, never anything else", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(valid.length),
        (edits, cut) => {
          const b = Buffer.from(valid.subarray(0, Math.max(cut, 1)));
          for (const [at, v] of edits) if (at < b.length) b[at] = v;
          for (const batch of [undefined, new RecordBatch(), new RecordBatch(true)]) {
            try {
              parseMessage(b, batch);
            } catch (e) {
              if (!(e instanceof XfrError)) throw e;
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("random bytes parse or throw XfrError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          parseMessage(Buffer.from(bytes));
        } catch (e) {
          if (!(e instanceof XfrError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("mutated signed answers fail with typed errors only", () => {
    const q = signMessage(buildQuery(9, origin, RRType.AXFR), key);
    const signed = signerFor(q.message, [key]).sign(answerTo(q.message, [soa(1), soa(1)]));
    fc.assert(
      fc.property(fc.nat(signed.length - 1), fc.integer({ min: 0, max: 255 }), (at, v) => {
        const b = Buffer.from(signed);
        // The header ID is outside the MAC by design (the original ID is inside); name case does not count.
        if (at < 2 || (b[at]! | 0x20) === (v | 0x20)) return;
        b[at] = v;
        try {
          new TsigResponseVerifier(key, q.mac).verify(b, parseMessage(b));
          // Every other byte is covered by the MAC or checked.
          throw new Error(`byte ${at} changed and the MAC still verified`);
        } catch (e) {
          if (!(e instanceof XfrError) && !(e instanceof TsigError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
