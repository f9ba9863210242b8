// The exact ExaBGP 4.2 API text the health agent will print (ExaBGP and FRR accept it: exabgp-frr.test.ts).
import { describe, expect, it } from "vitest";
import {
  announceLine,
  BgpUnknownPrefixError,
  withdrawAllLines,
  withdrawLine,
} from "../../src/bgp/api-lines.js";
import { type BgpConfigInput, parseBgpConfig } from "../../src/bgp/config.js";

const cfg = (extra: Partial<BgpConfigInput> = {}) =>
  parseBgpConfig({
    localAs: 65001,
    routerId: "10.254.1.2",
    neighbors: [
      { address: "10.254.1.1", peerAs: 65000, localAddress: "10.254.1.2" },
      { address: "fd00::1", peerAs: 65000, localAddress: "fd00::2" },
    ],
    prefixes: [{ prefix: "192.0.2.53/32" }, { prefix: "2001:DB8:53::/48", nextHop: "fd00::53" }],
    ...extra,
  });

describe("announceLine", () => {
  it("is minimal with defaults", () => {
    expect(announceLine("192.0.2.53/32", cfg())).toBe("announce route 192.0.2.53/32 next-hop self");
    // Found by value: the caller may write the prefix differently; the line uses the configured text.
    expect(announceLine("2001:db8:53:0::/48", cfg())).toBe(
      "announce route 2001:DB8:53::/48 next-hop fd00::53",
    );
  });

  it("carries MED, communities, large communities and the prepended AS path", () => {
    const c = cfg({
      med: 50,
      communities: ["65001:100", "65001:200"],
      largeCommunities: ["65001:1:53"],
      prepend: 2,
    });
    expect(announceLine("192.0.2.53/32", c)).toBe(
      "announce route 192.0.2.53/32 next-hop self med 50 community [65001:100 65001:200] " +
        "large-community [65001:1:53] as-path [65001 65001 65001]",
    );
  });

  it("adds the graceful-shutdown community when draining, once", () => {
    expect(announceLine("192.0.2.53/32", cfg(), { drain: true })).toBe(
      "announce route 192.0.2.53/32 next-hop self community [65535:0]",
    );
    const c = cfg({ communities: ["65001:100", "65535:0"] });
    expect(announceLine("192.0.2.53/32", c, { drain: true })).toBe(
      "announce route 192.0.2.53/32 next-hop self community [65001:100 65535:0]",
    );
    expect(announceLine("192.0.2.53/32", cfg({ drainCommunity: "65001:666" }), { drain: true })).toMatch(
      /community \[65001:666\]$/,
    );
  });

  it("refuses a prefix that is not configured", () => {
    expect(() => announceLine("198.51.100.0/24", cfg())).toThrow(BgpUnknownPrefixError);
    try {
      withdrawLine("198.51.100.0/24", cfg());
    } catch (e) {
      expect((e as BgpUnknownPrefixError).code).toBe("EDGENS_ERR_BGP_UNKNOWN_PREFIX");
    }
  });
});

describe("withdrawLine", () => {
  it("names the prefix and its next hop", () => {
    expect(withdrawLine("192.0.2.53/32", cfg())).toBe("withdraw route 192.0.2.53/32 next-hop self");
    expect(withdrawAllLines(cfg())).toEqual([
      "withdraw route 192.0.2.53/32 next-hop self",
      "withdraw route 2001:DB8:53::/48 next-hop fd00::53",
    ]);
  });
});
