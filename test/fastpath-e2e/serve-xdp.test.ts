// `edgens serve --xdp` end to end over a veth pair: the real CLI in the server namespace, a UDP client in the
// client namespace. Port 53 is covered by XDP, port 5353 on the same addresses is socket-only, so every query
// of the corpus is sent to both and the DNS payloads must be byte-identical; the XDP "answered" counter must
// rise by exactly the queries the program can answer. Then: reload under load (every answer is one
// generation), clean detach on SIGTERM, and detach by the kernel when the server is SIGKILLed.
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeStats } from "../../src/cli/stats.js";
import { compileSnapshot } from "../../src/responder/snapshot.js";
import { ZoneSet } from "../../src/server/zone-set.js";
import { addonBuilt, objectBuilt } from "../fastpath/fixtures.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";
import { buildCorpus, encodeQuery, ORIGIN, xdpShouldAnswer, zoneText } from "./corpus.js";
import {
  buildCliWithNative,
  createServeLab,
  type ServeLab,
  type ServeProcess,
  startServe,
} from "./serve-lab.js";

/** A zone without wildcards or DNAME: the kernel may answer NXDOMAIN under it (docs/FASTPATH.md). */
const NX_ZONE = `$ORIGIN nx.test.
$TTL 300
@        IN SOA ns1 hostmaster 7 7200 3600 1209600 120
@        IN NS  ns1
ns1      IN A   192.0.2.1
c.b.ent  IN A   192.0.2.7
cut      IN NS  ns.cut
ns.cut   IN A   192.0.2.8
`;

