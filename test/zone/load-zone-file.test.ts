import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { runZoneCheck } from "../../src/cli/zone-check.js";
import { nameToText, parseNameText } from "../../src/wire/name.js";
import { loadZoneFile, loadZoneText, ZoneLoadError } from "../../src/zone/load-zone-file.js";
import { recordToText } from "../../src/zone/master-parser.js";

const dir = fileURLToPath(new URL("../fixtures/zones/parser/", import.meta.url));

describe("loadZoneFile", () => {
  test("follows $INCLUDE relative to the including file, origin from $ORIGIN", () => {
    const z = loadZoneFile(`${dir}include-main.zone`);
    expect(nameToText(z.origin)).toBe("example.org.");
    expect(z.diagnostics).toEqual([]);
    expect(z.records.map(recordToText)).toEqual([
      "example.org. 300 IN SOA ns1.example.org. hostmaster.example.org. 1 7200 3600 1209600 300",
      "example.org. 300 IN NS ns1.example.org.",
      "ns1.example.org. 300 IN A 192.0.2.1",
      "www.example.org. 300 IN A 192.0.2.80",
      'sub.example.org. 300 IN TXT "at the include origin"',
      "deep.sub.example.org. 300 IN A 192.0.2.81",
      "after.example.org. 300 IN A 192.0.2.99",
    ]);
    expect(z.records[2]!.source).toEqual({ file: `${dir}include/hosts.inc`, line: 2, column: 1 });
  });

  test("loads the every-type fixture without findings", () => {
    const z = loadZoneFile(`${dir}every-type.zone`);
    expect(z.diagnostics).toEqual([]);
    expect(z.records.length).toBeGreaterThan(50);
  });

  test("an explicit origin wins; warnings are returned and applied", () => {
    const z = loadZoneFile(`${dir}include-main.zone`, parseNameText("example.org.", null));
    expect(nameToText(z.origin)).toBe("example.org.");
  });

  test("throws ZoneLoadError with every diagnostic on errors", () => {
    let err: unknown;
    try {
      loadZoneFile(`${dir}bad-syntax.zone`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ZoneLoadError);
    const e = err as ZoneLoadError;
    expect(e.code).toBe("EDGENS_ERR_ZONE_PARSE");
    expect(e.diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`)).toEqual([
      "6:13 EDGENS_ERR_ZONE_RDATA",
      "7:15 EDGENS_ERR_ZONE_RDATA",
      "8:13 EDGENS_ERR_ZONE_SYNTAX",
      "9:9 EDGENS_ERR_ZONE_TYPE",
    ]);
    expect(e.message).toContain(
      `${dir}bad-syntax.zone:6:13: error: bad A RDATA: bad IPv4 address '192.0.2.256'`,
    );
  });

  test("no origin anywhere is an error", () => {
    const tmp = mkdtempSync(join(tmpdir(), "edgens-zone-"));
    try {
      writeFileSync(join(tmp, "noorigin.zone"), "$TTL 60\na.example. A 192.0.2.1\n");
      expect(() => loadZoneFile(join(tmp, "noorigin.zone"))).toThrow(/EDGENS_ERR_ZONE_NO_ORIGIN/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test("loadZoneText: the same for zone text in memory", () => {
    const z = loadZoneText("$ORIGIN t.example.\n$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n");
    expect(nameToText(z.origin)).toBe("t.example.");
    expect(z.records).toHaveLength(3);
    expect(() => loadZoneText("$ORIGIN t.example.\n$TTL 60\n@ NS ns\n", null, "inline")).toThrow(
      /inline:1:1: error: no SOA record at the zone apex t\.example\. \[EDGENS_ERR_ZONE_NO_SOA\]/,
    );
  });

  test("missing file throws the fs error", () => {
    expect(() => loadZoneFile(`${dir}nope.zone`)).toThrow(/ENOENT/);
  });
});

async function cli(args: string[]) {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: string[] = [];
  const errChunks: string[] = [];
  out.on("data", (c) => chunks.push(String(c)));
  err.on("data", (c) => errChunks.push(String(c)));
  const code = await runZoneCheck(args, out, err);
  return { code, out: chunks.join(""), err: errChunks.join("") };
}

describe("edgens zone check", () => {
  test("clean zone: exit 0 and a summary", async () => {
    const r = await cli([`${dir}every-type.zone`]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/zone example\.com\.: \d+ records, 0 error\(s\), 0 warning\(s\)\n$/);
  });
  test("syntax errors: every one printed as file:line:column, exit 1", async () => {
    const r = await cli([`${dir}bad-syntax.zone`]);
    expect(r.code).toBe(1);
    expect(r.out.split("\n").filter((l) => l.includes(": error: "))).toHaveLength(4);
    expect(r.out).toContain(`${dir}bad-syntax.zone:9:9: error: unknown type 'FOO' [EDGENS_ERR_ZONE_TYPE]`);
  });
  test("semantic errors and warnings", async () => {
    const r = await cli([`${dir}bad-semantics.zone`, "--origin", "example.com"]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("bad-semantics.zone:12:1: error: CNAME at c.example.com. beside other data (A)");
    expect(r.out).toContain("warning: TTL 200 differs from 100");
    expect(r.out).toMatch(/13 records, 2 error\(s\), 4 warning\(s\)/);
  });
  test("usage errors exit 2", async () => {
    expect((await cli([])).code).toBe(2);
    expect((await cli(["a", "b"])).code).toBe(2);
    expect((await cli([`${dir}every-type.zone`, "--origin", "a..b"])).code).toBe(2);
    expect((await cli([`${dir}nope.zone`])).code).toBe(2);
  });
});
