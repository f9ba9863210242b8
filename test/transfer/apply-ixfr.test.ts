import { describe, expect, it } from "vitest";
import { applyIxfr, recordKey } from "../../src/transfer/apply-ixfr.js";
import { XfrError } from "../../src/transfer/errors.js";
import type { IxfrDelta } from "../../src/transfer/xfr-client.js";
import { parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";
import { a, rr, soa } from "./fake-primary.js";

const www = a("www.xfr.test.", "192.0.2.1");
const www2 = a("www.xfr.test.", "192.0.2.2");
const mail = a("mail.xfr.test.", "192.0.2.25");
const base = [soa(1), www, mail];

const delta = (
  from: number,
  to: number,
  deleted = [] as typeof base,
  added = [] as typeof base,
): IxfrDelta => ({
  fromSerial: from,
  toSerial: to,
  deleted: [soa(from), ...deleted],
  added: [soa(to), ...added],
});

function applyError(fn: () => unknown): XfrError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(XfrError);
    return e as XfrError;
  }
  throw new Error("applied");
}

describe("applyIxfr", () => {
  it("applies deltas in order, keeps the SOA first and leaves the input alone", () => {
    const out = applyIxfr(base, [delta(1, 2, [www], [www2]), delta(2, 3, [mail], [])]);
    expect(out.map(recordKey)).toEqual([soa(3), www2].map(recordKey));
    expect(base).toHaveLength(3);
    expect(base[0]).toEqual(soa(1));
  });

  it("matches deletions case-insensitively and ignoring TTL", () => {
    const upper = { ...www, owner: parseNameText("WWW.Xfr.Test.", null), ttl: 5 };
    const out = applyIxfr(base, [delta(1, 2, [upper])]);
    expect(out.map(recordKey)).toEqual([soa(2), mail].map(recordKey));
  });

  it("names inside RDATA compare case-insensitively too", () => {
    const ns = rr("xfr.test.", RRType.NS, parseNameText("ns1.xfr.test.", null));
    const NS = rr("xfr.test.", RRType.NS, parseNameText("NS1.XFR.test.", null));
    expect(applyIxfr([soa(1), ns], [delta(1, 2, [NS])]).map(recordKey)).toEqual([recordKey(soa(2))]);
  });

  it("adding a record that exists replaces it (new TTL)", () => {
    const out = applyIxfr(base, [delta(1, 2, [], [{ ...www, ttl: 60 }])]);
    expect(out.find((r) => recordKey(r) === recordKey(www))!.ttl).toBe(60);
    expect(out).toHaveLength(3);
  });

  it("deleting a record we do not hold forces AXFR (EDGENS_ERR_XFR_IXFR_APPLY)", () => {
    const e = applyError(() => applyIxfr(base, [delta(1, 2, [www2])]));
    expect(e.code).toBe("EDGENS_ERR_XFR_IXFR_APPLY");
    expect(e.message).toContain("www.xfr.test.");
  });

  it("a delta from another serial does not apply", () => {
    expect(applyError(() => applyIxfr(base, [delta(5, 6)])).code).toBe("EDGENS_ERR_XFR_IXFR_APPLY");
  });
});
