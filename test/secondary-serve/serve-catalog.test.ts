// Catalog zones (RFC 9432 v2) end to end: Knot serves a catalog zone (written by the test, served as an ordinary
// zone) and the member zones; `edgens serve --catalog` (built CLI, 2 workers) follows it through NOTIFY:
// a member added → served; removed → REFUSED and its persisted copy deleted; a new unique id (reset) → served
// again after a fresh transfer; a catalog with an unsupported version → nothing changes.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { spawnServer } from "../cli/spawn-server.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";
import { startKnotPrimary } from "../helpers/primary-servers.js";
import { useServeFixture } from "../helpers/serve-fixture.js";
import { HOST, metricsText, metricValue, randomPort, readyz, soa, until } from "./helpers.js";

const KEY = { name: "xfr-key.", algorithm: "hmac-sha256", secret: Buffer.alloc(32, 0x4d).toString("base64") };
const CATALOG = "catalog.test.";

function catalogText(serial: number, members: { id: string; zone: string; group?: string }[], version = "2") {
  return [
    `$ORIGIN ${CATALOG}`,
    "$TTL 0",
    `@ SOA invalid. invalid. ${serial} 3600 600 1209600 0`,
    "@ NS invalid.",
    `version TXT "${version}"`,
    ...members.flatMap((m) => [
      `${m.id}.zones PTR ${m.zone}`,
      ...(m.group ? [`group.${m.id}.zones TXT "${m.group}"`] : []),
    ]),
    "",
  ].join("\n");
}

function memberText(origin: string, serial: number): string {
  return `$ORIGIN ${origin}\n$TTL 300\n@ SOA ns1 hostmaster ${serial} 3600 600 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\n`;
}

const ok = requirePrereq("edgens serve with a catalog zone", isRoot, hasCommand("knotd"));

describe.skipIf(!ok)("edgens serve: catalog zones from Knot", () => {
  const fx = useServeFixture("edgens-catalog-");

  it("adds, removes and resets member zones as the catalog changes", async () => {
    const port = randomPort();
    const metrics = randomPort();
    const stateDir = join(fx.tmp, "state");
    const knot = fx.track(
      await startKnotPrimary({
        zones: [
          {
            origin: CATALOG,
            file: fx.file("cat1.zone", catalogText(1, [{ id: "m1id", zone: "m1.test.", group: "blue" }])),
          },
          { origin: "m1.test.", file: fx.file("m1.zone", memberText("m1.test.", 11)) },
          { origin: "m2.test.", file: fx.file("m2.zone", memberText("m2.test.", 21)) },
        ],
        key: KEY,
        notify: [{ host: HOST, port, signed: true }],
      }),
    );
    const server = fx.track(
      await spawnServer(fx.main, [
        "--listen",
        `${HOST}:${port}`,
        "--catalog",
        `${CATALOG}=${HOST}:${knot.port}`,
        "--tsig",
        `${KEY.name}:${KEY.algorithm}:${KEY.secret}`,
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
      ]),
    );
    await until(
      "m1 served",
      () => soa(port, "m1.test."),
      (p) => p.serial === 11,
    );
    expect((await soa(port, "m2.test.")).rcode).toBe(5); // not a member: REFUSED
    expect((await soa(port, CATALOG)).rcode).toBe(5); // the catalog itself is not served
    await until(
      "/readyz 200",
      () => readyz(metrics),
      (r) => r.status === 200,
    );
    // The restart copy (the text copy follows textCopyDelaySec later).
    expect(existsSync(join(stateDir, "m1.test.wire"))).toBe(true);

    // Add m2.
    const t0 = performance.now();
    await knot.reload(
      CATALOG,
      fx.file(
        "cat2.zone",
        catalogText(2, [
          { id: "m1id", zone: "m1.test." },
          { id: "m2id", zone: "m2.test." },
        ]),
      ),
      2,
    );
    await until(
      "m2 served",
      () => soa(port, "m2.test."),
      (p) => p.serial === 21,
      10_000,
      5,
    );
    console.log(`catalog member added → served by edgens: ${(performance.now() - t0).toFixed(0)} ms`);
    expect(metricValue(await metricsText(metrics), `edgens_catalog_members{catalog="${CATALOG}"}`)).toBe(2);

    // Remove m1: REFUSED, persisted copy deleted.
    await knot.reload(CATALOG, fx.file("cat3.zone", catalogText(3, [{ id: "m2id", zone: "m2.test." }])), 3);
    await until(
      "m1 REFUSED",
      () => soa(port, "m1.test."),
      (p) => p.rcode === 5,
    );
    await until(
      "m1 files deleted",
      async () =>
        ["zone", "state.json", "wire", "journal"].some((f) => existsSync(join(stateDir, `m1.test.${f}`))),
      (e) => !e,
      5000,
    );
    expect(existsSync(join(stateDir, "m2.test.wire"))).toBe(true);
    expect((await soa(port, "m2.test.")).serial).toBe(21);

    // Reset m2 (new unique id) while the primary has a newer serial: the fresh transfer brings it.
    await knot.reload("m2.test.", fx.file("m2b.zone", memberText("m2.test.", 22)), 22);
    await knot.reload(CATALOG, fx.file("cat4.zone", catalogText(4, [{ id: "m2new", zone: "m2.test." }])), 4);
    await until(
      "m2 re-transferred",
      () => soa(port, "m2.test."),
      (p) => p.serial === 22,
    );
    await until(
      "the reset logged",
      async () => server!.output.join("\n"),
      (o) => o.includes("new unique id m2new"),
    );

    // An unsupported catalog version changes nothing.
    await knot.reload(CATALOG, fx.file("cat5.zone", catalogText(5, [], "1")), 5);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await soa(port, "m2.test.")).serial).toBe(22);
    expect((await readyz(metrics)).status).toBe(200);
    expect(server.output.join("\n")).toContain("not supported");
  }, 90_000);
});
