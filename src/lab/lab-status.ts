// `edgens lab status`: who answers each client (NSID) and whether that is the nearest site, the route every
// router holds for the anycast prefixes, each node's processes, BGP sessions (seen from its site router) and
// health-agent state (its /metrics), and every namespace with its role and addresses.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { alive, childPids, cmdline, isAgentCmdline } from "./daemon.js";
import type { QueryOutcome } from "./dns-probe.js";
import { vtyshJson } from "./frr-process.js";
import { type LabState, labHosts } from "./lab-state.js";
import { AGENT_METRICS, CHECK_ANSWER, CHECK_NAME } from "./node-files.js";
import { httpInNetns, queryInNetns } from "./ns-helper.js";
import { ANYCAST_PREFIXES, ANYCAST_V4, ANYCAST_V6, expectedSite, type Role, uplink } from "./topology.js";

export interface NamespaceStatus {
  netns: string;
  role: Role;
  id: string;
  site: string | null;
  as: number | null;
  addresses: { ifname: string; ipv4: string; ipv6: string; peer: string }[];
  anycast: string[];
}

export interface ClientStatus {
  client: string;
  router: string;
  expected: string | null;
  expectedTie: boolean;
  answers: { server: string; status: string; nsid: string | null; rttMs: number | null; answers: string[] }[];
  atNearest: boolean;
}

export interface RouteStatus {
  router: string;
  prefix: string;
  paths: number;
  best: {
    aspath: string;
    nexthop: string;
    communities: string;
    localpref: number | null;
    multipath: number;
  } | null;
}

export interface NodeStatus {
  node: string;
  failure: string | null;
  serve: { pid: number | null; alive: boolean; stopped: boolean };
  exabgp: { pid: number | null; alive: boolean };
  agent: { pid: number | null };
  sessions: { peer: string; state: string }[];
  /** BFD session states seen from the site router (empty without --bfd). */
  bfd: string[];
  health: Record<string, string>;
  announced: Record<string, number>;
}

export interface LabStatus {
  name: string;
  dir: string;
  anycast: string[];
  namespaces: NamespaceStatus[];
  clients: ClientStatus[];
  routes: RouteStatus[];
  nodes: NodeStatus[];
}

interface FrrPath {
  aspath?: { string?: string };
  bestpath?: { overall?: boolean };
  multipath?: boolean;
  nexthops?: { ip?: string }[];
  community?: { string?: string };
  locPrf?: number;
}

function processState(pid: number | null): { alive: boolean; stopped: boolean } {
  if (pid === null || !alive(pid)) return { alive: false, stopped: false };
  return { alive: true, stopped: /^\d+ \(.*\) T/.test(readStat(pid)) };
}

function readStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return "";
  }
}

