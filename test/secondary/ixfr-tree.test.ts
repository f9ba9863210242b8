// A secondary keeps only the zone tree (no record list beside it): IXFRs from Knot are applied at the names they
// touch, locally when that is enough and by a full rebuild from the tree's records otherwise (a delegation
// added, a name emptied). After each, the data served and the persisted copy must be exactly the primary's zone.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecondaryZone, type ZoneUpdate } from "../../src/secondary/secondary-zone.js";
import { recordKey } from "../../src/transfer/apply-ixfr.js";
import { parseTsigKey } from "../../src/transfer/tsig.js";
import { parseNameText } from "../../src/wire/name.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import { normalizeRecords } from "../../src/zone/zone-check.js";
import { countRecords, recordsOfZone } from "../../src/zone/zone-records.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";
import { type PrimaryServer, startKnotPrimary } from "../helpers/primary-servers.js";

const ORIGIN = "tree.test.";
const origin = parseNameText(ORIGIN, null);
const KEY = { name: "xfr-key.", algorithm: "hmac-sha256", secret: Buffer.alloc(32, 0x3c).toString("base64") };
const tsig = parseTsigKey(`${KEY.name}:${KEY.algorithm}:${KEY.secret}`);

function zoneText(serial: number, body: string[]): string {
  return [
    `$ORIGIN ${ORIGIN}`,
    "$TTL 300",
    `@ SOA ns1 hostmaster ${serial} 3600 600 1209600 300`,
    ...body,
    "",
  ].join("\n");
}
const BASE = [
  "@ NS ns1",
  "@ MX 10 mail",
  "ns1 A 192.0.2.53",
  "mail A 192.0.2.25",
  "Mixed.Case A 192.0.2.7",
  '*.wild TXT "any"',
  ...Array.from({ length: 30 }, (_, i) => `h${i} A 198.51.100.${i + 1}`),
];

const ids = (rs: Iterable<ResourceRecord>) => [...rs].map((r) => `${recordKey(r)}|${r.ttl}`).sort();
function textIds(text: string): string[] {
  const r = parseMasterFile(text, { file: "zone", origin });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return ids(normalizeRecords(r.records));
}

const ok = requirePrereq("IXFR onto the held tree from Knot", isRoot, hasCommand("knotd"));

describe.skipIf(!ok)("IXFR onto the held zone tree (Knot DNS primary)", () => {
  let tmp = "";
  let knot: PrimaryServer;
  let zone: SecondaryZone;
  const updates: ZoneUpdate[] = [];
  const persisted: number[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "edgens-ixfr-tree-"));
    writeFileSync(join(tmp, "v1.zone"), zoneText(1, BASE));
    knot = await startKnotPrimary({ zones: [{ origin: ORIGIN, file: join(tmp, "v1.zone") }], key: KEY });
    zone = new SecondaryZone({
      origin,
      primaries: [{ address: knot.host, port: knot.port, tsig }],
      stateDir: join(tmp, "state"),
      clamps: { refresh: { min: 3600, max: 3600 } },
      jitter: 0,
      soaTimeoutMs: 300,
      transfer: { messageTimeoutMs: 2000 },
    });
    zone.on("update", (u) => updates.push(u));
    zone.on("persisted", (p) => {
      if (p.ok) persisted.push(p.serial);
    });
    await zone.start();
    await until(() => updates.length === 1 && persisted.includes(1));
  }, 30_000);

  afterAll(async () => {
    await zone?.stop();
    await knot?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Knot serves `body` at `serial`; a NOTIFY-less check brings it over. */
  async function next(serial: number, body: string[]): Promise<{ u: ZoneUpdate; text: string }> {
    const text = zoneText(serial, body);
    writeFileSync(join(tmp, `v${serial}.zone`), text);
    await knot.reload(ORIGIN, join(tmp, `v${serial}.zone`), serial);
    const n = updates.length;
    zone.notify();
    await until(() => updates.length > n && persisted.includes(serial));
    return { u: updates.at(-1)!, text };
  }

  /** The update and the persisted copy hold exactly the primary's zone. */
  function expectSameZone(u: ZoneUpdate, text: string): void {
    const want = textIds(text);
    expect(ids(recordsOfZone(u.data))).toEqual(want);
    expect(u.recordCount).toBe(want.length);
    expect(countRecords(u.data)).toBe(want.length);
    expect(textIds(readFileSync(join(tmp, "state", "tree.test.zone"), "latin1"))).toEqual(want);
  }

  it("the AXFR'd zone, written from the tree, is the primary's", () => {
    expect(updates[0]!.source).toBe("axfr");
    expectSameZone(updates[0]!, zoneText(1, BASE));
  });

  it("an IXFR adding a delegation: full rebuild from the tree's records plus the delta", async () => {
    const { u, text } = await next(2, [...BASE, "sub NS ns.sub", "ns.sub A 192.0.2.99"]);
    expect(u.source).toBe("ixfr");
    expect(u.serial).toBe(2);
    expect(u.delta).toBeUndefined();
    expect(
      u.data.nodes.get(Buffer.from("\x03sub\x04tree\x04test\x00", "latin1").toString("latin1"))?.cut,
    ).toBe(true);
    expectSameZone(u, text);
  });

  it("an IXFR changing and adding plain records: applied locally, delta for the workers", async () => {
    const body = [...BASE.filter((l) => l !== "h3 A 198.51.100.4"), "h3 A 203.0.113.3", 'new TXT "x"'];
    const { u, text } = await next(3, [...body, "sub NS ns.sub", "ns.sub A 192.0.2.99"]);
    expect(u.source).toBe("ixfr");
    expect(u.delta?.fromSerial).toBe(2);
    expectSameZone(u, text);
  });

  it("an IXFR emptying a name: full rebuild again", async () => {
    const body = BASE.filter((l) => !l.startsWith("h7 ") && l !== "h3 A 198.51.100.4");
    const { u, text } = await next(4, [
      ...body,
      "h3 A 203.0.113.3",
      'new TXT "x"',
      "sub NS ns.sub",
      "ns.sub A 192.0.2.99",
    ]);
    expect(u.source).toBe("ixfr");
    expect(u.delta).toBeUndefined();
    expectSameZone(u, text);
  });
});

async function until(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}
