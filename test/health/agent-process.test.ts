// The agent as a real process, as ExaBGP runs it (commands on stdout, events on stdin), against a real responder
// process that the test hangs (SIGSTOP) and kills (SIGKILL). Measures the times docs/HEALTH.md quotes.
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDrain } from "../../src/cli/drain.js";
import { randomPort } from "../helpers/ports.js";
import { type BuiltEntries, buildEntries } from "./build-entries.js";
import { LineWatcher } from "./line-watcher.js";

type Child = ChildProcessByStdio<Writable | null, Readable, Readable | null>;

let built: BuiltEntries;
let dir: string;
const children: Child[] = [];

beforeAll(() => {
  built = buildEntries();
  dir = mkdtempSync(join(tmpdir(), "edgens-health-proc-"));
}, 120_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  built?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function startResponderProcess(port = 0): Promise<{ child: Child; port: number }> {
  const child = spawn(process.execPath, [built.responderMain, "127.0.0.1", String(port)], {
    stdio: ["ignore", "pipe", "inherit"],
  }) as Child;
  children.push(child);
  const lines = new LineWatcher(child.stdout);
  const first = await lines.next(/^\d+$/, 10_000);
  return { child, port: Number(first.line) };
}

const sink = { write: () => true } as unknown as NodeJS.WritableStream;

describe("health agent process", () => {
  let attempt = 0;
  // Retried once: the time budgets hold on a quiet machine, but a shared 2-core box can stall a process.
  it("announce, hang, kill, restore, drain, stdin close", { timeout: 60_000, retry: 1 }, async () => {
    attempt++;
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    const timings: Record<string, number> = {};
    let resp = await startResponderProcess();
    const port = resp.port;
    const adminState = join(dir, `admin-state-${attempt}.json`);
    const metricsPort = randomPort();
    const agent = spawn(
      process.execPath,
      [
        built.agentMain,
        "--check-udp",
        `127.0.0.1:${port}`,
        "--check-tcp",
        `127.0.0.1:${port}`,
        "--name",
        "example.com",
        "--expect-aa",
        "--prefix",
        "192.0.2.53/32",
        "--admin-state",
        adminState,
        "--drain-wait-ms",
        "500",
        "--log-level",
        "warn",
        "--metrics",
        `127.0.0.1:${metricsPort}`,
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    ) as Child;
    children.push(agent);
    const out = new LineWatcher(agent.stdout);
    const announce = /^announce route 192\.0\.2\.53\/32 next-hop self$/;
    const withdraw = /^withdraw route 192\.0\.2\.53\/32 next-hop self$/;

    await out.next(announce, 10_000);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain('edgens_health_state{prefix="192.0.2.53/32",family="ipv4",state="UP"} 1');
    expect(metrics).toContain('edgens_health_announced_prefixes{family="ipv4"} 1');
    // Let a few normal-interval rounds pass so the kill lands at a random point of the check cycle.
    await new Promise((res) => setTimeout(res, 330));

    // Hang: the server process is stopped; UDP and TCP checks time out.
    let t = performance.now();
    resp.child.kill("SIGSTOP");
    const w1 = await out.next(withdraw, 3000);
    timings.hangToWithdraw = w1.t - t;
    t = performance.now();
    resp.child.kill("SIGCONT");
    const a1 = await out.next(announce, 5000);
    timings.contToAnnounce = a1.t - t;
    await new Promise((res) => setTimeout(res, 270));

    // Crash: ECONNREFUSED on the connected UDP socket / TCP RST fails the next round at once.
    t = performance.now();
    resp.child.kill("SIGKILL");
    const w2 = await out.next(withdraw, 3000);
    timings.killToWithdraw = w2.t - t;
    if (resp.child.exitCode === null && resp.child.signalCode === null) await once(resp.child, "exit");

    // Restart on the same port: re-announce after rise and the hold-down of the second flap (2 × 1 s).
    t = performance.now();
    resp = await startResponderProcess(port);
    const a2 = await out.next(announce, 6000);
    timings.restartToAnnounce = a2.t - t;
    timings.withdrawToReannounce = a2.t - w2.t;

    // Drain through the CLI: graceful-shutdown announce at once, withdrawal after --drain-wait-ms.
    t = performance.now();
    expect(await runDrain(["--admin-state", adminState, "--reason", "test"], sink, sink, true)).toBe(0);
    const g = await out.next(/^announce route 192\.0\.2\.53\/32 next-hop self community \[65535:0\]$/, 3000);
    timings.drainToGshut = g.t - t;
    const w3 = await out.next(withdraw, 3000);
    timings.gshutToWithdraw = w3.t - g.t;
    expect(await runDrain(["--admin-state", adminState], sink, sink, false)).toBe(0);
    await out.next(announce, 3000);

    // ExaBGP gone: stdin closes, the agent exits non-zero.
    t = performance.now();
    const exited = once(agent, "exit");
    agent.stdin!.end();
    const [code] = (await exited) as [number];
    timings.stdinCloseToExit = performance.now() - t;
    expect(code).toBe(1);

    console.log(
      `agent process timings (ms): ${Object.entries(timings)
        .map(([k, v]) => `${k}=${v.toFixed(0)}`)
        .join(" ")}`,
    );
    expect(timings.killToWithdraw).toBeLessThan(200);
    expect(timings.hangToWithdraw).toBeLessThan(600);
    // Measured here, after a pipe hop: allow a little slack below the agent-side hold-down.
    expect(timings.withdrawToReannounce).toBeGreaterThanOrEqual(2000 - 50);
    expect(timings.gshutToWithdraw).toBeGreaterThanOrEqual(500 - 50);
    resp.child.kill("SIGKILL");
  });
});
