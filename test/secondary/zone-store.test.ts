// The persisted copy: master-file round trip of every record type the fixtures hold, atomic replacement, the
// timing state, and refusal of a damaged copy. Plus the SOA timer clamps the scheduler uses.
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SecondaryError } from "../../src/secondary/errors.js";
import { clampTimers, resolveClamps, soaTimers } from "../../src/secondary/soa-timers.js";
import {
  ZoneStore,
  zoneFileStem,
  zoneToMasterChunks,
  zoneToMasterText,
} from "../../src/secondary/zone-store.js";
import { recordKey } from "../../src/transfer/apply-ixfr.js";
import { parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import { checkAndBuildZone } from "../../src/zone/zone-check.js";
import { countRecords, recordsOfZone } from "../../src/zone/zone-records.js";

const ZONES = resolve(import.meta.dirname, "../fixtures/zones");
const ids = (rs: readonly ResourceRecord[]) => rs.map((r) => `${recordKey(r)}|${r.ttl}`).sort();

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "edgens-store-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function parseFixture(file: string, origin: string): { origin: Buffer; records: ResourceRecord[] } {
  const o = parseNameText(origin, null);
  const r = parseMasterFile(readFileSync(join(ZONES, file), "latin1"), { file, origin: o });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return { origin: o, records: r.records };
}

describe("ZoneStore", () => {
  it.each([
    ["transfer/xfr.test.zone", "xfr.test."],
    ["secondary/sec.test.zone", "sec.test."],
  ])("%s survives save → load unchanged", async (file, originText) => {
    const { origin, records } = parseFixture(file, originText);
    const store = new ZoneStore(dir, origin);
    const serial = records
      .find((r) => r.type === RRType.SOA)!
      .rdata.readUInt32BE(records.find((r) => r.type === RRType.SOA)!.rdata.length - 20);
    await store.saveZone(records, serial);
    await store.saveState(serial, 1_700_000_000_000);
    const back = await store.load();
    expect(back).not.toBeNull();
    expect(back!.serial).toBe(serial);
    expect(back!.lastSuccess).toBe(1_700_000_000_000);
    expect(ids(back!.records)).toEqual(ids(records));
    // Only the two files: no temp files left behind.
    expect(readdirSync(dir).sort()).toEqual([
      `${originText.slice(0, -1)}.state.json`,
      `${originText.slice(0, -1)}.zone`,
    ]);
  });

  // A secondary keeps only the tree and writes its copy from it: the copy must hold exactly the checked records.
  it.each([
    ["secondary/sec.test.zone", "sec.test."],
    ["transfer/secure.test.zone", "secure.test."],
    ["lookup/example.zone", "example."],
    ["lookup/signed.example.zone", "example."],
    ["lookup/nsec3.example.zone", "example."],
    ["differential/example.test.zone", "example.test."],
    ["provider/prov.test.zone", "prov.test."],
  ])("%s written from its tree reads back as the checked records", async (file, originText) => {
    const { origin, records } = parseFixture(file, originText);
    const checked = checkAndBuildZone(origin, records, file);
    expect(checked.data).not.toBeNull();
    const data = checked.data!;
    const fromTree = [...recordsOfZone(data)];
    expect(fromTree[0]!.type).toBe(RRType.SOA);
    expect(ids(fromTree)).toEqual(ids(checked.records));
    expect(countRecords(data)).toBe(checked.records.length);
    const store = new ZoneStore(dir, origin);
    await store.saveZone(recordsOfZone(data), 42);
    const text = readFileSync(store.zonePath, "latin1").split("\n");
    expect(text[3]).toMatch(/\sSOA\s/);
    const back = await store.load();
    expect(ids(back!.records)).toEqual(ids(checked.records));
    // And the same text as writing the checked list.
    expect(text.slice(3).sort()).toEqual(
      zoneToMasterText(origin, checked.records, ["a", "b"]).split("\n").slice(3).sort(),
    );
  });

  it("a zone of many chunks is written piece by piece and reads back whole, the SOA first", async () => {
    const { origin, records } = parseFixture("transfer/xfr.test.zone", "xfr.test.");
    const soa = records.find((r) => r.type === RRType.SOA)!;
    // ~20 000 extra hosts: several chunks of text; the SOA placed last must still be written first.
    const extra = parseMasterFile(
      Array.from({ length: 20_000 }, (_, i) => `h${i}.xfr.test. 300 IN A 10.0.${i >> 8}.${i & 255}`).join(
        "\n",
      ),
      { file: "extra", origin },
    ).records;
    const all = [...records.filter((r) => r !== soa), ...extra, soa];
    const chunks = [...zoneToMasterChunks(origin, all, ["h"])];
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.join("")).toBe(zoneToMasterText(origin, all, ["h"]));
    const store = new ZoneStore(dir, origin);
    await store.saveZone(all, 7);
    const text = readFileSync(store.zonePath, "latin1").split("\n");
    expect(text[3]).toMatch(/^xfr\.test\.\s.*\sSOA\s/);
    const back = await store.load();
    expect(back!.records.length).toBe(all.length);
    expect(ids(back!.records)).toEqual(ids(all));
  });

  it("no copy → null; a copy without a matching state file → the zone file's mtime", async () => {
    const { origin, records } = parseFixture("secondary/sec.test.zone", "sec.test.");
    const store = new ZoneStore(dir, origin);
    expect(await store.load()).toBeNull();
    await store.saveZone(records, 2026112301);
    await store.saveState(7, 1);
    utimesSync(store.zonePath, 1_600_000_000, 1_600_000_000);
    expect((await store.load())!.lastSuccess).toBe(1_600_000_000_000);
  });

  it("a copy that does not parse is refused with EDGENS_ERR_SECONDARY_STORE", async () => {
    const { origin, records } = parseFixture("secondary/sec.test.zone", "sec.test.");
    const store = new ZoneStore(dir, origin);
    await store.saveZone(records, 2026112301);
    writeFileSync(store.zonePath, readFileSync(store.zonePath, "latin1").replace(/ A /g, " A 300.1 "));
    const e = await store.load().catch((x) => x);
    expect(e).toBeInstanceOf(SecondaryError);
    expect(e.code).toBe("EDGENS_ERR_SECONDARY_STORE");
  });

  it("file names are safe for any zone name", () => {
    expect(zoneFileStem(parseNameText("Example.COM.", null))).toBe("example.com");
    expect(zoneFileStem(parseNameText(".", null))).toBe("root");
    expect(zoneFileStem(parseNameText("a\\/b.example.", null))).toBe("a%2fb.example");
    // A label ".." cannot climb out of the state directory.
    expect(zoneFileStem(parseNameText("\\.\\..", null))).toBe("%5c.%5c.");
  });
});

