// The CLI for tests that spawn real `edgens` processes: a private copy of the run's compiled tree
// (test/helpers/test-build.ts).
import { testBuild } from "../helpers/test-build.js";

/** Path of src/cli/main.js in a fresh copy of the compiled tree (pure-JS transports, no native addons). */
export function buildCli(): string {
  return testBuild().cliMain;
}
