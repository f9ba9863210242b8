// `EDGENS_BENCH=1 npx vitest run --config vitest.bench.config.ts test/secondary-serve/serve-bench.bench.ts`: a 20 000-record zone through
// `edgens serve --secondary --workers 2` with Knot: start → first answer, and a one-record change →
// `knotc zone-reload` → the new serial answered over UDP (every worker re-reads and recompiles the zone).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { afterAll, describe, expect, it } from "vitest";
import { buildCli } from "../cli/build-cli.js";
import { type Spawned, spawnServer } from "../cli/spawn-server.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";
import { type PrimaryServer, startKnotPrimary } from "../helpers/primary-servers.js";
import { HOST, randomPort, soa, until } from "./helpers.js";

const RECORDS = 20_000;
const ZONE = "bench.test.";
const KEY = { name: "xfr-key.", algorithm: "hmac-sha256", secret: Buffer.alloc(32, 0x11).toString("base64") };

function bigZone(serial: number): string {
  const lines = [
    `$ORIGIN ${ZONE}`,
    "$TTL 300",
    `@ SOA ns1 hm ${serial} 3600 600 1209600 300`,
    "@ NS ns1",
    "ns1 A 192.0.2.1",
  ];
  for (let i = 0; i < RECORDS; i++) lines.push(`h${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  lines.push(`changed TXT "serial ${serial}"`, "");
  return lines.join("\n");
}

const bench = process.env.EDGENS_BENCH === "1";
if (!bench) console.warn("SKIP secondary serve benchmark: set EDGENS_BENCH=1");
const ok = bench && requirePrereq("secondary serve benchmark", isRoot, hasCommand("knotd"));

describe.skipIf(!ok)("secondary serve benchmark", () => {
  const tmp = mkdtempSync(join(tmpdir(), "edgens-secbench-"));
  let knot: PrimaryServer | null = null;
  let server: Spawned | null = null;
  afterAll(async () => {
    await server?.stop();
    await knot?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("20 000 records: first transfer and a NOTIFY-driven change, served by 2 workers", async () => {
    const main = buildCli();
    const port = randomPort();
    writeFileSync(join(tmp, "v1.zone"), bigZone(1));
    writeFileSync(join(tmp, "v2.zone"), bigZone(2));
    knot = await startKnotPrimary({
      zones: [{ origin: ZONE, file: join(tmp, "v1.zone") }],
      key: KEY,
      notify: [{ host: HOST, port, signed: true }],
    });
    const t0 = performance.now();
    server = await spawnServer(main, [
      "--listen",
      `${HOST}:${port}`,
      "--secondary",
      `${ZONE}=${HOST}:${knot.port}`,
      "--tsig",
      `${KEY.name}:${KEY.algorithm}:${KEY.secret}`,
      "--workers",
      "2",
      "--state-dir",
      join(tmp, "state"),
    ]);
    await until(
      "serial 1",
      () => soa(port, ZONE),
      (p) => p.serial === 1,
      60_000,
      20,
    );
    const first = performance.now() - t0;
    const t1 = performance.now();
    await knot.reload(ZONE, join(tmp, "v2.zone"), 2);
    const knotMs = performance.now() - t1;
    await until(
      "serial 2",
      () => soa(port, ZONE),
      (p) => p.serial === 2,
      60_000,
      5,
    );
    const change = performance.now() - t1;
    console.log(
      `${RECORDS} records: start → first answer ${first.toFixed(0)} ms; knotc zone-reload → new serial over UDP ${change.toFixed(0)} ms (Knot itself served it after ${knotMs.toFixed(0)} ms)`,
    );
    expect(change).toBeLessThan(60_000);
  }, 180_000);
});
