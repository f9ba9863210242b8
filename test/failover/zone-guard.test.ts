// The guard against withdrawing every site at once, and the zone rows, with the real `edgens serve` and the
// real health agent (child processes on loopback; the agent's stdout is what ExaBGP would read):
// - a reload with a broken zone keeps the old data serving: the node stays announced (bad data cannot make
//   every node's check fail at once — nor be served);
// - a zone removed by a reload answers REFUSED: withdrawn;
// - a server whose zone fails to load at start never comes up: never announced.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStatus } from "../../src/cli/status.js";
import type { NodeStatus } from "../../src/status/node-status.js";
import { LineWatcher } from "../health/line-watcher.js";
import { randomPort } from "../helpers/ports.js";
import { type BuiltCli, buildCli } from "./build-cli.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const port = randomPort;

const zone = (serial: number, www = "192.0.2.1") =>
  [
    "$ORIGIN example.com.",
    "$TTL 300",
    `@ IN SOA ns1 hostmaster ${serial} 3600 600 86400 300`,
    "@ IN NS ns1",
    "ns1 IN A 192.0.2.1",
    `www IN A ${www}`,
    "",
  ].join("\n");

describe("zone guard and zone rows (real server + agent)", () => {
  let built: BuiltCli;
  let dir: string;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    built = buildCli();
    dir = mkdtempSync(join(tmpdir(), "edgens-st-zone-"));
  }, 300_000);

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    built?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function serve(zonesDir: string, dnsPort: number, metricsPort: number): ChildProcess {
    const c = spawn(
      process.execPath,
      [
        built.cliMain,
        ...["serve", "--zones-dir", zonesDir, "--workers", "1", "--log-level", "error"],
        ...["--listen", `127.0.0.1:${dnsPort}`, "--metrics", `127.0.0.1:${metricsPort}`],
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    children.push(c);
    return c;
  }

  function agent(
    dnsPort: number,
    metricsPort: number,
    agentPort: number,
  ): { c: ChildProcess; lines: LineWatcher } {
    const c = spawn(
      process.execPath,
      [
        built.agentMain,
        ...["--prefix", "192.0.2.53/32", "--name", "example.com", "--expect-aa"],
        ...["--check-udp", `127.0.0.1:${dnsPort}`, "--check-tcp", `127.0.0.1:${dnsPort}`],
        ...["--readyz", `http://127.0.0.1:${metricsPort}/readyz`, "--metrics", `127.0.0.1:${agentPort}`],
        ...["--admin-state", join(dir, "admin-state.json")],
      ],
      { stdio: ["pipe", "pipe", "ignore"] },
    );
    children.push(c);
    return { c, lines: new LineWatcher(c.stdout!) };
  }

  it("broken zone on reload: old data keeps serving, still announced; zone removed: REFUSED → withdrawn", {
    timeout: 90_000,
  }, async () => {
    const zonesDir = join(dir, "zones");
    mkdirSync(zonesDir);
    const file = join(zonesDir, "example.com.zone");
    writeFileSync(file, zone(2026112301));
    const [dnsPort, metricsPort, agentPort] = [port(), port(), port()];
    const server = serve(zonesDir, dnsPort, metricsPort);
    const a = agent(dnsPort, metricsPort, agentPort);
    await a.lines.next(/^announce route 192\.0\.2\.53\/32/, 30_000);
    const status = async () => {
      let out = "";
      await runStatus(
        ["--json", "--metrics", `127.0.0.1:${metricsPort}`, "--agent-metrics", `127.0.0.1:${agentPort}`],
        { write: (s: string) => (out += s) },
        { write: () => true },
      );
      return JSON.parse(out) as NodeStatus;
    };

    // A broken zone (bad address) and a reload: refused by the zone checks, the old data (serial 1) serves on.
    writeFileSync(file, zone(2026112302, "192.0.2.999"));
    a.lines.mark();
    server.kill("SIGHUP");
    await sleep(1500);
    expect(a.lines.pending(/^withdraw/)).toEqual([]);
    const s = await status();
    expect(s.server.ready).toBe(true);
    expect(s.server.zones).toEqual([
      expect.objectContaining({ zone: "example.com.", serial: 2026112301, loadFailures: 1 }),
    ]);
    expect(s.agent.prefixes[0]).toMatchObject({ state: "UP", route: "announced" });

    // The zone removed (a reload without it): REFUSED for its names → withdrawn after `fall` rounds.
    rmSync(file);
    const t0 = performance.now();
    server.kill("SIGHUP");
    const w = await a.lines.next(/^withdraw route 192\.0\.2\.53\/32/, 5000);
    const refusedMs = w.t - t0;
    console.log(`real server, zone removed by reload (REFUSED) → agent withdraw: ${refusedMs.toFixed(0)} ms`);
    expect(refusedMs).toBeLessThan(1500); // budget 600 ms (+ the reload itself), headroom for load
    a.c.stdin!.end();
  });

  it("a zone that fails to load at start: the server does not come up, the node is never announced", {
    timeout: 60_000,
  }, async () => {
    const zonesDir = join(dir, "broken");
    mkdirSync(zonesDir);
    writeFileSync(join(zonesDir, "example.com.zone"), zone(2026112301, "192.0.2.999"));
    const [dnsPort, metricsPort, agentPort] = [port(), port(), port()];
    const server = serve(zonesDir, dnsPort, metricsPort);
    let stderr = "";
    server.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    const [code] = (await once(server, "exit")) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toMatch(/example\.com\.zone:6:/);
    const a = agent(dnsPort, metricsPort, agentPort);
    // INIT + a failed round: withdraw (in case a previous instance announced), and never an announcement.
    await a.lines.next(/^withdraw route 192\.0\.2\.53\/32/, 30_000);
    await sleep(1500);
    expect(a.lines.lines.some((l) => l.line.startsWith("announce"))).toBe(false);
    a.c.stdin!.end();
  });
});
