// Interop of the primary role with real secondaries: edgens (in process, loopback) serves the fixture zone and a
// 5000-record zone with TSIG; Knot 3.2 and NSD 4.6 are configured as its secondaries. They transfer the zones
// and answer a query corpus as we do; a reload with a new serial reaches them by NOTIFY + IXFR (timed); kdig
// and dig see our ACL and TSIG answers and verify a multi-message signed AXFR.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConfig, overlayLayer } from "../../src/config/load-config.js";
import type { Plain } from "../../src/config/merge.js";
import { type SingleProcessServer, startSingleProcess } from "../../src/server/single-process.js";
import { tsigKeyToDigArg } from "../../src/transfer/tsig.js";
import { diff, normalize } from "../helpers/compare.js";
import { query } from "../helpers/dns-client.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";
import { KNOTD, NSD } from "../helpers/primary-servers.js";
import { freePort } from "../server/dns-client.js";
import { writeAtomic } from "../server/zone-fixture.js";
import {
  BASE_SERIAL,
  bigZoneText,
  fixtureText,
  KEY,
  memoryLogger,
  tsig,
  wrongSecret,
} from "./provider-fixture.js";
import {
  type SecondaryServer,
  startKnotSecondary,
  startNsdSecondary,
  waitServed,
} from "./secondary-servers.js";

const run = promisify(execFile);
const BIG_COUNT = 5000;

/** Questions on the fixture zone (prov.test.) covering each answer shape. */
const CORPUS: [string, string][] = [
  ["prov.test.", "SOA"],
  ["prov.test.", "NS"],
  ["prov.test.", "MX"],
  ["prov.test.", "TXT"],
  ["prov.test.", "AAAA"],
  ["www.prov.test.", "A"],
  ["www.prov.test.", "TXT"],
  ["www.prov.test.", "MX"],
  ["mixed.prov.test.", "A"],
  ["alias.prov.test.", "A"],
  ["x.wild.prov.test.", "A"],
  ["sub.prov.test.", "A"],
  ["deep.below.sub.prov.test.", "A"],
  ["sub.prov.test.", "DS"],
  ["a.dname.prov.test.", "A"],
  ["nowhere.prov.test.", "A"],
  ["_sip._udp.prov.test.", "SRV"],
  ["host.prov.test.", "CAA"],
  ["sshfp.prov.test.", "SSHFP"],
  ["unknown.prov.test.", "TYPE65280"],
  ["new-v2.prov.test.", "A"],
];

const ok = requirePrereq(
  "edgens as primary of Knot/NSD",
  isRoot,
  hasCommand(KNOTD),
  hasCommand(NSD),
  hasCommand("kdig"),
  hasCommand("dig"),
);

