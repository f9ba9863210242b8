// The agent loop in-process, with real checks against a loopback responder and ExaBGP's pipes replaced by
// PassThrough streams: announce after rise, withdraw on kill/hang within the budgets, re-announce after the
// hold-down, drain through the admin-state file, session events, and exit when stdin closes. The tests with time
// budgets are retried: a 2-core machine shared with other jobs can stall any process for 100+ ms.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { writeAdminState } from "../../src/health/admin-state.js";
import { HealthAgent } from "../../src/health/agent.js";
import { dnsCheck, type HealthCheck } from "../../src/health/checks.js";
import { tcpLossWatch } from "../../src/health/loss-watch.js";
import { HealthMetrics } from "../../src/health/metrics.js";
import { bgpRouteEffects } from "../../src/health/route-effects.js";
import type { MachineConfig } from "../../src/health/state-machine.js";
import { startResponder, type TestResponder } from "./dns-responder.js";
import { LineWatcher } from "./line-watcher.js";

const machine: MachineConfig = {
  rise: 2,
  fall: 2,
  intervalMs: 100,
  fastIntervalMs: 50,
  drainWaitMs: 400,
  holdDown: { baseMs: 500, maxMs: 4000, decayMs: 60_000 },
};

const P4 = "192.0.2.53/32";
const P6 = "2001:db8::53/128";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "edgens-health-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Harness {
  agent: HealthAgent;
  input: PassThrough;
  out: LineWatcher;
  metrics: HealthMetrics;
  r4: TestResponder;
  r6: TestResponder | null;
}

let h: Harness | null = null;
async function stopHarness(): Promise<void> {
  if (!h) return;
  h.agent.stop();
  await h.r4.close().catch(() => {});
  await h.r6?.close().catch(() => {});
  h = null;
}
afterEach(stopHarness);

function checksFor(r: TestResponder, address: string): HealthCheck[] {
  return (["udp", "tcp"] as const).map((transport) =>
    dnsCheck({
      transport,
      address,
      port: r.port,
      name: "example.com",
      qtype: "SOA",
      expect: { rcode: "NOERROR", aa: true },
      timeoutMs: 150,
    }),
  );
}

async function startHarness(
  opts: { adminStateFile?: string; v6?: boolean; triggers?: boolean } = {},
): Promise<Harness> {
  await stopHarness(); // a retried attempt starts clean
  const r4 = await startResponder("127.0.0.1");
  const r6 = opts.v6 ? await startResponder("::1") : null;
  const input = new PassThrough();
  const output = new PassThrough();
  const metrics = new HealthMetrics();
  const prefixes = [{ prefix: P4, family: 4 as const }, ...(r6 ? [{ prefix: P6, family: 6 as const }] : [])];
  const agent = new HealthAgent({
    prefixes,
    checks: [...checksFor(r4, "127.0.0.1"), ...(r6 ? checksFor(r6, "::1") : [])],
    triggers: opts.triggers ? [tcpLossWatch("127.0.0.1", r4.port)] : [],
    machine,
    routes: bgpRouteEffects(
      {
        prefixes: prefixes.map((p) => ({ prefix: p.prefix, nextHop: "self" })),
        localAs: 64512,
        communities: [],
        largeCommunities: [],
        med: undefined,
        prepend: 0,
        drainCommunity: "65535:0",
      },
      2,
    ),
    input,
    output,
    adminStateFile: opts.adminStateFile ?? join(dir, "none", "admin-state.json"),
    adminPollMs: 200,
    metrics,
  });
  h = { agent, input, out: new LineWatcher(output), metrics, r4, r6 };
  await agent.start();
  return h;
}

const announce4 = /^announce route 192\.0\.2\.53\/32 next-hop self$/;
const withdraw4 = /^withdraw route 192\.0\.2\.53\/32 next-hop self$/;

