// RFC 1982 serial number arithmetic for 32-bit SOA serials. Serials live on a circle: "greater" means less than
// half the circle ahead. Two serials exactly half a circle apart have no defined order (RFC 1982 §3.2).

const HALF = 2 ** 31;
const MOD = 2 ** 32;

/** Result of comparing serial `a` with `b`; "undefined" when they are exactly 2^31 apart. */
export type SerialOrder = "lt" | "eq" | "gt" | "undefined";

function check(s: number): number {
  if (!Number.isInteger(s) || s < 0 || s >= MOD) throw new RangeError(`serial out of range: ${s}`);
  return s;
}

/** Compare two serials per RFC 1982 §3.2. */
export function compareSerial(a: number, b: number): SerialOrder {
  check(a);
  check(b);
  if (a === b) return "eq";
  const diff = (b - a + MOD) % MOD;
  if (diff === HALF) return "undefined";
  return diff < HALF ? "lt" : "gt";
}

/** True when `a` is strictly newer than `b` (undefined order counts as not newer). */
export function serialNewer(a: number, b: number): boolean {
  return compareSerial(a, b) === "gt";
}

/** RFC 1982 §3.1 addition: `n` must be in 0 .. 2^31 - 1. */
export function addSerial(s: number, n: number): number {
  check(s);
  if (!Number.isInteger(n) || n < 0 || n > HALF - 1)
    throw new RangeError(`serial increment out of range: ${n}`);
  return (s + n) % MOD;
}
