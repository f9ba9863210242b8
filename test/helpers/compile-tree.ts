// Compiles the tree to JavaScript for tests that run real processes (see test-build.ts). No vitest imports:
// the global setup loads this in vitest's main process.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

/** Test programs run as processes beside the CLI (they import src/ by relative path). */
const TEST_ENTRIES = ["test/failover/responder-ctl-main.ts", "test/health/responder-main.ts"];

/** Compile every module of src/ and the test entry points into `outDir` (layout outDir/src/…, outDir/test/…). */
export function compileTree(outDir: string): void {
  const sources = readdirSync(join(ROOT, "src"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .map((f) => join(ROOT, "src", f));
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  execFileSync(
    process.execPath,
    [
      tsc,
      ...["--outDir", outDir, "--rootDir", ROOT, "--target", "ES2022", "--module", "NodeNext"],
      ...["--moduleResolution", "NodeNext", "--strict", "--esModuleInterop", "--skipLibCheck"],
      ...["--resolveJsonModule", "--types", "node", "--noCheck", "--sourceMap", "false"],
      ...sources,
      ...TEST_ENTRIES.map((e) => join(ROOT, e)),
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 },
  );
}
