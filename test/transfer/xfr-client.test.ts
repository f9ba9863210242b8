// Transfer client against scripted fake primaries: stream shapes (RFC 5936 / RFC 1995) and every failure exit.
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { XfrError } from "../../src/transfer/errors.js";
import { parseMessage } from "../../src/transfer/message.js";
import { compareSerial } from "../../src/transfer/serial.js";
import { parseTsigKey } from "../../src/transfer/tsig.js";
import { type AxfrResult, axfr, fetchSoa, type IxfrResult, ixfr } from "../../src/transfer/xfr-client.js";
import { nameToText, parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import {
  a,
  answerTo,
  type FakeServer,
  frame,
  signerFor,
  soa,
  startFakeTcp,
  startFakeUdp,
} from "./fake-primary.js";

const origin = parseNameText("xfr.test.", null);
const key = parseTsigKey(`xfr-key:hmac-sha256:${Buffer.alloc(32, 3).toString("base64")}`);
const servers: FakeServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** A fake TCP primary that answers every query with `messages(query)` (records per message), then maybe closes. */
async function primary(
  messages: (q: Buffer) => ResourceRecord[][],
  o: { close?: boolean; sign?: boolean; rcode?: number; stallAfter?: number } = {},
): Promise<{ host: string; port: number }> {
  const srv = await startFakeTcp((q: Buffer, sock: Socket) => {
    const signer = o.sign ? signerFor(q, [key]) : undefined;
    messages(q).forEach((records, i) => {
      if (o.stallAfter !== undefined && i >= o.stallAfter) return;
      const msg = answerTo(q, records, { question: i === 0, ...(o.rcode ? { rcode: o.rcode } : {}) });
      sock.write(frame(signer ? signer.sign(msg) : msg));
    });
    if (o.close) sock.end();
  });
  servers.push(srv);
  return { host: "127.0.0.1", port: srv.port };
}

const zone = (serial: number, n: number): ResourceRecord[] => [
  soa(serial),
  ...Array.from({ length: n }, (_, i) => a(`h${i}.xfr.test.`, `192.0.2.${i % 250}`)),
];

async function xfrError(p: Promise<unknown>): Promise<XfrError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(XfrError);
    return e as XfrError;
  }
  throw new Error("transfer unexpectedly succeeded");
}

const owners = (rrs: ResourceRecord[]) => rrs.map((r) => `${nameToText(r.owner)}/${r.type}`);

