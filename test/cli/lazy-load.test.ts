// `edgens serve` loads only what it runs (start-up time, docs/BENCHMARKS.md "Start-up time"): checked on the
// unbundled compiled tree with a module loader hook (NODE_OPTIONS --import, inherited by cluster workers) that
// records every ES module each process loads.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decode, freePort, query, udpExchange } from "../server/dns-client.js";
import { writeAtomic, zoneText } from "../server/zone-fixture.js";
import { buildCli } from "./build-cli.js";
import { spawnServer } from "./spawn-server.js";

const tmp = mkdtempSync(join(tmpdir(), "edgens-lazy-"));
const log = join(tmp, "loaded.txt");
let main: string;

beforeAll(() => {
  main = buildCli();
  // The hooks run in a loader thread of the same process: process.pid names the process that loads.
  writeFileSync(
    join(tmp, "hooks.mjs"),
    `import { appendFileSync } from "node:fs";
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(log)}, process.pid + " " + url + "\\n");
  return next(url, context);
}
`,
  );
  writeFileSync(
    join(tmp, "register.mjs"),
    `import { register } from "node:module";\nregister("./hooks.mjs", import.meta.url);\n`,
  );
  writeAtomic(join(tmp, "lazy.test.zone"), zoneText("lazy.test.", 5));
}, 180_000);
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  if (main) rmSync(join(main, "../../.."), { recursive: true, force: true });
});

/** Start `serve` with the hook, check it answers, stop it: the modules each process loaded, by pid. */
async function loadedBy(args: string[]): Promise<{ primary: string[]; workers: string[][] }> {
  writeFileSync(log, "");
  const port = await freePort();
  const env = { ...process.env, NODE_OPTIONS: `--import ${join(tmp, "register.mjs")}` };
  const server = await spawnServer(
    main,
    ["--zone", join(tmp, "lazy.test.zone"), "--listen", `127.0.0.1:${port}`, ...args],
    30_000,
    env,
  );
  try {
    const a = decode(await udpExchange("127.0.0.1", port, query("www.lazy.test.", "A", 1)));
    expect(a.answers?.[0]?.data).toBe("192.0.2.80");
    const workers = server.children();
    const byPid = (pid: number) =>
      readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l.startsWith(`${pid} `))
        .map((l) => l.slice(l.indexOf(" ") + 1));
    return { primary: byPid(server.proc.pid!), workers: workers.map(byPid) };
  } finally {
    await server.stop();
  }
}

const SECONDARY = /\/(secondary-host|secondary-table|secondary-worker|secondary-zone|xfr-client)\.js$/;
const ZOD = /\/node_modules\/zod\//;

describe("lazy loading in `edgens serve`", () => {
  it("--workers 1 with zone files loads the query path, not the cluster or secondary-zone code", async () => {
    const { primary } = await loadedBy(["--workers", "1"]);
    // The hook sees the modules (a hook that saw nothing would pass the checks below).
    expect(primary.some((u) => u.endsWith("/server/serving-node.js"))).toBe(true);
    expect(primary.filter((u) => SECONDARY.test(u) || u.endsWith("/cluster-primary.js"))).toEqual([]);
    // The config is validated with zod in this process: it is loaded, but only for that.
    expect(primary.some((u) => ZOD.test(u))).toBe(true);
  }, 60_000);

  it("a cluster primary does not load the query path; its workers load neither zod nor the secondary-zone code", async () => {
    const { primary, workers } = await loadedBy(["--workers", "2"]);
    expect(primary.some((u) => u.endsWith("/server/cluster-primary.js"))).toBe(true);
    expect(primary.filter((u) => /\/(serving-node|single-process|responder|snapshot)\.js$/.test(u))).toEqual(
      [],
    );
    expect(workers).toHaveLength(2);
    for (const w of workers) {
      expect(w.some((u) => u.endsWith("/server/serving-node.js"))).toBe(true);
      expect(w.filter((u) => ZOD.test(u) || SECONDARY.test(u))).toEqual([]);
    }
  }, 60_000);
});