export async function labStatus(s: LabState): Promise<LabStatus> {
  const { plan, netns } = labHosts(s);
  const namespaces: NamespaceStatus[] = plan.hosts.map((h) => ({
    netns: netns(h),
    role: h.role,
    id: h.id,
    site: h.site,
    as: h.role === "node" ? 64953 : h.as,
    addresses: plan.links.flatMap((l) =>
      l.a.host === h.id
        ? [{ ifname: l.a.ifname, ipv4: l.a.ipv4, ipv6: l.a.ipv6, peer: l.b.host }]
        : l.b.host === h.id
          ? [{ ifname: l.b.ifname, ipv4: l.b.ipv4, ipv6: l.b.ipv6, peer: l.a.host }]
          : [],
    ),
    anycast: h.role === "node" ? [ANYCAST_V4, ANYCAST_V6] : [],
  }));

  const down = new Set(
    s.topology.sites
      .filter((site) =>
        Array.from({ length: site.nodes }, (_, i) => `${site.name}/n${i + 1}`).every(
          (id) => s.nodes[id]?.failure && s.nodes[id]?.failure !== "agent-kill",
        ),
      )
      .map((x) => x.name),
  );
  const clients = await Promise.all(
    s.topology.clients.map(async (c): Promise<ClientStatus> => {
      const exp = expectedSite(s.topology, c.name, down);
      const servers = [ANYCAST_V4, ANYCAST_V6];
      const rs = await queryInNetns(s, netns(c.name), servers, {
        name: CHECK_NAME,
        expect: CHECK_ANSWER,
        timeoutMs: 500,
      }).catch((e: Error): QueryOutcome[] =>
        servers.map(() => ({
          status: "error",
          sentAt: 0,
          rttMs: null,
          rcode: null,
          nsid: null,
          answers: [],
          detail: e.message,
        })),
      );
      const answers = rs.map((r, i) => ({
        server: servers[i]!,
        status: r.status,
        nsid: r.nsid,
        rttMs: r.rttMs,
        answers: r.answers,
      }));
      return {
        client: c.name,
        router: c.router,
        expected: exp.site,
        expectedTie: exp.tie,
        answers,
        atNearest: answers.every((a) => a.status === "ok" && a.nsid?.startsWith(`${exp.site}/`) === true),
      };
    }),
  );

  const routers = plan.hosts.filter((h) => h.role === "core" || h.role === "site");
  const routes: RouteStatus[] = [];
  for (const r of routers) {
    for (const [afi, prefix] of [
      ["ipv4", ANYCAST_PREFIXES[0]],
      ["ipv6", ANYCAST_PREFIXES[1]],
    ] as const) {
      const j = await vtyshJson<{ paths?: FrrPath[] }>(
        join(s.dir, "routers", r.id),
        `show bgp ${afi} unicast ${prefix} json`,
      ).catch(() => ({ paths: [] as FrrPath[] }));
      const paths = j.paths ?? [];
      const best = paths.find((p) => p.bestpath?.overall);
      routes.push({
        router: r.id,
        prefix,
        paths: paths.length,
        best: best
          ? {
              aspath: best.aspath?.string ?? "",
              nexthop: best.nexthops?.[0]?.ip ?? "",
              communities: best.community?.string ?? "",
              localpref: best.locPrf ?? null,
              multipath: paths.filter((p) => p.multipath || p.bestpath?.overall).length,
            }
          : null,
      });
    }
  }

  const summaries = new Map<string, Record<string, { state?: string; peerState?: string }>>();
  for (const site of s.topology.sites) {
    const peers: Record<string, { state?: string; peerState?: string }> = {};
    for (const afi of ["ipv4", "ipv6"]) {
      const j = await vtyshJson<{ peers?: Record<string, { state?: string }> }>(
        join(s.dir, "routers", site.name),
        `show bgp ${afi} unicast summary json`,
      ).catch(() => ({ peers: {} }));
      Object.assign(peers, j.peers ?? {});
    }
    summaries.set(site.name, peers);
  }
  const bfdPeers = new Map<string, string>();
  if (s.bfd) {
    for (const site of s.topology.sites) {
      const j = await vtyshJson<{ peer?: string; status?: string }[]>(
        join(s.dir, "routers", site.name),
        "show bfd peers json",
      ).catch(() => []);
      for (const p of j) if (p.peer) bfdPeers.set(p.peer, p.status ?? "unknown");
    }
  }

  const nodes = await Promise.all(
    plan.hosts
      .filter((h) => h.role === "node")
      .map(async (h): Promise<NodeStatus> => {
        const rec = s.nodes[h.id] ?? { serve: null, exabgp: null, failure: null, serial: 0 };
        const { self } = uplink(plan, h.id);
        const peers = summaries.get(h.site!) ?? {};
        const sessions = [self.ipv4, self.ipv6].map((a) => ({
          peer: a,
          state: peers[a]?.state ?? "unknown",
        }));
        const exaAlive = rec.exabgp !== null && alive(rec.exabgp);
        const agentPid = exaAlive
          ? (childPids(rec.exabgp!).find((p) => isAgentCmdline(cmdline(p))) ?? null)
          : null;
        const health: Record<string, string> = {};
        const announced: Record<string, number> = {};
        if (agentPid !== null) {
          const m = await httpInNetns(s, netns(h), `http://${AGENT_METRICS}/metrics`).catch(() => null);
          if (m && "body" in m) {
            for (const line of m.body.split("\n")) {
              const st = /^edgens_health_state\{.*prefix="([^"]+)".*state="([A-Z]+)".*\} 1$/.exec(line);
              if (st) health[st[1]!] = st[2]!;
              const an = /^edgens_health_announced_prefixes\{family="(\w+)"\} (\d+)/.exec(line);
              if (an) announced[an[1]!] = Number(an[2]);
            }
          }
        }
        return {
          node: h.id,
          failure: rec.failure,
          serve: { pid: rec.serve, ...processState(rec.serve) },
          exabgp: { pid: rec.exabgp, alive: exaAlive },
          agent: { pid: agentPid },
          sessions,
          bfd: s.bfd ? [self.ipv4, self.ipv6].map((a) => bfdPeers.get(a) ?? "none") : [],
          health,
          announced,
        };
      }),
  );
  return { name: s.name, dir: s.dir, anycast: [ANYCAST_V4, ANYCAST_V6], namespaces, clients, routes, nodes };
}

export function formatStatus(st: LabStatus): string {
  const out: string[] = [`lab ${st.name} (${st.dir}), anycast ${st.anycast.join(" ")}`, "", "clients:"];
  for (const c of st.clients) {
    const who = c.answers.map((a) => `${a.server} → ${a.status === "ok" ? a.nsid : a.status}`).join(", ");
    const mark = c.atNearest ? "ok" : c.expectedTie ? "tie" : "NOT NEAREST";
    out.push(`  ${c.client} (at ${c.router}): ${who}; nearest ${c.expected ?? "none"} [${mark}]`);
  }
  out.push("", "routes:");
  for (const r of st.routes) {
    const b = r.best;
    out.push(
      `  ${r.router.padEnd(5)} ${r.prefix.padEnd(18)} ${
        b
          ? `as-path [${b.aspath}] via ${b.nexthop}${b.multipath > 1 ? ` (ecmp ${b.multipath})` : ""}${
              b.communities ? ` community ${b.communities}` : ""
            } (${r.paths} path${r.paths === 1 ? "" : "s"})`
          : "no route"
      }`,
    );
  }
  out.push("", "nodes:");
  for (const n of st.nodes) {
    const serve = n.serve.alive ? (n.serve.stopped ? "stopped" : "running") : "dead";
    const health = Object.entries(n.health)
      .map(([p, s]) => `${p} ${s}`)
      .join(", ");
    out.push(
      `  ${n.node}: serve ${serve}, exabgp ${n.exabgp.alive ? "running" : "dead"}, agent ${
        n.agent.pid ?? "none"
      }, bgp ${n.sessions.map((x) => x.state).join("/")}${
        n.bfd.length > 0 ? `, bfd ${n.bfd.join("/")}` : ""
      }, health ${health || "unknown"}${n.failure ? `, FAILED (${n.failure})` : ""}`,
    );
  }
  return `${out.join("\n")}\n`;
}
