import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/config/defaults.js";
import { ConfigError } from "../../src/config/errors.js";
import { parseServeFlags } from "../../src/config/flags.js";
import { parseListenAddress } from "../../src/config/listen-address.js";
import { buildConfig, loadConfig, parseConfigText } from "../../src/config/load-config.js";
import { removeTempDirs, tempDir } from "../helpers/temp-dir.js";

afterAll(removeTempDirs);

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).code).toBe("EDGENS_ERR_CONFIG");
    return [...(e as ConfigError).problems];
  }
  throw new Error("expected a ConfigError");
}

const build = (text: string) => buildConfig([parseConfigText("config.yaml", text, "/etc/edgens")]);

describe("config: defaults", () => {
  it("an empty file yields the documented defaults, frozen", () => {
    const cfg = build("");
    const d = defaultConfig();
    expect(cfg.listen).toEqual(["127.0.0.1:5353"]);
    expect(cfg.edns.maxUdpPayload).toBe(1232);
    expect(cfg.precompile.budgetMiB).toBe(64);
    expect(cfg.tcp.idleTimeoutMs).toBe(10_000);
    expect(cfg.workers).toBe(d.workers);
    expect(cfg.fastpath.mode).toBe("off");
    expect(cfg.metrics.listen).toBeNull();
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.tcp)).toBe(true);
    expect(Object.isFrozen(cfg.listen)).toBe(true);
  });

  it("relative paths resolve against the config file's directory; origins become absolute", () => {
    const cfg = build(
      "zones:\n  - file: a.zone\n    origin: Example.COM\nzonesDir: zones\npidFile: /run/e.pid\n",
    );
    expect(cfg.zones[0]).toEqual({ origin: "Example.COM.", file: "/etc/edgens/a.zone" });
    expect(cfg.zonesDir).toBe("/etc/edgens/zones");
    expect(cfg.pidFile).toBe("/run/e.pid");
  });
});

describe("config: errors name the file, line:column and key path", () => {
  it.each([
    ["listen:\n  - 127.0.0.1:53\n  - foo\n", 'config.yaml:3:5: listen[1]: expected "ADDR:PORT"'],
    ["listen:\n  - '[::1]:70000'\n", "config.yaml:2:5: listen[0]: expected"],
    ["listen: []\n", "listen: expected at least one listen address"],
    [
      "tcp:\n  idleTimeoutMs: fast\n",
      "config.yaml:2:18: tcp.idleTimeoutMs: expected number, received string",
    ],
    ["tcp:\n  idleTimout: 5\n", "config.yaml:2:15: tcp.idleTimout: unknown key"],
    ["edns:\n  maxUdpPayload: 100000\n", "config.yaml:2:18: edns.maxUdpPayload: Too big"],
    ["precompile:\n  budgetMiB: -1\n", "config.yaml:2:14: precompile.budgetMiB: Too small"],
    ["log:\n  level: loud\n", 'log.level: expected one of "fatal", "error"'],
    ["zones:\n  - origin: a..b\n    file: x\n", "config.yaml:2:13: zones[0].origin: expected a domain name"],
    ["zones:\n  - origin: a.b\n", "config.yaml:2:5: zones[0].file: expected string, received undefined"],
    ["fastpath:\n  mode: native\n", "fastpath.interfaces: expected at least one interface"],
    ["workers: 1.5\n", "config.yaml:1:10: workers: expected int"],
    ["- a\n- b\n", "config.yaml:1:1: (top level): expected a mapping"],
    ["a: [1,\n", "config.yaml:2:1: invalid YAML"],
    ["node: {site: x}\nnode: {site: y}\n", "config.yaml:2:1: invalid YAML"],
  ])("%j", (text, expected) => {
    const problems = problemsOf(() => build(text));
    expect(problems.join("\n")).toContain(expected);
  });

  it("reports every problem, not just the first", () => {
    const problems = problemsOf(() => build("workers: -1\nlisten: [x]\nmetrics: {listen: y}\n"));
    expect(problems).toHaveLength(3);
  });
});

