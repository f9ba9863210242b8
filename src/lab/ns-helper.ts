// Work that must happen inside a lab namespace (DNS queries from a client, HTTP to a node's loopback) runs as
// a short-lived `edgens lab _query|_probe|_http` process started with `ip netns exec`: Node cannot enter a
// namespace itself. These are the parent-side wrappers.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import type { ProbeRecord, QueryOutcome } from "./dns-probe.js";
import type { LabState } from "./lab-state.js";

const run = promisify(execFile);

function argv(s: Pick<LabState, "nodeBin" | "cli">, netns: string, args: string[]): string[] {
  return ["netns", "exec", netns, s.nodeBin, s.cli, "lab", ...args];
}

export async function helperJson<T>(s: Pick<LabState, "nodeBin" | "cli">, netns: string, args: string[]): Promise<T> {
  const { stdout } = await run("ip", argv(s, netns, args), { timeout: 15_000, maxBuffer: 8 << 20 });
  return JSON.parse(stdout) as T;
}

export interface QueryArgs {
  server: string;
  name: string;
  type?: string;
  qclass?: string;
  expect?: string;
  timeoutMs?: number;
}

function queryFlags(q: QueryArgs): string[] {
  const f = ["--server", q.server, "--qname", q.name];
  if (q.type) f.push("--type", q.type);
  if (q.qclass) f.push("--class", q.qclass);
  if (q.expect) f.push("--expect", q.expect);
  if (q.timeoutMs) f.push("--timeout-ms", String(q.timeoutMs));
  return f;
}

export function queryInNetns(s: Pick<LabState, "nodeBin" | "cli">, netns: string, q: QueryArgs): Promise<QueryOutcome> {
  return helperJson<QueryOutcome>(s, netns, ["_query", ...queryFlags(q)]);
}

export function httpInNetns(
  s: Pick<LabState, "nodeBin" | "cli">,
  netns: string,
  url: string,
): Promise<{ status: number; body: string } | { error: string }> {
  return helperJson(s, netns, ["_http", url]);
}

export interface ProbeHandle {
  records: Map<number, ProbeRecord>;
  /** Resolves when the probe process has sent its first answer back (it is running). */
  started: Promise<void>;
  /** Resolves when the probe process has exited (all queries resolved). */
  exited: Promise<void>;
  /** Called after every record. */
  onRecord(cb: () => void): void;
  stop(): void;
  child: ChildProcess;
}

export function startProbe(
  s: Pick<LabState, "nodeBin" | "cli">,
  netns: string,
  q: QueryArgs & { intervalMs: number; maxMs: number },
): ProbeHandle {
  const child = spawn(
    "ip",
    argv(s, netns, ["_probe", ...queryFlags(q), "--interval-ms", String(q.intervalMs), "--max-ms", String(q.maxMs)]),
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const records = new Map<number, ProbeRecord>();
  const listeners: (() => void)[] = [];
  let markStarted: () => void = () => {};
  const started = new Promise<void>((r) => {
    markStarted = r;
  });
  const rl = createInterface({ input: child.stdout! });
  rl.on("line", (line) => {
    try {
      const r = JSON.parse(line) as ProbeRecord;
      records.set(r.seq, r);
      markStarted();
      for (const l of listeners) l();
    } catch {
      // not a record
    }
  });
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  return {
    records,
    started,
    exited,
    onRecord: (cb) => listeners.push(cb),
    // `ip netns exec` execs node, so this signals the probe itself; it stops sending and drains what is pending.
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    },
    child,
  };
}
