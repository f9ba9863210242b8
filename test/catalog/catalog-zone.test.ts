// RFC 9432 catalog parsing and member diffs, written as catalog zone text.
import { describe, expect, it } from "vitest";
import { diffMembers, parseCatalog } from "../../src/catalog/catalog-zone.js";
import { CatalogError } from "../../src/catalog/errors.js";
import { parseNameText } from "../../src/wire/name.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";

const ORIGIN = "cat.example.";
const origin = parseNameText(ORIGIN, null);

function catalog(...lines: string[]) {
  const text = [
    `$ORIGIN ${ORIGIN}`,
    "$TTL 0",
    "@ SOA invalid. invalid. 1 3600 600 1209600 0",
    "@ NS invalid.",
    ...lines,
  ];
  const parsed = parseMasterFile(`${text.join("\n")}\n`, { file: "cat", origin });
  expect(parsed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return parseCatalog(origin, parsed.records);
}

describe("parseCatalog", () => {
  it("reads members, groups and coo properties", () => {
    const c = catalog(
      'version TXT "2"',
      "a1.zones PTR One.Example.",
      'group.a1.zones TXT "blue"',
      "b2.zones PTR two.example.",
      "coo.b2.zones PTR other-cat.example.",
      'ext.foo TXT "ignored: not under zones"',
    );
    expect([...c.members.values()]).toEqual([
      { zone: "one.example.", id: "a1", group: "blue", coo: null },
      { zone: "two.example.", id: "b2", group: null, coo: "other-cat.example." },
    ]);
    expect(c.problems).toEqual([]);
  });

  it.each([
    [[], "found 0"],
    [['version TXT "1"'], 'version "1" not supported'],
    [['version TXT "2"', 'version TXT "3"'], "found 2"],
  ])("rejects a catalog without version 2: %j", (lines, why) => {
    expect(() => catalog(...lines)).toThrow(CatalogError);
    expect(() => catalog(...lines)).toThrow(why);
  });

  it("ignores ids with several PTRs and keeps one id per member zone", () => {
    const c = catalog(
      'version TXT "2"',
      "x.zones PTR a.example.",
      "x.zones PTR b.example.",
      "m2.zones PTR c.example.",
      "m1.zones PTR c.example.",
      'group.m1.zones TXT "g1"',
      'group.m1.zones TXT "g2"',
    );
    expect([...c.members.keys()]).toEqual(["c.example."]);
    expect(c.members.get("c.example.")).toMatchObject({ id: "m1", group: null });
    expect(c.problems).toHaveLength(3);
  });
});

describe("diffMembers", () => {
  const m = (zone: string, id: string, group: string | null = null) =>
    [zone, { zone, id, group, coo: null }] as const;
  it("finds added, removed, reset (new id) and regrouped members", () => {
    const before = new Map([m("a.", "1"), m("b.", "2"), m("c.", "3", "x"), m("d.", "4")]);
    const after = new Map([m("a.", "1"), m("b.", "22"), m("c.", "3", "y"), m("e.", "5")]);
    const d = diffMembers(before, after);
    expect(d.added.map((x) => x.zone)).toEqual(["e."]);
    expect(d.removed.map((x) => x.zone)).toEqual(["d."]);
    expect(d.reset.map((x) => x.zone)).toEqual(["b."]);
    expect(d.regrouped.map((x) => x.zone)).toEqual(["c."]);
  });
});
