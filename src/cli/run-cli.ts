// The `edgens` command: dispatch to subcommands. Unknown commands and flags print the usage and exit 2.
// Each subcommand is imported only when it runs: the health agent (restarted by ExaBGP) and every lab node start
// Node often, and loading the server, lab and transfer code they never use costs start-up time.
import { readFileSync } from "node:fs";
import { type Io, misuse, USAGE } from "./usage.js";

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
      return (await import("./serve.js")).runServe(argv.slice(1), io);
    case "reload":
      return (await import("./reload.js")).runReload(argv.slice(1), io);
    case "config":
      if (sub === "check") return (await import("./config-check.js")).runConfigCheck(rest, io);
      return misuse(io, `unknown command "config ${sub ?? ""}"; did you mean "config check FILE"?`);
    case "zone":
      if (sub === "check") return (await import("./zone-check.js")).runZoneCheck(rest, io.out, io.err);
      return misuse(io, `unknown command "zone ${sub ?? ""}"; did you mean "zone check FILE"?`);
    case "bgp":
      if (sub === "render") return (await import("./bgp-render.js")).runBgpRender(rest, io.out, io.err);
      return misuse(io, `unknown command "bgp ${sub ?? ""}"; did you mean "bgp render"?`);
    case "drain":
    case "undrain":
      return (await import("./drain.js")).runDrain(argv.slice(1), io.out, io.err, cmd === "drain");
    case "stats":
      return (await import("./stats.js")).runStats(argv.slice(1), io);
    case "status":
      return (await import("./status.js")).runStatus(argv.slice(1), io.out, io.err);
    case "health-agent":
      return (await import("./health-agent.js")).runHealthAgent(argv.slice(1), io.out, io.err);
    case "lab":
      return (await import("./lab.js")).runLab(argv.slice(1), io.out, io.err);
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
