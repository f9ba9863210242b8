// The edge's bfdd config: schema defaults, the rendered text, and `edgens bgp render` writing bfdd.conf only
// when bgp.bfd is enabled. (That FRR accepts and uses it is bfd-hung-host.test.ts.)
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bfdPeers, renderBfdd } from "../../src/bgp/bfd.js";
import { type BgpConfigError, parseBgpConfig } from "../../src/bgp/config.js";
import { BgpRenderError } from "../../src/bgp/render.js";
import { runBgpRender } from "../../src/cli/bgp-render.js";

const base = {
  localAs: 65001,
  routerId: "10.254.2.2",
  neighbors: [
    { address: "10.254.2.1", peerAs: 65000, localAddress: "10.254.2.2" },
    { address: "fd00:254:2::1", peerAs: 65000, localAddress: "fd00:254:2::2" },
  ],
  prefixes: [{ prefix: "192.0.2.53/32" }, { prefix: "2001:db8:53::/48" }],
};

describe("bgp.bfd and renderBfdd", () => {
  const tmp = mkdtempSync(join(tmpdir(), "edgens-st-bfd-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("defaults: off, 100 ms × 3", () => {
    expect(parseBgpConfig(base).bfd).toEqual({ enabled: false, intervalMs: 100, multiplier: 3 });
    expect(() => renderBfdd(parseBgpConfig(base))).toThrow(BgpRenderError);
  });

  it("refuses nonsense with the key path", () => {
    try {
      parseBgpConfig({ ...base, bfd: { enabled: true, multiplier: 1, typo: 1 } });
      expect.unreachable();
    } catch (e) {
      const paths = (e as BgpConfigError).issues.map((i) => i.path);
      expect(paths).toContain("bgp.bfd.multiplier");
      expect(paths).toContain("bgp.bfd.typo");
    }
  });

  it("one single-hop peer per BGP neighbor, without interface, at the configured timers", () => {
    const cfg = parseBgpConfig({ ...base, bfd: { enabled: true, intervalMs: 50, multiplier: 4 } });
    expect(bfdPeers(cfg)).toEqual([
      { address: "10.254.2.1", localAddress: "10.254.2.2" },
      { address: "fd00:254:2::1", localAddress: "fd00:254:2::2" },
    ]);
    const text = renderBfdd(cfg);
    const body = text
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("!"))
      .join("\n");
    expect(body).toBe(
      [
        "frr defaults traditional",
        "hostname edgens-10.254.2.2",
        "bfd",
        " peer 10.254.2.1 local-address 10.254.2.2",
        "  detect-multiplier 4",
        "  receive-interval 50",
        "  transmit-interval 50",
        "  no shutdown",
        " !",
        " peer fd00:254:2::1 local-address fd00:254:2::2",
        "  detect-multiplier 4",
        "  receive-interval 50",
        "  transmit-interval 50",
        "  no shutdown",
        " !",
      ].join("\n"),
    );
    // Every FRR daemon reads the file: a top-level `exit` would end the config for the others.
    expect(text).not.toMatch(/^\s*exit\b/m);
    expect(text).not.toMatch(/^\s*(peer .*)?interface /m);
  });

  it("`edgens bgp render --out DIR` writes bfdd.conf only when bgp.bfd is enabled", async () => {
    const io = () => {
      const o = { out: "", err: "" };
      return {
        o,
        out: { write: (s: string) => (o.out += s) },
        err: { write: (s: string) => (o.err += s) },
      };
    };
    const yaml = (bfd: string) =>
      [
        "bgp:",
        "  localAs: 65001",
        "  routerId: 10.254.2.2",
        "  neighbors: [{ address: 10.254.2.1, peerAs: 65000, localAddress: 10.254.2.2 }]",
        "  prefixes: [{ prefix: 192.0.2.53/32 }]",
        bfd,
        "",
      ].join("\n");
    const on = join(tmp, "on.yaml");
    const off = join(tmp, "off.yaml");
    writeFileSync(on, yaml("  bfd: { enabled: true }"));
    writeFileSync(off, yaml(""));

    const a = io();
    expect(await runBgpRender(["--config", on, "--out", join(tmp, "on")], a.out, a.err)).toBe(0);
    expect(readFileSync(join(tmp, "on", "bfdd.conf"), "utf8")).toContain(
      " peer 10.254.2.1 local-address 10.254.2.2\n  detect-multiplier 3\n  receive-interval 100",
    );
    expect(a.o.out).toContain("bfdd.conf");

    const b = io();
    expect(await runBgpRender(["--config", off, "--out", join(tmp, "off")], b.out, b.err)).toBe(0);
    expect(existsSync(join(tmp, "off", "exabgp.conf"))).toBe(true);
    expect(existsSync(join(tmp, "off", "bfdd.conf"))).toBe(false);

    const c = io();
    expect(await runBgpRender(["--config", on, "--only", "bfdd"], c.out, c.err)).toBe(0);
    expect(c.o.out).toMatch(/^! bfdd\.conf for the edge host 10\.254\.2\.2/);
    const d = io();
    expect(await runBgpRender(["--config", off, "--only", "bfdd"], d.out, d.err)).toBe(1);
    expect(d.o.err).toContain("bgp.bfd.enabled");
  });
});
