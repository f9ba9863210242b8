// The restart copy of a secondary zone: wire copy + IXFR journal on disk (src/secondary/zone-journal.ts,
// ZoneStore.saveWire/appendJournal/loadWire), and what SecondaryZone.start() serves from a state dir: the
// newest serial the journal reaches, the last good serial before a torn entry (with a log line), the text copy
// when the wire copy is damaged, an older version's state dir (text copy + version-1 state). The primary is
// muted throughout: whatever is served comes from disk. IXFRs from a real Knot into the journal, compaction
// and restart with Knot stopped: persistence.test.ts.
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  SecondaryZone,
  type SecondaryZoneOptions,
  type ZoneUpdate,
} from "../../src/secondary/secondary-zone.js";
import {
  decodeJournal,
  encodeJournalEntry,
  JOURNAL_HEADER,
  type JournalEntry,
  replayJournal,
} from "../../src/secondary/zone-journal.js";
import { ZoneStore } from "../../src/secondary/zone-store.js";
import { recordKey } from "../../src/transfer/apply-ixfr.js";
import { nameKey, parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import type { ZoneData } from "../../src/zone/zone.js";
import { checkAndBuildZone } from "../../src/zone/zone-check.js";
import { applyDeltaToZone } from "../../src/zone/zone-delta.js";
import { recordsAtNames, recordsOfZone } from "../../src/zone/zone-records.js";
import { type ScriptedPrimary, startScriptedPrimary, zoneText } from "./scripted-primary.js";

const ORIGIN = "jrnl.test.";
const origin = parseNameText(ORIGIN, null);
const BODY = ["@ NS ns1", "ns1 A 192.0.2.53", "www A 192.0.2.10"];
const ids = (rs: Iterable<ResourceRecord>) => [...rs].map((r) => `${recordKey(r)}|${r.ttl}`).sort();
const key = (owner: string) => nameKey(parseNameText(owner, origin));

function build(serial: number, body: string[]): ZoneData {
  const r = parseMasterFile(zoneText(ORIGIN, serial, body), { file: "t", origin });
  const c = checkAndBuildZone(origin, r.records, "t");
  expect(c.data).not.toBeNull();
  return c.data!;
}

/** v1 → v2 (www changed) → v3 (a name added): trees and the journal entries between them. */
function history() {
  const v1 = build(1, BODY);
  const step = (base: ZoneData, serial: number, body: string[], touched: string[]) => {
    const want = build(serial, body);
    const keys = new Set([key("@"), ...touched.map(key)]);
    const records = recordsAtNames(want, keys);
    const data = applyDeltaToZone(base, records, keys);
    expect(data).not.toBeNull();
    const entry: JournalEntry = { fromSerial: serial - 1, toSerial: serial, records };
    return { data: data!, entry, body };
  };
  const b2 = ["@ NS ns1", "ns1 A 192.0.2.53", "www A 192.0.2.20"];
  const v2 = step(v1, 2, b2, ["www"]);
  const v3 = step(v2.data, 3, [...b2, "new A 192.0.2.3"], ["new"]);
  return { v1, v2, v3 };
}

let tmp = "";
let primary: ScriptedPrimary;
const zones: SecondaryZone[] = [];
beforeEach(async () => {
  tmp = mkdtempSync(join(tmpdir(), "edgens-h2-journal-"));
  primary = await startScriptedPrimary(ORIGIN, zoneText(ORIGIN, 9, BODY));
  primary.mute(true);
});
afterEach(async () => {
  await Promise.all(zones.splice(0).map((z) => z.stop()));
  await primary.close();
  rmSync(tmp, { recursive: true, force: true });
});

const stateDir = () => join(tmp, "state");

/** Start a manager on the state dir; its log lines and updates are collected. */
async function start(extra: Partial<SecondaryZoneOptions> = {}): Promise<{
  zone: SecondaryZone;
  updates: ZoneUpdate[];
  lines: Record<string, unknown>[];
}> {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "debug" }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const zone = new SecondaryZone({
    origin,
    primaries: [{ address: primary.host, port: primary.port }],
    stateDir: stateDir(),
    clamps: { refresh: { min: 3600, max: 3600 } },
    jitter: 0,
    soaTimeoutMs: 100,
    transfer: { messageTimeoutMs: 300 },
    bootstrapRetrySeconds: 1,
    serveBeforePersist: true,
    textCopyDelayMs: 60_000,
    log,
    ...extra,
  });
  const updates: ZoneUpdate[] = [];
  zone.on("update", (u) => updates.push(u));
  zones.push(zone);
  await zone.start();
  return { zone, updates, lines };
}

