// The XDP negative table's name budget (src/fastpath/negative.ts `compileNegativeTable`): a zone whose names do
// not fit the map is turned off before any walk of every name (a 1 M-name zone took 4-5 s per snapshot to find
// out at the end), and a zone that fits only because its occluded names (glue below cuts) are not entries
// stays on. No XDP here: the table is plain data.
import { describe, expect, it } from "vitest";
import { ZONE_F_NX } from "../../src/fastpath/layout.js";
import { compileNegativeTable } from "../../src/fastpath/negative.js";
import { parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import type { ZoneData } from "../../src/zone/zone.js";
import { buildZone } from "../../src/zone/zone-image.js";

const name = (t: string) => parseNameText(t, null);
const rec = (owner: string, type: number, rdata: Buffer): ResourceRecord => ({
  owner: name(owner),
  type,
  class: 1,
  ttl: 300,
  rdata,
});

/** 5 hosts and 10 delegations with 3 glue names each: 15 names the map holds, 30 occluded, plus the apex. */
function zone(): ZoneData {
  const soa = Buffer.concat([name("ns.neg.test."), name("h.neg.test."), Buffer.alloc(20, 1)]);
  const records = [
    rec("neg.test.", RRType.SOA, soa),
    rec("neg.test.", RRType.NS, name("ns.neg.test.")),
    rec("ns.neg.test.", RRType.A, Buffer.from([192, 0, 2, 1])),
  ];
  for (let i = 0; i < 4; i++)
    records.push(rec(`h${i}.neg.test.`, RRType.A, Buffer.from([192, 0, 2, 10 + i])));
  for (let d = 0; d < 10; d++) {
    for (let g = 0; g < 3; g++) {
      records.push(rec(`d${d}.neg.test.`, RRType.NS, name(`ns${g}.d${d}.neg.test.`)));
      records.push(rec(`ns${g}.d${d}.neg.test.`, RRType.A, Buffer.from([198, 51, 100, d * 3 + g])));
    }
  }
  return buildZone(name("neg.test."), records);
}

function table(data: ZoneData, maxNames: number) {
  return compileNegativeTable(
    { zoneByKey: new Map([[data.originKey, data]]), unavailable: new Set() },
    { maxNames },
  );
}

describe("XDP negative table: the name budget", () => {
  const data = zone();
  it("has 46 names, 30 of them occluded glue", () => {
    expect(data.nodes.size).toBe(46);
    expect([...data.nodes.values()].filter((n) => n.occluded)).toHaveLength(30);
  });

  it("keeps a zone on when its unoccluded names fit, though all its names would not", () => {
    // The apex entry plus 15 names.
    const t = table(data, 16);
    expect(t.zones[0]!.off).toBeUndefined();
    expect(t.zones[0]!.flags & ZONE_F_NX).toBe(ZONE_F_NX);
    expect(t.names).toHaveLength(16);
  });

  it("turns a zone off, saying why, when one name more than fits is there", () => {
    const t = table(data, 15);
    expect(t.zones[0]!.off).toBe("names map full");
    expect(t.zones[0]!.flags & ZONE_F_NX).toBe(0);
    expect(t.names).toHaveLength(1); // the apex alone
  });
});
