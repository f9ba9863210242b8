// A router/edge pair for failover tests: netns `PREFIX-rtr-PID` runs FRR (zebra, bgpd, bfdd) as the site
// router, netns `PREFIX-edge-PID` runs ExaBGP (config from `renderExabgp`), optionally the edge's own bfdd
// (config from `renderBfdd`), and whatever API process the test gives (the real health agent or a script).
// The anycast service addresses live on the edge's `lo` (LAB-NOTES: no dummy module). Everything is started by
// pid and stopped by pid; the namespaces are removed also when the start fails.
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { renderBfdd } from "../../src/bgp/bfd.js";
import { type BgpConfig, type BgpConfigInput, parseBgpConfig } from "../../src/bgp/config.js";
import { renderExabgp } from "../../src/bgp/render.js";
import { ExabgpProcess } from "../../src/lab/exabgp-process.js";
import { FrrRouter } from "../../src/lab/frr-process.js";
import { createNetnsPair, type NetnsPair } from "../bgp/netns-pair.js";
import { hasCommand, isRoot } from "../helpers/prereq.js";

const run = promisify(execFile);

export const labPrereqs = [
  isRoot,
  hasCommand("ip"),
  hasCommand("vtysh"),
  hasCommand("/usr/sbin/exabgp"),
  hasCommand("/usr/lib/frr/zebra"),
  hasCommand("/usr/lib/frr/bgpd"),
  hasCommand("/usr/lib/frr/bfdd"),
];

export const ROUTER_AS = 65000;
export const EDGE_AS = 65001;
export const V4 = "192.0.2.53/32";
export const V6 = "2001:db8:53::/48";
/** Service addresses on the edge's lo, inside V4 and V6. */
export const SVC4 = "192.0.2.53";
export const SVC6 = "2001:db8:53::53";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LabOptions {
  /** Namespace name prefix: `edgens-bfd` or `edgens-st` (the test's own). */
  name: string;
  /** A /30 base and a /64 base for the veth. */
  ipv4Net: string;
  ipv6Net: string;
  /** BGP hold time on both sides (s). */
  holdTime: number;
  /** BFD on the router's neighbors and an edge bfdd (100 ms × 3 unless given). */
  bfd?: { intervalMs?: number; multiplier?: number };
  /** Runs once the edge namespace exists, before ExaBGP starts (e.g. the DNS responders). */
  beforeExabgp?: (edgeNs: string) => Promise<void>;
  /** The API process ExaBGP runs, given the lab dir (argv; the first word absolute). */
  run: (dir: string, cfg: Omit<BgpConfig, "api">) => string[];
}

export interface FailoverLab {
  dir: string;
  pair: NetnsPair;
  router: FrrRouter;
  edgeBfd: FrrRouter | null;
  exa: ExabgpProcess;
  cfg: BgpConfig;
  /** FRR's first path for the prefix, or undefined. */
  route(family: "ipv4" | "ipv6", prefix: string): Promise<unknown | undefined>;
  has(family: "ipv4" | "ipv6"): Promise<boolean>;
  /** Every process in the edge namespace (ExaBGP, its API process, the edge's zebra and bfdd). */
  edgePids(): Promise<number[]>;
  /** Epoch ms of the router's `%ADJCHANGE … Down` log lines after `sinceMs`, per neighbor address. */
  sessionDownTimes(sinceMs: number): Map<string, number>;
  /** ExaBGP's log tail and the router's BGP/BFD summaries, for failure messages. */
  diagnose(): Promise<string>;
  /** Stops what it started (by pid), removes the namespaces and the directory. Idempotent. */
  destroy(): Promise<void>;
}

function routerConfig(o: LabOptions, pair: NetnsPair, dir: string): string {
  const e = pair.b;
  const bfd = o.bfd
    ? `bfd
 profile edge
  detect-multiplier ${o.bfd.multiplier ?? 3}
  receive-interval ${o.bfd.intervalMs ?? 100}
  transmit-interval ${o.bfd.intervalMs ?? 100}
!
`
    : "";
  const neighbor = (a: string) =>
    [
      ` neighbor ${a} remote-as ${EDGE_AS}`,
      ` neighbor ${a} timers ${Math.max(1, Math.floor(o.holdTime / 3))} ${o.holdTime}`,
      ` neighbor ${a} timers connect 1`,
      ` neighbor ${a} advertisement-interval 0`,
      ...(o.bfd ? [` neighbor ${a} bfd profile edge`] : []),
    ].join("\n");
  return `frr defaults traditional
hostname ${o.name}-rtr
log file ${dir}/frr.log
! Millisecond timestamps: tests read the time of %ADJCHANGE (session down) from this log.
log timestamp precision 3
!
${bfd}router bgp ${ROUTER_AS}
 bgp router-id ${pair.a.ipv4}
 bgp log-neighbor-changes
 no bgp ebgp-requires-policy
${neighbor(e.ipv4)}
${neighbor(e.ipv6)}
 address-family ipv4 unicast
  no neighbor ${e.ipv6} activate
 exit-address-family
 address-family ipv6 unicast
  neighbor ${e.ipv6} activate
 exit-address-family
!
`;
}

