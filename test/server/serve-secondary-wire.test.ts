// `edgens serve --secondary --workers 2` (the built CLI) with Knot as hidden primary: a whole zone (AXFR) reaches
// worker 1 as the host's wire copy (`<zone>.wire`), not as the text copy (worker 0 hosts the manager and serves
// the tree it built). The text copy's path is a directory from the start, so it could never be read or written:
// both workers still serve the zone, and the text copy is not even attempted (textCopyDelaySec, 60 s by default).
// (A damaged wire copy is refused with the old data kept: test/secondary-serve/secondary-table.)
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnServer } from "../cli/spawn-server.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";
import { startKnotPrimary } from "../helpers/primary-servers.js";
import { useServeFixture } from "../helpers/serve-fixture.js";
import { HOST, logged, randomPort, soa, until, untilEveryWorkerServes } from "../secondary-serve/helpers.js";

const KEY = { name: "xfr-key.", algorithm: "hmac-sha256", secret: Buffer.alloc(32, 0x4e).toString("base64") };
const TSIG = `${KEY.name}:${KEY.algorithm}:${KEY.secret}`;
const ZONE = "wire.test.";

function zoneText(serial: number, extra: string[] = []): string {
  return [
    `$ORIGIN ${ZONE}`,
    "$TTL 300",
    `@ SOA ns1 hostmaster ${serial} 3600 600 1209600 300`,
    "@ NS ns1",
    "ns1 A 192.0.2.53",
    ...Array.from({ length: 200 }, (_, i) => `h${i} A 198.51.100.${(i % 250) + 1}`),
    ...extra,
    "",
  ].join("\n");
}

const ok = requirePrereq("edgens serve --workers 2 with Knot as primary", isRoot, hasCommand("knotd"));

describe.skipIf(!ok)("edgens serve --workers 2: whole zones to the workers in wire form", () => {
  const fx = useServeFixture("edgens-secwire-");

  it("after an AXFR both workers serve the zone from the wire copy while the text copy cannot be written", async () => {
    const port = randomPort();
    const knot = fx.track(
      await startKnotPrimary({
        zones: [{ origin: ZONE, file: fx.file("v1.zone", zoneText(2001)) }],
        key: KEY,
        notify: [{ host: HOST, port, signed: true }],
      }),
    );
    const stateDir = join(fx.tmp, "state");
    // The text copy's path is a directory: its write fails (rename onto a directory), and reading it too.
    mkdirSync(join(stateDir, "wire.test.zone"), { recursive: true });
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
      ]),
    );
    expect(server.children()).toHaveLength(2);
    await until(
      "serial 2001",
      () => soa(port, ZONE),
      (p) => p.serial === 2001,
      15_000,
      5,
    ).catch((e) => {
      console.log(server.output.join("\n"));
      throw e;
    });
    // Worker 1 may follow a little later (it reads the wire copy once written).
    await untilEveryWorkerServes(port, ZONE, 2001);
    expect(logged(server, /zone transferred/).at(-1)).toMatchObject({ serial: 2001, kind: "axfr" });
    // Worker 1, when up before the transfer ended, may serve its own build of the messages instead (see
    // serve-secondary-candidate.test.ts); when not, it reads the wire copy. It never reads the text copy.
    // (Log lines may reach us after the answers: wait for them too.)
    const loaded = await until(
      "worker 1's line",
      async () =>
        logged(server, /wire copy loaded|transfer candidate served/).filter((j) => j.serial === 2001),
      (l) => l.length > 0,
    );
    expect(loaded).toMatchObject([{ worker: 1, records: 203 }]);
    expect(logged(server, /zone transferred/).at(-1)).toMatchObject({ worker: 0 });
    expect(existsSync(join(stateDir, "wire.test.wire"))).toBe(true);
    expect(logged(server, /cannot persist the zone/)).toEqual([]);

    // A change Knot sends as an AXFR (the zone is reloaded, its journal does not hold the difference when the
    // delegation is added: the host rebuilds in full either way): no text read.
    await knot.reload(
      ZONE,
      fx.file("v2.zone", zoneText(2002, ["sub NS ns.sub", "ns.sub A 192.0.2.99"])),
      2002,
    );
    await until(
      "serial 2002",
      () => soa(port, ZONE),
      (p) => p.serial === 2002,
      15_000,
      5,
    );
    await untilEveryWorkerServes(port, ZONE, 2002);
    expect(logged(server, /zone transferred/).at(-1)).toMatchObject({ serial: 2002, local: false });
    // (Worker 1 builds the messages itself when Knot sends them as an AXFR, as above.)
    const again = await until(
      "worker 1's line",
      async () =>
        logged(server, /wire copy loaded|transfer candidate served/).filter((j) => j.serial === 2002),
      (l) => l.length > 0,
    );
    expect(again.map((j) => j.worker)).toEqual([1]);
    expect(logged(server, /cannot load the wire copy|cannot load the transferred zone/)).toEqual([]);
  }, 90_000);
});
