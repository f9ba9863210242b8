// `edgens serve --secondary --workers 2` (the built CLI) with Knot as hidden primary: how an IXFR reaches the
// cluster workers.
//   - An IXFR the host applies locally goes to the workers as its delta over IPC: served while the persisted
//     copy cannot even be written (its path is a directory), so no worker read a file. Knot's NOTIFY carries
//     the new SOA: the host goes straight to IXFR (no SOA query), as its "zone transferred" line shows.
//   - A change the local path refuses (a delegation added) is served from the persisted copy once written.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnServer } from "../cli/spawn-server.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";
import { startKnotPrimary } from "../helpers/primary-servers.js";
import { useServeFixture } from "../helpers/serve-fixture.js";
import { everyWorkerServes, HOST, logged, randomPort, soa, until } from "../secondary-serve/helpers.js";

const KEY = { name: "xfr-key.", algorithm: "hmac-sha256", secret: Buffer.alloc(32, 0x4d).toString("base64") };
const TSIG = `${KEY.name}:${KEY.algorithm}:${KEY.secret}`;
const ZONE = "ixfr.test.";

function zoneText(serial: number, extra: string[] = []): string {
  return [
    `$ORIGIN ${ZONE}`,
    "$TTL 300",
    `@ SOA ns1 hostmaster ${serial} 3600 600 1209600 300`,
    "@ NS ns1",
    "ns1 A 192.0.2.53",
    // Twenty A records that move with every serial: an IXFR of 20 deletions and 20 additions.
    ...Array.from({ length: 20 }, (_, i) => `h${i} A 198.51.${serial % 250}.${i + 1}`),
    ...extra,
    "",
  ].join("\n");
}

const ok = requirePrereq("edgens serve --workers 2 with Knot as primary", isRoot, hasCommand("knotd"));

describe.skipIf(!ok)("edgens serve --workers 2: IXFR to the workers", () => {
  const fx = useServeFixture("edgens-secixfr-");

  it("a delta over IPC serves a change without any file; a delegation comes through the persisted copy", async () => {
    const port = randomPort();
    const knot = fx.track(
      await startKnotPrimary({
        zones: [{ origin: ZONE, file: fx.file("v1.zone", zoneText(1001)) }],
        key: KEY,
        notify: [{ host: HOST, port, signed: true }],
      }),
    );
    const stateDir = join(fx.tmp, "state");
    const server = fx.track(
      await spawnServer(fx.main, [
        "--listen",
        `${HOST}:${port}`,
        "--secondary",
        `${ZONE}=${HOST}:${knot.port}`,
        "--tsig",
        TSIG,
        "--workers",
        "2",
        "--state-dir",
        stateDir,
        "--log-level",
        "debug",
      ]),
    );
    expect(server.children()).toHaveLength(2);
    await until(
      "serial 1001",
      () => soa(port, ZONE),
      (p) => p.serial === 1001,
    );
    await until(
      "the first copy persisted",
      async () => logged(server!, /zone transferred/).length,
      (n) => n === 1,
    );
    await new Promise((r) => setTimeout(r, 300));

    // The persisted copy's path becomes a directory: writing the next version fails (rename onto a directory),
    // and a worker that tried to read it would fail too. Only the delta can bring the change.
    const copy = join(stateDir, "ixfr.test.zone");
    rmSync(copy);
    mkdirSync(copy);
    await knot.reload(ZONE, fx.file("v2.zone", zoneText(1002)), 1002);
    await until(
      "serial 1002",
      () => soa(port, ZONE),
      (p) => p.serial === 1002,
      10_000,
      5,
    );
    await everyWorkerServes(port, ZONE, 1002);
    const transferred = logged(server, /zone transferred/);
    expect(transferred.at(-1)).toMatchObject({ serial: 1002, kind: "ixfr", local: true, soaMs: null });
    const applied = logged(server, /IXFR delta applied/).filter((j) => j.serial === 1002);
    expect(new Set(applied.map((j) => j.worker))).toEqual(new Set([0, 1]));
    // The write runs after the change is served (serveBeforePersist): its failure may be logged a little later.
    await until(
      "the failed write logged",
      async () => logged(server!, /cannot persist the zone/).length,
      (n) => n >= 1,
    );
    expect(logged(server, /cannot load the transferred zone/)).toEqual([]);

    // A delegation is beyond the local path (full checks and build): no delta, the workers load the copy
    // once it is written, and serve it (the sub-zone's NS as a referral).
    rmSync(copy, { recursive: true });
    await knot.reload(
      ZONE,
      fx.file("v3.zone", zoneText(1003, ["sub NS ns.sub", "ns.sub A 192.0.2.99"])),
      1003,
    );
    await until(
      "serial 1003",
      () => soa(port, ZONE),
      (p) => p.serial === 1003,
      10_000,
      5,
    );
    await everyWorkerServes(port, ZONE, 1003);
    expect(logged(server, /zone transferred/).at(-1)).toMatchObject({ serial: 1003, local: false });
    expect(logged(server, /IXFR delta applied/).filter((j) => j.serial === 1003)).toEqual([]);
  }, 90_000);
});
