// Transfer-in from real hidden primaries: Knot DNS and NSD serve the fixture zones with a TSIG key; we AXFR and
// IXFR from them and compare what arrives with the zone files (parsed by our master-file parser).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyIxfr, recordKey } from "../../src/transfer/apply-ixfr.js";
import { TsigError, XfrError } from "../../src/transfer/errors.js";
import { compareSerial } from "../../src/transfer/serial.js";
import { parseTsigKey, type TsigKey } from "../../src/transfer/tsig.js";
import { axfr, fetchSoa, ixfr, type XfrOptions } from "../../src/transfer/xfr-client.js";
import { syncZone } from "../../src/transfer/zone-sync.js";
import { parseNameText } from "../../src/wire/name.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";
import { type PrimaryServer, startKnotPrimary, startNsdPrimary } from "../helpers/primary-servers.js";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/zones/transfer");
const fixture = (f: string) => join(FIXTURES, f);
const KEY = { name: "xfr-key.", algorithm: "hmac-sha256", secret: Buffer.alloc(32, 0x5a).toString("base64") };
const tsig: TsigKey = parseTsigKey(`${KEY.name}:${KEY.algorithm}:${KEY.secret}`);
const BIG_RECORDS = 3000;

const xfrTest = parseNameText("xfr.test.", null);
const secureTest = parseNameText("secure.test.", null);
const bigTest = parseNameText("big.test.", null);

