// Every golden exabgp.conf + exabgp.env is accepted by the real ExaBGP (`exabgp --test`), and the check is
// not vacuous: a broken copy is refused.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkExabgpConfig, DEFAULT_EXABGP } from "../../src/lab/exabgp-process.js";
import { hasCommand, requirePrereq } from "../helpers/prereq.js";
import { FIXTURES, goldenNames } from "./golden.js";

const ok = requirePrereq("exabgp --test of the golden configs", hasCommand(DEFAULT_EXABGP));

describe.skipIf(!ok)("ExaBGP accepts the rendered configs", () => {
  const tmp = mkdtempSync(join(tmpdir(), "edgens-bgp-check-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  for (const name of goldenNames()) {
    it(name, async () => {
      const res = await checkExabgpConfig(
        join(FIXTURES, `${name}.exabgp.conf`),
        join(FIXTURES, `${name}.exabgp.env`),
      );
      expect(res.ok, res.output).toBe(true);
    });
  }

  it("refuses a broken config (the check is real)", async () => {
    const conf = readFileSync(join(FIXTURES, "ipv4-only.exabgp.conf"), "utf8").replace(
      "peer-as 65000;",
      "peer-as x;",
    );
    writeFileSync(join(tmp, "bad.conf"), conf);
    const res = await checkExabgpConfig(join(tmp, "bad.conf"), join(FIXTURES, "ipv4-only.exabgp.env"));
    expect(res.ok).toBe(false);
    expect(res.output).toMatch(/invalid ASN/);
  });

  it("refuses a broken env file", async () => {
    const env = readFileSync(join(FIXTURES, "ipv4-only.exabgp.env"), "utf8").replace(
      "level = INFO",
      "level = LOUD",
    );
    writeFileSync(join(tmp, "bad.env"), env);
    const res = await checkExabgpConfig(join(FIXTURES, "ipv4-only.exabgp.conf"), join(tmp, "bad.env"));
    expect(res.ok).toBe(false);
    expect(res.output).toMatch(/log\.level/);
  });
});