/** A state dir as the manager leaves it after v1 and two IXFRs (text copy: none, or at `textAt`). */
async function seed(textAt: 2 | null = null): Promise<ZoneStore> {
  const h = history();
  const store = new ZoneStore(stateDir(), origin);
  await store.saveWire(h.v1, 1);
  let end = await store.appendJournal(JOURNAL_HEADER, h.v2.entry);
  end = await store.appendJournal(end, h.v3.entry);
  if (textAt) await store.saveZone(recordsOfZone(h.v2.data), 2);
  await store.saveState(3, Date.now(), {
    wireSerial: 1,
    journalEnd: end,
    journalEntries: 2,
    textSerial: textAt,
  });
  return store;
}

async function until(what: string, cond: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("journal file", () => {
  it("entries round-trip; a torn or flipped tail ends the read at the last good entry", () => {
    const h = history();
    const header = Buffer.from("EDGJRNL1\0\0\0\x01", "latin1");
    const e2 = encodeJournalEntry(h.v2.entry);
    const e3 = encodeJournalEntry(h.v3.entry);
    const whole = Buffer.concat([header, e2, e3]);
    const j = decodeJournal(whole);
    expect(j).toMatchObject({ base: 1, end: whole.length, problem: null });
    expect(j.entries.map((e) => [e.fromSerial, e.toSerial, ids(e.records)])).toEqual([
      [1, 2, ids(h.v2.entry.records)],
      [2, 3, ids(h.v3.entry.records)],
    ]);
    const r = replayJournal(h.v1, 1, j);
    expect(r).toMatchObject({ serial: 3, applied: 2, end: whole.length, problem: null });
    expect(ids(recordsOfZone(r.data))).toEqual(ids(recordsOfZone(build(3, h.v3.body))));

    for (const cut of [1, 20, e3.length - 1]) {
      const torn = decodeJournal(whole.subarray(0, whole.length - cut));
      expect(torn.entries).toHaveLength(1);
      expect(torn.end).toBe(header.length + e2.length);
      expect(torn.problem).toMatch(/^entry 2 at byte \d+: torn/);
    }
    const flipped = Buffer.from(whole);
    flipped[header.length + e2.length + 30]! ^= 0x01;
    expect(decodeJournal(flipped).problem).toMatch(/entry 2 at byte \d+: checksum mismatch/);
    expect(replayJournal(h.v1, 1, decodeJournal(flipped))).toMatchObject({ serial: 2, applied: 1 });
    // Not a journal, or one that does not start at our serial: nothing applied.
    expect(decodeJournal(Buffer.from("EDGWIRE1...")).base).toBeNull();
    expect(replayJournal(h.v1, 5, j)).toMatchObject({ serial: 5, applied: 0 });
  });
});

describe("restart from wire copy + journal (primary muted)", () => {
  it("serves the newest serial the journal reaches, without a transfer", async () => {
    await seed();
    const { zone, updates, lines } = await start();
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ source: "disk", serial: 3, recordCount: 5 });
    expect(ids(recordsOfZone(updates[0]!.data))).toEqual(ids(recordsOfZone(history().v3.data)));
    expect(zone.status()).toMatchObject({ serial: 3, persistedSerial: 3, textCopySerial: null });
    expect(lines.find((l) => l.msg === "serving the persisted copy")).toMatchObject({
      serial: 3,
      wire: true,
      journal: 2,
    });
    expect(primary.queries().filter((t) => t !== RRType.SOA)).toEqual([]);
    // A clean stop writes the text copy it lacked.
    await zone.stop();
    const store = new ZoneStore(stateDir(), origin);
    expect((await store.load())?.serial).toBe(3);
    expect(JSON.parse(readFileSync(store.statePath, "utf8"))).toMatchObject({
      version: 2,
      serial: 3,
      wireSerial: 1,
      journalEntries: 2,
      textSerial: 3,
    });
  });

  it("a torn last entry: the last good serial is served, with a log line; stale temp files are removed", async () => {
    const store = await seed();
    const size = statSync(store.journalPath).size;
    truncateSync(store.journalPath, size - 7);
    // A text copy cut off by another process's exit and a transfer candidate it left for the cluster's
    // workers; one this process is writing (kept).
    const stale = join(stateDir(), ".jrnl.test.zone.99999999-0a0b0c0d.tmp");
    const staleCandidate = store.candidatePath(4).replace(`${process.pid}-`, "99999999-");
    const ours = join(stateDir(), `.jrnl.test.zone.${process.pid}-0a0b0c0d.tmp`);
    writeFileSync(stale, "x");
    writeFileSync(staleCandidate, "x");
    writeFileSync(ours, "x");
    const { zone, updates, lines } = await start();
    expect([existsSync(stale), existsSync(staleCandidate), existsSync(ours)]).toEqual([false, false, true]);
    expect(lines.find((l) => l.msg === "removed temp files of an interrupted write")?.files).toBe(2);
    expect(updates[0]).toMatchObject({ source: "disk", serial: 2 });
    const line = lines.find((l) => l.msg?.toString().startsWith("journal replay stopped"));
    expect(line).toMatchObject({ level: 40, serial: 2, wireSerial: 1, entries: 1, stateSerial: 3 });
    expect(line?.problem).toMatch(/^entry 2 at byte \d+: torn/);
    expect(zone.status().persistedSerial).toBe(2);
  });

  it("a damaged wire copy: the text copy is loaded and the journal replayed from its serial; a new wire copy follows", async () => {
    const store = await seed(2);
    const wire = readFileSync(store.wirePath);
    wire[40]! ^= 0x40;
    writeFileSync(store.wirePath, wire);
    const persisted: string[] = [];
    const { zone, updates, lines } = await start();
    zone.on("persisted", (p) => persisted.push(`${p.copy} ${p.serial} ${p.ok}`));
    expect(lines.find((l) => l.msg === "wire copy unusable; trying the text copy")?.err).toBe(
      "checksum mismatch (truncated or damaged)",
    );
    expect(updates[0]).toMatchObject({ source: "disk", serial: 3 });
    expect(lines.find((l) => l.msg === "journal replayed onto the text copy")).toMatchObject({
      from: 2,
      serial: 3,
      entries: 1,
    });
    await until("new wire copy", () => persisted.includes("wire 3 true"));
    expect((await store.loadWire())?.serial).toBe(3);
  });

  it("a damaged wire copy and no text copy: nothing served, the next transfer brings the zone", async () => {
    const store = await seed();
    writeFileSync(store.wirePath, readFileSync(store.wirePath).subarray(0, 100));
    const { zone, updates } = await start();
    expect(updates).toEqual([]);
    expect(zone.status().state).toBe("loading");
    primary.mute(false);
    zone.notify();
    await until("transfer", () => updates.length === 1);
    expect(updates[0]).toMatchObject({ source: "axfr", serial: 9 });
  });

  it("a state dir of the previous version (text copy + version-1 state; a stale hand-off wire copy) loads the text copy", async () => {
    const h = history();
    const store = new ZoneStore(stateDir(), origin);
    await store.saveWire(h.v1, 1); // the old cluster hand-off, behind the text copy
    await store.saveZone(recordsOfZone(h.v3.data), 3);
    await store.saveState(3, Date.now());
    const persisted: string[] = [];
    const { zone, updates } = await start();
    zone.on("persisted", (p) => persisted.push(`${p.copy} ${p.serial} ${p.ok}`));
    expect(updates[0]).toMatchObject({ source: "disk", serial: 3 });
    expect(zone.status().textCopySerial).toBe(3);
    // Migrated: the restart copy is written from it, and the state file says so.
    await until("wire copy", () => persisted.includes("wire 3 true"));
    await zone.stop();
    expect((await store.loadWire())?.serial).toBe(3);
    expect(JSON.parse(readFileSync(store.statePath, "utf8"))).toMatchObject({
      version: 2,
      serial: 3,
      wireSerial: 3,
      textSerial: 3,
    });
  });

  it("stop() past its budget abandons a text copy that is behind: no temp file left, the restart copy intact", async () => {
    // 30 000 names: formatting them takes far longer than the 0 ms budget.
    const big = build(7, [
      ...BODY,
      ...Array.from({ length: 30_000 }, (_, i) => `h${i} A 198.51.100.${i % 250}`),
    ]);
    const store = new ZoneStore(stateDir(), origin);
    await store.saveWire(big, 7);
    const { zone, updates, lines } = await start({ textCopyStopBudgetMs: 0 });
    expect(updates[0]).toMatchObject({ source: "disk", serial: 7 });
    await zone.stop();
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        "text copy not finished at stop; abandoned (the restart copy, wire + journal, is complete)",
        "text copy abandoned at stop",
      ]),
    );
    expect(readdirSync(stateDir()).sort()).toEqual(["jrnl.test.journal", "jrnl.test.wire"]);
    expect((await store.loadWire())?.serial).toBe(7);
  });

  it("a journal left from an older wire copy (stopped between the two writes) is ignored", async () => {
    const store = await seed();
    // The new wire copy (serial 3) was renamed into place; the journal still names wire copy 1.
    const journal = readFileSync(store.journalPath);
    await store.saveWire(history().v3.data, 3);
    writeFileSync(store.journalPath, journal);
    const { updates } = await start();
    expect(updates[0]).toMatchObject({ source: "disk", serial: 3 });
  });
});
