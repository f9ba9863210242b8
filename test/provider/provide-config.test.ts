// The primary-role config: `tsigKeys` and `zones[].provide`, defaults, and the errors `config check` shows.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { buildConfig, overlayLayer } from "../../src/config/load-config.js";
import type { Plain } from "../../src/config/merge.js";
import { TransferAcl } from "../../src/provider/transfer-acl.js";
import { parseTsigKey } from "../../src/transfer/tsig.js";

const secret = Buffer.alloc(32, 7).toString("base64");
const build = (data: Plain) => buildConfig([overlayLayer("test", data)]);
const problems = (data: Plain): readonly string[] => {
  try {
    build(data);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe("provide config", () => {
  it("accepts keys, ACL entries with and without a key, and NOTIFY targets in both forms", () => {
    const c = build({
      tsigKeys: { "xfr-key": { algorithm: "hmac-sha256", secret } },
      zones: [
        {
          file: "/z/a.zone",
          provide: {
            allowTransfer: [{ address: "192.0.2.0/24", tsigKey: "XFR-KEY." }, { address: "2001:db8::1" }],
            notify: ["192.0.2.7:53", { address: "[2001:db8::7]:5300", tsigKey: "xfr-key" }],
          },
        },
        { file: "/z/b.zone", provide: {} },
      ],
    });
    expect(c.zones[0]!.provide!.allowTransfer).toHaveLength(2);
    expect(c.zones[1]!.provide).toEqual({ allowTransfer: [], notify: [] });
    expect(build({}).tsigKeys).toEqual({});
  });

  it("names every problem: unknown key, bad prefix, bad peer, bad secret, bad algorithm", () => {
    const p = problems({
      tsigKeys: { k: { algorithm: "hmac-md5", secret: "not base64!" } },
      zones: [
        {
          file: "/z/a.zone",
          provide: {
            allowTransfer: [{ address: "192.0.2.0/33" }],
            notify: ["192.0.2.7"],
          },
        },
      ],
    }).join("\n");
    expect(p).toMatch(/tsigKeys\.k\.algorithm/);
    expect(p).toMatch(/tsigKeys\.k\.secret: expected base64/);
    expect(p).toMatch(/allowTransfer\[0\]\.address: expected an address or prefix/);
    expect(p).toMatch(/notify\[0\]: expected "ADDR:PORT"/);
    // Key references are checked once everything else is valid.
    const refs = problems({
      tsigKeys: { k: { algorithm: "hmac-sha256", secret } },
      zones: [
        {
          file: "/z/a.zone",
          provide: {
            allowTransfer: [{ address: "10.0.0.1", tsigKey: "nokey" }],
            notify: [{ address: "192.0.2.8:53", tsigKey: "other" }],
          },
        },
      ],
    }).join("\n");
    expect(refs).toMatch(/zones\[0\]\.provide\.allowTransfer\[0\]\.tsigKey: unknown TSIG key "nokey"/);
    expect(refs).toMatch(/notify\[0\]\.tsigKey: unknown TSIG key "other"/);
    expect(problems({ tsigKeys: { "bad..name": { algorithm: "hmac-sha256", secret } } }).join()).toMatch(
      /tsigKeys\.bad\.\.name: Invalid key/,
    );
  });
});

describe("TransferAcl", () => {
  const key = parseTsigKey(`xfr-key.:hmac-sha256:${secret}`);
  const other = parseTsigKey(`other.:hmac-sha256:${secret}`);
  const acl = new TransferAcl([
    { address: "192.0.2.0/24", tsigKey: "xfr-key" },
    { address: "198.51.100.7" },
    { address: "2001:db8::/32", tsigKey: "XFR-KEY." },
  ]);

  it.each([
    ["192.0.2.9", key, true, ""],
    ["::ffff:192.0.2.9", key, true, ""],
    ["192.0.2.9", null, false, "request not signed (a key is required)"],
    ["192.0.2.9", other, false, "key other. not allowed from this address"],
    ["198.51.100.7", null, true, ""],
    ["198.51.100.7", other, true, ""],
    ["198.51.100.8", key, false, "source address not allowed"],
    ["2001:db8::5", key, true, ""],
    ["2001:db9::5", key, false, "source address not allowed"],
  ] as const)("%s with key %#", (address, k, allowed, reason) => {
    const d = acl.check(address, k);
    expect(d.allowed).toBe(allowed);
    if (!d.allowed) expect(d.reason).toBe(reason);
  });
});
