import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addSerial, compareSerial, serialNewer } from "../../src/transfer/serial.js";

describe("RFC 1982 serial arithmetic", () => {
  it.each([
    [1, 1, "eq"],
    [1, 2, "lt"],
    [2, 1, "gt"],
    // wrap-around: 0 is after 2^32 - 1
    [0xffffffff, 0, "lt"],
    [0, 0xffffffff, "gt"],
    [0xfffffff0, 5, "lt"],
    // just under half the circle is still "ahead"
    [0, 0x7fffffff, "lt"],
    [0x7fffffff, 0, "gt"],
    // exactly half the circle apart: undefined (RFC 1982 §3.2)
    [0, 0x80000000, "undefined"],
    [0x80000000, 0, "undefined"],
    [5, 0x80000005, "undefined"],
  ] as const)("compare(%d, %d) = %s", (a, b, want) => {
    expect(compareSerial(a, b)).toBe(want);
  });

  it("adds with wrap-around and rejects increments of 2^31 or more", () => {
    expect(addSerial(0xffffffff, 1)).toBe(0);
    expect(addSerial(0xfffffffe, 10)).toBe(8);
    expect(addSerial(1, 0x7fffffff)).toBe(0x80000000);
    expect(() => addSerial(1, 0x80000000)).toThrow(RangeError);
    expect(() => addSerial(1, -1)).toThrow(RangeError);
    expect(() => compareSerial(2 ** 32, 1)).toThrow(RangeError);
  });

  it("s + n is newer than s for every 1 <= n < 2^31", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 0x7fffffff }),
        (s, n) => {
          const t = addSerial(s, n);
          return serialNewer(t, s) && compareSerial(s, t) === "lt";
        },
      ),
    );
  });

  it("compare is antisymmetric", () => {
    const flip = { lt: "gt", gt: "lt", eq: "eq", undefined: "undefined" } as const;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (a, b) => {
          return compareSerial(b, a) === flip[compareSerial(a, b)];
        },
      ),
    );
  });
});
