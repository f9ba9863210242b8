// NOTIFY (RFC 1996) both ways, in process: handleNotify's answers (rcode, AA, question, TSIG), and sendNotify's
// retries and verification against a listener that runs handleNotify.
import { describe, expect, it } from "vitest";
import {
  handleNotify,
  type NotifyTarget,
  normalizeAddress,
  notifyLookup,
  processNotify,
} from "../../src/secondary/notify-handler.js";
import { buildNotify, sendNotify } from "../../src/secondary/notify-sender.js";
import { buildQuery, parseMessage } from "../../src/transfer/message.js";
import {
  decodeTsigRdata,
  parseTsigKey,
  signMessage,
  type TsigKey,
  TsigResponseVerifier,
} from "../../src/transfer/tsig.js";
import { nameKey, parseNameText } from "../../src/wire/name.js";
import { Rcode, RRType } from "../../src/wire/rrtype.js";
import { soa, startFakeUdp } from "../transfer/fake-primary.js";
import { startNotifyListener } from "./notify-listener.js";

const origin = parseNameText("xfr.test.", null);
const key = parseTsigKey(`notify-key.:hmac-sha256:${Buffer.alloc(32, 7).toString("base64")}`);
const otherKey = parseTsigKey(`notify-key.:hmac-sha256:${Buffer.alloc(32, 8).toString("base64")}`);
const PRIMARY = { address: "192.0.2.1", port: 53 };

/** A zone whose primary is 192.0.2.1 (with `keys[0]` when given); `extra` may also notify. */
function target(
  keys: TsigKey[] = [],
  extra: string[] = [],
): NotifyTarget & { hints: (number | undefined)[] } {
  const hints: (number | undefined)[] = [];
  return {
    origin,
    notifyKeys: keys,
    hints,
    notifyAllowed: (address, k) =>
      (normalizeAddress(address) === PRIMARY.address &&
        (keys.length === 0 || (k !== null && nameKey(k.name) === nameKey(keys[0]!.name)))) ||
      extra.includes(normalizeAddress(address)),
    notify: (serial) => hints.push(serial),
  };
}

const header = (r: Buffer) => {
  const m = parseMessage(r);
  return { id: m.id, qr: m.qr, opcode: (m.flags >> 11) & 15, aa: (m.flags & 0x400) !== 0, rcode: m.rcode, m };
};

