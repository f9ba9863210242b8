// Compiles the edgens CLI, the agent's stand-alone entry and the failover test responder to JavaScript in a
// temporary directory (as test/health/build-entries.ts does), so tests run them as real processes — also
// inside network namespaces — without touching the shared dist/.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

export interface BuiltCli {
  dir: string;
  cliMain: string;
  agentMain: string;
  responderCtlMain: string;
  cleanup(): void;
}

export function buildCli(): BuiltCli {
  const dir = mkdtempSync(join(tmpdir(), "edgens-st-build-"));
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const entries = ["src/cli/main.ts", "src/health/agent-main.ts", "test/failover/responder-ctl-main.ts"];
  execFileSync(
    process.execPath,
    [
      tsc,
      ...["--outDir", join(dir, "out"), "--rootDir", root, "--target", "ES2022"],
      ...["--module", "NodeNext", "--moduleResolution", "NodeNext", "--strict", "--esModuleInterop"],
      // No type check: other parts of the shared tree may be mid-edit; `npx tsc -p tsconfig.json` checks types.
      ...["--skipLibCheck", "--resolveJsonModule", "--types", "node", "--noCheck"],
      ...entries.map((e) => join(root, e)),
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 },
  );
  writeFileSync(join(dir, "package.json"), '{"type":"module","version":"0.0.0-test"}');
  return {
    dir,
    cliMain: join(dir, "out/src/cli/main.js"),
    agentMain: join(dir, "out/src/health/agent-main.js"),
    responderCtlMain: join(dir, "out/test/failover/responder-ctl-main.js"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
