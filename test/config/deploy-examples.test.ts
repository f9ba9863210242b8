// The shipped examples must stay valid as the schema evolves.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { buildConfig, loadConfig, parseConfigText } from "../../src/config/load-config.js";

const DEPLOY = resolve(import.meta.dirname, "../../deploy");

describe("deploy examples", () => {
  it("edgens.yaml.example + site.yaml.example give the documented node", () => {
    const cfg = loadConfig({
      file: join(DEPLOY, "edgens.yaml.example"),
      site: join(DEPLOY, "site.yaml.example"),
    });
    expect(cfg.node).toEqual({ site: "ams1", nsid: "ams1-a", identity: "ams1-a.edgens.example" });
    expect(cfg.listen).toEqual(["198.51.100.53:53", "[2001:db8:53::53]:53", "127.0.0.1:53"]);
    expect(cfg.zones[0]?.file).toBe(join(DEPLOY, "zones/example.com.zone"));
    expect(cfg.fastpath).toEqual({ mode: "native", interfaces: ["eth0"] });
    expect(cfg.bgp?.localAs).toBe(65001);
    expect(cfg.bgp?.holdTime).toBe(9);
  });

  it("the base alone is valid too", () => {
    expect(loadConfig({ file: join(DEPLOY, "edgens.yaml.example") }).fastpath.mode).toBe("off");
  });

  it("bgp errors carry the bgp. key path and the YAML position", () => {
    const text = `${readFileSync(join(DEPLOY, "edgens.yaml.example"), "utf8")}`.replace(
      "peerAs: 65000",
      "peerAs: x",
    );
    try {
      buildConfig([parseConfigText("edgens.yaml", text, DEPLOY)]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems[0]).toMatch(
        /^edgens\.yaml:\d+:15: bgp\.neighbors\[0\]\.peerAs: expected number/,
      );
    }
  });

  it("the systemd unit grants only the three capabilities", () => {
    const unit = readFileSync(join(DEPLOY, "edgens.service"), "utf8");
    for (const key of ["AmbientCapabilities", "CapabilityBoundingSet"]) {
      expect(unit).toContain(`${key}=CAP_NET_BIND_SERVICE CAP_BPF CAP_NET_ADMIN\n`);
    }
    expect(unit).toContain("NoNewPrivileges=yes");
  });
});