describe("config: site overlay", () => {
  const dir = tempDir("edgens-config-");
  const base = join(dir, "edgens.yaml");
  const site = join(dir, "sites", "ams1.yaml");
  writeFileSync(
    base,
    "node:\n  identity: base\n  nsid: base\nlisten: ['127.0.0.1:53']\ntcp:\n  idleTimeoutMs: 5000\nzones:\n  - file: z/a.zone\n",
  );
  writeFileSync(join(dir, "bad.yaml"), "node:\n  site: ams1\nlisten:\n  - nope\n");
  mkdirSync(join(dir, "sites"), { recursive: true });
  writeFileSync(site, "node:\n  site: ams1\n  nsid: ams1-a\nlisten: ['192.0.2.1:53', '[2001:db8::1]:53']\n");

  it("deep-merges objects, site wins, arrays are replaced", () => {
    const cfg = loadConfig({ file: base, site });
    expect(cfg.node).toEqual({ site: "ams1", nsid: "ams1-a", identity: "base" });
    expect(cfg.listen).toEqual(["192.0.2.1:53", "[2001:db8::1]:53"]);
    expect(cfg.tcp.idleTimeoutMs).toBe(5000);
    expect(cfg.tcp.maxPipelined).toBe(64);
    expect(cfg.zones).toEqual([{ file: join(dir, "z/a.zone") }]);
  });

  it("flags override both files", () => {
    const flags = parseServeFlags(["--listen", "[::1]:5300", "--nsid", "cli", "--workers", "0"]);
    const cfg = loadConfig({ file: base, site, overlay: flags.overlay });
    expect(cfg.listen).toEqual(["[::1]:5300"]);
    expect(cfg.node.nsid).toBe("cli");
    expect(cfg.workers).toBe(0);
  });

  it("an error in the overlay names the overlay file", () => {
    const problems = problemsOf(() => loadConfig({ file: base, site: join(dir, "bad.yaml") }));
    expect(problems).toEqual([expect.stringMatching(/bad\.yaml:4:5: listen\[0\]: expected "ADDR:PORT"/)]);
  });

  it("a missing file is a clear error", () => {
    expect(problemsOf(() => loadConfig({ file: join(dir, "nope.yaml") }))[0]).toMatch(
      /cannot read config file/,
    );
  });
});

describe("config: flags", () => {
  it("parses repeatable flags and ORIGIN=FILE", () => {
    const f = parseServeFlags([
      "--zone",
      "a.zone",
      "--zone",
      "example.org=b.zone",
      "--example",
      "--config",
      "c.yaml",
    ]);
    expect(f.overlay.zones).toEqual([{ file: "a.zone" }, { origin: "example.org", file: "b.zone" }]);
    expect(f.overlay.example).toBe(true);
    expect(f.configFile).toBe("c.yaml");
  });

  it("rejects bad values with the flag name", () => {
    const problems = problemsOf(() => parseServeFlags(["--listen", "localhost:53", "--workers", "two"]));
    expect(problems[0]).toMatch(/^--listen: expected "ADDR:PORT"/);
    expect(problems[1]).toMatch(/^--workers: expected a whole number/);
  });

  it("rejects unknown flags", () => {
    expect(() => parseServeFlags(["--bogus"])).toThrow(/Unknown option '--bogus'/);
  });
});

describe("config: listen addresses", () => {
  it.each([
    ["127.0.0.1:53", { host: "127.0.0.1", port: 53, family: 4 }],
    ["[::1]:5353", { host: "::1", port: 5353, family: 6 }],
    ["::1:53", null],
    ["[127.0.0.1]:53", null],
    ["0.0.0.0:0", null],
    ["example.com:53", null],
  ])("%s", (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });
});
