// `edgens health-agent` flags → settings, and the ExaBGP lines the settings produce.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runHealthAgent } from "../../src/cli/health-agent.js";
import { HealthConfigError } from "../../src/health/agent.js";
import { AGENT_DEFAULTS, parseAgentFlags, serviceAddresses } from "../../src/health/agent-flags.js";
import { healthConfigSchema } from "../../src/health/config.js";
import { bgpRouteEffects } from "../../src/health/route-effects.js";

const base = ["--check-udp", "192.0.2.53:53", "--name", "example.com", "--prefix", "192.0.2.53/32"];

describe("health-agent flags", () => {
  it("builds per-family DNS checks for every address × transport × name", () => {
    const s = parseAgentFlags([
      ...base,
      "--check-udp",
      "[2001:db8::53]:53",
      "--check-tcp",
      "192.0.2.53:53",
      "--name",
      "example.net",
      "--prefix",
      "2001:db8::53/128",
      "--expect-aa",
      "--expect-serial",
      "42",
    ])!;
    expect(s.prefixes).toEqual([
      { prefix: "192.0.2.53/32", family: 4 },
      { prefix: "2001:db8::53/128", family: 6 },
    ]);
    expect(s.dnsChecks.map((c) => `${c.transport} ${c.address} ${c.name}`)).toEqual([
      "udp 192.0.2.53 example.com",
      "udp 192.0.2.53 example.net",
      "udp 2001:db8::53 example.com",
      "udp 2001:db8::53 example.net",
      "tcp 192.0.2.53 example.com",
      "tcp 192.0.2.53 example.net",
    ]);
    expect(s.dnsChecks[0]!.expect).toEqual({ rcode: "NOERROR", aa: true, serial: 42 });
    expect(s.machine).toMatchObject({ rise: 2, fall: 2, intervalMs: 100, fastIntervalMs: 50 });
    expect(s.dnsChecks[0]!.timeoutMs).toBe(AGENT_DEFAULTS.timeoutMs);
  });

  it("rejects misuse with HealthConfigError", () => {
    const bad = [
      ["--name", "x", "--prefix", "192.0.2.53/32"],
      ["--check-udp", "192.0.2.53:53", "--prefix", "192.0.2.53/32"],
      ["--check-udp", "192.0.2.53:53", "--name", "x"],
      [...base, "--prefix", "192.0.2.300/32"],
      [...base, "--check-udp", "2001:db8::1:53"],
      [...base, "--rise", "0"],
      [...base, "--drain-prepend", "2"],
      [...base, "--config", "/etc/edgens/edgens.yaml"],
      [...base, "--unknown"],
    ];
    for (const args of bad) expect(() => parseAgentFlags(args), args.join(" ")).toThrow(HealthConfigError);
  });

  it("renders announce, drain and withdraw lines", () => {
    const s = parseAgentFlags([
      ...base,
      "--community",
      "64512:53",
      "--local-as",
      "64512",
      "--drain-prepend",
      "2",
    ])!;
    const r = bgpRouteEffects(s.routes, s.drainPrepend);
    expect(r.announce("192.0.2.53/32", { drain: false })).toBe(
      "announce route 192.0.2.53/32 next-hop self community [64512:53]",
    );
    expect(r.announce("192.0.2.53/32", { drain: true })).toBe(
      "announce route 192.0.2.53/32 next-hop self community [64512:53 65535:0] as-path [64512 64512 64512]",
    );
    expect(r.withdraw("192.0.2.53/32")).toBe("withdraw route 192.0.2.53/32 next-hop self");
  });

  it("runHealthAgent exits 2 on misuse and 2 for a prefix without a check of its family", async () => {
    let err = "";
    const e = {
      write: (c: string) => {
        err += c;
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    expect(await runHealthAgent(["--nope"], e, e)).toBe(2);
    expect(await runHealthAgent([...base, "--prefix", "2001:db8::53/128"], e, e, { signals: false })).toBe(2);
    expect(err).toContain("has no IPv6 check");
  });

  it("takes prefixes, service addresses, zone names, readyz and route attributes from --config", () => {
    const dir = mkdtempSync(join(tmpdir(), "edgens-health-cfg-"));
    try {
      const file = join(dir, "edgens.yaml");
      writeFileSync(
        file,
        [
          "listen: ['192.0.2.53:53', '[2001:db8::53]:53', '127.0.0.1:5353']",
          "zones: [{ origin: example.com, file: example.com.zone }]",
          "metrics: { listen: '127.0.0.1:9153' }",
          "log: { level: warn }",
          "bgp:",
          "  localAs: 64512",
          "  routerId: 10.0.0.2",
          "  communities: ['64512:53']",
          "  neighbors:",
          "    - { address: 10.0.0.1, peerAs: 64500, localAddress: 10.0.0.2, families: [ipv4, ipv6] }",
          "  prefixes: [{ prefix: 192.0.2.53/32 }, { prefix: 2001:db8::53/128, nextHop: '2001:db8::2' }]",
          "",
        ].join("\n"),
      );
      const s = parseAgentFlags(["--config", file, "--rise", "3"])!;
      expect(s.prefixes.map((p) => p.prefix)).toEqual(["192.0.2.53/32", "2001:db8::53/128"]);
      // 127.0.0.1:5353 is not inside an announced prefix: not a service address.
      expect(
        s.dnsChecks.map((c) => `${c.transport} ${c.address}:${c.port} ${c.name} aa=${c.expect.aa}`),
      ).toEqual([
        "udp 192.0.2.53:53 example.com aa=true",
        "udp 2001:db8::53:53 example.com aa=true",
        "tcp 192.0.2.53:53 example.com aa=true",
        "tcp 2001:db8::53:53 example.com aa=true",
      ]);
      expect(s.readyzUrl).toBe("http://127.0.0.1:9153/readyz");
      expect(s.logLevel).toBe("warn");
      expect(s.machine.rise).toBe(3);
      const r = bgpRouteEffects(s.routes, s.drainPrepend);
      expect(r.announce("2001:db8::53/128", { drain: true })).toBe(
        "announce route 2001:db8::53/128 next-hop 2001:db8::2 community [64512:53 65535:0]",
      );
      expect(() => parseAgentFlags(["--config", join(dir, "missing.yaml")])).toThrow(HealthConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("service addresses: inside the prefixes, else every listen address of the family", () => {
    expect(serviceAddresses(["127.0.0.1:5353", "[::1]:5353"], ["192.0.2.53/32"]).map((a) => a.host)).toEqual([
      "127.0.0.1",
      "::1",
    ]);
  });

  it("the health: section schema carries the shipped defaults and rejects nonsense", () => {
    expect(healthConfigSchema.parse({})).toMatchObject({
      rise: 2,
      fall: 2,
      intervalMs: 100,
      fastIntervalMs: 50,
      timeoutMs: 150,
      holdDownMs: 1000,
      drainWaitMs: 3000,
      metrics: null,
    });
    expect(healthConfigSchema.safeParse({ rise: 0 }).success).toBe(false);
    expect(healthConfigSchema.safeParse({ metrics: "localhost:9" }).success).toBe(false);
    expect(healthConfigSchema.safeParse({ bogus: 1 }).success).toBe(false);
  });
});
