// Build the CLI once for tests that spawn real `edgens` processes (cluster mode forks dist JS files; Node 20
// cannot run TypeScript). The build goes to a private directory so concurrent test runs never share output.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

/** Compile src/ into a fresh temp dir; returns the path of dist/cli/main.js there. */
export function buildCli(): string {
  const dir = mkdtempSync(join(tmpdir(), "edgens-cli-"));
  copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  // bgp templates are read relative to the package root.
  if (existsSync(join(ROOT, "bgp"))) symlinkSync(join(ROOT, "bgp"), join(dir, "bgp"));
  try {
    execFileSync(
      join(ROOT, "node_modules/.bin/tsc"),
      ["-p", join(ROOT, "tsconfig.build.json"), "--outDir", join(dir, "dist"), "--sourceMap", "false"],
      { cwd: ROOT, stdio: "pipe" },
    );
  } catch {
    // Type errors elsewhere in the tree (other work in progress) still emit JavaScript; only a missing
    // entry point is fatal.
  }
  const main = join(dir, "dist/cli/main.js");
  if (!existsSync(main)) throw new Error(`build failed: ${main} missing`);
  return main;
}
