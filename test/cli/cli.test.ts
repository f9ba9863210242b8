// End-to-end tests of the built `edgens` binary: subcommands, cluster mode with 2 workers, metrics summed over
// workers, worker restart, and reload under load.
import { rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs, tempDir } from "../helpers/temp-dir.js";
import {
  decode,
  freePort,
  type LoosePacket,
  query,
  serialOf,
  TcpClient,
  udpExchange,
} from "../server/dns-client.js";
import { brokenZoneText, writeAtomic, zoneText } from "../server/zone-fixture.js";
import { buildCli } from "./build-cli.js";
import { runCli, type Spawned, spawnServer } from "./spawn-server.js";
import { udpLoad } from "./udp-load.js";

afterAll(removeTempDirs);

let main: string;
beforeAll(() => {
  main = buildCli();
}, 180_000);
afterAll(() => {
  // main = <tmp>/dist/cli/main.js
  if (main) rmSync(resolve(main, "../../.."), { recursive: true, force: true });
});

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path }, (res) => {
      let body = "";
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

function metricValue(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : Number.NaN;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("edgens subcommands", () => {
  it("version and help exit 0", async () => {
    expect(await runCli(main, ["version"])).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^edgens \d+\.\d+/),
    });
    expect(await runCli(main, ["help"])).toMatchObject({
      code: 0,
      out: expect.stringContaining("usage: edgens"),
    });
  });

  it.each([
    [["bogus"]],
    [[]],
    [["serve", "--bogus"]],
    [["serve", "--listen", "nope"]],
    [["config", "frob"]],
    [["reload"]],
  ])("misuse %j prints the usage and exits 2", async (args) => {
    const r = await runCli(main, args);
    expect(r.code).toBe(2);
    expect(r.err).toContain("usage: edgens");
  });

  it("config check prints the effective config, or every problem with its key path", async () => {
    const dir = tempDir("edgens-cli-");
    writeFileSync(join(dir, "base.yaml"), "listen: ['127.0.0.1:53']\nnode: {identity: base}\n");
    writeFileSync(join(dir, "site.yaml"), "node:\n  site: ams1\n  nsid: ams1-a\n");
    const ok = await runCli(main, [
      "config",
      "check",
      join(dir, "base.yaml"),
      "--site",
      join(dir, "site.yaml"),
    ]);
    expect(ok.code).toBe(0);
    const cfg = JSON.parse(ok.out);
    expect(cfg.node).toEqual({ site: "ams1", nsid: "ams1-a", identity: "base" });
    expect(cfg.edns.maxUdpPayload).toBe(1232);
    writeFileSync(join(dir, "bad.yaml"), "tcp:\n  maxConnections: lots\n");
    const bad = await runCli(main, ["config", "check", join(dir, "bad.yaml")]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`${join(dir, "bad.yaml")}:2:19: tcp.maxConnections: expected number`);
  });

  it("reload finds the pid through the config's pidFile and reports a stale one", async () => {
    const dir = tempDir("edgens-cli-");
    writeFileSync(join(dir, "edgens.yaml"), "pidFile: edgens.pid\n");
    writeFileSync(join(dir, "edgens.pid"), "2147483646\n");
    const r = await runCli(main, ["reload", "--config", join(dir, "edgens.yaml")]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("cannot signal process 2147483646: no such process");
    const none = await runCli(main, ["reload", "--pid-file", join(dir, "missing.pid")]);
    expect(none.code).toBe(1);
    expect(none.err).toContain("cannot read pid file");
  });

  it("zone check is dispatched", async () => {
    const dir = tempDir("edgens-cli-");
    writeFileSync(join(dir, "z.zone"), brokenZoneText("z.test.", 1));
    const r = await runCli(main, ["zone", "check", join(dir, "z.zone")]);
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain(`${join(dir, "z.zone")}:8:`);
  });

  it("serve refuses to start on a broken zone, naming file:line", async () => {
    const dir = tempDir("edgens-cli-");
    writeFileSync(join(dir, "z.zone"), brokenZoneText("z.test.", 1));
    const port = await freePort();
    const r = await runCli(main, [
      "serve",
      "--workers",
      "2",
      "--listen",
      `127.0.0.1:${port}`,
      "--zone",
      join(dir, "z.zone"),
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${join(dir, "z.zone")}:8:`);
  });
});

describe("cluster mode: 2 workers", () => {
  const dir = tempDir("edgens-cluster-");
  const zoneFile = join(dir, "load.test.zone");
  const pidFile = join(dir, "edgens.pid");
  let port: number;
  let metricsPort: number;
  let server: Spawned;

  beforeAll(async () => {
    writeAtomic(zoneFile, zoneText("load.test.", 100));
    port = await freePort();
    metricsPort = await freePort();
    server = await spawnServer(main, [
      "--workers",
      "2",
      "--listen",
      `127.0.0.1:${port}`,
      "--listen",
      `[::1]:${port}`,
      "--zone",
      zoneFile,
      "--example",
      "--nsid",
      "cluster-test",
      "--metrics",
      `127.0.0.1:${metricsPort}`,
      "--pid-file",
      pidFile,
    ]);
  }, 60_000);
  afterAll(() => server?.stop());

  it("prints one ready line naming the addresses, zones and workers", () => {
    const ready = server.output.filter((l) => l.includes("edgens ready:"));
    expect(ready).toHaveLength(1);
    expect(ready[0]).toContain(`listening on 127.0.0.1:${port}, [::1]:${port} udp+tcp, 2 zone(s), 2 workers`);
    expect(server.children()).toHaveLength(2);
  });

  it("answers over UDP and TCP on both addresses; /metrics sums the workers", async () => {
    const before = await httpGet(metricsPort, "/metrics");
    const series = 'edgens_queries_total{transport="tcp",qtype="A",rcode="NOERROR"}';
    const base = metricValue(before.body, series) || 0;
    for (const host of ["127.0.0.1", "::1"]) {
      const u = decode(await udpExchange(host, port, query("www.load.test.", "A", 1)));
      expect(u.answers?.[0]?.data).toBe("192.0.2.80");
      // Several TCP connections: the primary spreads them over both workers.
      for (let i = 0; i < 4; i++) {
        const c = new TcpClient(host, port);
        c.send(query("www.example.edgens.test.", "A", i));
        const [m] = await c.waitFor(1);
        c.destroy();
        expect(decode(m!).answers?.at(-1)?.data).toBe("192.0.2.53");
      }
    }
    const after = await httpGet(metricsPort, "/metrics");
    expect(metricValue(after.body, series) - base).toBe(8);
    expect(metricValue(after.body, "edgens_workers_ready")).toBe(2);
    // Zone gauges are the max over workers, not the sum.
    expect(metricValue(after.body, 'edgens_zone_serial{zone="load.test."}')).toBe(100);
    expect((await httpGet(metricsPort, "/readyz")).body).toBe("2/2 workers ready\n");
  });

  it("restarts a crashed worker", async () => {
    const [victim] = server.children();
    process.kill(victim!, "SIGKILL");
    const deadline = Date.now() + 15_000;
    let m = { status: 0, body: "" };
    while (Date.now() < deadline) {
      await sleep(200);
      m = await httpGet(metricsPort, "/metrics");
      if (metricValue(m.body, "edgens_workers_ready") === 2 && !server.children().includes(victim!)) break;
    }
    expect(metricValue(m.body, "edgens_worker_restarts_total")).toBe(1);
    expect(metricValue(m.body, "edgens_workers_ready")).toBe(2);
    expect(server.children()).toHaveLength(2);
    const u = decode(await udpExchange("127.0.0.1", port, query("www.load.test.", "A", 2)));
    expect(u.answers?.[0]?.data).toBe("192.0.2.80");
  }, 30_000);

  it("reload under load: no query lost, every answer has a valid serial, a broken zone is not served", async () => {
    const good = new Set([100]);
    const BROKEN = 666;
    const check = (p: LoosePacket) => {
      if (p.rcode !== "NOERROR") return `rcode ${p.rcode}`;
      const serial = serialOf(p);
      if (serial === undefined || !good.has(serial)) return `serial ${serial}`;
      return null;
    };
    const load = udpLoad({
      host: "127.0.0.1",
      port,
      name: "load.test.",
      total: 20_000,
      durationMs: 5000,
      window: 32,
      lostAfterMs: 3000,
      check,
    });
    const reloads = (async () => {
      for (const serial of [101, 102, 103]) {
        await sleep(500);
        good.add(serial); // valid from the moment it is on disk
        writeAtomic(zoneFile, zoneText("load.test.", serial));
        process.kill(server.proc.pid!, "SIGHUP");
      }
      await sleep(500);
      writeAtomic(zoneFile, brokenZoneText("load.test.", BROKEN));
      const r = await runCli(main, ["reload", "--pid-file", pidFile]);
      expect(r.code).toBe(0);
      await sleep(500);
      process.kill(server.proc.pid!, "SIGHUP");
    })();
    // Meanwhile, one TCP connection pipelines batches of 10 queries.
    let udpDone = false;
    void load.then(() => {
      udpDone = true;
    });
    const tcp = (async () => {
      const c = new TcpClient("::1", port);
      const wrong: string[] = [];
      let n = 0;
      while (!udpDone && wrong.length === 0) {
        for (let i = 0; i < 10; i++) c.send(query("load.test.", "SOA", (n + i) & 0xffff));
        const got = await c.waitFor(n + 10, 5000);
        if (got.length < n + 10) wrong.push(`TCP: ${n + 10 - got.length} answer(s) missing`);
        for (const m of got.slice(n)) {
          const why = check(decode(m));
          if (why) wrong.push(`TCP: ${why}`);
        }
        n += 10;
      }
      c.destroy();
      return { n, wrong };
    })();
    const [res, , tcpRes] = await Promise.all([load, reloads, tcp]);
    expect(tcpRes.wrong).toEqual([]);
    expect(tcpRes.n).toBeGreaterThan(100);
    expect(res.wrong).toEqual([]);
    expect(res.lost).toBe(0);
    expect(res.answered).toBe(20_000);
    expect(res.elapsedMs).toBeGreaterThanOrEqual(4900); // the reloads above all happened under load
    // The broken zone never replaced the last good one.
    const soa = decode(await udpExchange("::1", port, query("load.test.", "SOA", 3)));
    expect(serialOf(soa)).toBe(103);
    const m = await httpGet(metricsPort, "/metrics");
    expect(metricValue(m.body, 'edgens_zone_load_failures_total{zone="load.test."}')).toBeGreaterThanOrEqual(
      1,
    );
    expect(metricValue(m.body, 'edgens_config_reloads_total{result="success"}')).toBeGreaterThanOrEqual(3);
    expect(server.output.some((l) => l.includes(`${zoneFile}:8:`))).toBe(true);
  }, 90_000);
});
