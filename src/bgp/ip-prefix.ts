// IP address and prefix parsing for the BGP config: address family, and whether a prefix has host bits set
// (a route for 192.0.2.1/24 is almost always a typo, and routers disagree about what it means).
import { isIPv4, isIPv6 } from "node:net";

export type Family = "ipv4" | "ipv6";

export interface ParsedPrefix {
  family: Family;
  /** The address part as written. */
  address: string;
  length: number;
  /** True when bits beyond `length` are all zero. */
  canonical: boolean;
}

export function addressFamily(text: string): Family | null {
  if (isIPv4(text)) return "ipv4";
  // Zone ids (fe80::1%eth0) are not usable in a BGP config.
  if (isIPv6(text) && !text.includes("%")) return "ipv6";
  return null;
}

/** The address as an integer (32 or 128 bits), or null when it is not an address. */
export function addressValue(text: string): bigint | null {
  const family = addressFamily(text);
  if (family === null) return null;
  return family === "ipv4" ? ipv4ToBigInt(text) : ipv6ToBigInt(text);
}

/** Equal for equal addresses however written (`2001:DB8::1` = `2001:db8:0::1`). */
export function addressKey(text: string): string {
  const v = addressValue(text);
  return v === null ? text : `${addressFamily(text)}:${v.toString(16)}`;
}

/** Equal for equal prefixes however written. */
export function prefixKey(text: string): string {
  const p = parsePrefix(text);
  return p === null ? text : `${addressKey(p.address)}/${p.length}`;
}

/** Parses `address/length`; returns null when it is not a prefix. */
export function parsePrefix(text: string): ParsedPrefix | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return null;
  const address = m[1]!;
  const length = Number(m[2]);
  const family = addressFamily(address);
  if (family === null) return null;
  const bits = family === "ipv4" ? 32 : 128;
  if (length > bits) return null;
  const value = family === "ipv4" ? ipv4ToBigInt(address) : ipv6ToBigInt(address);
  const hostMask = (1n << BigInt(bits - length)) - 1n;
  return { family, address, length, canonical: (value & hostMask) === 0n };
}

function ipv4ToBigInt(text: string): bigint {
  return text.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** Expects text already accepted by `isIPv6` (so at most one `::`, valid groups, optional dotted tail). */
function ipv6ToBigInt(text: string): bigint {
  let groups: string[];
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  let head = text;
  let tailGroups: string[] = [];
  if (tail.includes(".")) {
    const v4 = ipv4ToBigInt(tail);
    tailGroups = [(v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16)];
    head = text.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::" and "64:ff9b::1.2.3.4" leaves "64:ff9b::"; a single trailing ":" is dropped.
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  if (head.includes("::")) {
    const [left, right] = head.split("::") as [string, string];
    const l = left === "" ? [] : left.split(":");
    const r = right === "" ? [] : right.split(":");
    const missing = 8 - l.length - r.length - tailGroups.length;
    groups = [...l, ...Array<string>(missing).fill("0"), ...r, ...tailGroups];
  } else {
    groups = [...head.split(":"), ...tailGroups];
  }
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}
