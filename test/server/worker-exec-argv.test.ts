// The cluster workers' Node flags: the primary's own, plus V8's background thread pool sized to each worker's
// share of the cores, unless the operator chose a pool size (in the flags or NODE_OPTIONS).
import { describe, expect, it } from "vitest";
import { workerExecArgv } from "../../src/server/worker-exec-argv.js";

describe("workerExecArgv", () => {
  it("gives each worker its share of the cores, at least one thread", () => {
    expect(workerExecArgv([], undefined, 2, 2)).toEqual(["--v8-pool-size=1"]);
    expect(workerExecArgv([], undefined, 2, 8)).toEqual(["--v8-pool-size=4"]);
    expect(workerExecArgv([], undefined, 3, 8)).toEqual(["--v8-pool-size=2"]);
    expect(workerExecArgv([], undefined, 4, 1)).toEqual(["--v8-pool-size=1"]);
    expect(workerExecArgv([], undefined, 0, 2)).toEqual(["--v8-pool-size=2"]);
  });

  it("keeps the primary's flags, and a pool size the operator set", () => {
    expect(workerExecArgv(["--enable-source-maps"], "", 2, 2)).toEqual([
      "--enable-source-maps",
      "--v8-pool-size=1",
    ]);
    expect(workerExecArgv(["--v8-pool-size=3"], undefined, 2, 2)).toEqual(["--v8-pool-size=3"]);
    expect(workerExecArgv(["--v8-pool-size", "3"], undefined, 2, 2)).toEqual(["--v8-pool-size", "3"]);
    expect(workerExecArgv(["--trace-gc"], "--max-old-space-size=4096 --v8-pool-size=0", 2, 2)).toEqual([
      "--trace-gc",
    ]);
  });
});
