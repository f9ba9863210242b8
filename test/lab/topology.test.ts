// The lab's pure parts: topology validation, address plan, expected nearest site, FRR config rendering and the
// failover arithmetic over probe records.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ProbeRecord } from "../../src/lab/dns-probe.js";
import { summarize } from "../../src/lab/failover.js";
import { renderFrrConfig } from "../../src/lab/frr-config.js";
import { netnsName } from "../../src/lab/lab-state.js";
import {
  addressPlan,
  chainTopology,
  expectedSite,
  loadTopology,
  parseTopology,
  uplink,
} from "../../src/lab/topology.js";

describe("lab topology", () => {
  const t = chainTopology(3, 2);
  const plan = addressPlan(t);

  it("builds a chain: cores, sites, nodes and clients with one /24 + /64 per link", () => {
    expect(plan.hosts.map((h) => h.id)).toEqual([
      "c1",
      "c2",
      "c3",
      "s1",
      "s2",
      "s3",
      "s1/n1",
      "s1/n2",
      "s2/n1",
      "s2/n2",
      "s3/n1",
      "s3/n2",
      "cl1",
      "cl2",
      "cl3",
    ]);
    // 2 core links + 3 site uplinks + 6 node links + 3 client links
    expect(plan.links).toHaveLength(14);
    for (const l of plan.links) {
      expect(l.a.ipv4).toBe(`10.200.${l.index}.1`);
      expect(l.b.ipv6).toBe(`fd00:ed6e:0:${l.index}::2`);
      expect(l.a.ifname.length).toBeLessThanOrEqual(15);
      expect(l.b.ifname.length).toBeLessThanOrEqual(15);
    }
    expect(uplink(plan, "s2/n1").peer.host).toBe("s2");
    expect(uplink(plan, "cl3").peer.host).toBe("s3");
    const node = plan.hosts.find((h) => h.id === "s1/n2")!;
    expect(netnsName("main", node)).toBe("edgens-lab-main-node-s1n2");
  });

  it("expects the nearest site, then the next by AS-path length, ties to the lower index", () => {
    expect(expectedSite(t, "cl1")).toEqual({ site: "s1", tie: false, hops: 0 });
    expect(expectedSite(t, "cl1", new Set(["s1"])).site).toBe("s2");
    expect(expectedSite(t, "cl2", new Set(["s2"]))).toEqual({ site: "s1", tie: true, hops: 3 });
    expect(expectedSite(t, "cl3", new Set(["s3"])).site).toBe("s2");
    expect(expectedSite(t, "cl1", new Set(["s1", "s2", "s3"])).site).toBeNull();
  });

  it("loads a YAML topology (ring of cores, a client on a site-less core) and flags ties", () => {
    const ring = loadTopology(join(import.meta.dirname, "ring.yaml"));
    expect(ring.sites.map((x) => x.name)).toEqual(["ams", "fra", "lon"]);
    expect(expectedSite(ring, "cfra").site).toBe("fra");
    // c3 is two AS hops from fra (via c2) and from lon (via c4): c2 has the lower router ID.
    expect(expectedSite(ring, "cc3")).toEqual({ site: "fra", tie: true, hops: 2 });
    expect(expectedSite(ring, "cc3", new Set(["fra"])).site).toBe("lon");
    expect(expectedSite(ring, "cfra", new Set(["fra"]))).toEqual({ site: "ams", tie: false, hops: 3 });
  });

  it("refuses unknown references, duplicate names and names too long for interface names", () => {
    expect(() =>
      parseTopology({
        cores: ["c1"],
        sites: [{ name: "s1", core: "c9", nodes: 1 }],
        clients: [{ name: "x", router: "s1" }],
      }),
    ).toThrow(/sites\.0\.core: unknown core 'c9'/);
    expect(() =>
      parseTopology({
        cores: ["c1"],
        sites: [{ name: "c1", core: "c1", nodes: 1 }],
        clients: [{ name: "x", router: "c1" }],
      }),
    ).toThrow(/used twice/);
    expect(() => parseTopology({ cores: ["core12"], sites: [], clients: [] })).toThrow(
      /cores\.0: must be 1-5 characters/,
    );
    expect(() => chainTopology(0, 1)).toThrow(/--sites/);
  });

  it("renders FRR configs with explicit families, MRAI 0, router-id tie-break and network statements", () => {
    const site = plan.hosts.find((h) => h.id === "s1")!;
    const conf = renderFrrConfig(plan, site, { hostname: "main-s1", logFile: "/tmp/x.log" });
    expect(conf).toContain("router bgp 65101\n");
    expect(conf).toContain("no bgp ebgp-requires-policy");
    expect(conf).toContain("bgp bestpath compare-routerid");
    // uplink to c1 (link 3), two nodes (links 6, 7), one client (link 12)
    expect(conf).toContain(" neighbor 10.200.3.1 remote-as 65001\n");
    expect(conf).toContain(" neighbor 10.200.6.2 remote-as 64953\n");
    expect(conf).toContain(" neighbor fd00:ed6e:0:7::2 advertisement-interval 0\n");
    expect(conf).not.toContain("10.200.12.2 remote-as");
    expect(conf).toContain("  network 10.200.12.0/24\n");
    expect(conf).toMatch(/address-family ipv6 unicast\n(.*\n)* {2}neighbor fd00:ed6e:0:6::2 activate/);
    expect(conf).not.toMatch(/address-family ipv4 unicast\n[^!]*neighbor fd00/);
  });
});

describe("failover summary", () => {
  const rec = (
    seq: number,
    sentAt: number,
    status: ProbeRecord["status"],
    nsid: string | null,
  ): ProbeRecord => ({
    seq,
    sentAt,
    status,
    nsid,
    rttMs: status === "lost" ? null : 1,
    rcode: status === "lost" ? null : "NOERROR",
    answers: [],
  });

  it("measures from the event to the first query of the final stable run, counting losses in between", () => {
    const rs: ProbeRecord[] = [];
    let seq = 0;
    for (let t = 0; t < 100; t += 10) rs.push(rec(seq++, t, "ok", "s1/n1"));
    rs.push(rec(seq++, 100, "ok", "s1/n1")); // event at 105
    for (let t = 110; t < 200; t += 10) rs.push(rec(seq++, t, "lost", null));
    rs.push(rec(seq++, 200, "wrong", "s1/n1"));
    rs.push(rec(seq++, 210, "ok", "s2/n1"));
    rs.push(rec(seq++, 220, "lost", null)); // a loss after a first answer: the stable run starts later
    for (let t = 230; t < 300; t += 10) rs.push(rec(seq++, t, "ok", "s2/n1"));
    const s = summarize(rs, 105, (n) => n !== null && n !== "s1/n1", 5);
    expect(s.before).toBe("s1/n1");
    expect(s.after).toBe("s2/n1");
    expect(s.settledMs).toBe(125);
    expect(s.lost).toBe(10);
    expect(s.wrong).toBe(1);
    expect(s.otherAnswers).toBe(0);
    expect(summarize(rs, 105, (n) => n === "s3/n1", 5).settledMs).toBeNull();
  });

  it("ignores records after a gap (still pending)", () => {
    const rs = [rec(0, 0, "ok", "a"), rec(2, 20, "ok", "b")];
    expect(summarize(rs, 5, (n) => n === "b", 1).total).toBe(1);
  });
});
