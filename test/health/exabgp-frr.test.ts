// The agent under a real ExaBGP 4.2, announcing to a real FRR bgpd on loopback: the route appears in FRR, leaves
// it when the DNS server is killed or hung, comes back after the hold-down, carries the graceful-shutdown
// community during a drain, and the agent exits when ExaBGP dies. Times are measured at FRR (vtysh polling,
// ~20-40 ms resolution) — what a router sees, not what the agent printed.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDrain } from "../../src/cli/drain.js";
import { randomPort } from "../helpers/ports.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";
import {
  BGPD,
  EXABGP,
  type Exabgp,
  type FrrPeer,
  NEXT_HOP,
  startExabgp,
  startFrrPeer,
  VTYSH,
} from "./bgp-peer.js";
import { type BuiltEntries, buildEntries } from "./build-entries.js";
import { LineWatcher } from "./line-watcher.js";

const ok = requirePrereq(
  "health agent with ExaBGP and FRR",
  isRoot,
  hasCommand(BGPD),
  hasCommand(VTYSH),
  hasCommand(EXABGP),
  hasCommand("/usr/bin/python3"),
);

const PREFIX = "192.0.2.53/32";
const sink = { write: () => true } as unknown as NodeJS.WritableStream;
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

describe.skipIf(!ok)("health agent + ExaBGP + FRR (loopback)", () => {
  let built: BuiltEntries;
  let dir: string;
  let frr: FrrPeer | null = null;
  let exa: Exabgp | null = null;
  const responders: ChildProcess[] = [];

  beforeAll(() => {
    built = buildEntries();
    dir = mkdtempSync(join(tmpdir(), "edgens-ha-agent-"));
  }, 120_000);

  afterAll(() => {
    exa?.stop();
    frr?.stop();
    for (const r of responders) if (r.exitCode === null && r.signalCode === null) r.kill("SIGKILL");
    if (exa) rmSync(exa.dir, { recursive: true, force: true });
    built?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function responder(port = 0): Promise<{ child: ChildProcess; port: number }> {
    const child = spawn(process.execPath, [built.responderMain, "127.0.0.1", String(port)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    responders.push(child);
    const first = await new LineWatcher(child.stdout!).next(/^\d+$/, 10_000);
    return { child, port: Number(first.line) };
  }

  let lastPath: ReturnType<FrrPeer["path"]> = null;

  /** Polls FRR until `want(path)` holds; returns the time it did (performance.now()); the path is in lastPath. */
  async function until(
    want: (p: ReturnType<FrrPeer["path"]>) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      lastPath = frr!.path(PREFIX);
      if (want(lastPath)) return performance.now();
      await sleep(10);
    }
    throw new Error(`FRR: ${what} not seen within ${timeoutMs} ms`);
  }

  let attempt = 0;
  // Retried once: ExaBGP, FRR and vtysh polling on a shared 2-core machine can stall past a budget.
  it("announce, crash, hang, restore, drain, ExaBGP death", { timeout: 120_000, retry: 1 }, async () => {
    attempt++;
    exa?.stop(); // a retried attempt starts clean
    frr?.stop();
    const t: Record<string, number> = {};
    let resp = await responder();
    const port = resp.port;
    const bgpPort = randomPort();
    frr = startFrrPeer(bgpPort);
    const adminState = join(dir, `admin-state-${attempt}.json`);
    const metricsPort = randomPort();
    exa = startExabgp(bgpPort, [
      process.execPath,
      built.agentMain,
      "--check-udp",
      `127.0.0.1:${port}`,
      "--check-tcp",
      `127.0.0.1:${port}`,
      "--name",
      "example.com",
      "--expect-aa",
      "--prefix",
      PREFIX,
      "--next-hop",
      NEXT_HOP,
      "--admin-state",
      adminState,
      "--drain-wait-ms",
      "500",
      "--local-as",
      "64512",
      "--drain-prepend",
      "2",
      "--metrics",
      `127.0.0.1:${metricsPort}`,
    ]);
    const present = (p: ReturnType<FrrPeer["path"]>) => p !== null;
    const absent = (p: ReturnType<FrrPeer["path"]>) => p === null;

    await until(present, 30_000, "first announcement");
    expect(lastPath).toMatchObject({ nexthop: NEXT_HOP, aspath: "64512", communities: "" });
    await sleep(500);
    // ExaBGP's real acks and JSON neighbor events reached the agent.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/edgens_health_api_acks_total\{result="done"\} [1-9]/);
    expect(metrics).toContain('edgens_health_bgp_session_up{neighbor="127.0.0.2"} 1');
    expect(metrics).toContain('edgens_health_announced_prefixes{family="ipv4"} 1');

    // Crash.
    let t0 = performance.now();
    resp.child.kill("SIGKILL");
    const withdrawnAt = await until(absent, 3000, "withdrawal after kill");
    t.killToFrrWithdraw = withdrawnAt - t0;
    // Restore on the same port: back after rise + the 1 s hold-down of the first flap.
    t0 = performance.now();
    resp = await responder(port);
    const announcedAt = await until(present, 5000, "re-announcement");
    t.restartToFrrAnnounce = announcedAt - t0;
    t.frrWithdrawToAnnounce = announcedAt - withdrawnAt;
    await sleep(500);

    // Hang.
    t0 = performance.now();
    resp.child.kill("SIGSTOP");
    t.hangToFrrWithdraw = (await until(absent, 3000, "withdrawal after hang")) - t0;
    t0 = performance.now();
    resp.child.kill("SIGCONT");
    t.contToFrrAnnounce = (await until(present, 8000, "re-announcement after hang")) - t0;
    await sleep(300);

    // Drain: graceful shutdown (RFC 8326) plus prepends, then withdrawal.
    t0 = performance.now();
    expect(await runDrain(["--admin-state", adminState, "--reason", "lab"], sink, sink, true)).toBe(0);
    t.drainToFrrGshut =
      (await until((p) => p?.communities === "graceful-shutdown", 3000, "GS community")) - t0;
    expect(lastPath?.aspath).toBe("64512 64512 64512");
    t.drainToFrrWithdraw = (await until(absent, 3000, "withdrawal after drain")) - t0;
    expect(await runDrain(["--admin-state", adminState], sink, sink, false)).toBe(0);
    await until((p) => p !== null && p.communities === "", 3000, "undrain");

    // ExaBGP dies: FRR drops the session (TCP reset) and the agent sees stdin close and exits.
    t0 = performance.now();
    const killWall = Date.now();
    exa.child.kill("SIGKILL");
    t.exabgpKillToFrrWithdraw = (await until(absent, 5000, "withdrawal after ExaBGP death")) - t0;
    if (exa.child.exitCode === null && exa.child.signalCode === null) await once(exa.child, "exit");
    // The agent logs its exit reason (pino JSON, epoch ms) on the stderr it shares with ExaBGP. (Polling its pid
    // would measure when the orphaned zombie is reaped, not when it exited.)
    const exitLine = () =>
      exa!
        .log()
        .split("\n")
        .find((l) => l.includes("stdin closed: ExaBGP is gone"));
    for (let i = 0; i < 300 && !exitLine(); i++) await sleep(10);
    expect(exitLine()).toBeDefined();
    t.exabgpKillToAgentExit = (JSON.parse(exitLine()!) as { time: number }).time - killWall;

    console.log(
      `ExaBGP+FRR timings (ms, at FRR): ${Object.entries(t)
        .map(([k, v]) => `${k}=${v.toFixed(0)}`)
        .join(" ")}`,
    );
    // Agent budget (200 / 600 ms) plus ExaBGP → FRR and the polling resolution.
    expect(t.killToFrrWithdraw).toBeLessThan(1000);
    expect(t.hangToFrrWithdraw).toBeLessThan(1500);
    // The hold-down (1 s) runs from the agent's withdrawal; both ends are seen by vtysh polling, whose calls can
    // take 100+ ms under load, so only a loose bound here (the process test checks the hold-down exactly).
    expect(t.frrWithdrawToAnnounce).toBeGreaterThan(600);
    resp.child.kill("SIGKILL");
  });
});
