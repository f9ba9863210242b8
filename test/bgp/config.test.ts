// The `bgp:` schema: defaults, and every refusal names the key path of the offending value.
import { describe, expect, it } from "vitest";
import { BgpConfigError, type BgpConfigInput, parseBgpConfig } from "../../src/bgp/config.js";

const base = (): BgpConfigInput => ({
  localAs: 65001,
  routerId: "10.254.1.2",
  neighbors: [{ address: "10.254.1.1", peerAs: 65000, localAddress: "10.254.1.2" }],
  prefixes: [{ prefix: "192.0.2.53/32" }],
});

function issues(input: unknown): { path: string; message: string }[] {
  try {
    parseBgpConfig(input);
  } catch (e) {
    expect(e).toBeInstanceOf(BgpConfigError);
    expect((e as BgpConfigError).code).toBe("EDGENS_ERR_BGP_CONFIG");
    return (e as BgpConfigError).issues;
  }
  throw new Error("expected the config to be refused");
}

describe("bgpConfigSchema defaults", () => {
  it("fills in hold time, next hop, drain community and the ExaBGP env", () => {
    const cfg = parseBgpConfig(base());
    expect(cfg.holdTime).toBe(9);
    expect(cfg.prefixes[0]!.nextHop).toBe("self");
    expect(cfg.drainCommunity).toBe("65535:0");
    expect(cfg.prepend).toBe(0);
    expect(cfg.communities).toEqual([]);
    expect(cfg.api).toMatchObject({ processName: "edgens-health", node: "/usr/bin/node" });
    expect(cfg.env).toMatchObject({ user: "root", ack: true, respawn: true, terminate: true });
    expect(cfg.env.log).toEqual({ level: "INFO", destination: "stdout", routes: false });
    expect(Object.isFrozen(cfg.neighbors[0])).toBe(true);
  });

  it("accepts dual stack with an explicit IPv6 next hop over an IPv4 session", () => {
    const cfg = parseBgpConfig({
      ...base(),
      neighbors: [
        { address: "10.0.0.1", peerAs: 65000, localAddress: "10.0.0.2", families: ["ipv4", "ipv6"] },
      ],
      prefixes: [{ prefix: "192.0.2.0/24" }, { prefix: "2001:db8::/32", nextHop: "fd00::2" }],
    });
    expect(cfg.prefixes).toHaveLength(2);
  });
});

type Case = [
  what: string,
  mutate: (c: Record<string, unknown> & BgpConfigInput) => unknown,
  path: string,
  msg: RegExp,
];