describe("handleNotify", () => {
  it("accepts a NOTIFY for a known zone from its primary: NOERROR, AA, the question echoed, zone notified", () => {
    const t = target();
    const q = buildNotify(0x1234, origin, soa(42));
    const r = handleNotify(q, PRIMARY, notifyLookup([t]))!;
    const h = header(r);
    expect(h).toMatchObject({ id: 0x1234, qr: true, opcode: 4, aa: true, rcode: Rcode.NOERROR });
    expect(h.m.question).toEqual([{ name: origin, type: RRType.SOA, class: 1 }]);
    expect(t.hints).toEqual([42]);
  });

  it("IPv4-mapped source addresses match", () => {
    const t = target();
    const r = handleNotify(
      buildNotify(1, origin),
      { address: "::ffff:192.0.2.1", port: 53 },
      notifyLookup([t]),
    )!;
    expect(header(r).rcode).toBe(Rcode.NOERROR);
    expect(t.hints).toEqual([undefined]);
  });

  it.each([
    ["an unknown zone → NOTAUTH", buildNotify(1, parseNameText("other.test.", null)), PRIMARY, Rcode.NOTAUTH],
    [
      "a disallowed source → REFUSED",
      buildNotify(1, origin),
      { address: "192.0.2.99", port: 53 },
      Rcode.REFUSED,
    ],
    [
      "a non-SOA question → FORMERR",
      (() => {
        const b = buildQuery(1, origin, RRType.A);
        b.writeUInt16BE(0x2400, 2);
        return b;
      })(),
      PRIMARY,
      Rcode.FORMERR,
    ],
  ])("%s, and no check", (_what, q, remote, rcode) => {
    const t = target();
    const r = handleNotify(q, remote, notifyLookup([t]))!;
    expect(header(r).rcode).toBe(rcode);
    expect(t.hints).toEqual([]);
  });

  it("ignores what is not a NOTIFY request (queries, responses, runts)", () => {
    const t = target();
    const lookup = notifyLookup([t]);
    expect(handleNotify(buildQuery(1, origin, RRType.SOA), PRIMARY, lookup)).toBeNull();
    const response = buildNotify(1, origin);
    response.writeUInt16BE(response.readUInt16BE(2) | 0x8000, 2);
    expect(handleNotify(response, PRIMARY, lookup)).toBeNull();
    expect(handleNotify(Buffer.alloc(5), PRIMARY, lookup)).toBeNull();
    const garbage = Buffer.concat([buildNotify(1, origin).subarray(0, 12), Buffer.from([99, 1])]);
    expect(header(handleNotify(garbage, PRIMARY, lookup)!).rcode).toBe(Rcode.FORMERR);
  });

  it("signed NOTIFY: verified with the zone's key, and the answer signed (RFC 8945 §5.3)", () => {
    const t = target([key]);
    const s = signMessage(buildNotify(7, origin), key);
    const r = handleNotify(s.message, PRIMARY, notifyLookup([t]))!;
    const m = parseMessage(r);
    expect(m.rcode).toBe(Rcode.NOERROR);
    const v = new TsigResponseVerifier(key, s.mac);
    v.verify(r, m);
    v.finish();
    expect(t.hints).toHaveLength(1);
  });

  it("a zone with a keyed primary refuses an unsigned NOTIFY from that primary", () => {
    const t = target([key]);
    expect(header(handleNotify(buildNotify(7, origin), PRIMARY, notifyLookup([t]))!).rcode).toBe(
      Rcode.REFUSED,
    );
    expect(t.hints).toEqual([]);
  });

  it.each([
    ["a wrong secret → NOTAUTH, BADSIG", otherKey, 16],
    [
      "an unknown key → NOTAUTH, BADKEY",
      parseTsigKey(`stranger.:hmac-sha256:${key.secret.toString("base64")}`),
      17,
    ],
  ])("%s in an unsigned TSIG record", (_what, k, tsigError) => {
    const t = target([key]);
    const r = processNotify(signMessage(buildNotify(7, origin), k).message, PRIMARY, notifyLookup([t]))!;
    expect(r.outcome).toBe("bad-tsig");
    const m = parseMessage(r.response);
    expect(m.rcode).toBe(Rcode.NOTAUTH);
    const rd = decodeTsigRdata(r.response, m.tsig!.rdataOffset, m.tsig!.rdataLength);
    expect(rd.error).toBe(tsigError);
    expect(rd.mac.length).toBe(0);
    expect(t.hints).toEqual([]);
  });

  it("a NOTIFY signed too long ago → BADTIME, no check", () => {
    const t = target([key]);
    const q = signMessage(buildNotify(7, origin), key, {
      time: Math.floor(Date.now() / 1000) - 3600,
    }).message;
    const r = processNotify(q, PRIMARY, notifyLookup([t]))!;
    expect(r.outcome).toBe("bad-tsig");
    expect(t.hints).toEqual([]);
  });
});

describe("sendNotify", () => {
  it("notifies a listener running handleNotify, signed, and verifies the signed answer", async () => {
    const t = target([key], ["127.0.0.1"]);
    const l = await startNotifyListener(notifyLookup([t]));
    try {
      const [r] = await sendNotify(origin, [{ host: "127.0.0.1", port: l.port, tsig: key }], { soa: soa(5) });
      expect(r).toMatchObject({ ok: true, rcode: 0, tries: 1 });
      expect(t.hints).toEqual([5]);
      // A wrong key: the listener answers BADSIG, which the sender reports.
      const [bad] = await sendNotify(origin, [{ host: "127.0.0.1", port: l.port, tsig: otherKey }], {
        tries: 1,
      });
      expect(bad!.ok).toBe(false);
      expect((bad!.error as { code?: string }).code).toBe("EDGENS_ERR_TSIG_BADSIG");
    } finally {
      await l.close();
    }
  });

  it("retries a silent peer with a doubling timeout, then gives up", async () => {
    const silent = await startFakeUdp(() => null);
    try {
      const t0 = Date.now();
      const [r] = await sendNotify(origin, [{ host: "127.0.0.1", port: silent.port }], {
        tries: 3,
        timeoutMs: 50,
      });
      expect(r!.ok).toBe(false);
      expect(r!.tries).toBe(3);
      expect(silent.queries).toHaveLength(3);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(340); // 50 + 100 + 200
      // Each try is a NOTIFY for the zone.
      expect(parseMessage(silent.queries[0]!).question[0]!.type).toBe(RRType.SOA);
      expect((silent.queries[0]!.readUInt16BE(2) >> 11) & 15).toBe(4);
    } finally {
      await silent.close();
    }
  });

  it("a definite error answer ends the tries", async () => {
    const t = target();
    const l = await startNotifyListener(notifyLookup([t]));
    try {
      const [r] = await sendNotify(origin, [{ host: "127.0.0.1", port: l.port }], { tries: 5 });
      expect(r).toMatchObject({ ok: false, rcode: Rcode.REFUSED, tries: 1 });
    } finally {
      await l.close();
    }
  });
});
