import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests that start real servers (NSD, Knot, FRR) and bind ports must not race each other on 2 cores.
    fileParallelism: false,
    // Compiles the tree once for the tests that start real processes (test/helpers/test-build.ts).
    globalSetup: ["test/global-setup.ts"],
    reporters: ["default"],
  },
});
