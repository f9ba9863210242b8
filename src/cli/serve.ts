// `edgens serve`: flags (+ config file, + site overlay) → frozen config → in-process or cluster server.
import { ConfigError } from "../config/errors.js";
import { parseServeFlags, type ServeFlags } from "../config/flags.js";
import { loadConfig } from "../config/load-config.js";
import type { EdgensConfig } from "../config/schema.js";
import { createLogger } from "../log.js";
import { installSignals, type ServerHandle } from "../server/server-handle.js";
import { type Io, misuse } from "./usage.js";

/** Exit code, or null when the server is running (the process stays up until a signal stops it). */
export async function runServe(args: string[], io: Io): Promise<number | null> {
  let flags: ServeFlags;
  try {
    flags = parseServeFlags(args);
  } catch (e) {
    if (e instanceof ConfigError) return misuse(io, e.problems.join("\n"));
    return misuse(io, (e as Error).message);
  }
  const readConfig = () =>
    loadConfig({ file: flags.configFile, site: flags.siteFile, overlay: flags.overlay });
  let config: EdgensConfig;
  try {
    config = readConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.err.write(`edgens: invalid config:\n${e.problems.map((p) => `  ${p}`).join("\n")}\n`);
    return 1;
  }
  if (config.zones.length === 0 && !config.zonesDir && !config.example && config.catalogs.length === 0) {
    io.err.write(
      "edgens: no zones to serve: give --zone FILE, --zones-dir DIR, --secondary, --catalog, --example or a config file\n",
    );
    return 1;
  }
  const log = createLogger(config.log.level);
  // SIGHUP would kill the process while it starts up; reloads begin once it serves.
  const early = () => log.warn("SIGHUP during startup ignored");
  process.on("SIGHUP", early);
  let handle: ServerHandle;
  try {
    const opts = { config, readConfig, log };
    // Only the mode that runs is loaded: a cluster primary never serves, so it skips the query path and starts
    // forking its workers sooner (start-up time, docs/BENCHMARKS.md "Start-up time").
    handle =
      config.workers <= 1
        ? await (await import("../server/single-process.js")).startSingleProcess(opts)
        : await (await import("../server/cluster-primary.js")).startClusterPrimary(opts);
  } catch (e) {
    const err = e as Error & { code?: string };
    if (typeof err.code === "string" && err.code.startsWith("EDGENS_ERR_")) {
      io.err.write(`edgens: cannot start: ${err.message}\n`);
      return 1;
    }
    throw e;
  }
  process.off("SIGHUP", early);
  installSignals(handle, config, log);
  return null;
}
