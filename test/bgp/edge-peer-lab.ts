// A two-namespace BGP lab for tests: `edgens-bgp-peer-PID` runs FRR (AS 65000), `edgens-bgp-edge-PID` runs
// ExaBGP (AS 65001) with a config rendered by `renderExabgp`, joined by a veth with 10.254.100.0/30 and
// fd00:254:100::/64. ExaBGP's API process is a shell stand-in for the health agent that follows its contract
// (withdraw everything first, then announce if healthy); its behaviour is chosen by a mode file.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { announceLine, withdrawAllLines } from "../../src/bgp/api-lines.js";
import { type BgpConfig, type BgpConfigInput, parseBgpConfig } from "../../src/bgp/config.js";
import { renderExabgp } from "../../src/bgp/render.js";
import { ExabgpProcess } from "../../src/lab/exabgp-process.js";
import { FrrRouter } from "../../src/lab/frr-process.js";
import { hasCommand, isRoot } from "../helpers/prereq.js";
import { createNetnsPair, type NetnsPair } from "./netns-pair.js";

/** What the lab needs: pass to `requirePrereq`. */
export const labPrereqs = [
  isRoot,
  hasCommand("ip"),
  hasCommand("vtysh"),
  hasCommand("/usr/sbin/exabgp"),
  hasCommand("/usr/lib/frr/zebra"),
  hasCommand("/usr/lib/frr/bgpd"),
];

export const PEER_AS = 65000;
export const EDGE_AS = 65001;
export const V4 = "192.0.2.53/32";
export const V6 = "2001:db8:53::/48";

/** Passed to the agent as `--label LABEL`; the agent writes its argc and LABEL to DIR/agent.args. */
export const AGENT_LABEL = "edge lab #1; {x}";

export type AgentMode = "healthy" | "drain" | "down" | "crash";