/** A zone of BIG_RECORDS records; each serial gives every other host a new address. */
function bigZone(serial: number): string {
  const lines = [
    "$ORIGIN big.test.",
    "$TTL 300",
    `@ SOA ns1 hostmaster ${serial} 7200 3600 1209600 300`,
    "@ NS ns1",
    "ns1 A 192.0.2.53",
  ];
  for (let i = 0; i < BIG_RECORDS - 3; i++) {
    const last = i % 2 === 0 ? (i + serial) & 255 : i & 255;
    lines.push(`host-${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${last}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The zone file's records as a sorted list of identities with TTLs (order-free comparison). */
function fileRecords(path: string): string[] {
  const r = parseMasterFile(readFileSync(path, "latin1"), { file: path });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return ids(r.records);
}
function ids(records: ResourceRecord[]): string[] {
  return records.map((r) => `${recordKey(r)}|${r.ttl}`).sort();
}

async function failure(p: Promise<unknown>): Promise<Error & { code: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code: string };
  }
  throw new Error("transfer unexpectedly succeeded");
}

const ok = requirePrereq(
  "transfer from Knot and NSD",
  isRoot,
  hasCommand("knotd"),
  hasCommand("nsd"),
  hasCommand("kdig"),
);

describe.skipIf(!ok)("transfer-in from real primaries (Knot DNS, NSD)", () => {
  const servers: Record<"knot" | "nsd", PrimaryServer | undefined> = { knot: undefined, nsd: undefined };
  let tmp = "";

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "edgens-xfr-test-"));
    // A zone big enough to span several TCP messages, so multi-message TSIG is exercised.
    writeFileSync(join(tmp, "big.test.zone"), bigZone(1));
    writeFileSync(join(tmp, "big.test.v2.zone"), bigZone(2));
    const zones = [
      { origin: "xfr.test.", file: fixture("xfr.test.zone") },
      { origin: "secure.test.", file: fixture("secure.test.zone"), tsigOnly: true },
      { origin: "big.test.", file: join(tmp, "big.test.zone"), tsigOnly: true },
    ];
    [servers.knot, servers.nsd] = await Promise.all([
      startKnotPrimary({ zones, key: KEY }),
      startNsdPrimary({ zones, key: KEY }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([servers.knot?.stop(), servers.nsd?.stop()]);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  describe.each(["knot", "nsd"] as const)("%s", (kind) => {
    const p = () => servers[kind]!;

    it.each([
      ["without TSIG", {}],
      ["with TSIG", { tsig }],
    ] as [string, XfrOptions][])("AXFR %s equals the zone file", async (_l, o) => {
      const r = await axfr(p(), xfrTest, o);
      expect(r.serial).toBe(2026112301);
      expect(r.records[0]!.type).toBe(6);
      expect(ids(r.records)).toEqual(fileRecords(fixture("xfr.test.zone")));
    });

    it("fetchSoa over UDP, signed", async () => {
      expect((await fetchSoa(p(), xfrTest, { tsig })).serial).toBe(2026112301);
    });

    it("a multi-message signed AXFR", async () => {
      const progress: number[] = [];
      const r = await axfr(p(), bigTest, { tsig, onProgress: (n) => progress.push(n) });
      expect(r.records).toHaveLength(BIG_RECORDS);
      expect(progress.length).toBeGreaterThan(1);
      expect(progress[progress.length - 1]).toBe(BIG_RECORDS);
    });

    it("a TSIG-only zone refuses an unsigned transfer (typed RCODE error)", async () => {
      const e = await failure(axfr(p(), secureTest));
      expect(e).toBeInstanceOf(XfrError);
      expect(e.code).toBe("EDGENS_ERR_XFR_RCODE");
      const r = await axfr(p(), secureTest, { tsig });
      expect(r.records).toHaveLength(4);
    });

    it("the wrong secret is BADSIG and an unknown key BADKEY; no records", async () => {
      const wrong = parseTsigKey(`${KEY.name}:hmac-sha256:${Buffer.alloc(32, 1).toString("base64")}`);
      const e1 = await failure(axfr(p(), secureTest, { tsig: wrong }));
      expect(e1).toBeInstanceOf(TsigError);
      expect(e1.code).toBe("EDGENS_ERR_TSIG_BADSIG");
      const stranger = parseTsigKey(`stranger-key.:hmac-sha256:${KEY.secret}`);
      const e2 = await failure(axfr(p(), secureTest, { tsig: stranger }));
      expect(e2).toBeInstanceOf(TsigError);
      expect(e2.code).toBe("EDGENS_ERR_TSIG_BADKEY");
    });
  });

  it("Knot: IXFR after two zone edits gives the deltas, and applying them equals a fresh AXFR", async () => {
    const knot = servers.knot!;
    const before = await axfr(knot, xfrTest, { tsig });
    await knot.reload("xfr.test.", fixture("xfr.test.v2.zone"), 2026112302);
    await knot.reload("xfr.test.", fixture("xfr.test.v3.zone"), 2026112303);

    const r = await ixfr(knot, xfrTest, before.serial, { tsig, currentSoa: before.records[0]! });
    expect(r.kind).toBe("ixfr");
    if (r.kind !== "ixfr") return;
    expect(r.serial).toBe(2026112303);
    expect(r.deltas.map((d) => [d.fromSerial, d.toSerial])).toEqual([
      [2026112301, 2026112302],
      [2026112302, 2026112303],
    ]);
    // v1→v2: TXT removed, MiXeD changed, "new" A added (plus the SOA on both sides).
    expect(r.deltas[0]!.deleted).toHaveLength(3);
    expect(r.deltas[0]!.added).toHaveLength(3);
    const after = await axfr(knot, xfrTest, { tsig });
    expect(ids(applyIxfr(before.records, r.deltas))).toEqual(ids(after.records));
    expect(ids(after.records)).toEqual(fileRecords(fixture("xfr.test.v3.zone")));

    // The same through syncZone, which applies the deltas to the held copy.
    const synced = await syncZone(knot, xfrTest, before, { tsig });
    expect(synced.kind).toBe("ixfr");
    expect(synced.kind === "ixfr" && ids(synced.records)).toEqual(ids(after.records));

    // From the middle serial: one delta; from the current one: up to date.
    const mid = await ixfr(knot, xfrTest, 2026112302, { tsig });
    expect(mid.kind === "ixfr" && mid.deltas.length).toBe(1);
    expect(await ixfr(knot, xfrTest, 2026112303, { tsig })).toEqual({
      kind: "up-to-date",
      serial: 2026112303,
    });

    // A serial Knot has no history for: the whole zone, AXFR-style.
    const unknown = await ixfr(knot, xfrTest, 2026112200, { tsig });
    expect(unknown.kind === "axfr" && ids(unknown.records)).toEqual(ids(after.records));

    // A delta that deletes what we do not hold forces AXFR.
    const wrongBase = before.records.filter(
      (rr) => rr.type !== 1 || !rr.owner.toString("latin1").includes("mixed"),
    );
    expect(() => applyIxfr(wrongBase, r.deltas)).toThrow(XfrError);
  });

  it("Knot: a multi-message signed IXFR (half of a 3000-record zone changed)", async () => {
    const knot = servers.knot!;
    const before = await axfr(knot, bigTest, { tsig });
    await knot.reload("big.test.", join(tmp, "big.test.v2.zone"), 2);
    const progress: number[] = [];
    const r = await ixfr(knot, bigTest, 1, { tsig, onProgress: (n) => progress.push(n) });
    expect(progress.length).toBeGreaterThan(1);
    expect(r.kind === "ixfr" && r.deltas.map((d) => [d.deleted.length, d.added.length])).toEqual([
      [1 + Math.ceil((BIG_RECORDS - 3) / 2), 1 + Math.ceil((BIG_RECORDS - 3) / 2)],
    ]);
    const after = await axfr(knot, bigTest, { tsig });
    expect(r.kind === "ixfr" && ids(applyIxfr(before.records, r.deltas))).toEqual(ids(after.records));
  });

  it("NSD without IXFR history answers an IXFR AXFR-style; the client takes it as a full zone", async () => {
    const r = await ixfr(servers.nsd!, xfrTest, 2026112200, { tsig });
    expect(r.kind).toBe("axfr");
    expect(r.kind === "axfr" && ids(r.records)).toEqual(fileRecords(fixture("xfr.test.zone")));
  });

  it("a primary whose serial goes backwards is reported by compareSerial", async () => {
    const nsd = servers.nsd!;
    const held = (await fetchSoa(nsd, xfrTest)).serial;
    await nsd.reload("xfr.test.", fixture("xfr.test.older.zone"), 2026112200);
    const now = (await fetchSoa(nsd, xfrTest)).serial;
    expect(compareSerial(now, held)).toBe("lt");
  });
});
