// The streaming check (CheckingZoneBuilder: records fed one at a time, no list kept, as a transfer streams in)
// must reject and accept the same zones as the list path (checkAndBuildZone) with the same diagnostic codes,
// and build the same tree (issue 6, AXFR built while it streams in).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";
import { parseMasterFile, recordToText } from "../../src/zone/master-parser.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import type { ZoneData } from "../../src/zone/zone.js";
import { CheckingZoneBuilder, checkAndBuildZone, treeIsClean } from "../../src/zone/zone-check.js";
import { ZoneBuilder } from "../../src/zone/zone-image.js";

const HEAD =
  "$ORIGIN example.com.\n$TTL 300\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\n";
const SIG = "13 3 300 20250101000000 20240101000000 1 example.com. AAAA";
const H1 = "0P9MHAVEQVM6T7VBL5LOP2U3T2RP3TOM"; // base32hex: NSEC3 owner labels
const H2 = "2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S";

/** Every RRset of a tree as text lines, sorted, and the NSEC3 chain as text. */
function dump(data: ZoneData): string[] {
  const lines = [...data.nodes.values()]
    .flatMap((n) => [...n.rrsets.values(), ...n.sigs.values()])
    .concat((data.nsec3?.entries ?? []).flatMap((e) => (e.sig ? [e.nsec3, e.sig] : [e.nsec3])))
    .flatMap((rs) =>
      rs
        .rdataList()
        .map((rdata) =>
          recordToText({ owner: rs.owner, type: rs.type, class: rs.class, ttl: rs.ttl, rdata }),
        ),
    );
  return [...lines.sort(), `nodes ${[...data.nodes.keys()].sort().join(",")}`];
}

function bothWays(origin: Buffer, records: readonly ResourceRecord[], file: string) {
  const list = checkAndBuildZone(origin, records, file);
  const stream = new CheckingZoneBuilder(origin, file);
  for (const rr of records) stream.add(rr);
  return { list, streamed: stream.finish() };
}

function expectSame(origin: Buffer, records: readonly ResourceRecord[], file: string): string[] {
  // The builder's watched nodes give treeIsClean's answer without walking every node.
  const b = new ZoneBuilder(origin, { clean: true });
  let data: ZoneData | null = null;
  try {
    for (const rr of records) b.add(rr);
    data = b.finish();
  } catch {
    // out of zone or no SOA: nothing to compare here
  }
  if (data) expect(treeIsClean(data, b.watched), file).toBe(treeIsClean(data));
  const { list, streamed } = bothWays(origin, records, file);
  const codes = (ds: { code: string }[]) => ds.map((d) => d.code).sort();
  expect(codes(streamed.diagnostics), file).toEqual(codes(list.diagnostics));
  expect(streamed.data === null, file).toBe(list.data === null);
  if (list.data) {
    expect(dump(streamed.data!), file).toEqual(dump(list.data));
    expect(streamed.recordCount, file).toBe(list.records.length);
  }
  return codes(list.diagnostics);
}

