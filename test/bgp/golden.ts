// Where the BGP golden files live: test/fixtures/bgp/NAME.yaml → NAME.exabgp.conf + NAME.exabgp.env.
import { readdirSync } from "node:fs";
import { join } from "node:path";

export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "bgp");

/** Fixture names (inputs without `.site.` overlays), sorted. */
export function goldenNames(): string[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith(".yaml") && !f.includes(".site."))
    .map((f) => f.slice(0, -".yaml".length))
    .sort();
}
