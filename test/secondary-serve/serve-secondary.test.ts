// `edgens serve --secondary` end to end (the built CLI, 2 workers) with real hidden primaries:
//   Knot: first transfer served over UDP; edit + `knotc zone-reload` → Knot's NOTIFY (over TCP) → the new serial
//   over UDP (the time from reload to the new serial is printed); a crashed worker comes back serving it; a
//   restart with Knot stopped serves the persisted copy at once; with short SOA timers and Knot stopped the
//   zone expires → SERVFAIL, /readyz 503.
//   NSD (in-process, --workers 0): NOTIFY over UDP → new serial; a broken zone (no apex NS) from the primary →
//   the old data keeps serving.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { spawnServer } from "../cli/spawn-server.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";
import { startKnotPrimary, startNsdPrimary } from "../helpers/primary-servers.js";
import { useServeFixture } from "../helpers/serve-fixture.js";
import { HOST, metricsText, metricValue, randomPort, readyz, soa, until } from "./helpers.js";

const KEY = { name: "xfr-key.", algorithm: "hmac-sha256", secret: Buffer.alloc(32, 0x3c).toString("base64") };
const TSIG = `${KEY.name}:${KEY.algorithm}:${KEY.secret}`;
const ZONE = "sec.test.";

export function zoneText(
  origin: string,
  serial: number,
  timers = { refresh: 3600, retry: 600, expire: 1209600 },
  extra = "",
  withNs = true,
): string {
  return [
    `$ORIGIN ${origin}`,
    "$TTL 300",
    `@ SOA ns1 hostmaster ${serial} ${timers.refresh} ${timers.retry} ${timers.expire} 300`,
    withNs ? "@ NS ns1" : "@ MX 10 mx.other.test.",
    "ns1 A 192.0.2.53",
    `www A 192.0.2.${serial % 200}`,
    extra,
    "",
  ].join("\n");
}

const ok = requirePrereq("edgens serve with secondary zones", isRoot, hasCommand("knotd"), hasCommand("nsd"));

