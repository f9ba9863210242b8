import { afterEach, describe, expect, it } from "vitest";
import { recordKey } from "../../src/transfer/apply-ixfr.js";
import { TsigError, XfrError } from "../../src/transfer/errors.js";
import { parseMessage } from "../../src/transfer/message.js";
import { parseTsigKey } from "../../src/transfer/tsig.js";
import { syncZone } from "../../src/transfer/zone-sync.js";
import { parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import { buildZone } from "../../src/zone/zone-image.js";
import { a, answerTo, type FakeServer, frame, soa, startFakeTcp } from "./fake-primary.js";

const origin = parseNameText("xfr.test.", null);
const www = a("www.xfr.test.", "192.0.2.1");
const mail = a("mail.xfr.test.", "192.0.2.25");
const servers: FakeServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** A primary at serial 2 holding [SOA, www, mail]; `ixfrAnswer` scripts its IXFR answer. */
async function primary(
  ixfrAnswer: (q: Buffer) => Buffer,
): Promise<{ host: string; port: number; srv: FakeServer }> {
  const srv = await startFakeTcp((q, sock) => {
    const type = parseMessage(q).question[0]!.type;
    sock.write(frame(type === RRType.IXFR ? ixfrAnswer(q) : answerTo(q, [soa(2), www, mail, soa(2)])));
  });
  servers.push(srv);
  return { host: "127.0.0.1", port: srv.port, srv };
}

const keys = (rrs: ResourceRecord[]) => rrs.map(recordKey).sort();
const queryTypes = (srv: FakeServer) => srv.queries.map((q) => parseMessage(q).question[0]!.type);

describe("syncZone", () => {
  it("AXFR when we hold nothing", async () => {
    const p = await primary(() => Buffer.alloc(0));
    const r = await syncZone(p, origin, undefined);
    expect(r.kind).toBe("axfr");
    expect(queryTypes(p.srv)).toEqual([RRType.AXFR]);
  });

  it("IXFR applied to the held copy", async () => {
    const p = await primary((q) => answerTo(q, [soa(2), soa(1), soa(2), mail, soa(2)]));
    const r = await syncZone(p, origin, { serial: 1, records: [soa(1), www] });
    expect(r.kind).toBe("ixfr");
    expect(r.kind !== "up-to-date" && keys(r.records)).toEqual(keys([soa(2), www, mail]));
  });

  it("IXFR onto a held tree: the new records of the touched names only; a bad delta still falls back to AXFR", async () => {
    const other = a("other.xfr.test.", "192.0.2.9");
    const data = buildZone(origin, [soa(1), www, other]);
    // Deletes www, adds mail: `other` is untouched and stays out of the result.
    const p = await primary((q) => answerTo(q, [soa(2), soa(1), www, soa(2), mail, soa(2)]));
    const r = await syncZone(p, origin, { serial: 1, data });
    expect(r.kind === "ixfr" && r.partial).toBe(true);
    expect(r.kind !== "up-to-date" && keys(r.records)).toEqual(keys([soa(2), mail]));
    expect(r.kind !== "up-to-date" && [...r.touched!].sort()).toEqual(
      [origin, www.owner, mail.owner].map((n) => n.toString("latin1")).sort(),
    );
    const bad = await primary((q) => answerTo(q, [soa(2), soa(1), mail, soa(2), soa(2)]));
    const full = await syncZone(bad, origin, { serial: 1, data });
    expect(full.kind).toBe("axfr");
    expect(full.kind !== "up-to-date" && full.partial).toBeUndefined();
    expect(full.kind !== "up-to-date" && keys(full.records)).toEqual(keys([soa(2), www, mail]));
  });

  it("up to date", async () => {
    const p = await primary((q) => answerTo(q, [soa(2)]));
    expect(await syncZone(p, origin, { serial: 2, records: [soa(2), www, mail] })).toEqual({
      kind: "up-to-date",
      serial: 2,
    });
  });

  it.each([
    ["NOTIMP", (q: Buffer) => answerTo(q, [], { rcode: 4 })],
    [
      "a delta that deletes what we do not hold",
      (q: Buffer) => answerTo(q, [soa(2), soa(1), mail, soa(2), soa(2)]),
    ],
  ])("falls back to AXFR on %s", async (_l, answer) => {
    const p = await primary(answer);
    const r = await syncZone(p, origin, { serial: 1, records: [soa(1), www] });
    expect(r.kind).toBe("axfr");
    expect(r.kind === "axfr" && r.ixfrError).toBeInstanceOf(XfrError);
    expect(r.kind !== "up-to-date" && keys(r.records)).toEqual(keys([soa(2), www, mail]));
    expect(queryTypes(p.srv)).toEqual([RRType.IXFR, RRType.AXFR]);
  });

  it("does not retry with AXFR after a TSIG failure", async () => {
    const p = await primary((q) => answerTo(q, [soa(2)]));
    const tsig = parseTsigKey(`k:hmac-sha256:${Buffer.alloc(32).toString("base64")}`);
    await expect(syncZone(p, origin, { serial: 1, records: [soa(1)] }, { tsig })).rejects.toBeInstanceOf(
      TsigError,
    );
    expect(queryTypes(p.srv)).toEqual([RRType.IXFR]);
  });
});
