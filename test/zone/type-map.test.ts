// TypeMap (a zone node's RRsets by type) must behave like the Map it replaced for every operation the tree
// and the lookup use, whatever the sequence of sets and deletes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TypeMap } from "../../src/zone/type-map.js";

describe("TypeMap", () => {
  it("one, two and many types: get, has, size and iteration in insertion order", () => {
    const m = new TypeMap<string>();
    expect(m.size).toBe(0);
    expect([...m]).toEqual([]);
    m.set(1, "a").set(28, "aaaa");
    m.set(1, "a2"); // replacing keeps the place
    m.set(15, "mx").set(16, "txt");
    expect(m.size).toBe(4);
    expect([...m.keys()]).toEqual([1, 28, 15, 16]);
    expect([...m.values()]).toEqual(["a2", "aaaa", "mx", "txt"]);
    expect(m.get(15)).toBe("mx");
    expect(m.has(2)).toBe(false);
    expect(m.get(2)).toBeUndefined();
    const seen: [number, string][] = [];
    m.forEach((v, k) => {
      seen.push([k, v]);
    });
    expect(seen).toEqual([...m.entries()]);
  });

  it("matches Map for random sequences of set and delete (keys and values; order while nothing is deleted)", () => {
    const op = fc.record({ del: fc.boolean(), type: fc.integer({ min: 0, max: 6 }), v: fc.integer() });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const t = new TypeMap<number>();
        const m = new Map<number, number>();
        let deleted = false;
        for (const o of ops) {
          if (o.del) {
            expect(t.delete(o.type)).toBe(m.delete(o.type));
            deleted = true;
          } else {
            t.set(o.type, o.v);
            m.set(o.type, o.v);
          }
          expect(t.size).toBe(m.size);
          for (let k = 0; k <= 6; k++) {
            expect(t.has(k)).toBe(m.has(k));
            expect(t.get(k)).toBe(m.get(k));
          }
        }
        const sorted = (xs: [number, number][]) => [...xs].sort((a, b) => a[0] - b[0]);
        expect(sorted([...t])).toEqual(sorted([...m]));
        if (!deleted) expect([...t]).toEqual([...m]);
      }),
    );
  });

  it("refuses a negative type (the empty-slot marker)", () => {
    expect(() => new TypeMap<number>().set(-1, 0)).toThrow(RangeError);
  });
});
