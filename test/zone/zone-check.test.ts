import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";
import { hasErrors } from "../../src/zone/diagnostic.js";
import { parseMasterFile, recordToText } from "../../src/zone/master-parser.js";
import type { ZoneData } from "../../src/zone/zone.js";
import { checkAndBuildZone, checkZone, normalizeRecords, treeIsClean } from "../../src/zone/zone-check.js";
import { buildZone } from "../../src/zone/zone-image.js";

const HEAD =
  "$ORIGIN example.com.\n$TTL 300\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\n";

function check(body: string, head = HEAD) {
  const origin = parseNameText("example.com.", null);
  const parsed = parseMasterFile(head + body, { file: "z" });
  expect(parsed.diagnostics).toEqual([]);
  return {
    diags: checkZone(origin, parsed.records, "z").map((d) => `${d.line}:${d.column} ${d.severity} ${d.code}`),
    records: parsed.records,
  };
}

// Body lines start at line 6. Each case: records and the findings they must give (line:column severity code).
const CASES: { name: string; body: string; head?: string; diags: string[] }[] = [
  { name: "a clean zone", body: "www A 192.0.2.2\nwww AAAA 2001:db8::2\n", diags: [] },
  {
    name: "no SOA at the apex",
    head: "$ORIGIN example.com.\n$TTL 300\n@ NS ns1\nns1 A 192.0.2.1\n",
    body: "",
    diags: ["1:1 error EDGENS_ERR_ZONE_NO_SOA"],
  },
  {
    name: "no NS at the apex",
    head: "$ORIGIN example.com.\n$TTL 300\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n",
    body: "",
    diags: ["3:1 error EDGENS_ERR_ZONE_NO_NS"],
  },
  {
    name: "more than one SOA, and an SOA below the apex",
    body: "@ SOA ns2 hostmaster 2 7200 3600 1209600 300\nsub SOA ns1 hostmaster 1 2 3 4 5\n",
    diags: ["6:1 error EDGENS_ERR_ZONE_MULTIPLE_SOA", "7:1 error EDGENS_ERR_ZONE_MULTIPLE_SOA"],
  },
  {
    name: "owner outside the zone",
    body: "www.example.net. A 192.0.2.2\nexample.com.evil. A 192.0.2.3\n",
    diags: ["6:1 error EDGENS_ERR_ZONE_OUT_OF_ZONE", "7:1 error EDGENS_ERR_ZONE_OUT_OF_ZONE"],
  },
  {
    name: "CNAME beside other data; RRSIG and NSEC are allowed",
    body:
      "c CNAME www\nc A 192.0.2.2\nok CNAME www\nok NSEC www.example.com. CNAME RRSIG NSEC\n" +
      "ok RRSIG CNAME 13 3 300 20250101000000 20240101000000 1 example.com. AAAA\nwww A 192.0.2.3\n",
    diags: ["7:1 error EDGENS_ERR_ZONE_CNAME_AND_OTHER"],
  },
  {
    name: "more than one CNAME",
    body: "c CNAME a\nc CNAME b\na A 192.0.2.2\nb A 192.0.2.3\n",
    diags: ["7:1 error EDGENS_ERR_ZONE_MULTIPLE_CNAME"],
  },
  {
    name: "data below a DNAME (an error, as in Knot) and more than one DNAME",
    body: "d DNAME example.net.\nx.d A 192.0.2.2\nd2 DNAME a.\nd2 DNAME b.\n",
    diags: ["7:1 error EDGENS_ERR_ZONE_DNAME_CHILDREN", "9:1 error EDGENS_ERR_ZONE_MULTIPLE_DNAME"],
  },
  {
    name: "a DNAME at the apex hides everything below it",
    body: "@ DNAME example.net.\n",
    diags: ["5:1 error EDGENS_ERR_ZONE_DNAME_CHILDREN"],
  },
  {
    name: "occluded data below a delegation (glue is fine)",
    body: "sub NS ns.sub\nns.sub A 192.0.2.2\nsub TXT occluded\nwww.sub A 192.0.2.3\nsub DS 1 13 2 AABB\n",
    diags: ["8:1 warning EDGENS_WARN_ZONE_OCCLUDED", "9:1 warning EDGENS_WARN_ZONE_OCCLUDED"],
  },
  {
    name: "missing glue for an in-zone NS target (apex and delegation); out-of-zone targets need none",
    body: "@ NS ns2\nsub NS ns.sub\nsub NS ns.example.net.\n",
    diags: ["6:1 warning EDGENS_WARN_ZONE_MISSING_GLUE", "7:1 warning EDGENS_WARN_ZONE_MISSING_GLUE"],
  },
  {
    name: "TTLs differing within an RRset; RRSIGs are grouped per covered type",
    body:
      "t 100 A 192.0.2.2\nt 200 A 192.0.2.3\n" +
      "t 100 RRSIG A 13 3 300 20250101000000 20240101000000 1 example.com. AAAA\n" +
      "t 50 RRSIG TXT 13 3 300 20250101000000 20240101000000 1 example.com. AAAA\nt 50 TXT x\n",
    diags: ["7:1 warning EDGENS_WARN_ZONE_TTL_MISMATCH"],
  },
  {
    name: "duplicate records (names compare case-insensitively)",
    body: "mx MX 10 mail.example.com.\nmx MX 10 MAIL.example.com.\nmail A 192.0.2.2\nmail A 192.0.2.2\n",
    diags: ["7:1 warning EDGENS_WARN_ZONE_DUPLICATE", "9:1 warning EDGENS_WARN_ZONE_DUPLICATE"],
  },
  {
    name: "class other than IN",
    body: "id CH TXT pop1\n",
    diags: ["6:1 error EDGENS_ERR_ZONE_CLASS_NOT_IN"],
  },
];

