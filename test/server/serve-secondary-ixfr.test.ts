// `edgens serve --secondary --workers 2` (the built CLI) with Knot as hidden primary: how an IXFR reaches the
// cluster workers. Worker 0 hosts the zone's manager and serves the tree it builds; worker 1 is fed over IPC.
//   - An IXFR the host applies locally goes to worker 1 as its delta: served while the persisted copy cannot
//     even be written (the journal's path is a directory), so no worker read a file. Knot's NOTIFY carries the
//     new SOA: the host goes straight to IXFR (no SOA query), as its "zone transferred" line shows.
//   - A change the local path refuses (a delegation added) is served by worker 1 from the wire copy once written.
//   - Worker 1 started later (killed, restarted by the primary) loads the wire copy and replays the journal.
import { mkdirSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnServer } from "../cli/spawn-server.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";
import { startKnotPrimary } from "../helpers/primary-servers.js";
import { useServeFixture } from "../helpers/serve-fixture.js";
import {
  everyWorkerServes,
  HOST,
  logged,
  randomPort,
  soa,
  until,
  untilEveryWorkerServes,
} from "../secondary-serve/helpers.js";

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

    // The journal's and the text copy's paths become directories: appending the next version fails, and so
    // does the text copy written at once instead; a worker that tried to read them would fail too. Only the
    // delta can bring the change.
    const copies = [join(stateDir, "ixfr.test.journal"), join(stateDir, "ixfr.test.zone")];
    for (const copy of copies) {
      rmSync(copy, { force: true });
      mkdirSync(copy);
    }
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
    // (Log lines may reach us after the answers: wait for them.)
    const applied = await until(
      "worker 1's delta line",
      async () => logged(server!, /IXFR delta applied/).filter((j) => j.serial === 1002),
      (l) => l.length > 0,
    );
    expect(applied.map((j) => j.worker)).toEqual([1]);
    expect(transferred.at(-1)).toMatchObject({ worker: 0 });
    // Each worker swaps the change in before any background work (issue #6: a precompile slice ahead of the
    // answer delayed it): the change served (worker 1: after its delta), and only then the precompile of that
    // snapshot.
    const steps = /IXFR delta applied|secondary change served|background precompile started/;
    for (const worker of [0, 1]) {
      const lines = await until(
        `worker ${worker} precompiling serial 1002`,
        async () => logged(server!, steps).filter((j) => j.worker === worker),
        (l) => {
          const i = l.map((j) => j.msg).lastIndexOf("secondary change served");
          return i >= 0 && l.slice(i).some((j) => j.msg === "background precompile started");
        },
      );
      const i = lines.map((j) => j.msg).lastIndexOf("secondary change served");
      if (worker === 1) expect(lines[i - 1]).toMatchObject({ msg: "IXFR delta applied", serial: 1002 });
      expect(lines[i + 1]).toMatchObject({
        msg: "background precompile started",
        generation: lines[i]!.generation,
      });
    }
    // The write runs after the change is served (serveBeforePersist): its failure may be logged a little later.
    await until(
      "the failed write logged",
      async () => logged(server!, /cannot persist the zone/).length,
      (n) => n >= 1,
    );
    expect(logged(server, /cannot load the transferred zone/)).toEqual([]);

    // A delegation is beyond the local path (full checks and build): no delta, worker 1 loads the copy once it
    // is written, and both serve it (the sub-zone's NS as a referral).
    for (const copy of copies) rmSync(copy, { recursive: true });
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
    await untilEveryWorkerServes(port, ZONE, 1003);
    expect(logged(server, /zone transferred/).at(-1)).toMatchObject({ serial: 1003, local: false });
    expect(logged(server, /IXFR delta applied/).filter((j) => j.serial === 1003)).toEqual([]);

    // A plain change again: the delta, and the host appends it to the journal. Worker 1 started after that
    // (killed, then restarted by the primary) loads the wire copy (1003) and replays the journal.
    await knot.reload(
      ZONE,
      fx.file("v4.zone", zoneText(1004, ["sub NS ns.sub", "ns.sub A 192.0.2.99"])),
      1004,
    );
    await until(
      "serial 1004 journaled",
      async () => await readFile(join(stateDir, "ixfr.test.state.json"), "utf8").catch(() => "{}"),
      (t) => JSON.parse(t).serial === 1004 && JSON.parse(t).journalEntries === 1,
      10_000,
      5,
    );
    await everyWorkerServes(port, ZONE, 1004);
    const pid1 = logged(server, /./)
      .filter((j) => j.worker === 1)
      .at(-1)?.pid as number;
    process.kill(pid1, "SIGKILL");
    await until(
      "a restarted worker",
      async () => logged(server!, /wire copy loaded/).filter((j) => j.serial === 1004),
      (l) => l.length === 1,
      15_000,
    );
    expect(logged(server, /wire copy loaded/).filter((j) => j.serial === 1004)).toMatchObject([
      { journalEntries: 1, records: 25 },
    ]);
    await until(
      "two workers again",
      async () => server!.children(),
      (c) => c.length === 2 && !c.includes(pid1),
      15_000,
    );
    await everyWorkerServes(port, ZONE, 1004);
  }, 90_000);
});
