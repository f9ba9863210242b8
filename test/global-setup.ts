// Runs once per `vitest run`: compiles the tree for the tests that start real processes (test/helpers/
// test-build.ts) and removes everything under the run directory at the end, also the tests' private copies.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { compileTree } from "./helpers/compile-tree.js";

export default function setup(project: TestProject): () => void {
  const run = mkdtempSync(join(tmpdir(), "edgens-test-run-"));
  compileTree(join(run, "compiled"));
  project.provide("edgensTestRun", run);
  return () => rmSync(run, { recursive: true, force: true });
}