const cases: Case[] = [
  ["missing localAs", ({ localAs: _, ...c }) => c, "bgp.localAs", /is required \(number\)/],
  ["AS_TRANS", (c) => ({ ...c, localAs: 23456 }), "bgp.localAs", /AS_TRANS/],
  ["router-id not IPv4", (c) => ({ ...c, routerId: "fd00::1" }), "bgp.routerId", /IPv4/],
  ["hold time 0", (c) => ({ ...c, holdTime: 0 }), "bgp.holdTime", /3/],
  ["unknown key (typo)", (c) => ({ ...c, holdtime: 9 }), "bgp.holdtime", /unknown key/],
  ["no neighbors", (c) => ({ ...c, neighbors: [] }), "bgp.neighbors", /1/],
  [
    "bad peer AS in the second neighbor",
    (c) => ({
      ...c,
      neighbors: [...c.neighbors, { address: "10.0.0.5", peerAs: "x", localAddress: "10.0.0.6" }],
    }),
    "bgp.neighbors.1.peerAs",
    /number/i,
  ],
  [
    "local address of the other family",
    (c) => ({ ...c, neighbors: [{ address: "10.254.1.1", peerAs: 65000, localAddress: "fd00::2" }] }),
    "bgp.neighbors.0.localAddress",
    /ipv4/,
  ],
  [
    "duplicate prefix written differently",
    (c) => ({
      ...c,
      neighbors: [{ address: "fd00::1", peerAs: 65000, localAddress: "fd00::2" }],
      prefixes: [{ prefix: "2001:db8::/32" }, { prefix: "2001:DB8:0::/32" }],
    }),
    "bgp.prefixes.1.prefix",
    /duplicates prefixes\.0/,
  ],
  [
    "duplicate neighbor",
    (c) => ({ ...c, neighbors: [c.neighbors[0], c.neighbors[0]] }),
    "bgp.neighbors.1.address",
    /duplicates/,
  ],
  [
    "md5 password with a quote",
    (c) => ({ ...c, neighbors: [{ ...c.neighbors[0], md5Password: `a"b` }] }),
    "bgp.neighbors.0.md5Password",
    /quote/,
  ],
  [
    "md5 password too long",
    (c) => ({ ...c, neighbors: [{ ...c.neighbors[0], md5Password: "x".repeat(81) }] }),
    "bgp.neighbors.0.md5Password",
    /80/,
  ],
  [
    "repeated family",
    (c) => ({ ...c, neighbors: [{ ...c.neighbors[0], families: ["ipv4", "ipv4"] }] }),
    "bgp.neighbors.0.families",
    /repeat/,
  ],
  [
    "not a prefix",
    (c) => ({ ...c, prefixes: [{ prefix: "192.0.2.53" }] }),
    "bgp.prefixes.0.prefix",
    /prefix/,
  ],
  [
    "next hop neither self nor an address",
    (c) => ({ ...c, prefixes: [{ prefix: "192.0.2.0/24", nextHop: "me" }] }),
    "bgp.prefixes.0.nextHop",
    /'self' or an IP address/,
  ],
  [
    "host bits",
    (c) => ({ ...c, prefixes: [{ prefix: "192.0.2.1/24" }] }),
    "bgp.prefixes.0.prefix",
    /host bits/,
  ],
  [
    "IPv6 host bits",
    (c) => ({
      ...c,
      neighbors: [{ address: "fd00::1", peerAs: 65000, localAddress: "fd00::2" }],
      prefixes: [{ prefix: "2001:db8::1/64" }],
    }),
    "bgp.prefixes.0.prefix",
    /host bits/,
  ],
  [
    "family nobody carries",
    (c) => ({ ...c, prefixes: [{ prefix: "2001:db8::/32" }] }),
    "bgp.prefixes.0.prefix",
    /no neighbor carries the ipv6/,
  ],
  [
    "next hop of the wrong family",
    (c) => ({ ...c, prefixes: [{ prefix: "192.0.2.0/24", nextHop: "fd00::2" }] }),
    "bgp.prefixes.0.nextHop",
    /ipv4 address/,
  ],
  [
    "next hop self for IPv6 over an IPv4 session",
    (c) => ({
      ...c,
      neighbors: [{ ...c.neighbors[0], families: ["ipv4", "ipv6"] }],
      prefixes: [{ prefix: "2001:db8::/32" }],
    }),
    "bgp.prefixes.0.nextHop",
    /explicit ipv6 next hop/,
  ],
  ["bad community", (c) => ({ ...c, communities: ["65536:1"] }), "bgp.communities.0", /0-65535/],
  ["bad large community", (c) => ({ ...c, largeCommunities: ["1:2"] }), "bgp.largeCommunities.0", /GLOBAL/],
  ["negative MED", (c) => ({ ...c, med: -1 }), "bgp.med", /0/],
  [
    "prepend towards an iBGP neighbor",
    (c) => ({ ...c, prepend: 2, neighbors: [{ ...c.neighbors[0], peerAs: 65001 }] }),
    "bgp.prepend",
    /iBGP/,
  ],
  ["relative node path", (c) => ({ ...c, api: { node: "node" } }), "bgp.api.node", /absolute/],
  ["relative run program", (c) => ({ ...c, api: { run: ["agent.sh"] } }), "bgp.api.run", /absolute/],
  ["env user with %", (c) => ({ ...c, env: { user: "a%b" } }), "bgp.env.user", /letters/],
  [
    "log destination",
    (c) => ({ ...c, env: { log: { destination: "file" } } }),
    "bgp.env.log.destination",
    /stdout/,
  ],
];

describe("bgpConfigSchema refusals name the key path", () => {
  it.each(cases)("%s", (_what, mutate, path, msg) => {
    const found = issues(mutate(base() as Record<string, unknown> & BgpConfigInput));
    const hit = found.find((i) => i.path === path);
    expect(hit, `issues: ${JSON.stringify(found)}`).toBeDefined();
    expect(hit!.message).toMatch(msg);
  });

  it("puts the source file and every issue in the message", () => {
    try {
      parseBgpConfig({ ...base(), localAs: 0, holdTime: 1 }, { source: "site.yaml" });
    } catch (e) {
      expect((e as Error).message).toMatch(/^site\.yaml: invalid BGP config/);
      expect((e as Error).message).toMatch(/bgp\.localAs: /);
      expect((e as Error).message).toMatch(/bgp\.holdTime: /);
      return;
    }
    throw new Error("expected an error");
  });
});
