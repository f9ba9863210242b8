#!/usr/bin/env node
// The `edgens` binary (package.json "bin"): run the CLI, exit with its code unless a server is now running.
import { runCli } from "./run-cli.js";

runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr }).then(
  (code) => {
    if (code !== null) process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exit(70); // EX_SOFTWARE: a bug, not a usage or config error
  },
);
