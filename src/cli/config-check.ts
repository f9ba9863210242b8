// `edgens config check FILE [--site FILE]`: validate, then print the effective (merged, defaulted) config.
import { parseArgs } from "node:util";
import { ConfigError } from "../config/errors.js";
import { loadConfig } from "../config/load-config.js";
import { type Io, misuse } from "./usage.js";

export async function runConfigCheck(args: string[], io: Io): Promise<number> {
  let parsed: { values: { site?: string }; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: { site: { type: "string" } }, strict: true, allowPositionals: true });
  } catch (e) {
    return misuse(io, (e as Error).message);
  }
  if (parsed.positionals.length !== 1) return misuse(io, "config check needs exactly one FILE");
  try {
    const config = loadConfig({ file: parsed.positionals[0], site: parsed.values.site });
    io.out.write(`${JSON.stringify(config, null, 2)}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.err.write(`${e.problems.join("\n")}\n`);
    return 1;
  }
}
