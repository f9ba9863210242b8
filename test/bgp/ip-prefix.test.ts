// Address and prefix parsing: families, host bits, and value-equality however an address is written.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addressFamily, addressKey, addressValue, parsePrefix, prefixKey } from "../../src/bgp/ip-prefix.js";

const full = (v: bigint) =>
  Array.from({ length: 8 }, (_, i) => ((v >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(":");
// WHATWG URL parsing prints IPv6 hosts in RFC 5952 form (longest zero run compressed).
const compressed = (v: bigint) => new URL(`http://[${full(v)}]/`).hostname.slice(1, -1);

describe("ip-prefix", () => {
  it("tells families apart and refuses zone ids and junk", () => {
    expect(addressFamily("192.0.2.1")).toBe("ipv4");
    expect(addressFamily("fd00::1")).toBe("ipv6");
    expect(addressFamily("fe80::1%eth0")).toBeNull();
    expect(addressFamily("192.0.2.256")).toBeNull();
    expect(addressFamily("self")).toBeNull();
  });

  it.each([
    ["::", 0n],
    ["::1", 1n],
    ["1::", 1n << 112n],
    ["::ffff:192.0.2.1", (0xffffn << 32n) | 0xc0000201n],
    ["64:ff9b::192.0.2.1", (0x64n << 112n) | (0xff9bn << 96n) | 0xc0000201n],
    ["1:2:3:4:5:6:1.2.3.4", 0x0001000200030004000500060102_0304n],
  ])("reads %s", (text, value) => {
    expect(addressValue(text)).toBe(value);
  });

  it("reads any IPv6 address in full and compressed form to the same value", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (v) => {
        expect(addressValue(full(v))).toBe(v);
        expect(addressValue(compressed(v))).toBe(v);
        expect(addressKey(full(v).toUpperCase())).toBe(addressKey(compressed(v)));
      }),
    );
  });

  it("finds host bits and bad lengths", () => {
    expect(parsePrefix("192.0.2.0/24")).toEqual({
      family: "ipv4",
      address: "192.0.2.0",
      length: 24,
      canonical: true,
    });
    expect(parsePrefix("192.0.2.1/24")?.canonical).toBe(false);
    expect(parsePrefix("0.0.0.0/0")?.canonical).toBe(true);
    expect(parsePrefix("2001:db8::/32")?.canonical).toBe(true);
    expect(parsePrefix("2001:db8::1/127")?.canonical).toBe(false);
    expect(parsePrefix("2001:db8::/129")).toBeNull();
    expect(parsePrefix("192.0.2.0/33")).toBeNull();
    expect(parsePrefix("192.0.2.0")).toBeNull();
    expect(parsePrefix("192.0.2.0/ 24")).toBeNull();
  });

  it("keys equal prefixes equally", () => {
    expect(prefixKey("2001:DB8:0::/48")).toBe(prefixKey("2001:db8::/48"));
    expect(prefixKey("2001:db8::/48")).not.toBe(prefixKey("2001:db8::/64"));
  });
});