// Each kind of bad zone, and the codes both paths must give.
const CASES: { name: string; body: string; head?: string; codes: string[] }[] = [
  { name: "clean", body: "www A 192.0.2.2\nwww AAAA 2001:db8::2\n", codes: [] },
  {
    name: "no SOA",
    head: "$ORIGIN example.com.\n$TTL 300\n@ NS ns1\nns1 A 192.0.2.1\n",
    body: "",
    codes: ["EDGENS_ERR_ZONE_NO_SOA"],
  },
  {
    name: "no NS",
    head: "$ORIGIN example.com.\n$TTL 300\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n",
    body: "",
    codes: ["EDGENS_ERR_ZONE_NO_NS"],
  },
  {
    name: "second SOA at the apex and one below it",
    body: "@ SOA ns2 hostmaster 2 7200 3600 1209600 300\nsub SOA ns1 hostmaster 1 2 3 4 5\n",
    codes: ["EDGENS_ERR_ZONE_MULTIPLE_SOA", "EDGENS_ERR_ZONE_MULTIPLE_SOA"],
  },
  {
    name: "out of zone",
    body: "www.example.net. A 192.0.2.2\nexample.com.evil. A 192.0.2.3\nok A 192.0.2.4\n",
    codes: ["EDGENS_ERR_ZONE_OUT_OF_ZONE", "EDGENS_ERR_ZONE_OUT_OF_ZONE"],
  },
  {
    name: "CNAME and other data",
    body: "c CNAME www\nc A 192.0.2.2\nwww A 192.0.2.3\n",
    codes: ["EDGENS_ERR_ZONE_CNAME_AND_OTHER"],
  },
  { name: "two CNAMEs", body: "c CNAME a\nc CNAME b\n", codes: ["EDGENS_ERR_ZONE_MULTIPLE_CNAME"] },
  {
    name: "below a DNAME, two DNAMEs",
    body: "d DNAME example.net.\nx.d A 192.0.2.2\nd2 DNAME a.\nd2 DNAME b.\n",
    codes: ["EDGENS_ERR_ZONE_DNAME_CHILDREN", "EDGENS_ERR_ZONE_MULTIPLE_DNAME"],
  },
  {
    name: "occluded below a cut",
    body: "sub NS ns.sub\nns.sub A 192.0.2.2\nsub TXT occluded\nwww.sub A 192.0.2.3\n",
    codes: ["EDGENS_WARN_ZONE_OCCLUDED", "EDGENS_WARN_ZONE_OCCLUDED"],
  },
  {
    name: "missing glue",
    body: "@ NS ns2\nsub NS ns.sub\n",
    codes: ["EDGENS_WARN_ZONE_MISSING_GLUE", "EDGENS_WARN_ZONE_MISSING_GLUE"],
  },
  {
    name: "TTL mismatch (RRset and RRSIGs per covered type)",
    body: `t 100 A 192.0.2.2\nt 200 A 192.0.2.3\nt 300 A 192.0.2.4\nt 100 RRSIG A ${SIG}\nt 50 RRSIG A ${SIG.replace("AAAA", "BBBB")}\n`,
    codes: ["EDGENS_WARN_ZONE_TTL_MISMATCH", "EDGENS_WARN_ZONE_TTL_MISMATCH"],
  },
  {
    name: "exact duplicates",
    body: "mail A 192.0.2.2\nmail A 192.0.2.2\nmail A 192.0.2.2\nmail TXT x\nmail TXT x\n",
    codes: ["EDGENS_WARN_ZONE_DUPLICATE", "EDGENS_WARN_ZONE_DUPLICATE", "EDGENS_WARN_ZONE_DUPLICATE"],
  },
  {
    name: "duplicates differing in the case of an RDATA name (the tree keeps both: normalized after)",
    body: "mx MX 10 mail.example.com.\nmx MX 10 MAIL.example.com.\nmx MX 10 mail.example.com.\nmail A 192.0.2.2\n",
    codes: ["EDGENS_WARN_ZONE_DUPLICATE", "EDGENS_WARN_ZONE_DUPLICATE"],
  },
  {
    name: "duplicate and TTL mismatch in one RRset",
    body: "t 100 A 192.0.2.2\nt 200 A 192.0.2.2\n",
    codes: ["EDGENS_WARN_ZONE_DUPLICATE", "EDGENS_WARN_ZONE_TTL_MISMATCH"],
  },
  {
    name: "class CH",
    body: "id CH TXT pop1\nid CH TXT pop2\n",
    codes: ["EDGENS_ERR_ZONE_CLASS_NOT_IN", "EDGENS_ERR_ZONE_CLASS_NOT_IN"],
  },
  {
    name: "NSEC3 chain with a duplicate and a TTL mismatch",
    body:
      `${H1} NSEC3 1 0 0 - ${H2} A\n${H1} NSEC3 1 0 0 - ${H2} A\n${H2} 100 NSEC3 1 0 0 - ${H1} A\n` +
      `${H2} 200 NSEC3 1 0 0 - ${H1} AAAA\n${H1} RRSIG NSEC3 ${SIG}\n`,
    codes: ["EDGENS_WARN_ZONE_DUPLICATE", "EDGENS_WARN_ZONE_TTL_MISMATCH"],
  },
  {
    name: "errors and warnings together",
    body: "c CNAME www\nc A 192.0.2.2\nc A 192.0.2.2\nwww A 192.0.2.3\nx.example.org. A 192.0.2.9\n",
    codes: ["EDGENS_ERR_ZONE_CNAME_AND_OTHER", "EDGENS_ERR_ZONE_OUT_OF_ZONE", "EDGENS_WARN_ZONE_DUPLICATE"],
  },
];

describe("CheckingZoneBuilder gives what checkAndBuildZone gives", () => {
  const origin = parseNameText("example.com.", null);
  test.each(CASES)("$name", ({ body, head, codes }) => {
    const parsed = parseMasterFile((head ?? HEAD) + body, { file: "z" });
    expect(parsed.diagnostics).toEqual([]);
    expect(expectSame(origin, parsed.records, "z")).toEqual([...codes].sort());
  });

  test("a clean zone: no findings, the tree as built, positions file:1:1 on findings otherwise", () => {
    const parsed = parseMasterFile(`${HEAD}www A 192.0.2.2\nwww A 192.0.2.2\n`, { file: "z" });
    const { streamed } = bothWays(origin, parsed.records, "xfr of example.com.");
    expect(streamed.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.message}`)).toEqual([
      "xfr of example.com.:1:1 duplicate www.example.com. A record dropped",
    ]);
    expect(streamed.recordCount).toBe(4);
  });

  test("every fixture zone", () => {
    const root = join(import.meta.dirname, "../fixtures/zones");
    const files = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".zone"));
    let compared = 0;
    for (const f of files) {
      const parsed = parseMasterFile(readFileSync(join(root, f), "latin1"), { file: f });
      const soa = parsed.records.find((r) => r.type === RRType.SOA);
      if (parsed.diagnostics.length > 0 || !soa) continue;
      expectSame(soa.owner, parsed.records, f);
      compared++;
    }
    expect(compared).toBeGreaterThan(10);
  });
});
