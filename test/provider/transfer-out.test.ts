// The primary role in process: edgens (startSingleProcess on loopback) serves AXFR/IXFR to our own transfer
// client, with TSIG and ACLs, journals reloads, and sends NOTIFY. No daemons needed (see secondaries.test.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConfig, overlayLayer } from "../../src/config/load-config.js";
import type { Plain } from "../../src/config/merge.js";
import { Journal } from "../../src/provider/journal.js";
import { TransferAcl } from "../../src/provider/transfer-acl.js";
import { startTransfer, transferQtype } from "../../src/provider/transfer-out.js";
import type { NotifyTarget } from "../../src/secondary/notify-handler.js";
import { type SingleProcessServer, startSingleProcess } from "../../src/server/single-process.js";
import { TsigError, XfrError } from "../../src/transfer/errors.js";
import { buildQuery, parseMessage } from "../../src/transfer/message.js";
import { decodeTsigRdata, signMessage } from "../../src/transfer/tsig.js";
import { applyIxfr, axfr, fetchSoa, ixfr } from "../../src/transfer/xfr-client.js";
import { parseNameText } from "../../src/wire/name.js";
import { Rcode } from "../../src/wire/rrtype.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import { buildZone } from "../../src/zone/zone-image.js";
import { type NotifyListener, startNotifyListener } from "../secondary/notify-listener.js";
import { freePort } from "../server/dns-client.js";
import { writeAtomic } from "../server/zone-fixture.js";
import {
  BASE_SERIAL,
  bigZoneText,
  fixtureText,
  ids,
  KEY,
  memoryLogger,
  textRecords,
  tsig,
  unknownKey,
  wrongSecret,
} from "./provider-fixture.js";

const prov = parseNameText("prov.test.", null);
const open = parseNameText("open.test.", null);
const only2 = parseNameText("only2.test.", null);
const plain = parseNameText("plain.test.", null);
const big = parseNameText("big.test.", null);
const BIG_COUNT = 5000;

async function failure(
  p: Promise<unknown>,
): Promise<Error & { code: string; rcode?: number; tsigError?: number }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code: string };
  }
  throw new Error("expected a failure");
}

