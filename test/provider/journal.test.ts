// The IXFR journal: zone diffs (checked against a plain set difference on random edits), the byte and count
// bounds, and condensing a chain of deltas into one.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diffZones, Journal } from "../../src/provider/journal.js";
import { axfrRecords } from "../../src/provider/zone-records.js";
import { parseNameText } from "../../src/wire/name.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import type { ZoneData } from "../../src/zone/zone.js";
import { buildZone } from "../../src/zone/zone-image.js";
import { fixtureText, ids } from "./provider-fixture.js";

const origin = parseNameText("prov.test.", null);
const zone = (text: string): ZoneData => buildZone(origin, parseMasterFile(text, { file: "t" }).records);
const body = (d: ZoneData) => [...axfrRecords(d)].slice(1, -1);

/** Zone text from host lines, at `serial`. */
function hostsZone(serial: number, hosts: string[]): string {
  return `$ORIGIN prov.test.\n$TTL 300\n@ SOA ns1 h ${serial} 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\n${hosts.join("\n")}\n`;
}

function setDiff(a: ResourceRecord[], b: ResourceRecord[]): { deleted: string[]; added: string[] } {
  const ia = ids(a);
  const ib = ids(b);
  return { deleted: ia.filter((x) => !ib.includes(x)), added: ib.filter((x) => !ia.includes(x)) };
}

describe("diffZones", () => {
  it("finds the fixture's edits (address change, removal, addition), SOA aside", () => {
    const d = diffZones(zone(fixtureText(1)), zone(fixtureText(2)));
    expect(d.fromSerial + 1).toBe(d.toSerial);
    expect(ids(d.deleted)).toHaveLength(2);
    expect(ids(d.added)).toHaveLength(2);
    expect([...d.deleted, ...d.added].some((r) => r.type === 6)).toBe(false);
  });

  it("equals the set difference of the two versions' records for random edits", () => {
    const host = fc.record({
      name: fc.constantFrom("a", "b", "c", "d.e", "f.g.h"),
      type: fc.constantFrom("A 10.0.0.1", "A 10.0.0.2", "TXT x", "TXT y", "MX 10 a"),
      ttl: fc.constantFrom(60, 300),
    });
    const line = (h: { name: string; type: string; ttl: number }) => `${h.name} ${h.ttl} ${h.type}`;
    fc.assert(
      fc.property(fc.array(host, { maxLength: 12 }), fc.array(host, { maxLength: 12 }), (x, y) => {
        // One TTL per RRset, as the zone checks require.
        const norm = (hs: typeof x) => {
          const ttl = new Map<string, number>();
          return hs.map((h) => {
            const k = `${h.name} ${h.type.split(" ")[0]}`;
            if (!ttl.has(k)) ttl.set(k, h.ttl);
            return line({ ...h, ttl: ttl.get(k)! });
          });
        };
        const a = zone(hostsZone(1, norm(x)));
        const b = zone(hostsZone(2, norm(y)));
        const d = diffZones(a, b);
        expect({ deleted: ids(d.deleted), added: ids(d.added) }).toEqual(setDiff(body(a), body(b)));
      }),
      { numRuns: 200 },
    );
  });
});

describe("Journal", () => {
  const versions = [1, 2, 3, 4].map((v) => zone(fixtureText(v)));
  const deltas = [0, 1, 2].map((i) => diffZones(versions[i]!, versions[i + 1]!));

  it("condenses a chain into one delta whose application gives the newest version", () => {
    const j = new Journal();
    for (const d of deltas) j.add(d);
    const c = j.condensedFrom(deltas[0]!.fromSerial)!;
    expect(c.toSerial).toBe(deltas[2]!.toSerial);
    // www changed twice: its intermediate address cancels out.
    const applied = setDiff(body(versions[0]!), body(versions[3]!));
    expect({ deleted: ids(c.deleted), added: ids(c.added) }).toEqual(applied);
    expect(j.condensedFrom(deltas[1]!.fromSerial)!.fromSerial).toBe(deltas[1]!.fromSerial);
    expect(j.condensedFrom(12345)).toBeNull();
  });

  it("drops the oldest deltas beyond maxDeltas and maxBytes", () => {
    const byCount = new Journal({ maxDeltas: 2, maxBytes: 1 << 20 });
    for (const d of deltas) byCount.add(d);
    expect(byCount.size).toBe(2);
    expect(byCount.oldestSerial).toBe(deltas[1]!.fromSerial);
    expect(byCount.condensedFrom(deltas[0]!.fromSerial)).toBeNull();
    const oneDelta = new Journal({ maxDeltas: 100, maxBytes: 1 << 20 });
    oneDelta.add(deltas[0]!);
    const bytes = oneDelta.totalBytes;
    const byBytes = new Journal({ maxDeltas: 100, maxBytes: bytes * 2 + 10 });
    for (const d of deltas) byBytes.add(d);
    expect(byBytes.size).toBe(2);
    expect(byBytes.totalBytes).toBeLessThanOrEqual(bytes * 2 + 10);
  });

  it("restarts when a delta does not continue the last one, and keeps nothing too large", () => {
    const j = new Journal();
    j.add(deltas[0]!);
    j.add(deltas[2]!);
    expect(j.size).toBe(1);
    expect(j.oldestSerial).toBe(deltas[2]!.fromSerial);
    const tiny = new Journal({ maxDeltas: 10, maxBytes: 10 });
    tiny.add(deltas[0]!);
    expect(tiny.size).toBe(0);
  });
});
