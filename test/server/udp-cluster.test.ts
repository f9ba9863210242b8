// `edgens serve --workers 2` with the native UDP transport: each worker binds its own SO_REUSEPORT socket (the
// primary binds none), and clients spread over both workers.
import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { readFileSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadNativeUdp } from "../../src/server/native-udp.js";
import { buildCli } from "../cli/build-cli.js";
import { type Spawned, spawnServer } from "../cli/spawn-server.js";
import { hasCommand, requirePrereq } from "../helpers/prereq.js";
import { freePort, query } from "./dns-client.js";

const ROOT = resolve(import.meta.dirname, "../..");
const native = loadNativeUdp();
const ok = requirePrereq(
  "native UDP transport in cluster mode",
  () => (native.available ? null : `${native.reason} (${native.fix})`),
  hasCommand("ss"),
);

/** CPU ticks (user+system) a process has used. */
function ticks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(f[11]) + Number(f[12]);
}

/** Send `perSocket` queries from each of `sockets` client sockets (distinct source ports); count answers. */
async function spread(port: number, sockets: number, perSocket: number): Promise<number> {
  let answered = 0;
  await Promise.all(
    Array.from(
      { length: sockets },
      (_, s) =>
        new Promise<void>((done) => {
          const c = createSocket("udp4");
          let got = 0;
          let sent = 0;
          const timer = setTimeout(finish, 10_000);
          function finish() {
            clearTimeout(timer);
            c.close();
            done();
          }
          // A window of 8 per socket: modest, so any loss would be the server's.
          const pump = () => {
            while (sent < perSocket && sent - got < 8)
              c.send(query(`c${s}.example.`, "SOA", sent++), port, "127.0.0.1");
          };
          c.on("message", () => {
            got++;
            answered++;
            if (got === perSocket) finish();
            else pump();
          });
          c.bind(0, "127.0.0.1", pump);
        }),
    ),
  );
  return answered;
}

describe.skipIf(!ok)("cluster mode with the native UDP transport", () => {
  let server: Spawned;
  let port: number;

  beforeAll(async () => {
    const main = buildCli();
    // The temp build finds the addon in its package root's build/ directory.
    symlinkSync(join(ROOT, "build"), join(dirname(dirname(dirname(main))), "build"));
    port = await freePort();
    server = await spawnServer(main, ["--workers", "2", "--listen", `127.0.0.1:${port}`, "--example"]);
  }, 120_000);
  afterAll(() => server?.stop());

  it("binds one SO_REUSEPORT socket per worker and none in the primary", () => {
    const out = execFileSync("ss", ["-uanpH", `sport = :${port}`], { encoding: "utf8" });
    const pids = [...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    expect(pids.sort()).toEqual(server.children().sort());
    expect(pids).not.toContain(server.proc.pid);
  });

  it("both workers answer when clients use many source ports, and none is lost", async () => {
    const workers = server.children();
    expect(workers).toHaveLength(2);
    const before = workers.map(ticks);
    const answered = await spread(port, 64, 150);
    expect(answered).toBe(64 * 150);
    const used = workers.map((w, i) => ticks(w) - before[i]!);
    // ~10 µs per query: each worker handles thousands of the 9600 queries; an idle one stays near 0 ticks.
    for (const u of used) expect(u).toBeGreaterThanOrEqual(4);
  }, 60_000);
});
