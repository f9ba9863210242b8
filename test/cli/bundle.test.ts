// The bundled CLI (scripts/bundle.mjs, run by `npm run build`): a compiled copy of the tree is bundled, then
// every unbundled module beside it is deleted, so these tests fail if the bundle still reaches outside itself
// (a path relative to import.meta.url, a module left out, a CommonJS package that does not survive bundling).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBuild } from "../helpers/test-build.js";
import { decode, freePort, query, serialOf, udpExchange } from "../server/dns-client.js";
import { writeAtomic, zoneText } from "../server/zone-fixture.js";
import { runCli, type Spawned, spawnServer } from "./spawn-server.js";

const ROOT = resolve(import.meta.dirname, "../..");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path }, (res) => {
      let body = "";
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => resolve(body));
    })
      .on("error", reject)
      .end();
  });
}

/** The SOA serial `port` answers for `origin` over UDP, polled until `serial` or the deadline. */
async function waitSerial(
  port: number,
  origin: string,
  serial: number,
  ms: number,
): Promise<number | undefined> {
  const deadline = Date.now() + ms;
  let last: number | undefined;
  while (Date.now() < deadline) {
    try {
      last = serialOf(decode(await udpExchange("127.0.0.1", port, query(origin, "SOA", 7), 500)));
      if (last === serial) return last;
    } catch {
      // not listening yet, or no answer within 500 ms
    }
    await sleep(50);
  }
  return last;
}

describe("the bundled CLI", () => {
  const build = testBuild();
  const tmp = mkdtempSync(join(tmpdir(), "edgens-bundle-"));
  const main = build.cliMain;
  const servers: Spawned[] = [];

  beforeAll(() => {
    // The compiled copy's layout is <dir>/src/cli/main.js: its "dist" directory is <dir>/src.
    const out = execFileSync(
      process.execPath,
      [join(ROOT, "scripts/bundle.mjs"), "--dist", join(build.dir, "src")],
      {
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    // rolldown is a dev dependency of this checkout: a skipped bundle here is a broken install, not a skip.
    expect(out).toMatch(/^edgens bundle: \d+ files/);
    for (const d of readdirSync(join(build.dir, "src"))) {
      if (d !== "cli") rmSync(join(build.dir, "src", d), { recursive: true, force: true });
    }
    const cli = join(build.dir, "src", "cli");
    for (const f of readdirSync(cli)) {
      if (!/^(main\.js|worker-main\.js|chunk-.*\.js)(\.map)?$/.test(f)) rmSync(join(cli, f));
    }
  }, 180_000);
  afterAll(async () => {
    for (const s of servers) await s.stop();
    build.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("refuses to bundle a bundle (tsc must rewrite main.js first)", () => {
    let failure = "";
    try {
      execFileSync(process.execPath, [join(ROOT, "scripts/bundle.mjs"), "--dist", join(build.dir, "src")], {
        encoding: "utf8",
        stdio: "pipe",
      });
    } catch (e) {
      failure = String((e as { stderr?: string }).stderr);
    }
    expect(failure).toContain("is already a bundle: run tsc first");
  });

  it("runs the subcommands from the bundle alone", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(await runCli(main, ["version"])).toMatchObject({ code: 0, out: `edgens ${pkg.version}\n` });
    const zone = join(tmp, "z.zone");
    writeAtomic(zone, zoneText("z.test.", 3));
    expect(await runCli(main, ["zone", "check", zone])).toMatchObject({
      code: 0,
      out: expect.stringContaining("0 error(s)"),
    });
    const config = join(tmp, "edgens.yaml");
    writeFileSync(config, `zones:\n  - file: ${zone}\nworkers: 3\n`);
    const checked = await runCli(main, ["config", "check", config]);
    expect(checked.code).toBe(0);
    expect(JSON.parse(checked.out)).toMatchObject({ workers: 3, zones: [{ file: zone }] });
    // ejs templates are found from the bundle's directory (bgp/ two levels up, as unbundled).
    const rendered = await runCli(main, [
      "bgp",
      "render",
      "--config",
      join(ROOT, "test/fixtures/bgp/dual-stack.yaml"),
    ]);
    expect(rendered.code).toBe(0);
    expect(rendered.out).toContain("rendered by `edgens bgp render`");
  });

  it("serves as a primary in-process and as a cluster secondary that transfers from it", async () => {
    const zone = join(tmp, "xfer.test.zone");
    writeAtomic(zone, zoneText("xfer.test.", 42));
    const config = join(tmp, "primary.yaml");
    writeFileSync(
      config,
      `zones:\n  - file: ${zone}\n    provide:\n      allowTransfer: [{ address: 127.0.0.1 }]\nworkers: 1\n`,
    );
    const p1 = await freePort();
    servers.push(await spawnServer(main, ["--config", config, "--listen", `127.0.0.1:${p1}`]));
    const a = decode(await udpExchange("127.0.0.1", p1, query("www.xfer.test.", "A", 1)));
    expect(a.answers?.[0]?.data).toBe("192.0.2.80");

    const [p2, metrics] = [await freePort(), await freePort()];
    const secondary = await spawnServer(main, [
      ...["--secondary", `xfer.test.=127.0.0.1:${p1}`, "--workers", "2", "--listen", `127.0.0.1:${p2}`],
      ...["--metrics", `127.0.0.1:${metrics}`, "--state-dir", join(tmp, "state")],
    ]);
    servers.push(secondary);
    expect(await waitSerial(p2, "xfer.test.", 42, 20_000)).toBe(42);
    // The workers run the bundle's own entry, not dist/server/worker-main.js (deleted above).
    const workers = secondary.children();
    expect(workers).toHaveLength(2);
    for (const pid of workers) {
      expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[1]).toBe(
        join(build.dir, "src/cli/worker-main.js"),
      );
    }
    // prom-client's cluster aggregation and the host's transfer metrics, from the bundle.
    const text = await httpGet(metrics, "/metrics");
    expect(text).toContain("\nedgens_workers_ready 2\n");
    expect(text).toMatch(/edgens_zone_transfer_seconds_count\{[^}]*zone="xfer\.test\."[^}]*\} 1/);
  }, 60_000);
});
