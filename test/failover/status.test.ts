// `edgens status` against a real `edgens serve` and a real health agent (both child processes, loopback, no
// root): serving, drained, server killed, and the sources taken from --config. The agent runs without ExaBGP
// (its stdin is a pipe nobody writes): no neighbor events, so no session is known.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDrain } from "../../src/cli/drain.js";
import { runStatus } from "../../src/cli/status.js";
import type { NodeStatus } from "../../src/status/node-status.js";
import { LineWatcher } from "../health/line-watcher.js";
import { randomPort } from "../helpers/ports.js";
import { type BuiltCli, buildCli } from "./build-cli.js";

const sink = { write: () => true } as unknown as NodeJS.WritableStream;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const port = randomPort;

async function status(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runStatus(
    args,
    { write: (s: string) => (out += s) },
    { write: (s: string) => (err += s) },
  );
  return { code, out, err };
}

describe("edgens status (real server + agent)", () => {
  let built: BuiltCli;
  let dir: string;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    built = buildCli();
    dir = mkdtempSync(join(tmpdir(), "edgens-st-status-"));
  }, 300_000);

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    built?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("serving → drained → server killed, as table and --json", { timeout: 120_000 }, async () => {
    const dnsPort = port();
    const metricsPort = port();
    const agentPort = port();
    const adminState = join(dir, "admin-state.json");
    const server = spawn(
      process.execPath,
      [
        built.cliMain,
        ...["serve", "--example", "--workers", "1", "--log-level", "warn"],
        ...["--listen", `127.0.0.1:${dnsPort}`, "--listen", `[::1]:${dnsPort}`],
        ...["--metrics", `127.0.0.1:${metricsPort}`],
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    children.push(server);
    const serverUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    for (let i = 0; i < 300; i++) {
      const r = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => null);
      if (r?.status === 200) break;
      await sleep(100);
    }
    const agent = spawn(
      process.execPath,
      [
        built.agentMain,
        ...["--prefix", "192.0.2.53/32", "--prefix", "2001:db8:53::/48"],
        ...["--check-udp", `127.0.0.1:${dnsPort}`, "--check-udp", `[::1]:${dnsPort}`],
        ...["--check-tcp", `127.0.0.1:${dnsPort}`],
        ...["--name", "example.edgens.test", "--expect-aa"],
        ...["--readyz", `http://127.0.0.1:${metricsPort}/readyz`],
        ...["--metrics", `127.0.0.1:${agentPort}`, "--admin-state", adminState, "--drain-wait-ms", "200"],
      ],
      { stdio: ["pipe", "pipe", "ignore"] },
    );
    children.push(agent);
    const lines = new LineWatcher(agent.stdout!);
    await lines.next(/^announce route 192\.0\.2\.53\/32/, 20_000);
    await lines.next(/^announce route 2001:db8:53::\/48/, 5_000);
    const sources = [
      ...["--metrics", serverUrl, "--agent-metrics", `127.0.0.1:${agentPort}`],
      ...["--admin-state", adminState],
    ];

    // Serving.
    let r = await status("--json", ...sources);
    let s = JSON.parse(r.out) as NodeStatus;
    expect(r.code).toBe(0);
    expect(s.verdict).toBe("serving");
    expect(s.server).toMatchObject({ reachable: true, ready: true, error: null });
    expect(s.server.zones).toEqual([
      expect.objectContaining({ zone: "example.edgens.test.", loadFailures: 0 }),
    ]);
    expect(s.server.zones[0]!.serial).toBeGreaterThan(0);
    expect(s.agent.prefixes).toEqual([
      expect.objectContaining({ prefix: "192.0.2.53/32", family: "ipv4", state: "UP", route: "announced" }),
      expect.objectContaining({
        prefix: "2001:db8:53::/48",
        family: "ipv6",
        state: "UP",
        route: "announced",
      }),
    ]);
    expect(s.agent.announced).toEqual({ ipv4: 1, ipv6: 1 });
    expect(s.admin).toMatchObject({ state: "active", since: null });
    const table = (await status(...sources)).out;
    console.log(`edgens status (serving):\n${table}`);
    expect(table).toMatch(/^node: SERVING/);
    expect(table).toMatch(/example\.edgens\.test\.\s+\d+/);
    expect(table).toMatch(/2001:db8:53::\/48\s+ipv6\s+UP\s+announced/);

    // Drained.
    expect(await runDrain(["--admin-state", adminState, "--reason", "status test"], sink, sink, true)).toBe(
      0,
    );
    await lines.next(/^withdraw route 192\.0\.2\.53\/32/, 5_000);
    await sleep(300);
    r = await status("--json", ...sources);
    s = JSON.parse(r.out) as NodeStatus;
    expect(r.code).toBe(3);
    expect(s.verdict).toBe("drained");
    expect(s.admin).toMatchObject({ state: "drained", reason: "status test" });
    expect(s.agent.drained).toBe(true);
    expect(s.agent.prefixes.map((p) => p.route)).toEqual(["drained", "drained"]);
    expect(await runDrain(["--admin-state", adminState], sink, sink, false)).toBe(0);
    await lines.next(/^announce route 192\.0\.2\.53\/32/, 5_000);

    // Server killed: the agent withdraws, status says down and why.
    server.kill("SIGKILL");
    await lines.next(/^withdraw route 192\.0\.2\.53\/32/, 5_000);
    await sleep(300);
    r = await status("--json", ...sources);
    s = JSON.parse(r.out) as NodeStatus;
    expect(r.code).toBe(3);
    expect(s.verdict).toBe("down");
    expect(s.server.reachable).toBe(false);
    expect(s.server.error).toMatch(/ECONNREFUSED/);
    expect(s.agent.prefixes.every((p) => p.state === "DOWN" && p.route === "withdrawn")).toBe(true);
    const down = (await status(...sources)).out;
    console.log(`edgens status (server killed):\n${down}`);
    expect(down).toMatch(/^node: DOWN/);
    expect(down).toMatch(/server {2}UNREACHABLE/);
    agent.stdin!.end();
  });

  it("takes the sources from --config; unreachable sources are reported, not fatal", async () => {
    const m = port();
    const a = port();
    const cfg = join(dir, "edgens.yaml");
    writeFileSync(
      cfg,
      [
        "listen: ['127.0.0.1:5399']",
        `metrics: { listen: '127.0.0.1:${m}' }`,
        `health: { metrics: '127.0.0.1:${a}', adminStateFile: '${join(dir, "none.json")}' }`,
        "",
      ].join("\n"),
    );
    const r = await status("--json", "--config", cfg);
    expect(r.err).toBe("");
    const s = JSON.parse(r.out) as NodeStatus;
    expect(r.code).toBe(3);
    expect(s.verdict).toBe("down");
    expect(s.server).toMatchObject({
      metricsUrl: `http://127.0.0.1:${m}/metrics`,
      reachable: false,
      ready: null,
    });
    expect(s.agent).toMatchObject({ metricsUrl: `http://127.0.0.1:${a}/metrics`, reachable: false });
    expect(s.admin).toMatchObject({ file: join(dir, "none.json"), state: "active" });
    expect((await status("--bogus")).code).toBe(2);
    expect((await status("--site", "x.yaml")).code).toBe(2);
  });
});
