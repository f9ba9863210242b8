// The secondary zone manager against real hidden primaries. Knot DNS: first AXFR, NOTIFY sent by Knot itself
// (signed) after `knotc zone-reload` → IXFR (the latency from reload to our 'update' is printed), NOTIFY from a
// disallowed source, a wrong TSIG key, expire with the primary stopped, restart from the persisted copy with the
// primary stopped. NSD: AXFR, its AXFR-style IXFR answers, and a serial going backwards.
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notifyLookup } from "../../src/secondary/notify-handler.js";
import { sendNotify } from "../../src/secondary/notify-sender.js";
import {
  SecondaryZone,
  type SecondaryZoneOptions,
  type ZoneUpdate,
} from "../../src/secondary/secondary-zone.js";
import { recordKey } from "../../src/transfer/apply-ixfr.js";
import { parseTsigKey } from "../../src/transfer/tsig.js";
import { parseNameText } from "../../src/wire/name.js";
import { Rcode, RRType } from "../../src/wire/rrtype.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import { normalizeRecords } from "../../src/zone/zone-check.js";
import { recordsOfZone } from "../../src/zone/zone-records.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";
import { type PrimaryServer, startKnotPrimary, startNsdPrimary } from "../helpers/primary-servers.js";
import { type NotifyListener, startNotifyListener } from "./notify-listener.js";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/zones/secondary");
const fixture = (f: string) => join(FIXTURES, f);
const ORIGIN = "sec.test.";
const origin = parseNameText(ORIGIN, null);
const V1 = 2026112301;
const V2 = 2026112302;
const OLDER = 2026112200;
const KEY = { name: "xfr-key.", algorithm: "hmac-sha256", secret: Buffer.alloc(32, 0x5a).toString("base64") };
const tsig = parseTsigKey(`${KEY.name}:${KEY.algorithm}:${KEY.secret}`);
const wrongKey = parseTsigKey(`${KEY.name}:${KEY.algorithm}:${Buffer.alloc(32, 1).toString("base64")}`);