describe("checkZone", () => {
  test.each(CASES)("$name", ({ body, head, diags }) => {
    expect(check(body, head).diags).toEqual(diags);
  });
});

test("normalizeRecords drops duplicates and gives each RRset its first TTL", () => {
  const { records } = check("t 100 A 192.0.2.2\nt 200 A 192.0.2.3\nt 300 A 192.0.2.2\n");
  expect(normalizeRecords(records).slice(3).map(recordToText)).toEqual([
    "t.example.com. 100 IN A 192.0.2.2",
    "t.example.com. 100 IN A 192.0.2.3",
  ]);
});

// checkAndBuildZone skips checkZone when the built tree is clean (issue 6: a million-record transfer is checked
// in one pass). The shortcut must never hide a finding, and must be taken for ordinary zones.
describe("checkAndBuildZone", () => {
  const origin = parseNameText("example.com.", null);
  const parse = (body: string, head = HEAD) => parseMasterFile(head + body, { file: "z" }).records;
  /** Every RRset of a tree as text lines, in a stable order. */
  const dump = (data: ZoneData) =>
    [...data.nodes.values()]
      .flatMap((n) => [...n.rrsets.values(), ...n.sigs.values()])
      .flatMap((rs) =>
        rs
          .rdataList()
          .map((rdata) =>
            recordToText({ owner: rs.owner, type: rs.type, class: rs.class, ttl: rs.ttl, rdata }),
          ),
      )
      .sort();

  test.each(CASES)("same findings and tree as checkZone + build: $name", ({ body, head }) => {
    const records = parse(body, head);
    const full = checkZone(origin, records, "z");
    const fused = checkAndBuildZone(origin, records, "z");
    expect(fused.diagnostics).toEqual(full);
    if (hasErrors(full)) expect(fused.data).toBeNull();
    else expect(dump(fused.data!)).toEqual(dump(buildZone(origin, normalizeRecords(records))));
  });

  test.each(CASES)("a tree the audit calls clean has no findings: $name", ({ body, head }) => {
    const records = parse(body, head);
    const audit = { clean: true };
    let data: ZoneData;
    try {
      data = buildZone(origin, records, audit);
    } catch {
      return; // out of zone / no SOA: always the full check
    }
    if (audit.clean && treeIsClean(data)) expect(checkZone(origin, records, "z")).toEqual([]);
  });

  const CLEAN: { name: string; body: string }[] = [
    { name: "hosts", body: "www A 192.0.2.2\nwww AAAA 2001:db8::2\nmail A 192.0.2.3\n@ MX 10 mail\n" },
    {
      name: "a delegation with glue and DS",
      body: "sub NS ns.sub\nns.sub A 192.0.2.2\nsub DS 1 13 2 AABB\n",
    },
    { name: "CNAME with NSEC", body: "c CNAME www\nc NSEC www.example.com. CNAME NSEC\nwww A 192.0.2.2\n" },
    { name: "empty non-terminals", body: "a.b.c A 192.0.2.2\nx.b.c TXT hi\n" },
    { name: "two NS targets in the zone", body: "@ NS ns2\nns2 AAAA 2001:db8::53\n" },
  ];
  test.each(CLEAN)("clean zones take the one-pass path: $name", ({ body }) => {
    const records = parse(body);
    expect(checkZone(origin, records, "z")).toEqual([]);
    const audit = { clean: true };
    const data = buildZone(origin, records, audit);
    expect(audit.clean && treeIsClean(data)).toBe(true);
    const fused = checkAndBuildZone(origin, records, "z");
    expect(fused.diagnostics).toEqual([]);
    expect(fused.records).toBe(records);
    expect(dump(fused.data!)).toEqual(dump(data));
  });

  test("every fixture zone: the fused path reports what checkZone reports", () => {
    const root = join(import.meta.dirname, "../fixtures/zones");
    const files = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".zone"));
    expect(files.length).toBeGreaterThan(10);
    let compared = 0;
    for (const f of files) {
      const parsed = parseMasterFile(readFileSync(join(root, f), "latin1"), { file: f });
      const soa = parsed.records.find((r) => r.type === RRType.SOA);
      if (parsed.diagnostics.length > 0 || !soa) continue;
      const full = checkZone(soa.owner, parsed.records, f);
      expect(checkAndBuildZone(soa.owner, parsed.records, f).diagnostics, f).toEqual(full);
      compared++;
    }
    expect(compared).toBeGreaterThan(10);
  });
});
