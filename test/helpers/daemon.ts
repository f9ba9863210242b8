// A reference daemon (NSD, Knot) started for a test: its own process group (NSD forks children that must stop
// with it), its output kept for failure messages (bounded), and a stop() that ends the whole group and removes
// its working directory.
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";

export interface Daemon {
  child: ChildProcess;
  /** What the daemon wrote on stdout/stderr (the last ~100-200 kB). */
  log(): string;
  /** SIGTERM to the group, SIGKILL after 3 s, then the directory is removed. */
  stop(): Promise<void>;
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export function spawnDaemon(argv: string[], dir: string): Daemon {
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (d: Buffer) => {
    output += d.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return {
    child,
    log: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(child, "SIGTERM");
        const timer = setTimeout(() => killGroup(child, "SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
      // NSD children may outlive the parent briefly; make sure the group is gone.
      killGroup(child, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