describe("AXFR (RFC 5936)", () => {
  it("collects a multi-message transfer: SOA first, closing SOA dropped, progress reported", async () => {
    const z = zone(10, 30);
    const p = await primary(() => [z.slice(0, 10), z.slice(10, 20), [...z.slice(20), soa(10)]], {
      sign: true,
    });
    const progress: number[] = [];
    const r = await axfr(p, origin, { tsig: key, onProgress: (n) => progress.push(n) });
    expect(r.serial).toBe(10);
    expect(owners(r.records)).toEqual(owners(z));
    expect(progress).toEqual([10, 20, 31]);
  });

  it("accepts the opening and closing SOA in one message", async () => {
    const p = await primary(() => [[soa(3), a("www.xfr.test.", "192.0.2.1"), soa(3)]]);
    const r: AxfrResult = await axfr(p, origin);
    expect(r.records).toHaveLength(2);
  });

  it.each([
    ["cut off mid-stream", { close: true, stallAfter: 1 }, "EDGENS_ERR_XFR_CUT_OFF"],
    ["refused", { rcode: 5 }, "EDGENS_ERR_XFR_RCODE"],
  ])("%s → %s, nothing returned", async (_l, o, code) => {
    const z = zone(1, 10);
    const p = await primary(() => [z.slice(0, 5), [...z.slice(5), soa(1)]], o);
    const e = await xfrError(axfr(p, origin));
    expect(e.code).toBe(code);
    if (code === "EDGENS_ERR_XFR_RCODE") expect(e.rcode).toBe(5);
  });

  it("a primary that stops sending hits the per-message timeout", async () => {
    const z = zone(1, 10);
    const p = await primary(() => [z.slice(0, 5), [...z.slice(5), soa(1)]], { stallAfter: 1 });
    const t0 = Date.now();
    const e = await xfrError(axfr(p, origin, { messageTimeoutMs: 200 }));
    expect(e.code).toBe("EDGENS_ERR_XFR_TIMEOUT");
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("the size cap stops a transfer that is too big", async () => {
    const z = zone(1, 200);
    const p = await primary(() => [z, [soa(1)]]);
    expect((await xfrError(axfr(p, origin, { maxBytes: 1000 }))).code).toBe("EDGENS_ERR_XFR_TOO_BIG");
  });

  it.each([
    [
      "an out-of-zone owner",
      [soa(1), a("www.other.test.", "192.0.2.1"), soa(1)],
      "EDGENS_ERR_XFR_OUT_OF_ZONE",
    ],
    [
      "a first record that is not the SOA",
      [a("www.xfr.test.", "192.0.2.1"), soa(1)],
      "EDGENS_ERR_XFR_BAD_SOA",
    ],
    [
      "a closing SOA with another serial",
      [soa(1), a("www.xfr.test.", "192.0.2.1"), soa(2)],
      "EDGENS_ERR_XFR_BAD_SOA",
    ],
    [
      "records after the closing SOA",
      [soa(1), soa(1), a("www.xfr.test.", "192.0.2.1")],
      "EDGENS_ERR_XFR_MALFORMED",
    ],
  ])("rejects %s", async (_l, records, code) => {
    const p = await primary(() => [records]);
    expect((await xfrError(axfr(p, origin))).code).toBe(code);
  });

  it("rejects an answer with another ID", async () => {
    const srv = await startFakeTcp((q, sock) => {
      const id = (parseMessage(q).id + 1) & 0xffff;
      sock.write(frame(answerTo(q, [soa(1), soa(1)], { id })));
    });
    servers.push(srv);
    expect((await xfrError(axfr({ host: "127.0.0.1", port: srv.port }, origin))).code).toBe(
      "EDGENS_ERR_XFR_BAD_ID",
    );
  });

  it("a connection refused is EDGENS_ERR_XFR_CONNECT", async () => {
    const srv = await startFakeTcp(() => {});
    const port = srv.port;
    await srv.close();
    expect((await xfrError(axfr({ host: "127.0.0.1", port }, origin))).code).toBe("EDGENS_ERR_XFR_CONNECT");
  });
});

describe("IXFR (RFC 1995)", () => {
  const www = a("www.xfr.test.", "192.0.2.1");
  const www2 = a("www.xfr.test.", "192.0.2.2");
  const mail = a("mail.xfr.test.", "192.0.2.25");

  it("sends our serial in the authority section", async () => {
    const srv = await startFakeTcp((q, sock) => sock.write(frame(answerTo(q, [soa(7)]))));
    servers.push(srv);
    const r = await ixfr({ host: "127.0.0.1", port: srv.port }, origin, 7);
    expect(r).toEqual({ kind: "up-to-date", serial: 7 });
    const q = parseMessage(srv.queries[0]!);
    expect(q.question[0]!.type).toBe(RRType.IXFR);
    expect(q.authority[0]!.type).toBe(RRType.SOA);
    expect(q.authority[0]!.rdata.readUInt32BE(q.authority[0]!.rdata.length - 20)).toBe(7);
  });

  it("parses several deltas across messages", async () => {
    const p = await primary(() => [[soa(3), soa(1), www, soa(2), www2], [soa(2), soa(3), mail], [soa(3)]], {
      sign: true,
    });
    const r = (await ixfr(p, origin, 1, { tsig: key, currentSoa: soa(1) })) as Extract<
      IxfrResult,
      { kind: "ixfr" }
    >;
    expect(r.kind).toBe("ixfr");
    expect(r.serial).toBe(3);
    expect(r.deltas.map((d) => [d.fromSerial, d.toSerial])).toEqual([
      [1, 2],
      [2, 3],
    ]);
    expect(owners(r.deltas[0]!.deleted)).toEqual(["xfr.test./6", "www.xfr.test./1"]);
    expect(owners(r.deltas[0]!.added)).toEqual(["xfr.test./6", "www.xfr.test./1"]);
    expect(owners(r.deltas[1]!.deleted)).toEqual(["xfr.test./6"]);
    expect(owners(r.deltas[1]!.added)).toEqual(["xfr.test./6", "mail.xfr.test./1"]);
  });

  it("a condensed delta with empty sections", async () => {
    const p = await primary(() => [[soa(5), soa(1), soa(5), soa(5)]]);
    const r = await ixfr(p, origin, 1);
    expect(
      r.kind === "ixfr" && r.deltas.map((d) => [d.fromSerial, d.toSerial, d.deleted.length, d.added.length]),
    ).toEqual([[1, 5, 1, 1]]);
  });

  it("falls back to an AXFR-style answer", async () => {
    const p = await primary(() => [
      [soa(9), www],
      [mail, soa(9)],
    ]);
    const r = await ixfr(p, origin, 1);
    expect(r.kind).toBe("axfr");
    expect(r.kind === "axfr" && owners(r.records)).toEqual([
      "xfr.test./6",
      "www.xfr.test./1",
      "mail.xfr.test./1",
    ]);
  });

  it("an AXFR-style answer of a zone holding only its SOA", async () => {
    const p = await primary(() => [[soa(9), soa(9)]]);
    const r = await ixfr(p, origin, 1);
    expect(r.kind === "axfr" && r.records.length).toBe(1);
  });

  it("SOA(n) SOA(n) for our own serial n is a SOA-only zone, not an empty delta", async () => {
    const p = await primary(() => [[soa(1), soa(1)]]);
    const r = await ixfr(p, origin, 1);
    expect(r.kind === "axfr" && r.records.length).toBe(1);
  });

  it("a cut inside a message frame is EDGENS_ERR_XFR_CUT_OFF", async () => {
    const srv = await startFakeTcp((q, sock) => {
      const f = frame(answerTo(q, [soa(3), a("www.xfr.test.", "192.0.2.1"), soa(3)]));
      sock.end(f.subarray(0, f.length - 7));
    });
    servers.push(srv);
    const e = await xfrError(axfr({ host: "127.0.0.1", port: srv.port }, origin));
    expect(e.code).toBe("EDGENS_ERR_XFR_CUT_OFF");
  });

  it.each([
    ["a delta that does not start at our serial", [[soa(3), soa(2), soa(3), soa(3)]]],
    ["a gap between deltas", [[soa(4), soa(1), soa(2), soa(3), soa(4), soa(4)]]],
  ])("rejects %s", async (_l, msgs) => {
    const p = await primary(() => msgs);
    expect((await xfrError(ixfr(p, origin, 1))).code).toBe("EDGENS_ERR_XFR_BAD_SOA");
  });

  it("a cut-off IXFR is an error, not a partial delta list", async () => {
    const p = await primary(() => [[soa(3), soa(1), www, soa(2), www2], [soa(2), soa(3), mail], [soa(3)]], {
      stallAfter: 1,
      close: true,
    });
    expect((await xfrError(ixfr(p, origin, 1))).code).toBe("EDGENS_ERR_XFR_CUT_OFF");
  });
});

describe("fetchSoa", () => {
  it("queries over UDP and retries over TCP when truncated; a serial going backwards is visible", async () => {
    const tcp = await startFakeTcp((q, sock) =>
      sock.write(frame(signerFor(q, [key]).sign(answerTo(q, [soa(41)])))),
    );
    servers.push(tcp);
    const udp = await startFakeUdp((q) => signerFor(q, [key]).sign(answerTo(q, [], { tc: true })), tcp.port);
    servers.push(udp);
    const r = await fetchSoa({ host: "127.0.0.1", port: tcp.port }, origin, { tsig: key });
    expect(r.serial).toBe(41);
    expect(udp.queries).toHaveLength(1);
    expect(tcp.queries).toHaveLength(1);
    // We held 42: the primary went backwards.
    expect(compareSerial(r.serial, 42)).toBe("lt");
  });

  it("times out on a silent primary after two tries", async () => {
    const udp = await startFakeUdp(() => null);
    servers.push(udp);
    const e = await xfrError(
      fetchSoa({ host: "127.0.0.1", port: udp.port }, origin, { messageTimeoutMs: 150 }),
    );
    expect(e.code).toBe("EDGENS_ERR_XFR_TIMEOUT");
  });
});
