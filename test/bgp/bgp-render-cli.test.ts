// `edgens bgp render`: output, --out, --site overlay, and errors that point at file:line:col and key path.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runBgpRender } from "../../src/cli/bgp-render.js";
import { DEFAULT_EXABGP } from "../../src/lab/exabgp-process.js";
import { hasCommand, requirePrereq } from "../helpers/prereq.js";
import { FIXTURES } from "./golden.js";

// With CI=true a missing ExaBGP fails the suite instead of skipping this case.
const exabgpOk = requirePrereq("bgp render --check", hasCommand(DEFAULT_EXABGP));

async function cli(...args: string[]) {
  let out = "";
  let err = "";
  const code = await runBgpRender(
    args,
    { write: (s: string) => (out += s) },
    { write: (s: string) => (err += s) },
  );
  return { code, out, err };
}

const fixture = (f: string) => join(FIXTURES, f);
const golden = (f: string) => readFileSync(fixture(f), "utf8");

describe("edgens bgp render", () => {
  const tmp = mkdtempSync(join(tmpdir(), "edgens-bgp-cli-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("prints both files to stdout", async () => {
    const r = await cli("--config", fixture("ipv4-only.yaml"));
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `# ==> exabgp.conf <==\n${golden("ipv4-only.exabgp.conf")}# ==> exabgp.env <==\n${golden("ipv4-only.exabgp.env")}`,
    );
  });

  it("prints one file with --only", async () => {
    const r = await cli("--config", fixture("ipv4-only.yaml"), "--only", "env");
    expect(r.out).toBe(golden("ipv4-only.exabgp.env"));
  });

  it("writes DIR/exabgp.conf (not world-readable: MD5 passwords) and DIR/exabgp.env", async () => {
    const dir = join(tmp, "out");
    const r = await cli("--config", fixture("policy-md5.yaml"), "--out", dir);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "exabgp.conf"), "utf8")).toBe(golden("policy-md5.exabgp.conf"));
    expect(readFileSync(join(dir, "exabgp.env"), "utf8")).toBe(golden("policy-md5.exabgp.env"));
    expect(statSync(join(dir, "exabgp.conf")).mode & 0o777).toBe(0o640);
  });

  it("merges the --site overlay per key of bgp:", async () => {
    const r = await cli(
      "--config",
      fixture("dual-stack.yaml"),
      "--site",
      fixture("dual-stack.site.yaml"),
      "--only",
      "conf",
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain("neighbor 10.254.9.1 {");
    expect(r.out).toContain("router-id 10.254.9.2;");
    expect(r.out).not.toContain("fd00:254:2::1");
    // Kept from the base file:
    expect(r.out).toContain("local-as 4200000001;");
    expect(r.out).toContain("--site /etc/edgens/site-ams1.yaml");
  });

  it("reports invalid values with file:line:col and the key path", async () => {
    const bad = join(tmp, "bad.yaml");
    writeFileSync(
      bad,
      "bgp:\n  localAs: 65001\n  routerId: 10.0.0.2\n  neighbors:\n    - address: 10.0.0.1\n      peerAs: seventy\n" +
        "      localAddress: 10.0.0.2\n  prefixes:\n    - prefix: 192.0.2.1/24\n",
    );
    const r = await cli("--config", bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${bad}:6:15: bgp.neighbors.0.peerAs: `);
    expect(r.err).toContain("EDGENS_ERR_BGP_CONFIG");
  });

  it("points at the overlay when the bad value comes from it", async () => {
    const site = join(tmp, "site.yaml");
    writeFileSync(site, "bgp:\n  holdTime: 1\n");
    const r = await cli("--config", fixture("ipv4-only.yaml"), "--site", site);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${site}:2:13: bgp.holdTime: `);
  });

  it("reports YAML syntax errors with file:line:col", async () => {
    const bad = join(tmp, "syntax.yaml");
    writeFileSync(bad, "bgp:\n  localAs: [1\n");
    const r = await cli("--config", bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`${bad}:\\d+:\\d+: `));
  });

  it("refuses a config without bgp:, and bad usage", async () => {
    const empty = join(tmp, "empty.yaml");
    writeFileSync(empty, "server: {}\n");
    expect((await cli("--config", empty)).err).toMatch(/no bgp: section/);
    expect((await cli()).code).toBe(2);
    expect((await cli("--config", empty, "--bogus")).code).toBe(2);
    expect((await cli("--config", empty, "--only", "both")).code).toBe(2);
    expect((await cli("--config", join(tmp, "missing.yaml"))).err).toMatch(/cannot read/);
  });

  it.skipIf(!exabgpOk)("--check runs exabgp --test on the result", async () => {
    const r = await cli("--config", fixture("dual-stack.yaml"), "--only", "env", "--check");
    expect(r.code).toBe(0);
    expect(r.err).toContain("exabgp --test: ok");
  });
});