function ids(records: readonly ResourceRecord[]): string[] {
  return records.map((r) => `${recordKey(r)}|${r.ttl}`).sort();
}
function fileIds(file: string): string[] {
  const r = parseMasterFile(readFileSync(fixture(file), "latin1"), { file, origin });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return ids(normalizeRecords(r.records));
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const ok = requirePrereq("secondary zones from Knot and NSD", isRoot, hasCommand("knotd"), hasCommand("nsd"));

describe.skipIf(!ok)("secondary zones from real primaries (Knot DNS, NSD)", () => {
  let tmp = "";
  let knot: PrimaryServer;
  let nsd: PrimaryServer;
  let listener: NotifyListener;
  const served = new Map<string, SecondaryZone>();
  const lookup = (k: string) => notifyLookup(served.values())(k);
  const zones: SecondaryZone[] = [];

  function newZone(
    name: string,
    o: Partial<SecondaryZoneOptions> = {},
  ): { zone: SecondaryZone; updates: (ZoneUpdate & { at: number })[] } {
    const zone = new SecondaryZone({
      origin,
      primaries: [{ address: knot.host, port: knot.port, tsig }],
      stateDir: join(tmp, name),
      clamps: { refresh: { min: 3600, max: 3600 } },
      jitter: 0,
      soaTimeoutMs: 300,
      transfer: { messageTimeoutMs: 2000 },
      bootstrapRetrySeconds: 1,
      ...o,
    });
    const updates: (ZoneUpdate & { at: number })[] = [];
    zone.on("update", (u) => updates.push({ ...u, at: performance.now() }));
    zones.push(zone);
    return { zone, updates };
  }

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "edgens-secondary-int-"));
    // Our NOTIFY listener: what the server will do with opcode-4 messages.
    listener = await startNotifyListener(lookup);
    const notify = [{ host: "127.0.0.1", port: listener.port, signed: true }];
    const zonesCfg = [{ origin: ORIGIN, file: fixture("sec.test.zone"), tsigOnly: true }];
    [knot, nsd] = await Promise.all([
      startKnotPrimary({ zones: zonesCfg, key: KEY, notify }),
      startNsdPrimary({ zones: [{ origin: ORIGIN, file: fixture("sec.test.zone") }], key: KEY }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(zones.map((z) => z.stop()));
    await Promise.all([knot?.stop(), nsd?.stop()]);
    await listener?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  let a: ReturnType<typeof newZone>;
  const registry = new Registry();

  it("Knot: the first check transfers the zone (AXFR, TSIG) and emits 'update'", async () => {
    a = newZone("a", { registry });
    served.set("a", a.zone);
    await a.zone.start();
    await until("update", () => a.updates.length === 1);
    expect(a.updates[0]!.source).toBe("axfr");
    expect(a.updates[0]!.serial).toBe(V1);
    expect(ids([...recordsOfZone(a.updates[0]!.data)])).toEqual(fileIds("sec.test.zone"));
    await until("ok", () => a.zone.status().state === "ok");
    // The persisted copy parses back to the same records.
    const copy = parseMasterFile(readFileSync(join(tmp, "a", "sec.test.zone"), "latin1"), {
      file: "copy",
      origin,
    });
    expect(copy.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(ids(copy.records)).toEqual(fileIds("sec.test.zone"));
    await until("state saved", () => a.zone.status().lastSuccess !== null);
    await new Promise((r) => setTimeout(r, 100));
    cpSync(join(tmp, "a"), join(tmp, "a-v1"), { recursive: true });
  });

  it("Knot: zone-reload → Knot's signed NOTIFY → IXFR applied (latency printed)", async () => {
    const notifies = listener.received;
    const before = notifies.length;
    const t0 = performance.now();
    await knot.reload(ORIGIN, fixture("sec.test.v2.zone"), V2);
    const tReloaded = performance.now();
    await until("update after NOTIFY", () => a.updates.length === 2).catch((e) => {
      console.log(JSON.stringify(notifies), knot.log());
      throw e;
    });
    const u = a.updates[1]!;
    const n = notifies.slice(before).find((x) => x.outcome === "accepted");
    expect(n).toBeDefined();
    expect(n!.transport).toBe("tcp"); // Knot 3.2 sends NOTIFY over TCP: the server must route both transports
    expect(u.source).toBe("ixfr");
    expect(u.serial).toBe(V2);
    expect(ids([...recordsOfZone(u.data)])).toEqual(fileIds("sec.test.v2.zone"));
    // Knot's NOTIFY carries the new SOA (RFC 1996 §3.7): straight to IXFR, no SOA query first.
    expect(u.trace).toMatchObject({ soaMs: null });
    expect(u.trace!.transferMs).toBeGreaterThan(0);
    // "mail" loses all its data: the full checks and build decide, so there is no delta for other processes
    // (test/server/serve-secondary-ixfr.test.ts covers one that has).
    expect(u.delta).toBeUndefined();
    console.log(`IXFR trace: ${JSON.stringify(u.trace)}`);
    console.log(
      `NOTIFY latency: knotc zone-reload start → 'update' ${(u.at - t0).toFixed(1)} ms ` +
        `(reload helper returned after ${(tReloaded - t0).toFixed(1)} ms; ` +
        `NOTIFY received → 'update' ${(u.at - n!.at).toFixed(1)} ms)`,
    );
    expect(u.at - n!.at).toBeLessThan(2000);
    // Knot accepted our signed answer to its NOTIFY.
    await until("Knot logs the NOTIFY", () => /notify, outgoing.*serial 2026112302/.test(knot.log()));
    expect(knot.log()).not.toMatch(/notify, outgoing.*failed/);
    const text = await registry.metrics();
    expect(text).toMatch(/edgens_zone_transfer_seconds_count\{zone="sec.test.",kind="ixfr"\} 1/);
  });

  it("a restart from an older persisted copy serves it at once, then catches up by IXFR", async () => {
    const r = newZone("a-v1");
    await r.zone.start();
    expect(r.updates.map((u) => [u.source, u.serial])).toEqual([["disk", V1]]);
    await until("IXFR", () => r.updates.length === 2);
    expect(r.updates[1]!.source).toBe("ixfr");
    expect(r.updates[1]!.serial).toBe(V2);
    expect(ids([...recordsOfZone(r.updates[1]!.data)])).toEqual(fileIds("sec.test.v2.zone"));
    await r.zone.stop();
  });

  it("NOTIFY from a disallowed source, or unsigned from the primary, is REFUSED and starts no check", async () => {
    const before = a.zone.status().lastRefresh;
    const listenerPort = listener.port;
    const [fromElsewhere] = await sendNotify(origin, [{ host: "127.0.0.1", port: listenerPort, tsig }], {
      localAddress: "127.0.0.2",
      tries: 1,
    });
    expect(fromElsewhere!.rcode).toBe(Rcode.REFUSED);
    const [unsigned] = await sendNotify(origin, [{ host: "127.0.0.1", port: listenerPort }], { tries: 1 });
    expect(unsigned!.rcode).toBe(Rcode.REFUSED);
    const [badKey] = await sendNotify(origin, [{ host: "127.0.0.1", port: listenerPort, tsig: wrongKey }], {
      tries: 1,
    });
    expect(badKey!.ok).toBe(false);
    expect((badKey!.error as { code?: string }).code).toBe("EDGENS_ERR_TSIG_BADSIG");
    await new Promise((r) => setTimeout(r, 300));
    expect(a.zone.status().lastRefresh).toBe(before);
    // The same NOTIFY, signed, from the primary's address: accepted.
    const [good] = await sendNotify(origin, [{ host: "127.0.0.1", port: listenerPort, tsig }], { tries: 1 });
    expect(good!.rcode).toBe(Rcode.NOERROR);
    await until("check after NOTIFY", () => a.zone.status().lastRefresh !== before);
  });

  it("NOTIFY with an SOA: ours → no check; older → SOA query, no transfer; newer → IXFR at once", async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: "debug" }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const c = newZone("hint", { log });
    served.set("a", c.zone);
    try {
      await c.zone.start();
      await until("AXFR of V2", () => c.updates.length === 1 && c.zone.status().lastSuccess !== null);
      expect(c.updates[0]!.serial).toBe(V2);
      const soaRecord = [...recordsOfZone(c.updates[0]!.data)].find((r) => r.type === RRType.SOA)!;
      const withSerial = (serial: number) => {
        const rdata = Buffer.from(soaRecord.rdata);
        rdata.writeUInt32BE(serial, rdata.length - 20);
        return { ...soaRecord, rdata };
      };
      const notifyWith = async (serial: number) => {
        const [r] = await sendNotify(origin, [{ host: "127.0.0.1", port: listener.port, tsig }], {
          soa: withSerial(serial),
          tries: 1,
        });
        expect(r!.rcode).toBe(Rcode.NOERROR);
      };
      const msgs = () => lines.map((l) => String(l.msg));

      // The serial we hold: nothing to ask the primary.
      const before = c.zone.status().lastRefresh;
      await notifyWith(V2);
      await new Promise((r) => setTimeout(r, 300));
      expect(c.zone.status().lastRefresh).toBe(before);
      expect(msgs()).toContain("NOTIFY for the serial we hold: no check");

      // An older serial: checked with a SOA query (Knot still has ours): no transfer.
      await notifyWith(V1);
      await until("check", () => c.zone.status().lastRefresh !== before);
      expect(msgs()).not.toContain("NOTIFY announced a newer serial: IXFR at once");

      // A newer one: IXFR without a SOA query; Knot's answer (our serial) says up to date: no transfer.
      const after = c.zone.status().lastRefresh;
      await notifyWith(V2 + 5);
      await until("check", () => c.zone.status().lastRefresh !== after);
      expect(lines.find((l) => l.msg === "NOTIFY announced a newer serial: IXFR at once")).toMatchObject({
        hint: V2 + 5,
        held: V2,
      });
      expect(c.updates).toHaveLength(1);
      expect(c.zone.status()).toMatchObject({ state: "ok", serial: V2, lastError: null });
      expect(msgs().filter((m) => m === "zone transferred")).toHaveLength(1); // the first AXFR only
    } finally {
      served.set("a", a.zone);
      await c.zone.stop();
    }
  });

  it("a wrong TSIG key: the failure is counted by reason, the old (persisted) data kept", async () => {
    await until("state saved", () => a.zone.status().lastSuccess !== null);
    await new Promise((r) => setTimeout(r, 200));
    cpSync(join(tmp, "a"), join(tmp, "b"), { recursive: true });
    const reg = new Registry();
    const b = newZone("b", {
      registry: reg,
      primaries: [{ address: knot.host, port: knot.port, tsig: wrongKey }],
    });
    await b.zone.start();
    expect(b.updates.map((u) => [u.source, u.serial])).toEqual([["disk", V2]]);
    await until("failed check", () => b.zone.status().lastError !== null);
    expect(b.zone.status().lastError!.reason).toBe("tsig");
    expect(b.zone.status().lastError!.message).toMatch(/BADSIG/);
    expect(b.zone.status().serial).toBe(V2);
    expect(b.zone.status().state).toBe("retrying");
    expect(await reg.metrics()).toMatch(
      /edgens_zone_transfer_failures_total\{zone="sec.test.",reason="tsig"\} 1/,
    );
    await b.zone.stop();
  });

  it("NSD: AXFR; a serial going backwards rejected; IXFR answered AXFR-style; a zone without NS rejected", async () => {
    const reg = new Registry();
    const c = newZone("c", { registry: reg, primaries: [{ address: nsd.host, port: nsd.port }] });
    await c.zone.start();
    await until("update", () => c.updates.length === 1);
    expect(c.updates[0]!.source).toBe("axfr");
    expect(ids([...recordsOfZone(c.updates[0]!.data)])).toEqual(fileIds("sec.test.zone"));

    await nsd.reload(ORIGIN, fixture("sec.test.older.zone"), OLDER);
    c.zone.notify();
    await until("rejection", () => c.zone.status().lastError?.reason === "serial-backwards");
    expect(c.zone.status().serial).toBe(V1);
    expect(c.updates).toHaveLength(1);

    await nsd.reload(ORIGIN, fixture("sec.test.v2.zone"), V2);
    c.zone.notify();
    await until("update", () => c.updates.length === 2);
    // NSD 4.6 answers IXFR with the whole zone; syncZone reports it as an AXFR.
    expect(c.updates[1]!.source).toBe("axfr");
    expect(ids([...recordsOfZone(c.updates[1]!.data)])).toEqual(fileIds("sec.test.v2.zone"));
    expect(await reg.metrics()).toMatch(/reason="serial-backwards"\} 1/);

    // NSD serves a zone without apex NS (Knot refuses to load one): rejected, V2 kept.
    await nsd.reload(ORIGIN, fixture("sec.test.no-ns.zone"), V2 + 1);
    c.zone.notify();
    await until("rejection", () => c.zone.status().lastError?.reason === "invalid-zone");
    expect(c.zone.status().lastError!.message).toMatch(/EDGENS_ERR_ZONE_NO_NS/);
    expect(c.zone.status().serial).toBe(V2);
    expect(c.updates).toHaveLength(2);
    await c.zone.stop();
  });

  it("primary stopped: 'expired' after the (clamped) expire; a restart serves the persisted copy at once", async () => {
    const e = newZone("e", {
      clamps: { refresh: { min: 1, max: 1 }, retry: { min: 1, max: 1 }, expire: { min: 1, max: 3 } },
    });
    await e.zone.start();
    await until("update", () => e.updates.length === 1);
    await until("ok", () => e.zone.status().lastSuccess !== null);
    await a.zone.stop();
    served.clear();
    await knot.stop();
    const expired: number[] = [];
    e.zone.on("expired", () => expired.push(Date.now()));
    await until("expired", () => expired.length === 1, 8000);
    const after = expired[0]! - e.zone.status().lastSuccess!;
    expect(after).toBeGreaterThanOrEqual(2990);
    expect(after).toBeLessThan(4500);
    expect(e.zone.status().state).toBe("expired");
    expect(["timeout", "connect"]).toContain(e.zone.status().lastError?.reason);
    await e.zone.stop();

    // Restart from a's copy (serial V2, expire 14 days) with Knot gone: served before any network exchange.
    const reg = new Registry();
    const f = newZone("a", { registry: reg });
    const t0 = performance.now();
    await f.zone.start();
    expect(f.updates.map((u) => [u.source, u.serial])).toEqual([["disk", V2]]);
    console.log(`restart from the persisted copy: 'update' after ${(f.updates[0]!.at - t0).toFixed(1)} ms`);
    expect(ids([...recordsOfZone(f.updates[0]!.data)])).toEqual(fileIds("sec.test.v2.zone"));
    await until("failed check", () => f.zone.status().lastError !== null);
    expect(f.zone.status().state).toBe("retrying");
    expect(f.zone.status().serial).toBe(V2);
    expect(await reg.metrics()).not.toMatch(/edgens_zone_transfer_seconds_count/);
  });
});