describe("edgens as a primary (in process)", () => {
  const dir = mkdtempSync(join(tmpdir(), "edgens-provider-"));
  const file = (n: string) => join(dir, `${n}.zone`);
  const { log, lines } = memoryLogger();
  let server: SingleProcessServer;
  let primary: { host: string; port: number };
  let listener: NotifyListener;
  const notified: (number | undefined)[] = [];
  let layers: Plain;

  beforeAll(async () => {
    writeAtomic(file("prov.test"), fixtureText(1));
    writeAtomic(file("open.test"), fixtureText(1).replaceAll("prov.test.", "open.test."));
    writeAtomic(file("only2.test"), fixtureText(1).replaceAll("prov.test.", "only2.test."));
    writeAtomic(file("plain.test"), fixtureText(1).replaceAll("prov.test.", "plain.test."));
    writeAtomic(file("big.test"), bigZoneText("big.test.", 1, BIG_COUNT));
    const target: NotifyTarget = {
      origin: prov,
      notifyKeys: [tsig],
      notifyAllowed: (_a, key) => key !== null,
      notify: (hint) => notified.push(hint),
    };
    listener = await startNotifyListener(() => target);
    const port = await freePort();
    primary = { host: "127.0.0.1", port };
    const signed = [{ address: "127.0.0.0/8", tsigKey: KEY.name }];
    layers = {
      listen: [`127.0.0.1:${port}`],
      workers: 0,
      tsigKeys: { [KEY.name]: { algorithm: KEY.algorithm, secret: KEY.secret } },
      zones: [
        {
          file: file("prov.test"),
          origin: "prov.test.",
          provide: {
            allowTransfer: signed,
            notify: [{ address: `127.0.0.1:${listener.port}`, tsigKey: "xfr-key" }],
          },
        },
        {
          file: file("open.test"),
          origin: "open.test.",
          provide: { allowTransfer: [{ address: "127.0.0.1" }] },
        },
        {
          file: file("only2.test"),
          origin: "only2.test.",
          provide: { allowTransfer: [{ address: "127.0.0.2/32" }] },
        },
        { file: file("plain.test"), origin: "plain.test." },
        { file: file("big.test"), origin: "big.test.", provide: { allowTransfer: signed } },
      ],
    };
    const config = buildConfig([overlayLayer("test", layers)]);
    server = await startSingleProcess({
      config,
      readConfig: () => buildConfig([overlayLayer("test", layers)]),
      log,
    });
  });
  afterAll(async () => {
    await server?.stop();
    await listener?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const reload = async () => {
    expect(await server.reload()).toBe(true);
  };

  it("serves a signed AXFR equal to the zone file (glue, occluded data, DNAME, unknown types included)", async () => {
    const r = await axfr(primary, prov, { tsig });
    expect(r.serial).toBe(BASE_SERIAL);
    expect(ids(r.records)).toEqual(textRecords(fixtureText(1)));
    expect(r.records[0]!.type).toBe(6);
  });

  it("serves an unsigned AXFR where the ACL entry names no key", async () => {
    const r = await axfr(primary, open);
    expect(ids(r.records)).toEqual(textRecords(fixtureText(1).replaceAll("prov.test.", "open.test.")));
  });

  it("splits a 5000-record zone over signed messages of at most 16 KiB that our client verifies", async () => {
    let messages = 0;
    const r = await axfr(primary, big, { tsig, onProgress: () => messages++ });
    expect(r.records.length).toBe(BIG_COUNT);
    expect(ids(r.records)).toEqual(textRecords(bigZoneText("big.test.", 1, BIG_COUNT)));
    expect(messages).toBeGreaterThan(3);
    const served = lines.find((l) => l.kind === "axfr" && l.zone === "big.test.");
    expect(served).toMatchObject({ records: BIG_COUNT + 1 });
    expect((served!.bytes as number) / (served!.messages as number)).toBeLessThanOrEqual(16 * 1024);
  });

  it("refuses an unsigned request where the key is required, and logs who and why", async () => {
    const e = await failure(axfr(primary, prov));
    expect(e).toBeInstanceOf(XfrError);
    expect(e.rcode).toBe(Rcode.REFUSED);
    expect(
      lines.some((l) =>
        /refused AXFR of prov\.test\. to 127\.0\.0\.1#\d+: request not signed/.test(String(l.msg)),
      ),
    ).toBe(true);
  });

  it("answers a wrong secret with BADSIG and an unknown key with BADKEY (NOTAUTH)", async () => {
    const bad = await failure(axfr(primary, prov, { tsig: wrongSecret }));
    expect(bad).toBeInstanceOf(TsigError);
    expect(bad.code).toBe("EDGENS_ERR_TSIG_BADSIG");
    expect(bad.tsigError).toBe(16);
    const unknown = await failure(axfr(primary, prov, { tsig: unknownKey }));
    expect(unknown.code).toBe("EDGENS_ERR_TSIG_BADKEY");
    expect(server.node.provider.counts["bad-tsig"]).toBeGreaterThanOrEqual(2);
  });

  it("refuses a source outside the ACL, a zone without provide (REFUSED) and an unknown zone (NOTAUTH)", async () => {
    expect((await failure(axfr(primary, only2))).rcode).toBe(Rcode.REFUSED);
    expect(lines.some((l) => String(l.msg).includes("source address not allowed"))).toBe(true);
    expect((await failure(axfr(primary, plain))).rcode).toBe(Rcode.REFUSED);
    expect((await failure(axfr(primary, parseNameText("nowhere.test.", null)))).rcode).toBe(Rcode.NOTAUTH);
  });

  it("answers IXFR from the current serial with the SOA alone", async () => {
    const r = await ixfr(primary, prov, BASE_SERIAL, { tsig });
    expect(r.kind).toBe("up-to-date");
  });

  it("journals a reload, serves the delta by IXFR and sends a signed NOTIFY", async () => {
    const before = (await axfr(primary, prov, { tsig })).records;
    writeAtomic(file("prov.test"), fixtureText(2));
    await reload();
    const r = await ixfr(primary, prov, BASE_SERIAL, { tsig });
    expect(r.kind).toBe("ixfr");
    if (r.kind !== "ixfr") return;
    expect(r.deltas).toHaveLength(1);
    expect(r.deltas[0]!.deleted).toHaveLength(3); // old SOA, www A, MiXeD A
    expect(r.deltas[0]!.added).toHaveLength(3); // new SOA, www A, new-v2 A
    expect(ids(applyIxfr(before, r.deltas))).toEqual(textRecords(fixtureText(2)));
    await server.node.provider.notifyIdle();
    // One NOTIFY (a retransmission under load would be accepted too).
    expect(listener.received.length).toBeGreaterThanOrEqual(1);
    expect(listener.received.every((n) => n.outcome === "accepted")).toBe(true);
    expect(notified).toEqual([BASE_SERIAL + 1]);
    const log = server.node.provider.notifyLog.at(-1)!;
    expect(log.results[0]).toMatchObject({ ok: true });
  });

  it("condenses several versions into one delta, and answers an unknown serial AXFR-style", async () => {
    const v1 = parseMasterFile(fixtureText(1), { file: "v1" }).records;
    writeAtomic(file("prov.test"), fixtureText(3));
    await reload();
    const r = await ixfr(primary, prov, BASE_SERIAL, { tsig });
    expect(r.kind).toBe("ixfr");
    if (r.kind !== "ixfr") return;
    expect(r.deltas).toHaveLength(1);
    expect(r.deltas[0]).toMatchObject({ fromSerial: BASE_SERIAL, toSerial: BASE_SERIAL + 2 });
    expect(ids(applyIxfr(v1, r.deltas))).toEqual(textRecords(fixtureText(3)));
    const old = await ixfr(primary, prov, BASE_SERIAL - 5, { tsig });
    expect(old.kind).toBe("axfr");
    if (old.kind === "axfr") expect(ids(old.records)).toEqual(textRecords(fixtureText(3)));
    expect(server.node.provider.counts).toMatchObject({ ixfr: 2, "ixfr-axfr": 1, "ixfr-current": 1 });
    const text = await server.metrics.registry.metrics();
    expect(text).toContain('edgens_zone_transfers_out_total{zone="prov.test.",outcome="ixfr"} 2');
    expect(text).toContain('edgens_zone_transfers_out_total{zone="other",outcome="notauth"} 1');
    expect(text).toContain('edgens_notify_out_total{zone="prov.test.",result="ok"} 2');
    expect(text).toContain('edgens_zone_journal_deltas{zone="prov.test."} 2');
  });

  it("restarts the journal when a reload lowers the serial", async () => {
    writeAtomic(file("prov.test"), fixtureText(2));
    await reload();
    expect((await fetchSoa(primary, prov)).serial).toBe(BASE_SERIAL + 1);
    const r = await ixfr(primary, prov, BASE_SERIAL, { tsig });
    expect(r.kind).toBe("axfr");
    expect(lines.some((l) => String(l.msg).includes("not newer"))).toBe(true);
  });

  it("answers a query pipelined behind an AXFR after the transfer's last message, on the same connection", async () => {
    const frames = await tcpFrames(primary, [buildQuery(1, open, 252), buildQuery(2, open, 6)], 3);
    const parsed = frames.map((f) => parseMessage(f));
    expect(parsed.map((m) => m.id)).toEqual([1, 2]);
    expect(parsed[0]!.answer.length).toBeGreaterThan(30);
    expect(parsed[1]!.answer.map((r) => r.type)).toEqual([6]);
  });
});

/** Send `queries` on one TCP connection and collect answer frames until `n` arrived or the server closes. */
function tcpFrames(to: { host: string; port: number }, queries: Buffer[], n: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const frames: Buffer[] = [];
    let buf = Buffer.alloc(0);
    const sock = connect(to.port, to.host, () => {
      sock.end(
        Buffer.concat(queries.map((q) => Buffer.concat([Buffer.from([q.length >> 8, q.length & 255]), q]))),
      );
    });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(frames);
    }, 3000);
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        frames.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (frames.length >= n) sock.destroy();
    });
    sock.on("close", () => {
      clearTimeout(timer);
      resolve(frames);
    });
    sock.on("error", reject);
  });
}

