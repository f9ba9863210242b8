// Issue #6: after an IXFR applied locally, ServingNode.applySecondary serves the new data at once (lookup
// path), then swaps in precompiled answers that take over the previous ones nothing changed can have altered
// and equal a full precompile of the new zone; a newer change cancels the older precompile, whose answers then
// come from the snapshot before both. Queries go over a real UDP socket.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { createLogger } from "../../src/log.js";
import { ServerMetrics } from "../../src/metrics/server-metrics.js";
import { compileSnapshot, type Snapshot, servedWire } from "../../src/responder/snapshot.js";
import { SecondaryTable, type SecondaryZoneState } from "../../src/server/secondary-table.js";
import { ServingNode } from "../../src/server/serving-node.js";
import { nameKey, parseNameText } from "../../src/wire/name.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import type { ZoneData } from "../../src/zone/zone.js";
import { applyDeltaToZone } from "../../src/zone/zone-delta.js";
import { buildZone } from "../../src/zone/zone-image.js";
import { zoneRecords } from "../helpers/zone-fixture.js";
import { decode, freePort, query, udpExchange } from "./dns-client.js";

const ORIGIN = "inc.test.";
const tmp = mkdtempSync(join(tmpdir(), "edgens-h3-inc-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function records(text: string): ResourceRecord[] {
  return zoneRecords(text, ORIGIN);
}

const apex = (serial: number) => `@ SOA ns1 hostmaster ${serial} 7200 3600 1209600 300\n@ NS ns1\n`;
let body = "ns1 A 192.0.2.1\nalias CNAME www\nwww A 192.0.2.10\n@ MX 10 mail\nmail A 192.0.2.20\n";
for (let i = 0; i < 300; i++) body += `h${i} A 198.51.100.${i % 250}\n`;

/** The zone after an IXFR that gives `name` the A record `address` (serial `serial`). */
function ixfr(zone: ZoneData, serial: number, name: string, address: string): ZoneData {
  // The apex is part of every IXFR (new SOA): all its records come with it.
  const recs = records(`${apex(serial)}@ MX 10 mail\n${name} A ${address}\n`);
  const next = applyDeltaToZone(zone, recs, new Set(recs.map((r) => nameKey(r.owner))));
  expect(next).not.toBeNull();
  return next!;
}

/** The same keys, served with the same bytes. */
function sameAnswers(a: Snapshot, b: Snapshot): void {
  expect([...a.exactAnswers.keys()]).toEqual([...b.exactAnswers.keys()]);
  for (const [k, e] of a.exactAnswers)
    expect(servedWire(a, e).equals(servedWire(b, b.exactAnswers.get(k)!))).toBe(true);
}

describe("ServingNode: precompile after an IXFR", () => {
  let node: ServingNode;
  let port: number;
  let table: SecondaryTable;
  let precompiled: Snapshot[] = [];
  const config = () =>
    loadConfig({
      overlay: {
        listen: [`127.0.0.1:${port}`],
        workers: 0,
        zones: [{ origin: ORIGIN, secondary: { primaries: [{ address: "127.0.0.9", port: 53 }] } }],
        stateDir: tmp,
      },
    });
  const state = (serial: number): SecondaryZoneState => ({
    zone: ORIGIN,
    role: "zone",
    state: "ok",
    serial,
    file: null,
    primaries: [{ address: "127.0.0.9", port: 53 }],
    allowNotify: [],
  });
  const nextPrecompiled = (n: number) =>
    new Promise<Snapshot>((resolve, reject) => {
      const t0 = Date.now();
      const poll = () => {
        if (precompiled.length >= n) resolve(precompiled[n - 1]!);
        else if (Date.now() - t0 > 10_000) reject(new Error(`no precompiled snapshot #${n} within 10 s`));
        else setTimeout(poll, 5);
      };
      poll();
    });
  const ask = async (name: string, type: "A" | "AAAA" = "A") =>
    decode(await udpExchange("127.0.0.1", port, query(name, type, 9)));

  beforeAll(async () => {
    port = await freePort();
    const c = config();
    table = new SecondaryTable(c, createLogger("silent"), null);
    node = await ServingNode.start(c, new ServerMetrics(), createLogger("silent"), { secondary: table });
    node.onPrecompiled = (s) => precompiled.push(s);
  });
  afterAll(() => node?.close());

  it("takes over the untouched answers, recomputes what read the IXFR's names, equals a full precompile", async () => {
    const z1 = buildZone(parseNameText(ORIGIN, null), records(apex(1) + body));
    node.applySecondary([{ op: "set", state: state(1), data: z1 }]);
    const s1 = await nextPrecompiled(1);
    sameAnswers(s1, compileSnapshot([z1], 0));

    // www changes: its own answers and the CNAME that points to it are recomputed.
    const z2 = ixfr(z1, 2, "www", "192.0.2.11");
    node.applySecondary([{ op: "set", state: state(2), data: z2 }]);
    // Served at once through the lookup path (no precompiled answers yet), already the new data.
    expect(node.snapshot.exactAnswers.size).toBe(0);
    const alias = await ask("alias.inc.test.");
    expect(alias.answers?.map((a) => a.data)).toEqual(["www.inc.test", "192.0.2.11"]);
    const s2 = await nextPrecompiled(2);
    sameAnswers(s2, compileSnapshot([z2], 0));
    const key = (name: string, type = 1) =>
      nameKey(parseNameText(name, null)) + String.fromCharCode(type >> 8, type & 0xff, 0);
    // Taken over as they were (same objects), or recomputed. A negative answer is taken over too (no copy per
    // serial) and served with the new SOA serial.
    expect(s2.exactAnswers.get(key("h7.inc.test."))).toBe(s1.exactAnswers.get(key("h7.inc.test.")));
    expect(s2.exactAnswers.get(key("alias.inc.test."))).not.toBe(s1.exactAnswers.get(key("alias.inc.test.")));
    const aaaa = key("h7.inc.test.", 28);
    const nodata = s2.exactAnswers.get(aaaa)!;
    expect(nodata).toBe(s1.exactAnswers.get(aaaa));
    expect(servedWire(s2, nodata).equals(servedWire(s1, nodata))).toBe(false);
    const noAaaa = await ask("h7.inc.test.", "AAAA");
    expect(noAaaa.answers).toEqual([]);
    expect(noAaaa.authorities?.map((a) => (a.data as { serial: number }).serial)).toEqual([2]);
    const precompiledAlias = await ask("alias.inc.test.");
    expect(precompiledAlias.answers?.map((a) => a.data)).toEqual(["www.inc.test", "192.0.2.11"]);

    // Two changes in a row: the first precompile is cancelled, the second takes over from s2.
    const z3 = ixfr(z2, 3, "mail", "192.0.2.21");
    node.applySecondary([{ op: "set", state: state(3), data: z3 }]);
    const z4 = ixfr(z3, 4, "h9", "203.0.113.9");
    node.applySecondary([{ op: "set", state: state(4), data: z4 }]);
    const s3 = await nextPrecompiled(3);
    expect(s3.generation).toBe(node.snapshot.generation);
    sameAnswers(s3, compileSnapshot([z4], 0));
    await new Promise((r) => setTimeout(r, 200));
    expect(precompiled).toHaveLength(3);
    const mx = await decode(await udpExchange("127.0.0.1", port, query("inc.test.", "MX", 10)));
    expect(mx.additionals?.map((a) => a.data)).toEqual(["192.0.2.21"]);
    precompiled = [];
  });
});