/** The attributes of one path in FRR's `show bgp <afi> unicast <prefix> json`. */
export interface FrrPath {
  aspath?: { string?: string };
  med?: number;
  metric?: number;
  community?: { string?: string };
  largeCommunity?: { string?: string };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every `everyMs` until true; returns the elapsed ms, throws after `timeoutMs`. */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000, everyMs = 20) {
  const t0 = performance.now();
  for (;;) {
    if (await probe()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

function frrConfig(pair: NetnsPair, dir: string, password?: string): string {
  const e = pair.b;
  const pw = password
    ? ` neighbor ${e.ipv4} password ${password}\n neighbor ${e.ipv6} password ${password}\n`
    : "";
  return `frr defaults traditional
hostname edgens-bgp-peer
log file ${dir}/frr.log
!
router bgp ${PEER_AS}
 bgp router-id ${pair.a.ipv4}
 ! The lab trusts its edge; production routers filter with prefix lists instead.
 no bgp ebgp-requires-policy
 neighbor ${e.ipv4} remote-as ${EDGE_AS}
 neighbor ${e.ipv4} advertisement-interval 0
 neighbor ${e.ipv6} remote-as ${EDGE_AS}
 neighbor ${e.ipv6} advertisement-interval 0
${pw} address-family ipv4 unicast
  no neighbor ${e.ipv6} activate
 exit-address-family
 address-family ipv6 unicast
  neighbor ${e.ipv6} activate
 exit-address-family
!
`;
}

function agentScript(dir: string, cfg: BgpConfig): string {
  const q = (lines: string[]) => lines.map((l) => `'${l}'`).join(" ");
  const up = cfg.prefixes.map((p) => announceLine(p.prefix, cfg));
  const drain = cfg.prefixes.map((p) => announceLine(p.prefix, cfg, { drain: true }));
  return `#!/bin/sh
# Stand-in for edgens health-agent; behaviour chosen by ${dir}/agent.mode: healthy | drain | down | crash.
echo $$ >> ${dir}/agent.pids
printf '%s\n' "$#" "$2" > ${dir}/agent.args
mode=$(cat ${dir}/agent.mode)
[ "$mode" = crash ] && exit 1
printf '%s\\n' ${q(withdrawAllLines(cfg))}
case "$mode" in
  healthy) printf '%s\\n' ${q(up)} ;;
  drain) printf '%s\\n' ${q(drain)} ;;
esac
# Keep stdout open and drain ExaBGP's acks and events until ExaBGP closes our stdin.
while read -r line; do :; done
`;
}

export interface EdgePeerLab {
  dir: string;
  pair: NetnsPair;
  frr: FrrRouter;
  exa: ExabgpProcess;
  cfg: BgpConfig;
  setMode(m: AgentMode): void;
  agentPids(): number[];
  /** SIGKILLs the newest agent; returns its pid. */
  killAgent(): number;
  route(family: "ipv4" | "ipv6", prefix: string): Promise<FrrPath | undefined>;
  /** Both V4 and V6 are in FRR's table. */
  both(): Promise<boolean>;
  /** Neither V4 nor V6 is in FRR's table. */
  neither(): Promise<boolean>;
  /** Stops everything it started (by pid) and removes the namespaces and the directory. Idempotent. */
  destroy(): Promise<void>;
}

export interface EdgePeerLabOptions {
  /** Merged over the test's bgp config (e.g. `{ env: { respawn: false } }`). */
  overrides?: Partial<BgpConfigInput>;
  mode?: AgentMode;
  /** TCP MD5 password on both sessions, on both sides. */
  md5Password?: string;
  /** FRR's side only, when it must differ from `md5Password` (negative tests). */
  frrMd5Password?: string;
}

/** Starts the lab. On failure, cleans up what it started before rethrowing. */
export async function startEdgePeerLab(opts: EdgePeerLabOptions = {}): Promise<EdgePeerLab> {
  const { overrides = {}, mode = "healthy", md5Password } = opts;
  const frrMd5Password = opts.frrMd5Password ?? md5Password;
  const dir = mkdtempSync("/tmp/edgens-bgp-");
  chmodSync(dir, 0o755); // frr must reach its own directory inside
  let pair: NetnsPair | undefined;
  let frr: FrrRouter | undefined;
  let exa: ExabgpProcess | undefined;
  const agentPids = () =>
    readFileSync(join(dir, "agent.pids"), "utf8").split("\n").filter(Boolean).map(Number);
  const destroy = async () => {
    await exa?.stop();
    // ExaBGP stops its API processes; these are agents it may have left behind (or that a test SIGSTOPped).
    try {
      for (const pid of agentPids()) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    } catch {
      // no pid file yet
    }
    await frr?.stop();
    await pair?.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Per-process names: another engineer's test run may use the lab at the same time.
    pair = await createNetnsPair({
      a: `edgens-bgp-peer-${process.pid}`,
      b: `edgens-bgp-edge-${process.pid}`,
      ipv4Net: "10.254.100.0",
      ipv6Net: "fd00:254:100::",
    });
    const frrDir = join(dir, "frr");
    frr = await FrrRouter.start({
      netns: pair.a.netns,
      dir: frrDir,
      config: frrConfig(pair, frrDir, frrMd5Password),
    });

    const agent = join(dir, "agent.sh");
    const cfg = parseBgpConfig({
      localAs: EDGE_AS,
      routerId: pair.b.ipv4,
      neighbors: [
        { address: pair.a.ipv4, peerAs: PEER_AS, localAddress: pair.b.ipv4, md5Password },
        { address: pair.a.ipv6, peerAs: PEER_AS, localAddress: pair.b.ipv6, md5Password },
      ],
      prefixes: [{ prefix: V4 }, { prefix: V6 }],
      communities: ["65001:100"],
      largeCommunities: ["65001:53:1"],
      med: 10,
      prepend: 1,
      // The argument with blanks and `#` checks that ExaBGP's `run` line keeps quoted words whole.
      api: { run: [agent, "--label", AGENT_LABEL] },
      ...overrides,
      env: { log: { destination: "stdout" }, ...overrides.env },
    });
    writeFileSync(agent, agentScript(dir, cfg), { mode: 0o755 });
    writeFileSync(join(dir, "agent.pids"), "");
    writeFileSync(join(dir, "agent.mode"), mode);
    const { conf, env } = renderExabgp(cfg);
    writeFileSync(join(dir, "exabgp.conf"), conf);
    writeFileSync(join(dir, "exabgp.env"), env);
    exa = ExabgpProcess.start({
      netns: pair.b.netns,
      confPath: join(dir, "exabgp.conf"),
      envPath: join(dir, "exabgp.env"),
    });

    const route = async (family: "ipv4" | "ipv6", prefix: string) => {
      const j = await frr!.vtyshJson<{ paths?: FrrPath[] }>(`show bgp ${family} unicast ${prefix} json`);
      return j.paths?.[0];
    };
    return {
      dir,
      pair,
      frr,
      exa,
      cfg,
      setMode: (m) => writeFileSync(join(dir, "agent.mode"), m),
      agentPids,
      killAgent: () => {
        const pid = agentPids().at(-1)!;
        process.kill(pid, "SIGKILL");
        return pid;
      },
      route,
      both: async () => Boolean((await route("ipv4", V4)) && (await route("ipv6", V6))),
      neither: async () => !(await route("ipv4", V4)) && !(await route("ipv6", V6)),
      destroy,
    };
  } catch (e) {
    await destroy();
    throw e;
  }
}