describe("startTransfer (no sockets)", () => {
  const data = buildZone(prov, parseMasterFile(fixtureText(1), { file: "t" }).records);
  const { log } = memoryLogger();
  const zone = {
    name: "prov.test.",
    data,
    serial: BASE_SERIAL,
    journal: new Journal(),
    acl: new TransferAcl([{ address: "127.0.0.1", tsigKey: KEY.name }]),
  };
  const ctx = (now?: number) => ({
    lookup: () => zone,
    keys: [tsig],
    log,
    count: () => {},
    ...(now !== undefined ? { now: () => now } : {}),
  });
  const remote = { address: "127.0.0.1", port: 5353 };

  it("answers a request signed outside the fudge NOTAUTH/BADTIME, signed, with our time in Other Data", () => {
    const signedAt = Math.floor(Date.now() / 1000);
    const req = signMessage(buildQuery(9, prov, 252), tsig, { time: signedAt });
    const t = startTransfer(req.message, remote, ctx(signedAt + 1000))!;
    expect(t.rcode).toBe(Rcode.NOTAUTH);
    const raw = t.messages.next().value as Buffer;
    const m = parseMessage(raw);
    const rd = decodeTsigRdata(raw, m.tsig!.rdataOffset, m.tsig!.rdataLength);
    expect(rd.error).toBe(18);
    expect(rd.mac.length).toBe(32);
    expect(rd.timeSigned).toBe(signedAt);
    expect(rd.otherData.readUIntBE(0, 6)).toBe(signedAt + 1000);
  });

  it("leaves queries that are not transfers to the responder", () => {
    expect(startTransfer(buildQuery(1, prov, 6), remote, ctx())).toBeNull();
    expect(transferQtype(Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 252, 0, 1]))).toBe(0);
  });
});
