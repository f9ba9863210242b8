// What both lab benchmarks share: the CLI built with the package layout (bench/lab/build-cli.sh) and its lab
// modules, the load average to print with every figure, and the one lab that may exist, torn down on every exit
// path (finally, SIGINT/SIGTERM).
import { existsSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

export const DEFAULT_DIST = "/tmp/edgens-labbench/dist";

/** The built CLI under `distDir` and an importer for its modules (`mod("lab/lab-up.js")`); exits 2 without it. */
export function builtCli(distDir) {
  const dist = resolve(distDir);
  const cli = join(dist, "cli/main.js");
  if (!existsSync(cli)) {
    console.error(`no CLI at ${cli}: build it first (bench/lab/build-cli.sh)`);
    process.exit(2);
  }
  return { cli, mod: (p) => import(pathToFileURL(join(dist, p)).href) };
}

export const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" / ");

/**
 * Tracks the lab that may exist right now (`guard.current = name` before `labUp`); `teardown()` takes it down
 * once. SIGINT/SIGTERM tear it down, remove `stateRoot` and exit 130.
 */
export function labGuard(labDown, stateRoot) {
  const guard = {
    current: null,
    async teardown() {
      if (guard.current === null) return;
      const n = guard.current;
      guard.current = null;
      await labDown(stateRoot, n).catch((e) => console.error(`down ${n}: ${e.message}`));
    },
  };
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.on(sig, () => {
      console.error(`${sig}: tearing down`);
      void guard.teardown().finally(() => {
        rmSync(stateRoot, { recursive: true, force: true });
        process.exit(130);
      });
    });
  }
  return guard;
}