describe("health agent (in-process)", () => {
  it("withdraws every prefix before anything else (ExaBGP keeps a dead agent's routes while respawning)", async () => {
    const { out } = await startHarness({ v6: true });
    await out.next(announce4, 2000);
    const first = out.lines.slice(0, 2).map((l) => l.line);
    expect(first).toEqual([
      "withdraw route 192.0.2.53/32 next-hop self",
      "withdraw route 2001:db8::53/128 next-hop self",
    ]);
  });

  it("announces after rise and withdraws within 200 ms of the server dying", { retry: 2 }, async () => {
    const { out, r4, metrics } = await startHarness();
    await out.next(announce4, 2000);
    expect(out.pending(withdraw4)).toEqual([]);
    const killed = performance.now();
    await r4.close();
    const w = await out.next(withdraw4, 1000);
    const ms = w.t - killed;
    console.log(`in-process: killed → withdraw ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(200);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/edgens_health_state\{prefix="192\.0\.2\.53\/32",family="ipv4",state="DOWN"\} 1/);
    expect(text).toMatch(
      /edgens_health_check_failures_total\{check="udp:127\.0\.0\.1:\d+:example\.com\/SOA",reason="refused"\} \d/,
    );
    expect(text).toMatch(/edgens_health_announced_prefixes\{family="ipv4"\} 0/);
  });

  it("a watched TCP connection closing triggers a round at once: withdraw in a few ms", {
    retry: 2,
  }, async () => {
    const { out, r4 } = await startHarness({ triggers: true });
    await out.next(announce4, 2000);
    // Wait until the watch connection is up and a normal round has just run (worst case for interval polling).
    await new Promise((res) => setTimeout(res, 250));
    const killed = performance.now();
    await r4.close();
    const w = await out.next(withdraw4, 1000);
    console.log(`in-process with TCP loss watch: killed → withdraw ${(w.t - killed).toFixed(1)} ms`);
    // Interval polling alone would take up to 100 ms here.
    expect(w.t - killed).toBeLessThan(100);
  });

  it("withdraws a hung server within 600 ms and re-announces after rise + hold-down", {
    retry: 2,
  }, async () => {
    const { out, r4 } = await startHarness();
    await out.next(announce4, 2000);
    const hung = performance.now();
    r4.mode = "hang";
    const w = await out.next(withdraw4, 2000);
    console.log(`in-process: hang → withdraw ${(w.t - hung).toFixed(0)} ms`);
    expect(w.t - hung).toBeLessThan(600);
    const restored = performance.now();
    r4.mode = "ok";
    const a = await out.next(announce4, 3000);
    const ms = a.t - restored;
    console.log(
      `in-process: restore → re-announce ${ms.toFixed(0)} ms (hold-down ${machine.holdDown.baseMs} ms)`,
    );
    // The hold-down runs from the withdrawal; rise needs 2 good checks 50 ms apart.
    expect(a.t - w.t).toBeGreaterThanOrEqual(machine.holdDown.baseMs - 20);
  });

  it("wrong answers withdraw after `fall` checks, not at once", async () => {
    const { out, r4, agent } = await startHarness();
    await out.next(announce4, 2000);
    r4.mode = "servfail";
    await out.next(withdraw4, 1000);
    expect(agent.status()[0]!.state.lastReason).toMatch(/rcode/);
    expect(agent.status()[0]!.state.state).toBe("DOWN");
  });

  it("drain: graceful-shutdown announce, withdraw after the wait; undrain re-announces", async () => {
    const file = join(dir, "drain-1", "admin-state.json");
    const { out, metrics } = await startHarness({ adminStateFile: file });
    await out.next(announce4, 2000);
    const t0 = performance.now();
    await writeAdminState(file, { state: "drained", since: new Date().toISOString(), reason: "test" });
    const g = await out.next(/^announce route 192\.0\.2\.53\/32 .*community \[65535:0\]/, 2000);
    expect(g.line).toBe(
      "announce route 192.0.2.53/32 next-hop self community [65535:0] as-path [64512 64512 64512]",
    );
    const w = await out.next(withdraw4, 2000);
    console.log(
      `in-process: drain file written → GS announce ${(g.t - t0).toFixed(0)} ms, → withdraw ${(w.t - t0).toFixed(0)} ms`,
    );
    expect(w.t - g.t).toBeGreaterThanOrEqual(machine.drainWaitMs - 20);
    expect(await metrics.registry.metrics()).toMatch(/edgens_health_admin_drained 1/);
    await writeAdminState(file, { state: "active", since: new Date().toISOString() });
    await out.next(announce4, 2000);
  });

  it("starts drained when the admin-state file says so (survives restarts)", async () => {
    const file = join(dir, "drain-2", "admin-state.json");
    await writeAdminState(file, { state: "drained", since: new Date().toISOString() });
    const { out, agent } = await startHarness({ adminStateFile: file });
    await new Promise((res) => setTimeout(res, 500));
    expect(out.pending(/^announce/)).toEqual([]);
    expect(agent.status()[0]!.state.state).toBe("DISABLED");
  });

  it("re-announces when a BGP session comes up (JSON and text encoders)", async () => {
    const { out, input, metrics } = await startHarness();
    await out.next(announce4, 2000);
    const json = (state: string) =>
      `{ "exabgp": "4.0.1", "time": 1.5, "host" : "h", "pid" : 1, "ppid" : 1, "counter": 1, "type": "state", "neighbor": { "address": { "local": "10.0.0.2", "peer": "10.0.0.1" }, "asn": { "local": 64512, "peer": 64500 } , "state": "${state}" } }\n`;
    input.write(json("down"));
    input.write(json("up"));
    await out.next(announce4, 1000);
    expect(await metrics.registry.metrics()).toMatch(
      /edgens_health_bgp_session_up\{neighbor="10\.0\.0\.1"\} 1/,
    );
    input.write("neighbor 10.0.0.9 up\n");
    await out.next(announce4, 1000);
    input.write("done\nerror\n");
    await new Promise((res) => setTimeout(res, 20));
    expect(await metrics.registry.metrics()).toMatch(/edgens_health_api_acks_total\{result="error"\} 1/);
  });

  it("handles IPv4 and IPv6 prefixes independently", async () => {
    const { out, r6, agent } = await startHarness({ v6: true });
    await out.next(/^announce route 2001:db8::53\/128 next-hop self$/, 2000);
    await r6!.close();
    await out.next(/^withdraw route 2001:db8::53\/128/, 1000);
    const st = Object.fromEntries(agent.status().map((s) => [s.prefix, s.state.state]));
    expect(st).toEqual({ [P4]: "UP", [P6]: "DOWN" });
  });

  it("exits with 1 when stdin closes (ExaBGP gone) and 0 on a shutdown notification", async () => {
    const a = await startHarness();
    a.input.end();
    expect(await a.agent.exited).toBe(1);
    await a.r4.close();
    h = null;
    const b = await startHarness();
    b.input.write(
      '{ "exabgp": "4.0.1", "time": 1.5, "host" : "h", "pid" : 1, "ppid" : 1, "type": "notification", "notification": "shutdown" }\n',
    );
    expect(await b.agent.exited).toBe(0);
  });
});
