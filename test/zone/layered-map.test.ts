// LayeredMap (src/zone/layered-map.ts): the copy-on-write name map of IXFRs applied to a zone tree. Checked
// against a plain Map given the same operations, including over earlier layers that must not change.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LayeredMap } from "../../src/zone/layered-map.js";

describe("LayeredMap", () => {
  it("reads through to the base, replaces and adds in its layer, and leaves the base as it was", () => {
    const base = new Map([
      ["a", 1],
      ["b", 2],
      ["c", 3],
    ]);
    const m = LayeredMap.over(base);
    m.set("b", 20).set("d", 4).set("d", 40);
    expect([m.get("a"), m.get("b"), m.get("d"), m.get("x")]).toEqual([1, 20, 40, undefined]);
    expect([m.has("c"), m.has("d"), m.has("x")]).toEqual([true, true, false]);
    expect(m.size).toBe(4);
    expect([...m]).toEqual([
      ["a", 1],
      ["b", 20],
      ["c", 3],
      ["d", 40],
    ]);
    expect([...m.keys()]).toEqual(["a", "b", "c", "d"]);
    expect([...m.values()]).toEqual([1, 20, 3, 40]);
    const seen: string[] = [];
    m.forEach((v, k) => {
      seen.push(`${k}=${v}`);
    });
    expect(seen).toEqual(["a=1", "b=20", "c=3", "d=40"]);
    expect([...base]).toEqual([
      ["a", 1],
      ["b", 2],
      ["c", 3],
    ]);
  });

  it("a map over a layered one equals a copied Map after any sequence of changes; earlier maps never change", () => {
    const op = fc.tuple(
      fc.constantFrom("k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"),
      fc.nat(99),
    );
    fc.assert(
      fc.property(fc.array(fc.array(op, { maxLength: 6 }), { maxLength: 12 }), (rounds) => {
        let layered: ReadonlyMap<string, number> = new Map(
          Array.from({ length: 16 }, (_, i) => [`b${i}`, i]),
        );
        let plain = new Map(layered);
        const history: [ReadonlyMap<string, number>, [string, number][]][] = [];
        for (const sets of rounds) {
          const next = LayeredMap.over(layered);
          const copy = new Map(plain);
          for (const [k, v] of sets) {
            next.set(k, v);
            copy.set(k, v);
          }
          history.push([layered, [...plain]]);
          layered = next;
          plain = copy;
          expect([...layered]).toEqual([...plain]);
          expect(layered.size).toBe(plain.size);
          for (const k of ["k0", "k5", "b3", "zz"]) expect(layered.get(k)).toBe(plain.get(k));
        }
        for (const [m, entries] of history) expect([...m]).toEqual(entries);
      }),
      { numRuns: 200 },
    );
  });
});
