// Work that must happen inside a lab namespace (DNS queries from a client, HTTP to a node's loopback) runs as
// a short-lived `node ns-helper-main.js …` started with `ip netns exec`: Node cannot enter a namespace itself.
// These are the parent-side wrappers. The helper sits next to the CLI: dist/cli/main.js → dist/lab/.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import type { ProbeRecord, QueryOutcome } from "./dns-probe.js";
import type { LabState } from "./lab-state.js";

const run = promisify(execFile);

type Bins = Pick<LabState, "nodeBin" | "cli">;

export function helperPath(s: Bins): string {
  return join(dirname(s.cli), "..", "lab", "ns-helper-main.js");
}

function argv(s: Bins, netns: string, args: string[]): string[] {
  return ["netns", "exec", netns, s.nodeBin, helperPath(s), ...args];
}

async function helperJson<T>(s: Bins, netns: string, args: string[]): Promise<T> {
  const { stdout } = await run("ip", argv(s, netns, args), { timeout: 20_000, maxBuffer: 8 << 20 });
  return JSON.parse(stdout) as T;
}

export interface QueryArgs {
  name: string;
  type?: string;
  qclass?: string;
  expect?: string;
  timeoutMs?: number;
}

function queryArgs(servers: string[], q: QueryArgs): string[] {
  return [
    servers.join(","),
    q.name,
    q.type ?? "A",
    q.qclass ?? "IN",
    q.expect ?? "-",
    String(q.timeoutMs ?? 1000),
  ];
}

/** One query to each server, in parallel, from inside `netns`. */
export function queryInNetns(
  s: Bins,
  netns: string,
  servers: string[],
  q: QueryArgs,
): Promise<QueryOutcome[]> {
  return helperJson<QueryOutcome[]>(s, netns, ["query", ...queryArgs(servers, q)]);
}

export function httpInNetns(
  s: Bins,
  netns: string,
  url: string,
): Promise<{ status: number; body: string } | { error: string }> {
  return helperJson(s, netns, ["http", url]);
}

export interface ProbeHandle {
  records: Map<number, ProbeRecord>;
  /** Resolves when the probe process has exited (all queries resolved). */
  exited: Promise<void>;
  /** Called after every record. */
  onRecord(cb: () => void): void;
  stop(): void;
  child: ChildProcess;
}

export function startProbe(
  s: Bins,
  netns: string,
  server: string,
  q: QueryArgs & { intervalMs: number; maxMs: number },
): ProbeHandle {
  const child = spawn(
    "ip",
    argv(s, netns, ["probe", ...queryArgs([server], q), String(q.intervalMs), String(q.maxMs)]),
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const records = new Map<number, ProbeRecord>();
  const listeners: (() => void)[] = [];
  const rl = createInterface({ input: child.stdout! });
  rl.on("line", (line) => {
    try {
      const r = JSON.parse(line) as ProbeRecord;
      records.set(r.seq, r);
      for (const l of listeners) l();
    } catch {
      // not a record
    }
  });
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  return {
    records,
    exited,
    onRecord: (cb) => listeners.push(cb),
    // `ip netns exec` execs node, so this signals the probe itself; it stops sending and drains what is pending.
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    },
    child,
  };
}
