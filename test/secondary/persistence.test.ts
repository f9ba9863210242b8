// IXFRs from a real Knot primary go to the journal (not a rewrite of the zone), the journal is folded into a
// new wire copy when it reaches its bound, and a restart with Knot stopped serves the newest serial from the
// wire copy + journal alone (the text copy deleted). Corruption and old state dirs: zone-journal.test.ts.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecondaryZone, type ZoneUpdate } from "../../src/secondary/secondary-zone.js";
import { JOURNAL_HEADER } from "../../src/secondary/zone-journal.js";
import { ZoneStore } from "../../src/secondary/zone-store.js";
import { recordKey } from "../../src/transfer/apply-ixfr.js";
import { parseTsigKey } from "../../src/transfer/tsig.js";
import { parseNameText } from "../../src/wire/name.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import { normalizeRecords } from "../../src/zone/zone-check.js";
import { recordsOfZone } from "../../src/zone/zone-records.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";
import { type PrimaryServer, startKnotPrimary } from "../helpers/primary-servers.js";

const ORIGIN = "persist.test.";
const origin = parseNameText(ORIGIN, null);
const KEY = { name: "xfr-key.", algorithm: "hmac-sha256", secret: Buffer.alloc(32, 0x5a).toString("base64") };
const tsig = parseTsigKey(`${KEY.name}:${KEY.algorithm}:${KEY.secret}`);
const zoneText = (serial: number, body: string[]) =>
  [`$ORIGIN ${ORIGIN}`, "$TTL 300", `@ SOA ns1 hostmaster ${serial} 3600 600 1209600 300`, ...body, ""].join(
    "\n",
  );
const BASE = [
  "@ NS ns1",
  "ns1 A 192.0.2.53",
  ...Array.from({ length: 20 }, (_, i) => `h${i} A 198.51.100.${i + 1}`),
];
/** Version `serial` (2, 3, ...): one host renumbered and one name added per version. */
const body = (serial: number) => [
  ...BASE.filter((l) => !l.startsWith(`h${serial} `)),
  `h${serial} A 203.0.113.${serial}`,
  ...Array.from({ length: serial - 1 }, (_, i) => `n${i + 2} TXT "v${i + 2}"`),
];
const ids = (rs: Iterable<ResourceRecord>) => [...rs].map((r) => `${recordKey(r)}|${r.ttl}`).sort();
const textIds = (text: string) => ids(normalizeRecords(parseMasterFile(text, { file: "z", origin }).records));

const ok = requirePrereq("wire copy + journal with a Knot primary", isRoot, hasCommand("knotd"));

describe.skipIf(!ok)("restart copy: IXFRs journaled, compaction, restart with the primary stopped", () => {
  let tmp = "";
  let knot: PrimaryServer | null = null;
  const managers: SecondaryZone[] = [];
  const stateDir = () => join(tmp, "state");

  function manager(): { zone: SecondaryZone; updates: ZoneUpdate[]; persisted: string[] } {
    const zone = new SecondaryZone({
      origin,
      primaries: [{ address: knot!.host, port: knot!.port, tsig }],
      stateDir: stateDir(),
      clamps: { refresh: { min: 3600, max: 3600 } },
      jitter: 0,
      soaTimeoutMs: 300,
      transfer: { messageTimeoutMs: 2000 },
      serveBeforePersist: true,
      textCopyDelayMs: 60_000,
      journalLimits: { entries: 3 },
    });
    const updates: ZoneUpdate[] = [];
    const persisted: string[] = [];
    zone.on("update", (u) => updates.push(u));
    zone.on("persisted", (p) => persisted.push(`${p.copy} ${p.serial} ${p.ok}`));
    managers.push(zone);
    return { zone, updates, persisted };
  }

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "edgens-h2-persist-"));
    writeFileSync(join(tmp, "v1.zone"), zoneText(1, BASE));
    knot = await startKnotPrimary({ zones: [{ origin: ORIGIN, file: join(tmp, "v1.zone") }], key: KEY });
  }, 30_000);

  afterAll(async () => {
    await Promise.all(managers.map((m) => m.stop()));
    await knot?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("AXFR → wire copy; IXFRs → journal entries; the bound → a new wire copy; restart → the newest serial", async () => {
    const store = new ZoneStore(stateDir(), origin);
    const m = manager();
    await m.zone.start();
    await until(() => m.persisted.includes("wire 1 true"));
    expect(existsSync(store.zonePath)).toBe(false); // the text copy waits (60 s here)
    expect(statSync(store.journalPath).size).toBe(JOURNAL_HEADER);
    const wireAt1 = statSync(store.wirePath).mtimeMs;

    const next = async (serial: number) => {
      writeFileSync(join(tmp, `v${serial}.zone`), zoneText(serial, body(serial)));
      await knot!.reload(ORIGIN, join(tmp, `v${serial}.zone`), serial);
      m.zone.notify();
      await until(() => m.persisted.some((p) => p.endsWith(` ${serial} true`)));
      expect(m.updates.at(-1)).toMatchObject({ serial, source: "ixfr" });
      expect(m.updates.at(-1)!.delta).toBeDefined();
    };
    await next(2);
    await next(3);
    expect(m.persisted).toEqual(["wire 1 true", "journal 2 true", "journal 3 true"]);
    expect(statSync(store.wirePath).mtimeMs).toBe(wireAt1);
    expect(m.zone.status()).toMatchObject({ serial: 3, persistedSerial: 3, textCopySerial: null });
    // The third entry reaches the bound (3 here): the journal is folded into a new wire copy of serial 4.
    await next(4);
    await until(() => m.persisted.includes("wire 4 true"));
    expect(m.persisted.slice(3)).toEqual(["journal 4 true", "wire 4 true"]);
    expect((await store.loadWire())?.wireSerial).toBe(4);
    await next(5);
    await until(() => JSON.parse(readFileSync(store.statePath, "utf8")).serial === 5);
    expect(JSON.parse(readFileSync(store.statePath, "utf8"))).toMatchObject({
      version: 2,
      serial: 5,
      wireSerial: 4,
      journalEntries: 1,
      textSerial: null,
    });

    // A clean stop writes the text copy; delete it: the restart must come from wire copy + journal.
    await m.zone.stop();
    expect(textIds(readFileSync(store.zonePath, "latin1"))).toEqual(textIds(zoneText(5, body(5))));
    rmSync(store.zonePath);
    await knot!.stop();
    const again = manager();
    await again.zone.start();
    expect(again.updates).toHaveLength(1);
    expect(again.updates[0]).toMatchObject({ source: "disk", serial: 5 });
    expect(ids(recordsOfZone(again.updates[0]!.data))).toEqual(textIds(zoneText(5, body(5))));
    expect(again.zone.status()).toMatchObject({ state: "ok", serial: 5, persistedSerial: 5 });
  }, 60_000);
});

async function until(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}
