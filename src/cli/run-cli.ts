// The `edgens` command: dispatch to subcommands. Unknown commands and flags print the usage and exit 2.
import { readFileSync } from "node:fs";
import { runBgpRender } from "./bgp-render.js";
import { runConfigCheck } from "./config-check.js";
import { runDrain } from "./drain.js";
import { runHealthAgent } from "./health-agent.js";
import { runLab } from "./lab.js";
import { runReload } from "./reload.js";
import { runServe } from "./serve.js";
import { runStats } from "./stats.js";
import { runStatus } from "./status.js";
import { type Io, misuse, USAGE } from "./usage.js";
import { runZoneCheck } from "./zone-check.js";

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** Run the CLI. Resolves to an exit code, or null when a server is now running. */
export async function runCli(argv: string[], io: Io): Promise<number | null> {
  const [cmd, sub, ...rest] = argv;
  switch (cmd) {
    case "serve":
      return runServe(argv.slice(1), io);
    case "reload":
      return runReload(argv.slice(1), io);
    case "config":
      if (sub === "check") return runConfigCheck(rest, io);
      return misuse(io, `unknown command "config ${sub ?? ""}"; did you mean "config check FILE"?`);
    case "zone":
      if (sub === "check") return runZoneCheck(rest, io.out, io.err);
      return misuse(io, `unknown command "zone ${sub ?? ""}"; did you mean "zone check FILE"?`);
    case "bgp":
      if (sub === "render") return runBgpRender(rest, io.out, io.err);
      return misuse(io, `unknown command "bgp ${sub ?? ""}"; did you mean "bgp render"?`);
    case "drain":
    case "undrain":
      return runDrain(argv.slice(1), io.out, io.err, cmd === "drain");
    case "stats":
      return runStats(argv.slice(1), io);
    case "status":
      return runStatus(argv.slice(1), io.out, io.err);
    case "health-agent":
      return runHealthAgent(argv.slice(1), io.out, io.err);
    case "lab":
      return runLab(argv.slice(1), io.out, io.err);
    case "version":
    case "--version":
      io.out.write(`edgens ${version()}\n`);
      return 0;
    case "help":
    case "--help":
    case "-h":
      io.out.write(USAGE);
      return 0;
    case undefined:
      return misuse(io, "missing command");
    default:
      return misuse(io, `unknown command "${cmd}"`);
  }
}
