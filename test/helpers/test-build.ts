// One compiled copy of the tree per test run, for tests that start real `edgens` processes (cluster workers,
// agents, responders inside network namespaces: Node 20 cannot run TypeScript). test/global-setup.ts compiles
// it once; each test takes a private copy (cheap: JavaScript only) so per-test symlinks never clash.
// Compiled with --noCheck: other parts of the tree may be mid-edit; `tsc -p tsconfig.json` checks types.
import { copyFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { inject } from "vitest";
import { compileTree } from "./compile-tree.js";

const ROOT = resolve(import.meta.dirname, "../..");

declare module "vitest" {
  export interface ProvidedContext {
    /** Directory of this test run: `compiled/` holds the tree, private copies go beside it. */
    edgensTestRun: string;
  }
}

let lazyRun: string | undefined;

/** The run directory from the global setup, or (another vitest config) one compiled here on first use. */
function runDir(): string {
  let dir: string | undefined;
  try {
    dir = inject("edgensTestRun");
  } catch {
    dir = undefined; // not inside vitest's test context
  }
  if (dir) return dir;
  if (!lazyRun) {
    lazyRun = mkdtempSync(join(tmpdir(), "edgens-test-run-"));
    compileTree(join(lazyRun, "compiled"));
  }
  return lazyRun;
}

export interface TestBuild {
  /** Package root of this copy: package.json, node_modules and bgp/ (plus build/ and native/ when native). */
  dir: string;
  cliMain: string;
  agentMain: string;
  /** test/failover/responder-ctl-main.ts compiled. */
  responderCtlMain: string;
  /** test/health/responder-main.ts compiled. */
  responderMain: string;
  cleanup(): void;
}

/**
 * A private copy of the compiled tree. `native` links this checkout's build/ and native/ in, so the copy loads
 * the batch-UDP and libbpf addons and the BPF objects; without it the CLI runs on its pure-JS fallbacks.
 */
export function testBuild(opts: { native?: boolean } = {}): TestBuild {
  const run = runDir();
  const dir = mkdtempSync(join(run, "copy-"));
  cpSync(join(run, "compiled"), dir, { recursive: true });
  copyFileSync(join(ROOT, "package.json"), join(dir, "package.json")); // "type": "module", the version
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  symlinkSync(join(ROOT, "bgp"), join(dir, "bgp"));
  if (opts.native) {
    symlinkSync(join(ROOT, "build"), join(dir, "build"));
    symlinkSync(join(ROOT, "native"), join(dir, "native"));
  }
  return {
    dir,
    cliMain: join(dir, "src/cli/main.js"),
    agentMain: join(dir, "src/health/agent-main.js"),
    responderCtlMain: join(dir, "test/failover/responder-ctl-main.js"),
    responderMain: join(dir, "test/health/responder-main.js"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