describe.skipIf(!ok)("edgens as primary: Knot and NSD as secondaries", () => {
  const dir = mkdtempSync(join(tmpdir(), "edgens-provider-sec-"));
  const provFile = join(dir, "prov.test.zone");
  const bigFile = join(dir, "big.test.zone");
  const { log, lines } = memoryLogger();
  let server: SingleProcessServer;
  let port: number;
  let knot: SecondaryServer;
  let nsd: SecondaryServer;
  let layers: Plain;

  const zonesLayer = (notify: string[]) => {
    const allow = [{ address: "127.0.0.1/32", tsigKey: KEY.name }];
    const notifyTo = notify.map((address) => ({ address, tsigKey: KEY.name }));
    return [
      { file: provFile, origin: "prov.test.", provide: { allowTransfer: allow, notify: notifyTo } },
      { file: bigFile, origin: "big.test.", provide: { allowTransfer: allow, notify: notifyTo } },
    ];
  };

  beforeAll(async () => {
    writeAtomic(provFile, fixtureText(1));
    writeAtomic(bigFile, bigZoneText("big.test.", 1, BIG_COUNT));
    port = await freePort();
    layers = {
      listen: [`127.0.0.1:${port}`],
      workers: 0,
      tsigKeys: { [KEY.name]: { algorithm: KEY.algorithm, secret: KEY.secret } },
      zones: zonesLayer([]),
    };
    const build = () => buildConfig([overlayLayer("test", layers)]);
    server = await startSingleProcess({ config: build(), readConfig: build, log });
    const o = { zones: ["prov.test.", "big.test."], primary: { host: "127.0.0.1", port }, key: KEY };
    [knot, nsd] = await Promise.all([startKnotSecondary(o), startNsdSecondary(o)]);
    // Now that their ports are known: NOTIFY them (same serial, so this reload sends nothing).
    layers = { ...layers, zones: zonesLayer([`127.0.0.1:${knot.port}`, `127.0.0.1:${nsd.port}`]) };
    expect(await server.reload()).toBe(true);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([knot?.stop(), nsd?.stop()]);
    await server?.node.provider.notifyIdle();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const compareCorpus = async (peer: SecondaryServer) => {
    const mismatches: string[] = [];
    for (const [qname, qtype] of CORPUS) {
      const spec = { qname, qtype, transport: "udp" as const, edns: { udpSize: 1232 } };
      const ours = normalize((await query({ host: "127.0.0.1", port }, spec)).bytes);
      const theirs = normalize((await query({ host: peer.host, port: peer.port }, spec)).bytes);
      // As test/differential/allowed-differences.ts (mx-additional, srv-additional): NSD with minimal-responses
      // leaves out the optional target addresses of MX and SRV answers; Knot and edgens add the in-zone ones.
      const optionalOnly = (f: { field: string; b: string }) =>
        peer.kind === "nsd" && f.field === "additional" && f.b === "" && (qtype === "MX" || qtype === "SRV");
      const d = diff(ours, theirs).filter((f) => f.field !== "edns" && !optionalOnly(f));
      for (const f of d)
        mismatches.push(`${qname} ${qtype} ${f.field}: edgens=[${f.a}] ${peer.kind}=[${f.b}]`);
    }
    return mismatches;
  };

  it("both secondaries transfer the zones with TSIG and answer the corpus as edgens does", async () => {
    for (const peer of [knot, nsd]) {
      await waitServed(peer.port, "prov.test.", BASE_SERIAL, 10_000);
      await waitServed(peer.port, "big.test.", 1, 10_000);
      expect(await compareCorpus(peer), `${peer.kind} answers differ`).toEqual([]);
      const big = normalize(
        (await query({ host: peer.host, port: peer.port }, { qname: "host-4996.big.test.", qtype: "A" }))
          .bytes,
      );
      expect(big.answer).toEqual(["host-4996.big.test. 300 IN A 10.0.19.132"]);
    }
    expect(
      server.node.provider.counts.axfr + server.node.provider.counts["ixfr-axfr"],
    ).toBeGreaterThanOrEqual(4);
  });

  it("a reload with a new serial reaches both by NOTIFY and IXFR", async () => {
    const ixfrBefore = server.node.provider.counts.ixfr;
    writeAtomic(provFile, fixtureText(2));
    const t0 = performance.now();
    expect(await server.reload()).toBe(true);
    const reloaded = performance.now() - t0;
    const [knotMs, nsdMs] = await Promise.all(
      [knot, nsd].map((p) =>
        waitServed(p.port, "prov.test.", BASE_SERIAL + 1, 15_000).then((ms) => ms + reloaded),
      ),
    );
    console.log(
      `reload → secondary serves the new serial: knot ${knotMs!.toFixed(0)} ms, nsd ${nsdMs!.toFixed(0)} ms ` +
        `(edgens reload incl. parse of both zones ${reloaded.toFixed(0)} ms; after it, NOTIFY → IXFR → served: ` +
        `knot ${(knotMs! - reloaded).toFixed(0)} ms, nsd ${(nsdMs! - reloaded).toFixed(0)} ms)`,
    );
    await server.node.provider.notifyIdle();
    const ixfrServed = server.node.provider.counts.ixfr - ixfrBefore;
    const sent = server.node.provider.notifyLog.filter(
      (n) => n.zone === "prov.test." && n.serial === BASE_SERIAL + 1,
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]!.results.map((r) => r.ok)).toEqual([true, true]);
    // Knot and NSD 4.6 both ask IXFR and get the delta.
    expect(ixfrServed).toBeGreaterThanOrEqual(2);
    const served = lines.filter((l) => l.kind === "ixfr" && l.zone === "prov.test.");
    expect(served.length).toBeGreaterThanOrEqual(1);
    expect(knot.log()).toMatch(/IXFR, incoming/i);
    for (const peer of [knot, nsd]) expect(await compareCorpus(peer), `${peer.kind} after IXFR`).toEqual([]);
  }, 40_000);

  const dig = async (cmd: "kdig" | "dig", args: string[]) => {
    try {
      const { stdout } = await run(cmd, [`@127.0.0.1`, "-p", String(port), ...args], {
        timeout: 20_000,
        maxBuffer: 64 << 20,
      });
      return stdout;
    } catch (e) {
      return `${(e as { stdout?: string }).stdout ?? ""}${(e as Error).message}`;
    }
  };

  it("kdig and dig: no key → REFUSED, wrong secret → NOTAUTH/BADSIG, other source → REFUSED", async () => {
    expect(await dig("kdig", ["+tcp", "AXFR", "prov.test."])).toMatch(/REFUSED/);
    expect(await dig("dig", ["AXFR", "prov.test."])).toMatch(/Transfer failed|REFUSED/);
    const wrong = tsigKeyToDigArg(wrongSecret);
    expect(await dig("kdig", ["-y", wrong, "AXFR", "prov.test."])).toMatch(/BADSIG|NOTAUTH/);
    expect(await dig("dig", ["-y", wrong, "AXFR", "prov.test."])).toMatch(
      /BADSIG|NOTAUTH|tsig verify failure/i,
    );
    const good = tsigKeyToDigArg(tsig);
    expect(await dig("kdig", ["-b", "127.0.0.2", "-y", good, "AXFR", "prov.test."])).toMatch(/REFUSED/);
    expect(
      lines.some((l) => l.client === "127.0.0.2" && String(l.msg).includes("source address not allowed")),
    ).toBe(true);
  });

  it("a multi-message signed AXFR of 5000 records verifies with dig -y and kdig -y", async () => {
    const good = tsigKeyToDigArg(tsig);
    const out = await dig("dig", ["-y", good, "AXFR", "big.test."]);
    expect(out).not.toMatch(/failure|failed|BADSIG/i);
    const records = out
      .split("\n")
      .filter((l) => l && !l.startsWith(";") && /\sIN\s/.test(l) && !/\sTSIG\s/.test(l));
    expect(records.length).toBe(BIG_COUNT + 1); // SOA twice
    const messages = /XFR size: \d+ records \(messages (\d+)/.exec(out);
    expect(Number(messages?.[1])).toBeGreaterThan(3);
    const k = await dig("kdig", ["-y", good, "AXFR", "big.test."]);
    expect(k.split("\n").filter((l) => l.startsWith(";;") && /failed|BADSIG|error/i.test(l))).toEqual([]);
    expect(k).toMatch(/Received \d+ B \(\d+ messages, 5001 records\)/);
  }, 40_000);
});
