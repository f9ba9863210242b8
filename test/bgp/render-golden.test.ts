// Golden files: each test/fixtures/bgp/NAME.yaml renders to NAME.exabgp.conf + NAME.exabgp.env.
// Regenerate after an intended template change with `UPDATE_GOLDEN=1 npx vitest run test/bgp`, then review
// the diff.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseBgpConfig } from "../../src/bgp/config.js";
import { renderExabgp } from "../../src/bgp/render.js";

import { FIXTURES, goldenNames } from "./golden.js";

const update = process.env.UPDATE_GOLDEN === "1";

function check(file: string, actual: string): void {
  const path = join(FIXTURES, file);
  if (update || !existsSync(path)) {
    writeFileSync(path, actual);
    if (!update) throw new Error(`wrote missing golden ${file}; review it and run again`);
    return;
  }
  expect(actual, `${file} differs; UPDATE_GOLDEN=1 npx vitest run test/bgp regenerates`).toBe(
    readFileSync(path, "utf8"),
  );
}

describe("bgp render golden files", () => {
  it("has the expected fixtures", () => {
    expect(goldenNames()).toEqual(expect.arrayContaining(["dual-stack", "ipv4-only", "policy-md5"]));
  });
  for (const name of goldenNames()) {
    it(name, () => {
      const doc = parse(readFileSync(join(FIXTURES, `${name}.yaml`), "utf8")) as { bgp: unknown };
      const out = renderExabgp(parseBgpConfig(doc.bgp));
      check(`${name}.exabgp.conf`, out.conf);
      check(`${name}.exabgp.env`, out.env);
    });
  }
});
