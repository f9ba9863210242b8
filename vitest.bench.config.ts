// Benchmarks that drive real daemons through the test harness (AXFR-in, secondary refresh). They are not part of
// `npm test`: run one with `EDGENS_BENCH=1 npx vitest run --config vitest.bench.config.ts FILE`.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.bench.ts"],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    fileParallelism: false,
    // Compiles the tree once for the tests that start real processes (test/helpers/test-build.ts).
    globalSetup: ["test/global-setup.ts"],
  },
});
