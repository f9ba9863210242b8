// What `edgens serve` runs, in-process or as a cluster primary: reload, stop, and signal wiring.
import type { EdgensConfig } from "../config/schema.js";
import type { Logger } from "../log.js";
import { removePidFile, writePidFile } from "./pid-file.js";

export interface ServeOptions {
  config: EdgensConfig;
  /** Re-read the config files (same paths and flags as at startup); throws ConfigError. */
  readConfig: () => EdgensConfig;
  log: Logger;
}

export interface ServerHandle {
  /** Re-read config and zones; resolves false when the config or a zone failed (old data keeps serving). */
  reload(): Promise<boolean>;
  stop(): Promise<void>;
}

/** SIGHUP reloads; SIGTERM/SIGINT stop cleanly; the pid file lives as long as the process serves. */
export function installSignals(handle: ServerHandle, config: EdgensConfig, log: Logger): void {
  if (config.pidFile) writePidFile(config.pidFile);
  let reloading: Promise<unknown> = Promise.resolve();
  process.on("SIGHUP", () => {
    log.info("SIGHUP: reloading config and zones");
    // Reloads run one after another: a burst of SIGHUPs never interleaves two loads.
    reloading = reloading.then(() => handle.reload()).catch((e) => log.error({ err: e }, "reload failed"));
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    handle.stop().finally(() => {
      if (config.pidFile) removePidFile(config.pidFile);
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
