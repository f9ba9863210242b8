// applyDeltaToZone (the IXFR fast path of a secondary zone) must give the tree a full checkZone + buildZone
// gives, or null whenever the full path would report, normalize or restructure something.
import { describe, expect, test } from "vitest";
import { applyIxfr, deltaOwners } from "../../src/transfer/apply-ixfr.js";
import { parseNameText } from "../../src/wire/name.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import type { ZoneData } from "../../src/zone/zone.js";
import { checkZone } from "../../src/zone/zone-check.js";
import { applyDeltaToZone } from "../../src/zone/zone-delta.js";
import { buildZone } from "../../src/zone/zone-image.js";

const ORIGIN = parseNameText("example.com.", null);

function records(text: string): ResourceRecord[] {
  const parsed = parseMasterFile(`$ORIGIN example.com.\n$TTL 300\n${text}`, { file: "z" });
  expect(parsed.diagnostics).toEqual([]);
  return parsed.records.map((r) => ({
    owner: r.owner,
    type: r.type,
    class: r.class,
    ttl: r.ttl,
    rdata: r.rdata,
  }));
}

const soa = (serial: number) => `@ SOA ns1 hostmaster ${serial} 7200 3600 1209600 300\n`;
const BASE = `@ NS ns1
@ NS ns2
ns1 A 192.0.2.1
ns2 A 192.0.2.2
www A 192.0.2.10
www AAAA 2001:db8::10
mail A 192.0.2.20
@ MX 10 mail
alias CNAME www
a.b.c A 192.0.2.30
sub NS ns.sub
ns.sub A 192.0.2.40
txt TXT "one"
`;

/** Apply one delta (old SOA + `deleted` → new SOA + `added`) both ways. */
function both(deleted: string, added: string): { fast: ZoneData | null; full: ZoneData; fullOk: boolean } {
  const held = records(soa(1) + BASE);
  const zone = buildZone(ORIGIN, held);
  const delta = {
    fromSerial: 1,
    toSerial: 2,
    deleted: records(soa(1) + deleted),
    added: records(soa(2) + added),
  };
  const next = applyIxfr(held, [delta]);
  const fast = applyDeltaToZone(zone, next, deltaOwners([delta]));
  const diags = checkZone(ORIGIN, next, "z");
  return { fast, full: buildZone(ORIGIN, next), fullOk: diags.length === 0 };
}

function shape(z: ZoneData) {
  const nodes = [...z.nodes.values()]
    .map((n) => ({
      key: n.key,
      owner: n.owner.toString("hex"),
      cut: n.cut,
      occluded: n.occluded,
      sigs: n.sigs.size,
      rrsets: [...n.rrsets.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([t, rs]) => ({
          t,
          ttl: rs.ttl,
          cls: rs.class,
          rdatas: rs.rdataList().map((r) => r.toString("hex")),
        })),
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    nodes,
    apex: z.apex.key,
    origin: z.origin.toString("hex"),
    negativeSoa: { ttl: z.negativeSoa.ttl, rdatas: z.negativeSoa.rdataList().map((r) => r.toString("hex")) },
    soa: z.apex.rrsets.get(6)!.rdataAt(0).toString("hex"),
    signed: z.signed,
    nsec3: z.nsec3,
    chain: z.nsecChain.length,
  };
}

describe("applyDeltaToZone", () => {
  const same: [string, string, string][] = [
    ["SOA only", "", ""],
    ["an address changes", "www A 192.0.2.10\n", "www A 192.0.2.11\n"],
    ["a record added to an RRset", "", "www A 192.0.2.12\n"],
    ["a new name", "", "new A 192.0.2.50\n"],
    ["a new name under new empty non-terminals", "", "x.y.z A 192.0.2.51\n"],
    ["an empty non-terminal gets data", "", 'b.c TXT "ent"\n'],
    ["TXT replaced", 'txt TXT "one"\n', 'txt TXT "two"\n'],
    ["apex NS changes", "@ NS ns2\n", "@ NS ns3.example.net.\n"],
    ["a CNAME target changes", "alias CNAME www\n", "alias CNAME mail\n"],
    ["a type removed, others stay", "www AAAA 2001:db8::10\n", ""],
    [
      "several names",
      "mail A 192.0.2.20\nwww A 192.0.2.10\n",
      "mail A 192.0.2.21\nwww A 192.0.2.11\nn2 A 192.0.2.9\n",
    ],
  ];
  for (const [name, del, add] of same) {
    test(`${name}: the same tree as a full build`, () => {
      const r = both(del, add);
      expect(r.fullOk).toBe(true);
      expect(r.fast).not.toBeNull();
      expect(shape(r.fast!)).toEqual(shape(r.full));
    });
  }

  const fallback: [string, string, string][] = [
    ["a name loses all its data", "mail A 192.0.2.20\n", ""],
    ["a new delegation", "", "dept NS ns.example.net.\n"],
    ["a delegation changes", "sub NS ns.sub\n", "sub NS ns2.sub\n"],
    ["glue below a cut", "ns.sub A 192.0.2.40\n", "ns.sub A 192.0.2.41\n"],
    ["data below a cut", "", "deep.sub A 192.0.2.42\n"],
    ["CNAME beside other data", "", "www CNAME mail\n"],
    ["a second CNAME", "", "alias CNAME mail\n"],
    ["a DNAME", "", "dn DNAME example.net.\n"],
    ["an SOA off the apex", "", "www SOA ns1 hostmaster 5 7200 3600 1209600 300\n"],
    ["a TTL mismatch in an RRset", "", "www 60 A 192.0.2.13\n"],
  ];
  for (const [name, del, add] of fallback) {
    test(`${name}: null (full path)`, () => {
      expect(both(del, add).fast).toBeNull();
    });
  }

  test("the apex losing its NS falls back", () => {
    expect(both("@ NS ns1\n@ NS ns2\n", "").fast).toBeNull();
  });
});
