import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests that start real servers (NSD, Knot, FRR) and bind ports must not race each other on 2 cores.
    fileParallelism: false,
    reporters: ["default"],
  },
});