export async function startFailoverLab(o: LabOptions): Promise<FailoverLab> {
  const dir = mkdtempSync(`/tmp/${o.name}-`);
  chmodSync(dir, 0o755); // frr must reach its own directories inside
  let pair: NetnsPair | undefined;
  let router: FrrRouter | undefined;
  let edgeBfd: FrrRouter | null = null;
  let exa: ExabgpProcess | undefined;
  const edgeNs = `${o.name}-edge-${process.pid}`;
  const edgePids = async (): Promise<number[]> => {
    try {
      const { stdout } = await run("ip", ["netns", "pids", edgeNs], { timeout: 5000 });
      return stdout.split("\n").filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const destroy = async () => {
    // Whatever the test froze must run again to die cleanly.
    for (const pid of await edgePids()) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {}
    }
    await exa?.stop(3000);
    await edgeBfd?.stop();
    await router?.stop();
    // API processes ExaBGP left behind (a respawned agent that outlived it): only this namespace's.
    for (const pid of await edgePids()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    await pair?.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    pair = await createNetnsPair({
      a: `${o.name}-rtr-${process.pid}`,
      b: edgeNs,
      ipv4Net: o.ipv4Net,
      ipv6Net: o.ipv6Net,
    });
    await run("ip", ["-n", edgeNs, "addr", "add", `${SVC4}/32`, "dev", "lo"]);
    await run("ip", ["-n", edgeNs, "addr", "add", `${SVC6}/128`, "dev", "lo", "nodad"]);
    const rdir = join(dir, "rtr");
    router = await FrrRouter.start({
      netns: pair.a.netns,
      dir: rdir,
      config: routerConfig(o, pair, rdir),
      daemons: o.bfd ? ["zebra", "bgpd", "bfdd"] : ["zebra", "bgpd"],
    });
    const base: BgpConfigInput = {
      localAs: EDGE_AS,
      routerId: pair.b.ipv4,
      holdTime: o.holdTime,
      neighbors: [
        { address: pair.a.ipv4, peerAs: ROUTER_AS, localAddress: pair.b.ipv4 },
        { address: pair.a.ipv6, peerAs: ROUTER_AS, localAddress: pair.b.ipv6 },
      ],
      prefixes: [{ prefix: V4 }, { prefix: V6 }],
      ...(o.bfd ? { bfd: { enabled: true, ...o.bfd } } : {}),
      env: { log: { destination: "stdout" } },
    };
    const pre = parseBgpConfig({ ...base, api: { run: ["/bin/true"] } });
    const cfg = parseBgpConfig({ ...base, api: { run: o.run(dir, pre) } });
    if (o.bfd) {
      const edir = join(dir, "edge");
      edgeBfd = await FrrRouter.start({
        netns: edgeNs,
        dir: edir,
        config: renderBfdd(cfg),
        daemons: ["zebra", "bfdd"],
      });
    }
    await o.beforeExabgp?.(edgeNs);
    const { conf, env } = renderExabgp(cfg);
    writeFileSync(join(dir, "exabgp.conf"), conf);
    writeFileSync(join(dir, "exabgp.env"), env);
    exa = ExabgpProcess.start({
      netns: edgeNs,
      confPath: join(dir, "exabgp.conf"),
      envPath: join(dir, "exabgp.env"),
    });
    const r = router;
    const route = async (family: "ipv4" | "ipv6", prefix: string) => {
      const j = await r.vtyshJson<{ paths?: unknown[] }>(`show bgp ${family} unicast ${prefix} json`);
      return j.paths?.[0];
    };
    return {
      dir,
      pair,
      router: r,
      edgeBfd,
      exa,
      cfg,
      route,
      has: async (family) => (await route(family, family === "ipv4" ? V4 : V6)) !== undefined,
      edgePids,
      sessionDownTimes: (sinceMs) => {
        const out = new Map<string, number>();
        let log = "";
        try {
          log = readFileSync(join(dir, "rtr", "frr.log"), "utf8");
        } catch {}
        // 2026/11/23 02:53:01.123 BGP: [..] %ADJCHANGE: neighbor 10.0.0.2(Unknown) in vrf default Down BFD down received
        for (const m of log.matchAll(
          /^(\d{4})\/(\d\d)\/(\d\d) (\d\d:\d\d:\d\d\.\d{3}) .*%ADJCHANGE: neighbor (\S+?)(?:\(|\s).* Down/gm,
        )) {
          const t = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}`).getTime(); // FRR logs local time
          if (t >= sinceMs && !out.has(m[5]!)) out.set(m[5]!, t);
        }
        return out;
      },
      diagnose: async () => {
        const frr = await r
          .vtysh("show bgp summary", "show bfd peers brief")
          .catch((e: Error) => `vtysh: ${e.message}`);
        let log = "";
        try {
          log = readFileSync(join(dir, "rtr", "frr.log"), "utf8").slice(-3000);
        } catch {}
        return `--- ExaBGP (tail) ---\n${exa!.log().slice(-2000)}\n--- router ---\n${frr}\n${log}`;
      },
      destroy,
    };
  } catch (e) {
    await destroy();
    throw e;
  }
}

/** Polls `probe` (about every `everyMs`) until true; returns performance.now() at that moment. */
export async function until(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 5,
): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await probe()) return performance.now();
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
