// NameTable (src/zone/name-table.ts): the zone tree's name → node map (issue #6). It must behave as the Map it
// replaces: insertion order, replace in place, absent keys, through growth from its smallest size and through
// keys whose whole 32-bit hash is the same.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LayeredMap } from "../../src/zone/layered-map.js";
import { NameTable, nameHash } from "../../src/zone/name-table.js";

/**
 * The first two keys `k<i>` (in i order) with the same full hash: a collision the table must tell apart. (The
 * prefix is the one, of ten tried, whose first collision comes soonest: at i = 261234.)
 */
function collidingKeys(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const k = `k${i}`;
    const h = nameHash(k);
    const other = seen.get(h);
    if (other !== undefined) return [other, k];
    seen.set(h, k);
  }
}

describe("NameTable", () => {
  it("reserve sizes the table at once; the entries held before and after stay found, in order", () => {
    const t = new NameTable<number>();
    for (let i = 0; i < 5; i++) t.set(`k${i}`, i);
    t.reserve(100_000);
    t.reserve(10); // smaller than held: no change
    for (let i = 5; i < 100_000; i++) t.set(`k${i}`, i);
    expect(t.size).toBe(100_000);
    for (const i of [0, 4, 5, 54_321, 99_999]) expect(t.get(`k${i}`)).toBe(i);
    expect(t.get("k100000")).toBeUndefined();
    expect([...t.keys()].slice(0, 6)).toEqual(["k0", "k1", "k2", "k3", "k4", "k5"]);
  });

  it("keeps insertion order, replaces in place and reports absent keys", () => {
    const t = new NameTable<number>();
    t.set("a", 1).set("b", 2).set("c", 3).set("b", 20).set("d", 4);
    expect(t.size).toBe(4);
    expect([t.get("a"), t.get("b"), t.get("d"), t.get("x"), t.get("")]).toEqual([
      1,
      20,
      4,
      undefined,
      undefined,
    ]);
    expect([t.has("c"), t.has("x"), t.has("ab")]).toEqual([true, false, false]);
    expect([...t]).toEqual([
      ["a", 1],
      ["b", 20],
      ["c", 3],
      ["d", 4],
    ]);
    expect([...t.entries()]).toEqual([...t]);
    expect([...t.keys()]).toEqual(["a", "b", "c", "d"]);
    expect([...t.values()]).toEqual([1, 20, 3, 4]);
    const seen: string[] = [];
    const self = { tag: "this" };
    t.forEach(function (this: typeof self, v, k, m) {
      expect(this).toBe(self);
      expect(m).toBe(t);
      seen.push(`${k}=${v}`);
    }, self);
    expect(seen).toEqual(["a=1", "b=20", "c=3", "d=4"]);
  });

  it("sees entries added while it is iterated, as a Map does", () => {
    const t = new NameTable<number>();
    t.set("a", 0);
    const keys: string[] = [];
    for (const k of t.keys()) {
      keys.push(k);
      if (t.size < 5) t.set(`${k}+`, t.size);
    }
    expect(keys).toEqual(["a", "a+", "a++", "a+++", "a++++"]);
  });

  it("finds every key through many doublings from the smallest table", () => {
    const t = new NameTable<number>();
    const n = 100_000; // 8 slots at first: 15 doublings
    for (let i = 0; i < n; i++) {
      t.set(`\x02h${i}\x03xfr\x04test\x00`, i);
      // Right after each doubling (the size crosses a power of two) every key placed so far is still found.
      if ((i & (i + 1)) === 0) {
        let found = 0;
        for (let j = 0; j <= i; j++) if (t.get(`\x02h${j}\x03xfr\x04test\x00`) === j) found++;
        expect(found).toBe(i + 1);
      }
    }
    expect(t.size).toBe(n);
    let ok = 0;
    for (let i = 0; i < n; i++) if (t.get(`\x02h${i}\x03xfr\x04test\x00`) === i) ok++;
    expect(ok).toBe(n);
    for (let i = n; i < n + 1000; i++) expect(t.has(`\x02h${i}\x03xfr\x04test\x00`)).toBe(false);
    expect([...t.values()]).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it("tells apart keys whose whole hash is the same", () => {
    const [a, b] = collidingKeys();
    expect(a).not.toBe(b);
    expect(nameHash(a)).toBe(nameHash(b));
    const t = new NameTable<string>();
    t.set(a, "first");
    expect(t.get(b)).toBeUndefined();
    expect(t.has(b)).toBe(false);
    t.set(b, "second");
    t.set(a, "first again");
    expect([t.get(a), t.get(b), t.size]).toEqual(["first again", "second", 2]);
    // And across a doubling, which places both from the one stored hash.
    for (let i = 0; i < 20; i++) t.set(`pad${i}`, "");
    expect([t.get(a), t.get(b), t.size]).toEqual(["first again", "second", 22]);
    expect([...t.keys()].slice(0, 2)).toEqual([a, b]);
  });

  it("sets a key right after its miss, also when other sets took that slot in between", () => {
    for (let pad = 0; pad < 40; pad++) {
      const t = new NameTable<number>();
      for (let i = 0; i < pad; i++) t.set(`p${i}`, i);
      expect(t.get("a")).toBeUndefined(); // the miss remembers where "a" would go
      t.set("a", 1);
      expect(t.has("b")).toBe(false);
      t.set("c", 3); // may take the slot the miss of "b" found, or double the table
      t.set("b", 2);
      t.set("a", 10); // present: replaced, not added again
      expect([t.get("a"), t.get("b"), t.get("c"), t.size]).toEqual([10, 2, 3, pad + 3]);
      expect([...t.keys()].slice(pad)).toEqual(["a", "c", "b"]);
      for (let i = 0; i < pad; i++) expect(t.get(`p${i}`)).toBe(i);
    }
  });

  it("sized up front, holds the same as grown", () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `k${(i * 7919) % 5000}`);
    const hinted = new NameTable<number>(5000);
    const grown = new NameTable<number>();
    const small = new NameTable<number>(10); // a hint too small: grows past it
    for (const [i, k] of keys.entries()) {
      hinted.set(k, i);
      grown.set(k, i);
      small.set(k, i);
    }
    expect([...hinted]).toEqual([...grown]);
    expect([...small]).toEqual([...grown]);
    expect([...NameTable.from(new Map(grown))]).toEqual([...grown]);
  });

  it("equals a Map after any sequence of sets, gets and has", () => {
    // Few distinct keys (so sets replace and gets hit) that differ by one char or by length.
    const key = fc.constantFrom(
      "",
      "a",
      "b",
      "ab",
      "ba",
      "aa",
      "\x01a\x00",
      "\x01b\x00",
      "\xff",
      "a\x00",
      "w1",
    );
    const op = fc.oneof(
      fc.tuple(fc.constant("set" as const), key, fc.nat(9)),
      fc.tuple(fc.constant("get" as const), key, fc.constant(0)),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.nat(20), (ops, hint) => {
        const t = new NameTable<number>(hint);
        const m = new Map<string, number>();
        for (const [what, k, v] of ops) {
          if (what === "set") {
            expect(t.set(k, v)).toBe(t);
            m.set(k, v);
          }
          expect(t.get(k)).toBe(m.get(k));
          expect(t.has(k)).toBe(m.has(k));
          expect(t.size).toBe(m.size);
        }
        expect([...t]).toEqual([...m]);
      }),
      { numRuns: 300 },
    );
  });

  it("is the base a LayeredMap merges into, in the layered map's order", () => {
    const base = new NameTable<number>();
    for (let i = 0; i < 16; i++) base.set(`b${i}`, i);
    let m = LayeredMap.over(base);
    m.set("b3", 30).set("n1", 100).set("n2", 200);
    const entries = [...m];
    // The layer now exceeds 1/8 of the base: the next map merges the two.
    m = LayeredMap.over(m);
    const merged = m.layers().base;
    expect(merged).toBeInstanceOf(NameTable);
    expect([...merged]).toEqual(entries);
    expect(merged.get("b3")).toBe(30);
  });
});
