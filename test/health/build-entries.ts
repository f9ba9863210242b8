// Compiles the agent's and the test responder's entry points (and only what they import) to JavaScript in a
// temporary directory, so a test can run them as real processes without building the whole tree: other parts
// of the tree may be mid-edit. A node_modules symlink lets the ESM output resolve the project's packages.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

export interface BuiltEntries {
  dir: string;
  agentMain: string;
  responderMain: string;
  cleanup(): void;
}

export function buildEntries(): BuiltEntries {
  const dir = mkdtempSync(join(tmpdir(), "edgens-health-build-"));
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  execFileSync(
    process.execPath,
    [
      tsc,
      "--outDir",
      join(dir, "out"),
      "--rootDir",
      root,
      "--target",
      "ES2022",
      "--module",
      "NodeNext",
      "--moduleResolution",
      "NodeNext",
      "--strict",
      "--esModuleInterop",
      "--skipLibCheck",
      "--types",
      "node",
      join(root, "src/health/agent-main.ts"),
      join(root, "test/health/responder-main.ts"),
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 },
  );
  // The output needs "type": "module" to be loaded as ESM.
  execFileSync("sh", ["-c", `printf '{"type":"module"}' > ${JSON.stringify(join(dir, "package.json"))}`]);
  return {
    dir,
    agentMain: join(dir, "out/src/health/agent-main.js"),
    responderMain: join(dir, "out/test/health/responder-main.js"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
