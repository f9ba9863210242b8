// `edgens serve --secondary --workers 2` (the built CLI) with Knot as hidden primary: a whole zone (AXFR) reaches
// the workers as the host's wire copy (`<zone>.wire`), not as the text copy. The text copy's path is a
// directory from the start, so it could never be read or written: both workers still serve the zone, each
// having loaded the wire copy, and the text copy is not even attempted (textCopyDelaySec, 60 s by default).
// (A damaged wire copy is refused with the old data kept: test/secondary-serve/secondary-table.)
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnServer } from "../cli/spawn-server.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";
import { startKnotPrimary } from "../helpers/primary-servers.js";
import { useServeFixture } from "../helpers/serve-fixture.js";
import { everyWorkerServes, HOST, logged, randomPort, soa, until } from "../secondary-serve/helpers.js";

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
    await everyWorkerServes(port, ZONE, 2001);
    expect(logged(server, /zone transferred/).at(-1)).toMatchObject({ serial: 2001, kind: "axfr" });
    // A worker up before the transfer ended may serve its own build of the messages instead (see
    // serve-secondary-candidate.test.ts); one that was not reads the wire copy. Neither reads the text copy.
    const loaded = logged(server, /wire copy loaded|transfer candidate served/).filter(
      (j) => j.serial === 2001,
    );
    expect(new Set(loaded.map((j) => j.worker))).toEqual(new Set([0, 1]));
    expect(loaded[0]).toMatchObject({ records: 203 });
    expect(existsSync(join(stateDir, "wire.test.wire"))).toBe(true);
    expect(logged(server, /cannot persist the zone/)).toEqual([]);

    // A change Knot sends as an AXFR (the zone is reloaded, its journal does not hold the difference when the
    // delegation is added: the host rebuilds in full either way): the wire copy again, no text read.
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
    await everyWorkerServes(port, ZONE, 2002);
    expect(logged(server, /zone transferred/).at(-1)).toMatchObject({ serial: 2002, local: false });
    const again = logged(server, /wire copy loaded/).filter((j) => j.serial === 2002);
    expect(new Set(again.map((j) => j.worker))).toEqual(new Set([0, 1]));
    expect(logged(server, /cannot load the wire copy|cannot load the transferred zone/)).toEqual([]);
  }, 90_000);
});
