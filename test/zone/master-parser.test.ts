import { describe, expect, test } from "vitest";
import { parseNameText } from "../../src/wire/name.js";
import { type ParseOptions, parseMasterFile, recordToText } from "../../src/zone/master-parser.js";

const ex = parseNameText("example.com.", null);

function parse(text: string, opts: Partial<ParseOptions> = {}) {
  const r = parseMasterFile(text, { file: "t.zone", ...opts });
  return {
    records: r.records.map(recordToText),
    diags: r.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity} ${d.code} ${d.message}`),
    origin: r.origin,
  };
}

// Each case: a zone text and the records it must give, in presentation format.
const FEATURES: { name: string; zone: string; origin?: Buffer; records: string[] }[] = [
  {
    name: "$ORIGIN, relative names and @",
    zone: "$ORIGIN example.com.\n$TTL 300\n@ NS ns1\nns1 A 192.0.2.1\nwww CNAME @\nabs.example.net. A 192.0.2.2\n",
    records: [
      "example.com. 300 IN NS ns1.example.com.",
      "ns1.example.com. 300 IN A 192.0.2.1",
      "www.example.com. 300 IN CNAME example.com.",
      "abs.example.net. 300 IN A 192.0.2.2",
    ],
  },
  {
    name: "$ORIGIN relative to the current origin, and changing mid-file",
    zone: "$ORIGIN example.com.\n$TTL 60\n$ORIGIN sub\na A 192.0.2.1\n$ORIGIN example.org.\nb A 192.0.2.2\n",
    records: ["a.sub.example.com. 60 IN A 192.0.2.1", "b.example.org. 60 IN A 192.0.2.2"],
  },
  {
    name: "origin from the options",
    zone: "$TTL 60\n@ A 192.0.2.1\nx A 192.0.2.2\n",
    origin: ex,
    records: ["example.com. 60 IN A 192.0.2.1", "x.example.com. 60 IN A 192.0.2.2"],
  },
  {
    name: "omitted owner repeats the previous owner",
    zone: "$ORIGIN example.com.\n$TTL 60\nhost A 192.0.2.1\n  AAAA 2001:db8::1\n\tTXT x\n",
    records: [
      "host.example.com. 60 IN A 192.0.2.1",
      "host.example.com. 60 IN AAAA 2001:db8::1",
      'host.example.com. 60 IN TXT "x"',
    ],
  },
  {
    name: "$TTL is the default when set (RFC 2308)",
    zone: "$ORIGIN example.com.\n$TTL 100\na 5 A 192.0.2.1\nb A 192.0.2.2\n$TTL 200\nc A 192.0.2.3\n",
    records: [
      "a.example.com. 5 IN A 192.0.2.1",
      "b.example.com. 100 IN A 192.0.2.2",
      "c.example.com. 200 IN A 192.0.2.3",
    ],
  },
  {
    name: "without $TTL the last explicit TTL carries over (RFC 1035)",
    zone: "$ORIGIN example.com.\na 5 A 192.0.2.1\nb A 192.0.2.2\nc 7 A 192.0.2.3\nd A 192.0.2.4\n",
    records: [
      "a.example.com. 5 IN A 192.0.2.1",
      "b.example.com. 5 IN A 192.0.2.2",
      "c.example.com. 7 IN A 192.0.2.3",
      "d.example.com. 7 IN A 192.0.2.4",
    ],
  },
  {
    name: "defaultTtl option when the file gives none",
    zone: "$ORIGIN example.com.\na A 192.0.2.1\n",
    records: ["a.example.com. 86400 IN A 192.0.2.1"],
  },
  {
    name: "class and TTL in either order, class omitted, CLASS1, lower case",
    zone: "$ORIGIN example.com.\na IN 10 A 192.0.2.1\nb 20 IN A 192.0.2.2\nc 30 A 192.0.2.3\nd CLASS1 40 A 192.0.2.4\ne in 50 a 192.0.2.5\n",
    records: [
      "a.example.com. 10 IN A 192.0.2.1",
      "b.example.com. 20 IN A 192.0.2.2",
      "c.example.com. 30 IN A 192.0.2.3",
      "d.example.com. 40 IN A 192.0.2.4",
      "e.example.com. 50 IN A 192.0.2.5",
    ],
  },
  {
    name: "TTL units",
    zone: "$ORIGIN example.com.\n$TTL 1h30m\na A 192.0.2.1\nb 1w A 192.0.2.2\nc 2D3h A 192.0.2.3\nd 10s A 192.0.2.4\n",
    records: [
      "a.example.com. 5400 IN A 192.0.2.1",
      "b.example.com. 604800 IN A 192.0.2.2",
      "c.example.com. 183600 IN A 192.0.2.3",
      "d.example.com. 10 IN A 192.0.2.4",
    ],
  },
  {
    name: "parentheses across lines with comments inside",
    zone: [
      "$ORIGIN example.com.",
      "$TTL 3600 ; default",
      "@ IN SOA ns1 hostmaster ( ; the SOA",
      "    2024010101 ; serial",
      "    2h         ; refresh",
      "    1h 1w",
      "    300 )",
      "; a whole-line comment",
      'txt TXT ( "one"',
      '  "two" ) ; trailing comment',
    ].join("\n"),
    records: [
      "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 604800 300",
      'txt.example.com. 3600 IN TXT "one" "two"',
    ],
  },
  {
    name: "quoted strings with escapes; escaped dot in a name",
    zone: '$ORIGIN example.com.\n$TTL 60\nt TXT "a \\"quoted\\" word" "semi;colon (paren)" \\065\\066C "\\\\"\nweird\\.label A 192.0.2.1\n',
    records: [
      "weird\\.label.example.com. 60 IN A 192.0.2.1",
      't.example.com. 60 IN TXT "a \\"quoted\\" word" "semi;colon (paren)" "ABC" "\\\\"',
    ].reverse(),
  },
  {
    name: "RFC 3597 generic type and RDATA, also for a known type",
    zone: "$ORIGIN example.com.\n$TTL 60\ng TYPE65280 \\# 4 0a000001\ne TYPE65281 \\# 0\na A \\# 4 C0000201\nm TYPE15 \\# ( 3 000a 00 )\n",
    records: [
      "g.example.com. 60 IN TYPE65280 \\# 4 0A000001",
      "e.example.com. 60 IN TYPE65281 \\# 0",
      "a.example.com. 60 IN A 192.0.2.1",
      "m.example.com. 60 IN MX 10 .",
    ],
  },
  {
    name: "CRLF line endings and a last line without newline",
    zone: "$ORIGIN example.com.\r\n$TTL 60\r\na A 192.0.2.1\r\nb A 192.0.2.2",
    records: ["a.example.com. 60 IN A 192.0.2.1", "b.example.com. 60 IN A 192.0.2.2"],
  },
  {
    name: "other classes parse (the zone check rejects them)",
    zone: '$ORIGIN example.com.\n$TTL 60\nid CH TXT "pop1"\n',
    records: ['id.example.com. 60 CH TXT "pop1"'],
  },
];

describe("parseMasterFile syntax", () => {
  test.each(FEATURES)("$name", ({ zone, origin, records }) => {
    const r = parse(zone, { origin, defaultTtl: 86400 });
    expect(r.diags).toEqual([]);
    expect(r.records).toEqual(records);
  });
});

test("records carry their source position", () => {
  const r = parseMasterFile("$ORIGIN example.com.\n$TTL 60\na A 192.0.2.1\n  TXT x\n", { file: "f.zone" });
  expect(r.records.map((x) => x.source)).toEqual([
    { file: "f.zone", line: 3, column: 1 },
    { file: "f.zone", line: 4, column: 3 },
  ]);
});

test("zone origin: the first $ORIGIN, else the first SOA owner", () => {
  expect(
    parse("$ORIGIN a.example.\n$ORIGIN b.example.\n").origin?.equals(parseNameText("a.example.", null)),
  ).toBe(true);
  const soa = parse("$TTL 1\nz.example. SOA ns. h. 1 2 3 4 5\n");
  expect(soa.origin?.equals(parseNameText("z.example.", null))).toBe(true);
  expect(parse("$TTL 1\n").origin).toBeNull();
});

test("no $TTL and no TTL: the SOA MINIMUM serves, with a warning (BIND's behaviour)", () => {
  const r = parse("$ORIGIN example.com.\n@ SOA ns h 1 2 3 4 55\n@ NS ns\n");
  expect(r.records).toEqual([
    "example.com. 55 IN SOA ns.example.com. h.example.com. 1 2 3 4 55",
    "example.com. 55 IN NS ns.example.com.",
  ]);
  expect(r.diags).toEqual([
    "2:3 warning EDGENS_WARN_ZONE_TTL_FROM_SOA no TTL and no $TTL: using the SOA MINIMUM",
  ]);
});

// Each case: one bad line (line 3, after "$ORIGIN" and "$TTL") and the exact diagnostic it must give.
const ERRORS: [string, string][] = [
  ["a 4294967296 A 192.0.2.1", "3:3 EDGENS_ERR_ZONE_TTL TTL 4294967296 above 2147483647 (RFC 2181 §8)"],
  ["a 1x A 192.0.2.1", "3:3 EDGENS_ERR_ZONE_TYPE bad TTL or unknown type '1x'"],
  ["a IN FOO 1", "3:6 EDGENS_ERR_ZONE_TYPE unknown type 'FOO'"],
  ["a IN", "3:5 EDGENS_ERR_ZONE_TYPE missing type"],
  ["a ANY 1", "3:3 EDGENS_ERR_ZONE_TYPE meta type ANY cannot appear in zone data"],
  ["a OPT \\# 0", "3:3 EDGENS_ERR_ZONE_TYPE meta type OPT cannot appear in zone data"],
  ["a A 192.0.2.256", "3:5 EDGENS_ERR_ZONE_RDATA bad A RDATA: bad IPv4 address '192.0.2.256'"],
  ["a   A 1.2.3.4 junk", "3:15 EDGENS_ERR_ZONE_RDATA bad A RDATA: trailing garbage 'junk'"],
  ["a MX 10", "3:8 EDGENS_ERR_ZONE_RDATA bad MX RDATA: missing field: expected a domain name"],
  ["a MX ( 10\n  )", "3:10 EDGENS_ERR_ZONE_RDATA bad MX RDATA: missing field: expected a domain name"],
  [
    `${"x".repeat(64)} A 192.0.2.1`,
    "3:1 EDGENS_ERR_ZONE_NAME bad owner name: label longer than 63 octets in name",
  ],
  [
    `${"abcdefghi.".repeat(25)}abc A 192.0.2.1`,
    "3:1 EDGENS_ERR_ZONE_NAME bad owner name: name longer than 255 octets",
  ],
  ["a NS ..", "3:6 EDGENS_ERR_ZONE_RDATA bad NS RDATA: empty label in name '..'"],
  ['a TXT "unterminated', "3:7 EDGENS_ERR_ZONE_SYNTAX unterminated quoted string"],
  ['a TXT ( "x"', "3:7 EDGENS_ERR_ZONE_SYNTAX unbalanced parentheses: '(' not closed"],
  ['a TXT "x" )', "3:11 EDGENS_ERR_ZONE_SYNTAX unbalanced parentheses: ')' without '('"],
  ["a TXT x\\", "3:8 EDGENS_ERR_ZONE_SYNTAX dangling backslash at end of line"],
  [
    "a TYPE65280 01 02",
    "3:13 EDGENS_ERR_ZONE_RDATA bad TYPE65280 RDATA: type TYPE65280 has no known presentation format; use '\\# len hex'",
  ],
  [
    "a A \\# 3 C00002 01",
    "3:8 EDGENS_ERR_ZONE_RDATA bad A RDATA: generic RDATA length 3 does not match 4 octets of data",
  ],
  ["$INCLUDE other.zone", "3:1 EDGENS_ERR_ZONE_INCLUDE $INCLUDE is not allowed here"],
  ["$GENERATE 1-2 a$ A 192.0.2.$", "3:1 EDGENS_ERR_ZONE_DIRECTIVE $GENERATE is not supported"],
  ["$FOO bar", "3:1 EDGENS_ERR_ZONE_DIRECTIVE unknown directive '$FOO'"],
  ["$TTL", "3:1 EDGENS_ERR_ZONE_DIRECTIVE $TTL needs an argument"],
  ["$TTL 1 2", "3:8 EDGENS_ERR_ZONE_DIRECTIVE trailing garbage after $TTL: '2'"],
  ["$TTL 1y", "3:6 EDGENS_ERR_ZONE_TTL bad TTL '1y'"],
  ["$ORIGIN a..b.", "3:9 EDGENS_ERR_ZONE_NAME bad $ORIGIN: empty label in name 'a..b.'"],
];

describe("parseMasterFile errors carry line:column and a reason", () => {
  test.each(ERRORS)("%s", (line, diag) => {
    const r = parse(`$ORIGIN example.com.\n$TTL 60\n${line}\nok A 192.0.2.9\n`);
    expect(r.diags).toHaveLength(1);
    expect(r.diags[0]).toContain(diag.replace(/^(\S+) /, "$1 error "));
    // Parsing resumes after the bad entry.
    expect(r.records.at(-1)).toBe("ok.example.com. 60 IN A 192.0.2.9");
  });
});

test("one run reports every error, and a bad owner does not cascade to its continuation lines", () => {
  const zone = [
    "$ORIGIN example.com.",
    "$TTL 60",
    "a A 1.2.3",
    "b..c A 192.0.2.1",
    "  TXT continuation-of-bad-owner",
    "c A 192.0.2.3",
    "d BOGUS x",
    " A 192.0.2.4",
    "e A 192.0.2.5",
  ].join("\n");
  const r = parse(zone);
  expect(r.diags.map((d) => d.split(" ").slice(0, 3).join(" "))).toEqual([
    "3:5 error EDGENS_ERR_ZONE_RDATA",
    "4:1 error EDGENS_ERR_ZONE_NAME",
    "7:3 error EDGENS_ERR_ZONE_TYPE",
  ]);
  expect(r.records).toEqual([
    "c.example.com. 60 IN A 192.0.2.3",
    "d.example.com. 60 IN A 192.0.2.4",
    "e.example.com. 60 IN A 192.0.2.5",
  ]);
});

test("missing owner and missing TTL", () => {
  expect(parse("$TTL 60\n A 192.0.2.1\n").diags).toEqual([
    "2:2 error EDGENS_ERR_ZONE_OWNER no owner name and no previous record to take it from",
  ]);
  expect(parse("a.example. A 192.0.2.1\n").diags).toEqual([
    "1:12 error EDGENS_ERR_ZONE_TTL no TTL given and no $TTL or earlier TTL to default to",
  ]);
  expect(parse("a A 192.0.2.1\n").diags).toEqual([
    "1:1 error EDGENS_ERR_ZONE_NAME bad owner name: relative name 'a' but no origin is known",
  ]);
});

describe("$INCLUDE", () => {
  const files: Record<string, string> = {
    "inc/hosts.zone": "www A 192.0.2.10\n$ORIGIN deeper\nx A 192.0.2.11\n",
    "inc/sub.zone": "@ A 192.0.2.20\n",
    "inc/bad.zone": "ok A 192.0.2.30\nbad A 300.0.0.1\n",
    "inc/loop.zone": "$INCLUDE inc/loop.zone\n",
    "inc/with space.zone": "spaced A 192.0.2.40\n",
  };
  const readInclude = (path: string) => {
    const text = files[path];
    if (text === undefined) throw new Error("no such file");
    return { text, file: path };
  };
  test("includes with the current or a given origin; the parent's origin is unchanged", () => {
    const r = parse(
      '$ORIGIN example.com.\n$TTL 60\n$INCLUDE inc/hosts.zone\n$INCLUDE inc/sub.zone sub\n$INCLUDE "inc/with space.zone"\nafter A 192.0.2.1\n',
      { readInclude },
    );
    expect(r.diags).toEqual([]);
    expect(r.records).toEqual([
      "www.example.com. 60 IN A 192.0.2.10",
      "x.deeper.example.com. 60 IN A 192.0.2.11",
      "sub.example.com. 60 IN A 192.0.2.20",
      "spaced.example.com. 60 IN A 192.0.2.40",
      "after.example.com. 60 IN A 192.0.2.1",
    ]);
  });
  test("errors in an included file name that file; unreadable files and loops are reported", () => {
    const r = parseMasterFile(
      "$ORIGIN example.com.\n$TTL 60\n$INCLUDE inc/bad.zone\n$INCLUDE missing.zone\n$INCLUDE inc/loop.zone\n",
      { file: "main.zone", readInclude },
    );
    expect(r.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.code}`)).toEqual([
      "inc/bad.zone:2:7 EDGENS_ERR_ZONE_RDATA",
      "main.zone:4:10 EDGENS_ERR_ZONE_INCLUDE",
      "inc/loop.zone:1:1 EDGENS_ERR_ZONE_INCLUDE",
    ]);
    expect(r.records.map(recordToText)).toEqual(["ok.example.com. 60 IN A 192.0.2.30"]);
  });
});

test("an unclosed '(' is reported and parsing resumes on the next line", () => {
  const r = parse('$ORIGIN example.com.\n$TTL 60\na TXT ( "x"\nb A 1.2.3\nc A 192.0.2.1\n');
  expect(r.diags.map((d) => d.split(" ").slice(0, 3).join(" "))).toEqual([
    "3:7 error EDGENS_ERR_ZONE_SYNTAX",
    "4:5 error EDGENS_ERR_ZONE_RDATA",
  ]);
  expect(r.records).toEqual(["c.example.com. 60 IN A 192.0.2.1"]);
});

test("raw 8-bit bytes in a latin1-read file stay the same bytes (Knot rejects them unescaped; BIND, ldns, us not)", () => {
  const text = Buffer.from('$ORIGIN example.com.\n$TTL 60\nu TXT "caf\u00e9"\n', "utf8").toString("latin1");
  const r = parseMasterFile(text, { file: "u" });
  expect(r.records[0]!.rdata.toString("hex")).toBe("05636166c3a9");
  expect(recordToText(r.records[0]!)).toBe('u.example.com. 60 IN TXT "caf\\195\\169"');
});
