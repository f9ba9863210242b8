// Streamed transfers (issue 6): `axfrTo`/`ixfrTo` hand each verified message's records to a sink while the
// primary is still sending, so a secondary builds its tree during the transfer; a transfer that then fails
// leaves a partial sink that the caller drops, with the same typed error as the collecting `axfr`/`ixfr`.
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { TsigError, XfrError } from "../../src/transfer/errors.js";
import { parseTsigKey } from "../../src/transfer/tsig.js";
import { axfr, axfrTo, ixfrTo, RecordList } from "../../src/transfer/xfr-client.js";
import { nameToText, parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";
import { recordToText } from "../../src/zone/master-parser.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import type { ZoneData } from "../../src/zone/zone.js";
import { CheckingZoneBuilder } from "../../src/zone/zone-check.js";
import { buildZone } from "../../src/zone/zone-image.js";
import { a, answerTo, type FakeServer, frame, rr, signerFor, soa, startFakeTcp } from "./fake-primary.js";

const origin = parseNameText("xfr.test.", null);
const key = parseTsigKey(`xfr-key:hmac-sha256:${Buffer.alloc(32, 7).toString("base64")}`);
const servers: FakeServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const hosts = (from: number, n: number): ResourceRecord[] =>
  Array.from({ length: n }, (_, i) => a(`h${from + i}.xfr.test.`, `192.0.2.${(from + i) % 250}`));
const ns = rr("xfr.test.", RRType.NS, parseNameText("ns1.xfr.test.", null));
const glue = a("ns1.xfr.test.", "192.0.2.53");

/**
 * A primary that sends `first` at once and `rest` only when `release()` is called (or closes instead), so a
 * test can look at the sink while the transfer is still open.
 */
async function gatedPrimary(
  first: ResourceRecord[],
  rest: ResourceRecord[][],
  o: { sign?: boolean; corruptRest?: boolean } = {},
) {
  let sock: Socket | null = null;
  let query: Buffer | null = null;
  let sign: ((m: Buffer) => Buffer) | null = null;
  let connected!: () => void;
  const ready = new Promise<void>((r) => {
    connected = r;
  });
  const srv = await startFakeTcp((q, s) => {
    sock = s;
    query = q;
    const signer = o.sign ? signerFor(q, [key]) : null;
    sign = (m) => (signer ? signer.sign(m) : m);
    s.write(frame(sign(answerTo(q, first))));
    connected();
  });
  servers.push(srv);
  return {
    endpoint: { host: "127.0.0.1", port: srv.port },
    ready,
    release(): void {
      for (const records of rest) {
        let msg = sign!(answerTo(query!, records, { question: false }));
        if (o.corruptRest) {
          msg = Buffer.from(msg);
          msg[msg.length - 7]! ^= 0xff; // the last octet of the MAC (then original ID, error, other length)
        }
        sock!.write(frame(msg));
      }
    },
    cut(): void {
      (sock as Socket | null)?.end();
    },
  };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

const lines = (rrs: readonly ResourceRecord[]) => rrs.map(recordToText);
const dump = (data: ZoneData) =>
  [...data.nodes.values()]
    .flatMap((n) => [...n.rrsets.values()])
    .flatMap((rs) =>
      rs.rdataList().map((rdata) => `${nameToText(rs.owner)} ${rs.type} ${rs.ttl} ${rdata.toString("hex")}`),
    )
    .sort();

describe("axfrTo", () => {
  it("feeds each message's records to the sink before the next message arrives", async () => {
    const p = await gatedPrimary([soa(5), ns, glue, ...hosts(0, 20)], [[...hosts(20, 20), soa(5)]], {
      sign: true,
    });
    const sink = new RecordList();
    const done = axfrTo(p.endpoint, origin, sink, { tsig: key });
    await p.ready;
    // The primary has sent only the first message: its records are in the sink already.
    await until(() => sink.records.length === 23);
    p.release();
    const r = await done;
    expect(r).toEqual({ serial: 5, records: 43 });
    expect(sink.records[0]!.type).toBe(RRType.SOA);
    expect(lines(sink.records)).toEqual(lines([soa(5), ns, glue, ...hosts(0, 40)]));
  });

  it("a cut-off transfer rejects with the collecting client's error; the sink holds only what came", async () => {
    const p = await gatedPrimary([soa(5), ns, ...hosts(0, 10)], []);
    const sink = new RecordList();
    const done = axfrTo(p.endpoint, origin, sink).catch((e: unknown) => e);
    await p.ready;
    await until(() => sink.records.length === 12);
    p.cut();
    const e = await done;
    expect(e).toBeInstanceOf(XfrError);
    expect((e as XfrError).code).toBe("EDGENS_ERR_XFR_CUT_OFF");
  });

  it("a message whose TSIG fails is not fed to the sink", async () => {
    const p = await gatedPrimary([soa(5), ns, ...hosts(0, 10)], [[...hosts(10, 5), soa(5)]], {
      sign: true,
      corruptRest: true,
    });
    const sink = new RecordList();
    const done = axfrTo(p.endpoint, origin, sink, { tsig: key }).catch((e: unknown) => e);
    await p.ready;
    await until(() => sink.records.length === 12);
    p.release();
    const e = await done;
    expect(e).toBeInstanceOf(TsigError);
    expect((e as TsigError).code).toBe("EDGENS_ERR_TSIG_BADSIG");
    expect(sink.records.length).toBe(12);
  });

  it("into a CheckingZoneBuilder: the same tree as building the collected records", async () => {
    const z = [soa(9), ns, glue, ...hosts(0, 300)];
    const serve = async () => {
      const srv = await startFakeTcp((q, s) => {
        for (let i = 0; i < z.length; i += 64)
          s.write(frame(answerTo(q, z.slice(i, i + 64), { question: i === 0 })));
        s.write(frame(answerTo(q, [soa(9)], { question: false })));
      });
      servers.push(srv);
      return { host: "127.0.0.1", port: srv.port };
    };
    const builder = new CheckingZoneBuilder(origin, "xfr");
    const r = await axfrTo(await serve(), origin, builder);
    const built = builder.finish();
    expect(built.diagnostics).toEqual([]);
    expect(built.recordCount).toBe(r.records);
    const listed = await axfr(await serve(), origin);
    expect(dump(built.data!)).toEqual(dump(buildZone(origin, listed.records)));
  });
});

describe("axfrTo with receiveFirst (what a secondary uses)", () => {
  it("keeps the messages while the primary sends and fills the sink once the transfer is complete", async () => {
    const p = await gatedPrimary([soa(5), ns, glue, ...hosts(0, 20)], [[...hosts(20, 20), soa(5)]], {
      sign: true,
    });
    const sink = new RecordList();
    let settled = false;
    const done = axfrTo(p.endpoint, origin, sink, { tsig: key, receiveFirst: true }).finally(() => {
      settled = true;
    });
    await p.ready;
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    expect(sink.records).toEqual([]);
    p.release();
    expect(await done).toEqual({ serial: 5, records: 43 });
    expect(lines(sink.records)).toEqual(lines([soa(5), ns, glue, ...hosts(0, 40)]));
  });

  it("fills the sink in slices, the event loop running between them (a big zone's build stalls no query)", async () => {
    // Ten messages of 20 hosts; slices of 0 ms: a pause after every message.
    const rest = Array.from({ length: 9 }, (_, m) => hosts(20 + m * 20, 20));
    rest[8]!.push(soa(5));
    const p = await gatedPrimary([soa(5), ns, glue, ...hosts(0, 20)], rest);
    const sink = new RecordList();
    const seen: number[] = [];
    const done = axfrTo(p.endpoint, origin, sink, {
      receiveFirst: true,
      sliceMs: 0,
      onReceived: () => {
        // What a query arriving during the build would see: the event loop turns while records go in.
        const tick = () => {
          seen.push(sink.records.length);
          if (sink.records.length < 203) setImmediate(tick);
        };
        setImmediate(tick);
      },
    });
    await p.ready;
    p.release();
    expect(await done).toEqual({ serial: 5, records: 203 });
    const during = seen.filter((n) => n > 0 && n < 203);
    expect(during.length).toBeGreaterThanOrEqual(5);
  });

  it("gives the streaming path's errors: bad MAC, out of zone, wrong closing serial, no opening SOA", async () => {
    const run = async (
      first: ResourceRecord[],
      rest: ResourceRecord[][],
      o: { corruptRest?: boolean } = {},
    ) => {
      const p = await gatedPrimary(first, rest, { sign: true, ...o });
      const sink = new RecordList();
      const done = axfrTo(p.endpoint, origin, sink, { tsig: key, receiveFirst: true }).catch(
        (e: unknown) => e,
      );
      await p.ready;
      p.release();
      const e = (await done) as XfrError | TsigError;
      expect(sink.records.length, e.code).toBeLessThan(3);
      return e.code;
    };
    expect(await run([soa(5), ns], [[...hosts(0, 3), soa(5)]], { corruptRest: true })).toBe(
      "EDGENS_ERR_TSIG_BADSIG",
    );
    expect(await run([soa(5), a("www.example.org.", "192.0.2.1")], [[soa(5)]])).toBe(
      "EDGENS_ERR_XFR_OUT_OF_ZONE",
    );
    expect(await run([soa(5), ns], [[soa(6)]])).toBe("EDGENS_ERR_XFR_BAD_SOA");
    expect(await run([ns, soa(5)], [[soa(5)]])).toBe("EDGENS_ERR_XFR_BAD_SOA");
  });
});

describe("ixfrTo", () => {
  it("streams an AXFR-style answer (RFC 1995 §4) into the sink, the opening SOA first", async () => {
    const p = await gatedPrimary([soa(8), ns, ...hosts(0, 10)], [[...hosts(10, 10), soa(8)]]);
    const sink = new RecordList();
    const done = ixfrTo(p.endpoint, origin, 3, sink);
    await p.ready;
    // The shape is known from the second record: the first message is in the sink already.
    await until(() => sink.records.length === 12);
    p.release();
    expect(await done).toEqual({ kind: "axfr", serial: 8, records: 22 });
    expect(lines(sink.records)).toEqual(lines([soa(8), ns, ...hosts(0, 20)]));
  });

  it("with receiveFirst, keeps the rest of an AXFR-style answer until it is complete", async () => {
    const p = await gatedPrimary(
      [soa(8), ns, ...hosts(0, 10)],
      [[...hosts(10, 10)], [...hosts(20, 5), soa(8)]],
      {
        sign: true,
      },
    );
    const sink = new RecordList();
    const progress: number[][] = [];
    let settled = false;
    const done = ixfrTo(p.endpoint, origin, 3, sink, {
      tsig: key,
      receiveFirst: true,
      // Records received, and records in the sink, as each message arrives.
      onProgress: (n) => progress.push([n, sink.records.length]),
    }).finally(() => {
      settled = true;
    });
    await p.ready;
    await until(() => sink.records.length === 12);
    await new Promise((r) => setTimeout(r, 100));
    // Only the first message (which tells the shape) went in; the rest waits for the closing SOA.
    expect(settled).toBe(false);
    expect(sink.records.length).toBe(12);
    p.release();
    expect(await done).toEqual({ kind: "axfr", serial: 8, records: 27 });
    expect(lines(sink.records)).toEqual(lines([soa(8), ns, ...hosts(0, 25)]));
    expect(progress).toEqual([
      [12, 12],
      [22, 12],
      [28, 12],
    ]);
  });

  it("with receiveFirst, a held message gives the streaming path's errors", async () => {
    const run = async (rest: ResourceRecord[][], o: { corruptRest?: boolean } = {}) => {
      const p = await gatedPrimary([soa(8), ns], rest, { sign: true, ...o });
      const done = ixfrTo(p.endpoint, origin, 3, new RecordList(), { tsig: key, receiveFirst: true }).catch(
        (e: unknown) => e,
      );
      await p.ready;
      p.release();
      return ((await done) as XfrError | TsigError).code;
    };
    expect(await run([[...hosts(0, 3), soa(8)]], { corruptRest: true })).toBe("EDGENS_ERR_TSIG_BADSIG");
    expect(await run([[a("www.example.org.", "192.0.2.1"), soa(8)]])).toBe("EDGENS_ERR_XFR_OUT_OF_ZONE");
    expect(await run([[...hosts(0, 3), soa(9)]])).toBe("EDGENS_ERR_XFR_BAD_SOA");
    expect(await run([[soa(8), ...hosts(0, 1)]])).toBe("EDGENS_ERR_XFR_MALFORMED");
  });

  it("returns deltas as records and leaves the sink empty", async () => {
    const p = await gatedPrimary(
      [soa(4), soa(3), a("h1.xfr.test.", "192.0.2.1"), soa(4)],
      [[hosts(5, 1)[0]!, soa(4)]],
    );
    const sink = new RecordList();
    const done = ixfrTo(p.endpoint, origin, 3, sink);
    await p.ready;
    p.release();
    const r = await done;
    expect(r.kind).toBe("ixfr");
    if (r.kind !== "ixfr") return;
    expect(r.deltas.map((d) => [d.fromSerial, d.toSerial, d.deleted.length, d.added.length])).toEqual([
      [3, 4, 2, 2],
    ]);
    expect(sink.records).toEqual([]);
  });

  it("a lone SOA not newer than ours: up to date, nothing in the sink", async () => {
    const p = await gatedPrimary([soa(3)], []);
    const sink = new RecordList();
    expect(await ixfrTo(p.endpoint, origin, 3, sink)).toEqual({ kind: "up-to-date", serial: 3 });
    expect(sink.records).toEqual([]);
  });
});
