// The CLI, the agent's stand-alone entry and the failover test responder as JavaScript (a private copy of the
// run's compiled tree, test/helpers/test-build.ts), so tests run them as real processes — also inside network
// namespaces — without touching the shared dist/.
import { type TestBuild, testBuild } from "../helpers/test-build.js";

export type BuiltCli = TestBuild;

export function buildCli(): BuiltCli {
  return testBuild();
}
