// Secondary-role config: the serve flags (--secondary, --catalog, --tsig, --allow-notify, --state-dir) and the
// zones[].secondary / catalogs checks, as `edgens serve` builds them.
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { parseServeFlags } from "../../src/config/flags.js";
import { buildConfig, loadConfig, parseConfigText } from "../../src/config/load-config.js";

const SECRET = Buffer.alloc(32, 7).toString("base64");

function fromFlags(argv: string[]) {
  const f = parseServeFlags(argv);
  return loadConfig({ overlay: f.overlay });
}

function problems(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("no error");
}

describe("secondary flags", () => {
  it("builds secondary zones (primaries in order), the key and the state dir", () => {
    const c = fromFlags([
      "--secondary",
      "example.com=192.0.2.1:53",
      "--secondary",
      "example.com.=[2001:db8::1]:5353",
      "--secondary",
      "other.test.=127.0.0.1:1053",
      "--tsig",
      `xfr.:HMAC-SHA256:${SECRET}`,
      "--allow-notify",
      "127.0.0.2",
    ]);
    expect(c.zones).toEqual([
      {
        origin: "example.com.",
        secondary: {
          primaries: [
            { address: "192.0.2.1", port: 53, tsigKey: "xfr." },
            { address: "2001:db8::1", port: 5353, tsigKey: "xfr." },
          ],
          allowNotify: ["127.0.0.2"],
        },
      },
      {
        origin: "other.test.",
        secondary: {
          primaries: [{ address: "127.0.0.1", port: 1053, tsigKey: "xfr." }],
          allowNotify: ["127.0.0.2"],
        },
      },
    ]);
    expect(c.tsigKeys).toEqual({ "xfr.": { algorithm: "hmac-sha256", secret: SECRET } });
    expect(c.stateDir).toBe(resolve("edgens-state"));
    expect(fromFlags(["--catalog", "cat.test=127.0.0.1:53", "--state-dir", "/tmp/x"])).toMatchObject({
      catalogs: [
        { zone: "cat.test.", primaries: [{ address: "127.0.0.1", port: 53 }], allowNotify: [], groups: {} },
      ],
      stateDir: "/tmp/x",
    });
  });

  it.each([
    [["--secondary", "example.com"], "--secondary: expected ORIGIN="],
    [
      [
        "--secondary",
        "a.=1.2.3.4:53",
        "--tsig",
        `a:hmac-sha256:${SECRET}`,
        "--tsig",
        `b:hmac-sha256:${SECRET}`,
      ],
      "give one key",
    ],
    [["--secondary", "a.=1.2.3.4:53", "--tsig", "a:hmac-md5:abcd"], "unknown algorithm"],
    [["--tsig", `a:hmac-sha256:${SECRET}`, "--example"], "apply to --secondary/--catalog"],
  ])("rejects %j", (argv, why) => {
    expect(problems(() => parseServeFlags(argv)).join("\n")).toContain(why);
  });
});

describe("secondary config checks", () => {
  const build = (yaml: string) => buildConfig([parseConfigText("node.yaml", yaml, "/etc/edgens")]);
  it("accepts a secondary zone with a key and clamps; the default state dir", () => {
    const c = build(
      `tsigKeys:\n  xfr:\n    algorithm: hmac-sha256\n    secret: ${SECRET}\n` +
        "zones:\n  - origin: a.test\n    secondary:\n      primaries: [{address: 192.0.2.1, tsigKey: XFR.}]\n" +
        "      clamps: {expire: {min: 60}}\n",
    );
    expect(c.zones[0]!.secondary).toEqual({
      primaries: [{ address: "192.0.2.1", port: 53, tsigKey: "XFR." }],
      allowNotify: [],
      clamps: { expire: { min: 60 } },
    });
    expect(c.stateDir).toBe("/var/lib/edgens");
    // A catalog group overrides only what it names (the rest comes from the catalog).
    const g = build(
      "catalogs:\n  - zone: cat.test\n    primaries: [{address: 192.0.2.1}]\n    allowNotify: [192.0.2.2]\n" +
        "    groups: {slow: {clamps: {refresh: {min: 3600}}}}\n",
    );
    expect(g.catalogs[0]!.groups).toEqual({ slow: { clamps: { refresh: { min: 3600 } } } });
    expect(build("stateDir: state\nzones: []\n").stateDir).toBe("/etc/edgens/state");
  });

  it.each([
    [
      "zones:\n  - origin: a.\n    file: a.zone\n    secondary: {primaries: [{address: 192.0.2.1}]}\n",
      "zones[0].file: a secondary zone has no file",
    ],
    [
      "zones:\n  - secondary: {primaries: [{address: 192.0.2.1}]}\n",
      "zones[0].origin: a secondary zone needs an origin",
    ],
    ["zones:\n  - origin: a.\n    secondary: {primaries: []}\n", "expected at least one primary"],
    [
      "zones:\n  - origin: a.\n    secondary: {primaries: [{address: nope}]}\n",
      "expected an IPv4 or IPv6 address",
    ],
    [
      "zones:\n  - origin: a.\n    secondary: {primaries: [{address: 192.0.2.1, tsigKey: k}]}\n",
      'unknown TSIG key "k"',
    ],
    [
      "zones:\n  - origin: a.\n    secondary: {primaries: [{address: 192.0.2.1}]}\ncatalogs:\n  - zone: A\n    primaries: [{address: 192.0.2.1}]\n",
      "catalogs[0].zone: zone A. is already configured (zones[0])",
    ],
  ])("rejects %j", (yaml, why) => {
    expect(problems(() => build(yaml)).join("\n")).toContain(why);
  });
});
