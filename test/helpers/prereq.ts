// Tests that need root, network namespaces, XDP or Debian daemons call `requirePrereq` at the top of their
// describe block. Outside CI a missing prerequisite skips the tests with a printed reason; with CI=true it fails.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export const inCI = process.env.CI === "true";

/** Returns null when the prerequisite is met, else the reason it is not. */
export type PrereqCheck = () => string | null;

export const isRoot: PrereqCheck = () =>
  process.getuid?.() === 0 ? null : "needs root (network namespaces, XDP, privileged ports)";

export function hasCommand(cmd: string): PrereqCheck {
  return () => {
    if (cmd.startsWith("/")) return existsSync(cmd) ? null : `${cmd} is not installed`;
    try {
      execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
      return null;
    } catch {
      return `'${cmd}' is not installed (run scripts/setup as root)`;
    }
  };
}

/**
 * Evaluate prerequisites. Returns true when the tests may run. Outside CI, prints why they are skipped and
 * returns false (use with `describe.skipIf(!ok)`); in CI, throws so the suite fails loudly.
 */
export function requirePrereq(what: string, ...checks: PrereqCheck[]): boolean {
  const missing = checks.map((c) => c()).filter((r): r is string => r !== null);
  if (missing.length === 0) return true;
  const msg = `${what}: ${missing.join("; ")}`;
  if (inCI) throw new Error(`missing prerequisite with CI=true — ${msg}`);
  console.warn(`SKIP ${msg}`);
  return false;
}