describe("SOA timers", () => {
  const rdata = (refresh: number, retry: number, expire: number) => {
    const t = Buffer.alloc(20);
    for (const [i, v] of [1, refresh, retry, expire, 300].entries()) t.writeUInt32BE(v, i * 4);
    return Buffer.concat([parseNameText("ns.", null), parseNameText("host.", null), t]);
  };

  it("reads refresh, retry and expire", () => {
    expect(soaTimers(rdata(7200, 3600, 1209600))).toEqual({ refresh: 7200, retry: 3600, expire: 1209600 });
  });

  it("clamps to the configured bounds (defaults fill what is not given)", () => {
    const c = resolveClamps({ refresh: { min: 1, max: 1 }, expire: { min: 1, max: 3 } });
    expect(clampTimers(soaTimers(rdata(7200, 1, 1209600)), c)).toEqual({ refresh: 1, retry: 2, expire: 3 });
    expect(clampTimers(soaTimers(rdata(0, 0, 0)), resolveClamps())).toEqual({
      refresh: 2,
      retry: 2,
      expire: 3,
    });
    expect(clampTimers(soaTimers(rdata(2 ** 32 - 1, 2 ** 32 - 1, 2 ** 32 - 1)), resolveClamps())).toEqual({
      refresh: 7 * 86400,
      retry: 86400,
      expire: 0x7fffffff,
    });
  });
});