describe.skipIf(!ok)("edgens serve: secondary zones from Knot and NSD", () => {
  const fx = useServeFixture("edgens-secserve-", "each");
  const serve = async (args: string[]) => fx.track(await spawnServer(fx.main, args, 30_000));

  it("Knot: transfer, NOTIFY over TCP → new serial, restart from the persisted copy", async () => {
    const port = randomPort();
    const metrics = randomPort();
    const knot = await startKnotPrimary({
      zones: [{ origin: ZONE, file: fx.file("v1.zone", zoneText(ZONE, 1001)) }],
      key: KEY,
      notify: [{ host: HOST, port, signed: true }],
    });
    fx.track(knot);
    const stateDir = join(fx.tmp, "state-knot");
    const args = [
      "--listen",
      `${HOST}:${port}`,
      "--secondary",
      `${ZONE}=${HOST}:${knot.port}`,
      "--tsig",
      TSIG,
      "--allow-notify",
      HOST,
      "--workers",
      "2",
      "--metrics",
      `${HOST}:${metrics}`,
      "--state-dir",
      stateDir,
      "--log-level",
      "info",
    ];
    const e1 = await serve(args);
    await until(
      "serial 1001 over UDP",
      () => soa(port, ZONE),
      (p) => p.serial === 1001,
    );
    await until(
      "/readyz 200",
      () => readyz(metrics),
      (r) => r.status === 200,
    );
    // A name outside every zone is still REFUSED, and the transfer metrics come from the primary process.
    expect((await soa(port, "other.test.")).rcode).toBe(5);
    const text = await metricsText(metrics);
    expect(metricValue(text, `edgens_zone_transfer_bytes_total{zone="${ZONE}"}`)).toBeGreaterThan(0);

    // Edit + reload: Knot sends NOTIFY over TCP; measure reload start → new serial answered over UDP.
    const t0 = performance.now();
    await knot.reload(ZONE, fx.file("v2.zone", zoneText(ZONE, 1002)), 1002);
    await until(
      "serial 1002 over UDP",
      () => soa(port, ZONE),
      (p) => p.serial === 1002,
      10_000,
      5,
    );
    const ms = performance.now() - t0;
    console.log(`knotc zone-reload → new serial answered by edgens over UDP: ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(5000); // far below the 3600 s refresh: it was the NOTIFY
    for (let i = 0; i < 6; i++) expect((await soa(port, ZONE)).serial).toBe(1002); // every worker swapped
    // Knot 3.2 sent its NOTIFY over TCP: the only TCP message so far (counted as SOA, NOERROR by a worker).
    const tcpNotify = 'edgens_queries_total{transport="tcp",qtype="SOA",rcode="NOERROR"}';
    expect(metricValue(await metricsText(metrics), tcpNotify)).toBeGreaterThanOrEqual(1);
    expect((await soa(port, ZONE, "tcp")).serial).toBe(1002);

    // A worker that crashes is restarted and asks for the secondary states before it serves.
    const before = e1.children();
    expect(before).toHaveLength(2);
    process.kill(before[0]!, "SIGKILL");
    await until(
      "the worker restarted",
      async () => e1.children(),
      (c) => c.length === 2 && !c.includes(before[0]!),
      15_000,
      50,
    );
    await until(
      "/readyz 200 again",
      () => readyz(metrics),
      (r) => r.status === 200,
    );
    for (let i = 0; i < 20; i++) expect((await soa(port, ZONE)).serial).toBe(1002);

    // Restart with Knot stopped: the persisted copy is served as soon as the server is ready.
    await knot.stop();
    await e1.stop();
    await serve(args);
    expect((await soa(port, ZONE)).serial).toBe(1002);
    expect((await readyz(metrics)).status).toBe(200);
  }, 90_000);

  it("Knot stopped: the zone expires (short SOA timers) → SERVFAIL and /readyz 503", async () => {
    const port = randomPort();
    const metrics = randomPort();
    const knot = await startKnotPrimary({
      zones: [
        {
          origin: ZONE,
          file: fx.file("short.zone", zoneText(ZONE, 2001, { refresh: 2, retry: 1, expire: 4 })),
        },
      ],
      key: KEY,
    });
    fx.track(knot);
    await serve([
      "--listen",
      `${HOST}:${port}`,
      "--secondary",
      `${ZONE}=${HOST}:${knot.port}`,
      "--tsig",
      TSIG,
      "--workers",
      "2",
      "--metrics",
      `${HOST}:${metrics}`,
      "--state-dir",
      join(fx.tmp, "state-expire"),
      "--log-level",
      "info",
    ]);
    await until(
      "serial 2001",
      () => soa(port, ZONE),
      (p) => p.serial === 2001,
    );
    await until(
      "/readyz 200",
      () => readyz(metrics),
      (r) => r.status === 200,
    );
    await knot.stop();
    const t0 = performance.now();
    await until(
      "SERVFAIL",
      () => soa(port, ZONE),
      (p) => p.rcode === 2,
      15_000,
      50,
    );
    console.log(`primary stopped → SERVFAIL after ${(performance.now() - t0).toFixed(0)} ms (expire 4 s)`);
    const r = await readyz(metrics);
    expect(r.status).toBe(503);
    expect(r.body).toContain(`expired: ${ZONE}`);
    expect((await soa(port, ZONE, "tcp")).rcode).toBe(2);
  }, 60_000);

  it("SIGHUP: a secondary zone added to the config is served, a removed one is REFUSED", async () => {
    const port = randomPort();
    const knot = await startKnotPrimary({
      zones: [
        { origin: "a.sec.test.", file: fx.file("ra.zone", zoneText("a.sec.test.", 4001)) },
        { origin: "b.sec.test.", file: fx.file("rb.zone", zoneText("b.sec.test.", 4002)) },
      ],
      key: KEY,
    });
    fx.track(knot);
    const conf = (zones: string[]) =>
      [
        `listen: ["${HOST}:${port}"]`,
        "workers: 2",
        `stateDir: ${join(fx.tmp, "state-reload")}`,
        `tsigKeys: {"${KEY.name}": {algorithm: ${KEY.algorithm}, secret: "${KEY.secret}"}}`,
        "zones:",
        ...zones.map(
          (z) =>
            `  - {origin: ${z}, secondary: {primaries: [{address: ${HOST}, port: ${knot.port}, tsigKey: "${KEY.name}"}]}}`,
        ),
        "",
      ].join("\n");
    const path = fx.file("reload.yaml", conf(["a.sec.test."]));
    const e = await serve(["--config", path]);
    await until(
      "a served",
      () => soa(port, "a.sec.test."),
      (p) => p.serial === 4001,
    );
    expect((await soa(port, "b.sec.test.")).rcode).toBe(5);
    writeFileSync(path, conf(["b.sec.test."]));
    e.proc.kill("SIGHUP");
    await until(
      "b served",
      () => soa(port, "b.sec.test."),
      (p) => p.serial === 4002,
    );
    await until(
      "a REFUSED",
      () => soa(port, "a.sec.test."),
      (p) => p.rcode === 5,
    );
  }, 60_000);

  it("NSD: NOTIFY over UDP → new serial; a broken zone keeps the old data serving", async () => {
    const port = randomPort();
    const metrics = randomPort();
    const nsd = await startNsdPrimary({
      zones: [{ origin: ZONE, file: fx.file("n1.zone", zoneText(ZONE, 3001)) }],
      key: KEY,
      notify: [{ host: HOST, port, signed: true }],
    });
    fx.track(nsd);
    await serve([
      "--listen",
      `${HOST}:${port}`,
      "--secondary",
      `${ZONE}=${HOST}:${nsd.port}`,
      "--tsig",
      TSIG,
      "--workers",
      "0", // in-process: the managers and the node in one process
      "--metrics",
      `${HOST}:${metrics}`,
      "--state-dir",
      join(fx.tmp, "state-nsd"),
      "--log-level",
      "info",
    ]);
    await until(
      "serial 3001",
      () => soa(port, ZONE),
      (p) => p.serial === 3001,
    );
    const t0 = performance.now();
    await nsd.reload(ZONE, fx.file("n2.zone", zoneText(ZONE, 3002)), 3002);
    await until(
      "serial 3002",
      () => soa(port, ZONE),
      (p) => p.serial === 3002,
      10_000,
      5,
    );
    console.log(
      `NSD SIGHUP → new serial answered by edgens over UDP: ${(performance.now() - t0).toFixed(0)} ms`,
    );

    // NSD serves a zone without apex NS; edgens must reject it and keep 3002.
    await nsd.reload(ZONE, fx.file("n3.zone", zoneText(ZONE, 3003, undefined, "", false)), 3003);
    const series = `edgens_zone_transfer_failures_total{zone="${ZONE}",reason="invalid-zone"}`;
    await until(
      "the broken zone rejected",
      () => metricsText(metrics),
      (t) => (metricValue(t, series) ?? 0) >= 1,
    );
    expect((await soa(port, ZONE)).serial).toBe(3002);
    expect((await readyz(metrics)).status).toBe(200);
  }, 60_000);
});
