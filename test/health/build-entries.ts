// The agent's and the test responder's entry points as JavaScript (a private copy of the run's compiled tree,
// test/helpers/test-build.ts), so a test can run them as real processes.
import { type TestBuild, testBuild } from "../helpers/test-build.js";

export type BuiltEntries = TestBuild;

export function buildEntries(): BuiltEntries {
  return testBuild();
}
