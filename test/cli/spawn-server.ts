// Spawn a built `edgens serve` and wait for its ready line (bounded); stop it by its own PID.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

export interface Spawned {
  proc: ChildProcess;
  output: string[];
  stop(): Promise<void>;
  /** PIDs of the cluster workers (children of the primary). */
  children(): number[];
}

export async function spawnServer(
  main: string,
  args: string[],
  timeoutMs = 30_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Spawned> {
  const proc = spawn(process.execPath, [main, "serve", ...args], { stdio: ["ignore", "pipe", "pipe"], env });
  const output: string[] = [];
  let ready: () => void;
  let failed: (e: Error) => void;
  const readyP = new Promise<void>((res, rej) => {
    ready = res;
    failed = rej;
  });
  let partial = "";
  const onData = (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split("\n");
    partial = lines.pop()!;
    for (const l of lines) {
      output.push(l);
      if (l.includes("edgens ready:")) ready();
    }
  };
  proc.stdout!.on("data", onData);
  proc.stderr!.on("data", onData);
  proc.on("exit", (code) => failed(new Error(`edgens exited (${code}) before ready:\n${output.join("\n")}`)));
  const timer = setTimeout(
    () => failed(new Error(`not ready after ${timeoutMs} ms:\n${output.join("\n")}`)),
    timeoutMs,
  );
  try {
    await readyP;
  } catch (e) {
    proc.kill("SIGKILL");
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return {
    proc,
    output,
    children: () => {
      try {
        return readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, "utf8")
          .trim()
          .split(/\s+/)
          .filter(Boolean)
          .map(Number);
      } catch {
        return [];
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        const kill = setTimeout(() => proc.kill("SIGKILL"), 8000);
        proc.once("exit", () => {
          clearTimeout(kill);
          resolve();
        });
        proc.kill("SIGTERM");
      }),
  };
}

/** Run the CLI to completion; bounded. */
export function runCli(
  main: string,
  args: string[],
  timeoutMs = 20_000,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [main, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout.on("data", (d) => {
      out += d;
    });
    proc.stderr.on("data", (d) => {
      err += d;
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}