const ok = requirePrereq(
  "edgens serve --xdp over veth",
  isRoot,
  addonBuilt,
  objectBuilt(),
  hasCommand("ip"),
  hasCommand("ethtool"),
  hasCommand("clang"),
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!ok)("edgens serve --xdp (veth, native mode)", () => {
  let lab: ServeLab;
  let cli: { main: string; dir: string };
  let zoneFile: string;
  let nxZoneFile: string;
  let server: ServeProcess | null = null;
  const metrics = "127.0.0.1:9153";

  const stats = (): NodeStats =>
    JSON.parse(
      lab.exec(lab.server, process.execPath, [cli.main, "stats", "--json", "--metrics", metrics]),
    ) as NodeStats;

  beforeAll(() => {
    cli = buildCliWithNative();
    lab = createServeLab();
    zoneFile = join(lab.work, "fp.test.zone");
    writeFileSync(zoneFile, zoneText(1));
    nxZoneFile = join(lab.work, "nx.test.zone");
    writeFileSync(nxZoneFile, NX_ZONE);
  }, 180_000);

  afterAll(async () => {
    await server?.stop("SIGKILL");
    lab?.close();
    if (cli) rmSync(cli.dir, { recursive: true, force: true });
  });

  const serveArgs = (workers: number) => [
    "--zone",
    `${ORIGIN}=${zoneFile}`,
    "--zone",
    `nx.test.=${nxZoneFile}`,
    "--listen",
    `${lab.server4}:53`,
    "--listen",
    `[${lab.server6}]:53`,
    "--listen",
    `${lab.server4}:5353`,
    "--listen",
    `[${lab.server6}]:5353`,
    "--xdp",
    lab.serverIf,
    "--workers",
    String(workers),
    "--metrics",
    metrics,
    "--log-level",
    "info",
  ];

  it("starts with the fast path on (cluster primary owns it) and says so once", async () => {
    server = await startServe(lab, cli.main, serveArgs(2));
    const on = server.output.filter((l) => l.includes("XDP fast path on:"));
    expect(on).toHaveLength(1);
    expect(on[0]).toContain(`${lab.serverIf} (native)`);
    // The line comes before the ready line: when edgens says ready, XDP answers.
    const readyAt = server.output.findIndex((l) => l.includes("edgens ready:"));
    expect(server.output.findIndex((l) => l.includes("XDP fast path on:"))).toBeLessThan(readyAt);
    expect(lab.xdpProgram()).toBe("edgens_xdp");
    const s = stats();
    expect(s.xdp?.attached).toBe(true);
    expect(s.xdp?.interfaces).toEqual([{ iface: lab.serverIf, mode: "native" }]);
    expect(s.xdp?.answers.entries).toBeGreaterThan(50);
    expect(s.xdp?.answers.capacity).toBe(65536);
  }, 60_000);

  it("answers every query of the corpus byte-identically to the socket path, IPv4 and IPv6", () => {
    const corpus = buildCorpus();
    const zones = new ZoneSet().load([{ id: "fp", origin: ORIGIN, file: zoneFile }]);
    const snapshot = compileSnapshot(
      zones.zones.map((z) => z.data),
      1,
    );
    for (const host of [lab.server4, lab.server6]) {
      const before = stats();
      // Socket-only first (port 5353), then the same bytes to port 53 where XDP sits in front.
      const job = (port: number) => ({
        mode: "list",
        timeoutMs: 2000,
        queries: corpus.map((q) => ({ host, port, hex: q.bytes.toString("hex") })),
      });
      const socket = lab.clientJob<{ hex: string | null }[]>(job(5353));
      const fast = lab.clientJob<{ hex: string | null }[]>(job(53));
      const after = stats();
      let hits = 0;
      let maybe = 0;
      corpus.forEach((q, i) => {
        const s = socket[i]!.hex;
        expect(s, `socket reply to ${q.label}`).not.toBeNull();
        expect(fast[i]!.hex, `${host}: ${q.label}`).toBe(s);
        const should = xdpShouldAnswer(snapshot, q, Buffer.from(s!, "hex"));
        if (should === "yes") hits++;
        if (should === "maybe") maybe++;
      });
      const answered = after.xdp!.answered - before.xdp!.answered;
      expect(hits).toBeGreaterThan(80);
      expect(maybe).toBeLessThanOrEqual(3); // big.fp.test with EDNS ≥ 1232
      expect(answered, JSON.stringify(after.xdp!.passed)).toBeGreaterThanOrEqual(hits);
      expect(answered, JSON.stringify(after.xdp!.passed)).toBeLessThanOrEqual(hits + maybe);
      // What XDP did not answer went to the sockets on port 53 (plus every query to port 5353).
      expect(after.queries.socket - before.queries.socket).toBe(2 * corpus.length - answered);
      const passed = (s: NodeStats, reason: string) => s.xdp!.passed[reason] ?? 0;
      expect(passed(after, "too_big") + passed(after, "no_room")).toBeGreaterThan(0);
      expect(passed(after, "edns")).toBeGreaterThan(passed(before, "edns")); // the NSID queries
    }
  }, 120_000);

  it("answers NXDOMAIN under a zone without wildcards in the kernel, byte-identical to the sockets", () => {
    // Random names (mixed case, some below an empty non-terminal): no answer-map hit, so only the kernel's
    // closest-encloser walk can answer them; a name below the cut must still be passed up (referral).
    const rand = () => Math.random().toString(36).slice(2, 9);
    const names = [
      ...Array.from({ length: 12 }, () => `${rand()}.Nx.TEST`),
      ...Array.from({ length: 4 }, () => `${rand()}.ent.nx.test`),
      ...Array.from({ length: 4 }, () => `A${rand()}.b.ent.NX.test`),
    ];
    for (const host of [lab.server4, lab.server6]) {
      const before = stats();
      const job = (port: number) => ({
        mode: "list",
        timeoutMs: 2000,
        queries: [...names, "www.cut.nx.test"].map((name, i) => ({
          host,
          port,
          hex: dnsPacket
            .encode({ id: 100 + i, type: "query", flags: 0, questions: [{ name, type: "A", class: "IN" }] })
            .toString("hex"),
        })),
      });
      const socket = lab.clientJob<{ hex: string | null }[]>(job(5353));
      const fast = lab.clientJob<{ hex: string | null }[]>(job(53));
      const after = stats();
      socket.forEach((r, i) => {
        expect(r.hex, `socket reply ${i}`).not.toBeNull();
        expect(fast[i]!.hex, `${host}: query ${i}`).toBe(r.hex);
      });
      for (const r of socket.slice(0, names.length)) {
        expect(Buffer.from(r.hex!, "hex")[3]! & 0x0f, "rcode").toBe(3); // NXDOMAIN
      }
      expect(after.xdp!.answeredNxdomain - before.xdp!.answeredNxdomain).toBe(names.length);
    }
  });

  it("prints the counters by path as text", () => {
    const out = lab.exec(lab.server, process.execPath, [
      cli.main,
      "stats",
      "--metrics",
      `http://${metrics}/metrics`,
    ]);
    expect(out).toMatch(/^queries by path: socket \d+ \(udp \d+, tcp 0\), xdp \d+, total \d+$/m);
    expect(out).toContain(`fast path: attached (${lab.serverIf} native)`);
    expect(out).toMatch(/^xdp passed: .*miss \d+/m);
  });

  it("swaps answers on reload under load: every answer is from one generation, old or new", async () => {
    const queries = [
      encodeQuery(7001, "fp.test", "SOA", { name: "soa" }),
      encodeQuery(7002, "FP.test", "MX", { name: "mx", edns: { udpSize: 1232, do: false } }),
      encodeQuery(7003, "gen.fp.test", "TXT", { name: "gen" }),
    ].map((b) => b.toString("hex"));
    const before = stats();
    const from = server!.output.length;
    const loop = lab.clientJobAsync<{ q: number; t: number; hex: string | null }[]>({
      mode: "loop",
      host: lab.server4,
      port: 53,
      durationMs: 5000,
      timeoutMs: 1000,
      queries,
    });
    await sleep(1500);
    writeFileSync(`${zoneFile}.tmp`, zoneText(2));
    renameSync(`${zoneFile}.tmp`, zoneFile);
    process.kill(server!.proc.pid!, "SIGHUP");
    await server!.waitFor("XDP fast path answers swapped", 20_000, from);
    const results = await loop;
    const after = stats();

    // The serial each reply carries, checked for consistency inside the reply (MX preference = serial =
    // third octet of the mail A record in the additional section).
    const serials = results.map((r) => {
      expect(r.hex, "a query went unanswered during the reload").not.toBeNull();
      const p = dnsPacket.decode(Buffer.from(r.hex!, "hex"));
      if (r.q === 0) return (p.answers![0] as dnsPacket.Answer & { data: { serial: number } }).data.serial;
      if (r.q === 2) {
        const txt = (p.answers![0] as { data: Buffer[] }).data.map((b) => b.toString()).join("");
        return Number(/^serial-(\d+)$/.exec(txt)![1]);
      }
      const pref = (p.answers![0] as { data: { preference: number } }).data.preference;
      const glue = p.additionals!.find((a) => a.type === "A") as { data: string };
      expect(glue.data, "MX and its glue from different generations").toBe(`10.0.${pref}.25`);
      return pref;
    });
    expect(new Set(serials)).toEqual(new Set([1, 2]));
    // Once a reply shows the new zone, the old one never comes back (the sockets swapped before XDP did).
    const firstNew = serials.indexOf(2);
    expect(serials.slice(firstNew).every((s) => s === 2)).toBe(true);
    expect(results.length).toBeGreaterThan(100);
    // XDP kept answering across the reload (most replies came from it).
    expect(after.xdp!.answered - before.xdp!.answered).toBeGreaterThan(results.length / 2);
    expect(after.xdp!.attached).toBe(true);
  }, 60_000);

  it("detaches on SIGTERM and exits 0", async () => {
    expect(lab.xdpProgram()).toBe("edgens_xdp");
    const code = await server!.stop("SIGTERM");
    expect(code).toBe(0);
    expect(server!.output.some((l) => l.includes("XDP fast path detached"))).toBe(true);
    expect(lab.xdpProgram()).toBeNull();
    server = null;
  }, 30_000);

  it("is detached by the kernel when the (single-process) server is SIGKILLed", async () => {
    writeFileSync(zoneFile, zoneText(3));
    server = await startServe(lab, cli.main, serveArgs(1));
    expect(lab.xdpProgram()).toBe("edgens_xdp");
    const id = /prog\/xdp id (\d+)/.exec(
      lab.exec(lab.server, "ip", ["-d", "link", "show", lab.serverIf]),
    )![1]!;
    const q = {
      host: lab.server4,
      port: 53,
      hex: encodeQuery(9, "www.fp.test", "A", { name: "a" }).toString("hex"),
    };
    const job = { mode: "list", timeoutMs: 1000, queries: [q] };
    expect(lab.clientJob<{ hex: string | null }[]>(job)[0]!.hex).not.toBeNull();
    expect(stats().xdp!.answered).toBe(1);
    await server.stop("SIGKILL");
    server = null;
    // The bpf_link died with the process: no program on the interface, and the program itself is freed.
    expect(lab.xdpProgram()).toBeNull();
    expect(lab.run(lab.server, "bpftool", ["prog", "show", "id", id]).status).not.toBe(0);
    // Nothing answers any more (a pinned program would keep answering from stale maps).
    expect(lab.clientJob<{ hex: string | null }[]>(job)[0]!.hex).toBeNull();
  }, 60_000);
});
