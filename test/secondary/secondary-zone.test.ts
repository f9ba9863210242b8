// The secondary zone manager against a scripted primary (no daemons): first transfer, validation failures and
// backwards serials keep the old data, persistence and restart, expire and recovery, several primaries,
// NOTIFY coalescing. The same flows against Knot and NSD: primaries.test.ts.
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  SecondaryZone,
  type SecondaryZoneOptions,
  type ZoneUpdate,
} from "../../src/secondary/secondary-zone.js";
import { ZoneStore } from "../../src/secondary/zone-store.js";
import { parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";
import { recordsOfZone } from "../../src/zone/zone-records.js";
import { type ScriptedPrimary, startScriptedPrimary, zoneText } from "./scripted-primary.js";

const ORIGIN = "sec.test.";
const origin = parseNameText(ORIGIN, null);
const GOOD = ["@ NS ns1", "ns1 A 192.0.2.53", "www A 192.0.2.10"];
const good = (serial: number, extra: string[] = []) => zoneText(ORIGIN, serial, [...GOOD, ...extra]);

let tmp = "";
let primary: ScriptedPrimary;
const zones: SecondaryZone[] = [];

beforeEach(async () => {
  tmp = mkdtempSync(join(tmpdir(), "edgens-secondary-"));
  primary = await startScriptedPrimary(ORIGIN, good(1));
});
afterEach(async () => {
  await Promise.all(zones.splice(0).map((z) => z.stop()));
  await primary.close();
  rmSync(tmp, { recursive: true, force: true });
});

function newZone(o: Partial<SecondaryZoneOptions> = {}): { zone: SecondaryZone; updates: ZoneUpdate[] } {
  const zone = new SecondaryZone({
    origin,
    primaries: [{ address: primary.host, port: primary.port }],
    stateDir: join(tmp, "state"),
    clamps: { refresh: { min: 3600, max: 3600 } },
    jitter: 0,
    soaTimeoutMs: 200,
    transfer: { messageTimeoutMs: 1000 },
    bootstrapRetrySeconds: 1,
    ...o,
  });
  const updates: ZoneUpdate[] = [];
  zone.on("update", (u) => updates.push(u));
  zones.push(zone);
  return { zone, updates };
}

async function until(what: string, cond: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const owners = (u: ZoneUpdate) =>
  [...recordsOfZone(u.data)].map((r) => `${r.owner.toString("latin1")}/${r.type}`).sort();

describe("SecondaryZone (scripted primary)", () => {
  it("first AXFR emits 'update', persists the copy, and counts metrics", async () => {
    const registry = new Registry();
    const { zone, updates } = newZone({ registry });
    await zone.start();
    await until("update", () => updates.length === 1);
    const u = updates[0]!;
    expect(u.source).toBe("axfr");
    expect(u.serial).toBe(1);
    expect(u.recordCount).toBe(4);
    expect([...recordsOfZone(u.data)]).toHaveLength(4);
    expect(u.data.nodes.size).toBeGreaterThan(0);
    await until("ok", () => zone.status().state === "ok" && zone.status().lastSuccess !== null);
    expect(primary.queries()).toEqual([RRType.SOA, RRType.AXFR]);
    const st = zone.status();
    expect(st.serial).toBe(1);
    expect(st.timers).toEqual({ refresh: 3600, retry: 600, expire: 86400 });
    expect(st.expiresAt! - st.lastSuccess!).toBe(86_400_000);

    const stored = await new ZoneStore(join(tmp, "state"), origin).load();
    expect(stored?.serial).toBe(1);
    expect(stored?.records.length).toBe(4);
    const text = await registry.metrics();
    expect(text).toMatch(/edgens_zone_transfer_seconds_count\{zone="sec.test.",kind="axfr"\} 1/);
    expect(text).toMatch(/edgens_zone_transfer_bytes_total\{zone="sec.test."\} [1-9]/);
    expect(text).toMatch(/edgens_zone_expire_seconds\{zone="sec.test."\} 86\d\d\d/);
    expect(text).toMatch(/edgens_zone_last_refresh_timestamp_seconds\{zone="sec.test."\} 1\d+/);
  });

  it.each([
    ["CNAME beside other data", good(2, ["www CNAME ns1"])],
    ["no NS at the apex", zoneText(ORIGIN, 2, ["ns1 A 192.0.2.53"])],
    ["data below a DNAME", good(2, ["d DNAME other.test.", "x.d A 192.0.2.1"])],
  ])("a transferred zone with %s is rejected and the old data kept", async (_what, broken) => {
    const registry = new Registry();
    const { zone, updates } = newZone({ registry });
    await zone.start();
    await until("first update", () => updates.length === 1);
    primary.serve(broken);
    zone.notify();
    await until("rejection", () => zone.status().lastError?.reason === "invalid-zone");
    expect(zone.status().serial).toBe(1);
    expect(zone.status().state).toBe("retrying");
    expect(updates).toHaveLength(1);
    expect((await new ZoneStore(join(tmp, "state"), origin).load())?.serial).toBe(1);
    expect(await registry.metrics()).toMatch(
      /edgens_zone_transfer_failures_total\{zone="sec.test.",reason="invalid-zone"\} 1/,
    );
    // A good zone afterwards is taken.
    primary.serve(good(3, ["new A 192.0.2.99"]));
    zone.notify();
    await until("second update", () => updates.length === 2);
    expect(updates[1]!.serial).toBe(3);
    expect(zone.status().state).toBe("ok");
  });

  it("a serial going backwards is rejected with the old data kept", async () => {
    const registry = new Registry();
    primary.serve(good(10));
    const { zone, updates } = newZone({ registry });
    await zone.start();
    await until("first update", () => updates.length === 1);
    primary.serve(good(9, ["older A 192.0.2.9"]));
    zone.notify();
    await until("rejection", () => zone.status().lastError?.reason === "serial-backwards");
    expect(zone.status().serial).toBe(10);
    expect(updates).toHaveLength(1);
    // Only an SOA query: no transfer of the older data.
    expect(primary.queries().slice(2)).toEqual([RRType.SOA]);
    expect(await registry.metrics()).toMatch(/reason="serial-backwards"\} 1/);
  });

  it("restarts from the persisted copy at once, without a transfer", async () => {
    const first = newZone();
    await first.zone.start();
    await until("update", () => first.updates.length === 1);
    await until("state saved", () => first.zone.status().lastSuccess !== null);
    await first.zone.stop();
    await new Promise((r) => setTimeout(r, 50));

    primary.mute(true);
    const before = primary.queries().length;
    const second = newZone();
    await second.zone.start();
    expect(second.updates).toHaveLength(1);
    expect(second.updates[0]!.source).toBe("disk");
    expect(second.updates[0]!.serial).toBe(1);
    expect(owners(second.updates[0]!)).toEqual(owners(first.updates[0]!));
    expect(second.zone.status().state).toBe("ok");
    expect(
      primary
        .queries()
        .slice(before)
        .filter((t) => t !== RRType.SOA),
    ).toEqual([]);
    // The check that follows fails (primary down) but the data stays.
    await until("failed check", () => second.zone.status().lastError !== null);
    expect(second.zone.status().lastError?.reason).toBe("timeout");
    expect(second.zone.status().state).toBe("retrying");
    expect(second.zone.status().serial).toBe(1);
  });

  it("a persisted copy past expire is not served", async () => {
    const store = new ZoneStore(join(tmp, "state"), origin);
    const { zone: seed, updates: seeded } = newZone();
    await seed.start();
    await until("update", () => seeded.length === 1);
    await seed.stop();
    await store.saveState(1, Date.now() - 86_401_000);
    primary.mute(true);
    const { zone, updates } = newZone();
    const expired: unknown[] = [];
    zone.on("expired", (e) => expired.push(e));
    await zone.start();
    expect(updates).toEqual([]);
    expect(expired).toEqual([{ zone: ORIGIN, serial: 1 }]);
    expect(zone.status().state).toBe("expired");
  });

  it("expires when no primary answers for `expire`, and serves again after the next success", async () => {
    const registry = new Registry();
    const { zone, updates } = newZone({
      registry,
      clamps: { refresh: { min: 1, max: 1 }, retry: { min: 1, max: 1 }, expire: { min: 1, max: 2 } },
    });
    await zone.start();
    await until("update", () => updates.length === 1);
    await until("ok", () => zone.status().lastSuccess !== null);
    const t0 = zone.status().lastSuccess!;
    primary.mute(true);
    const [ev] = await once(zone, "expired", { signal: AbortSignal.timeout(8000) });
    const late = Date.now() - t0;
    expect(ev).toEqual({ zone: ORIGIN, serial: 1 });
    expect(late).toBeGreaterThanOrEqual(1990);
    expect(late).toBeLessThan(4000);
    expect(zone.status().state).toBe("expired");
    expect(zone.status().lastError?.reason).toBe("timeout");
    expect(await registry.metrics()).toMatch(/edgens_zone_expire_seconds\{zone="sec.test."\} -/);

    primary.mute(false);
    await until("served again", () => updates.length === 2);
    expect(updates[1]!.source).toBe("refresh");
    expect(updates[1]!.serial).toBe(1);
    expect(zone.status().state).toBe("ok");
  });

  it("tries the primaries in order: a dead first one is counted and the second one used", async () => {
    const registry = new Registry();
    const { zone, updates } = newZone({
      registry,
      primaries: [
        { address: "127.0.0.1", port: 9 }, // discard: nothing answers
        { address: primary.host, port: primary.port },
      ],
    });
    await zone.start();
    await until("update", () => updates.length === 1);
    expect(await registry.metrics()).toMatch(/reason="timeout"\} 1/);
    await until("ok", () => zone.status().state === "ok");
  });

  it("NOTIFYs arriving during a check are coalesced into one more check", async () => {
    const { zone, updates } = newZone();
    await zone.start();
    await until("update", () => updates.length === 1);
    await until("idle", () => zone.status().nextRefreshAt !== null);
    const before = primary.queries().length;
    for (let i = 0; i < 20; i++) zone.notify();
    await new Promise((r) => setTimeout(r, 300));
    const soaQueries = primary.queries().slice(before);
    expect(soaQueries.length).toBeGreaterThanOrEqual(1);
    expect(soaQueries.length).toBeLessThanOrEqual(2);
  });

  it("a NOTIFY carrying the serial we hold starts no check; another serial does", async () => {
    const { zone, updates } = newZone();
    await zone.start();
    await until("update", () => updates.length === 1);
    await until("idle", () => zone.status().nextRefreshAt !== null);
    const before = primary.queries().length;
    zone.notify(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(primary.queries().length).toBe(before);
    zone.notify(2);
    await until("SOA query", () => primary.queries().length === before + 1);
  });

  it("a disk that cannot be written: the new data is still served, the failure reported", async () => {
    const registry = new Registry();
    writeFileSync(join(tmp, "not-a-dir"), "");
    const { zone, updates } = newZone({ registry, stateDir: join(tmp, "not-a-dir") });
    const errors: Error[] = [];
    zone.on("error", (e) => errors.push(e));
    await zone.start();
    await until("update", () => updates.length === 1);
    // The restart copy, then the text copy (written at once when the restart copy failed), then the state.
    await until("state write failed", () => errors.length === 3);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(
      Array(3).fill("EDGENS_ERR_SECONDARY_PERSIST"),
    );
    expect(errors.map((e) => e.message.split(":")[0])).toEqual([
      "cannot write the wire copy of sec.test.",
      "cannot write the zone copy of sec.test.",
      "cannot write the refresh state of sec.test.",
    ]);
    expect(zone.status()).toMatchObject({ state: "ok", persistedSerial: null, textCopySerial: null });
    expect(await registry.metrics()).toMatch(/reason="persist"\} 3/);
  });

  it("serveBeforePersist: 'update' first, the copy written after it in the background; a newer NOTIFY serial skips the SOA query", async () => {
    const { zone } = newZone({ serveBeforePersist: true });
    const events: string[] = [];
    zone.on("update", (u) => events.push(`update ${u.serial}`));
    zone.on("persisted", (p) => events.push(`persisted ${p.serial} ${p.ok}`));
    await zone.start();
    await until("first copy written", () => events.includes("persisted 1 true"));
    // NOTIFY without a serial: SOA query, then the transfer.
    primary.serve(good(2, ["new A 192.0.2.2"]));
    const before = primary.queries().length;
    zone.notify();
    await until("copy 2 written", () => events.includes("persisted 2 true"));
    expect(primary.queries().slice(before)[0]).toBe(RRType.SOA);
    // NOTIFY announcing a newer serial: straight to IXFR.
    primary.serve(good(3, ["new A 192.0.2.3"]));
    const mid = primary.queries().length;
    zone.notify(3);
    await until("copy 3 written", () => events.includes("persisted 3 true"));
    expect(primary.queries().slice(mid)[0]).toBe(RRType.IXFR);
    expect(primary.queries().slice(mid)).not.toContain(RRType.SOA);
    expect(events).toEqual([
      "update 1",
      "persisted 1 true",
      "update 2",
      "persisted 2 true",
      "update 3",
      "persisted 3 true",
    ]);
    // stop() waits for queued writes: the copy and the state file both name the newest serial.
    await until("state saved", () => zone.status().lastSuccess !== null);
    await zone.stop();
    const store = new ZoneStore(join(tmp, "state"), origin);
    expect((await store.load())?.serial).toBe(3);
    expect(JSON.parse(readFileSync(store.statePath, "utf8")).serial).toBe(3);
  });

  it("a throwing 'update' listener does not count as a failed refresh", async () => {
    const registry = new Registry();
    const { zone, updates } = newZone({ registry });
    zone.on("update", () => {
      throw new Error("swap failed");
    });
    await zone.start();
    await until("update", () => updates.length === 1);
    await until("ok", () => zone.status().state === "ok");
    expect(zone.status().lastError).toBeNull();
    expect(await registry.metrics()).not.toMatch(/edgens_zone_transfer_failures_total\{/);
  });

  it("a corrupt persisted copy is ignored (transfer instead)", async () => {
    const store = new ZoneStore(join(tmp, "state"), origin);
    const { zone: seed, updates: seeded } = newZone();
    await seed.start();
    await until("update", () => seeded.length === 1);
    await seed.stop();
    // Both copies: a damaged wire copy falls back to the text copy, which fails the checks.
    writeFileSync(store.wirePath, readFileSync(store.wirePath).subarray(1));
    writeFileSync(store.zonePath, `${readFileSync(store.zonePath, "latin1")}www CNAME ns1\n`);
    const { zone, updates } = newZone();
    await zone.start();
    await until("update", () => updates.length === 1);
    expect(updates[0]!.source).toBe("axfr");
  });
});
