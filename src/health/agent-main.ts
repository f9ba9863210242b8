#!/usr/bin/env node
// Stand-alone entry of the health agent (`node dist/health/agent-main.js [flags]`), for ExaBGP's `run` line
// and for tests; `edgens health-agent` is the same thing behind the CLI dispatcher.
import { runHealthAgent } from "../cli/health-agent.js";

runHealthAgent(process.argv.slice(2), process.stdout, process.stderr).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`edgens health-agent: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
