// `edgens lab status`: who answers each client (NSID) and whether that is the nearest site, the route every
// router holds for the anycast prefixes, each node's processes, BGP sessions (seen from its site router) and
// health-agent state (its /metrics), and every namespace with its role and addresses.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { alive, childPids, cmdline, isAgentCmdline } from "./daemon.js";
import type { QueryOutcome } from "./dns-probe.js";
import { vtyshJson, vtyshJsonBatch } from "./frr-process.js";
import { type LabState, labHosts } from "./lab-state.js";
import { LAB_CONCURRENCY, mapLimit } from "./map-limit.js";
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

interface FrrSummary {
  peers?: Record<string, { state?: string }>;
}

interface FrrBfdPeer {
  peer?: string;
  status?: string;
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

const AFI_PREFIXES = [
  ["ipv4", ANYCAST_PREFIXES[0]],
  ["ipv6", ANYCAST_PREFIXES[1]],
] as const;

function routeStatus(router: string, prefix: string, paths: FrrPath[]): RouteStatus {
  const best = paths.find((p) => p.bestpath?.overall);
  return {
    router,
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
  };
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
  // The clients' queries first and alone: their 500 ms timeout should not compete with this status's own
  // process starts. Then the routers' vtysh calls and the nodes' metrics at once, each pool bounded.
  const clients = await mapLimit(s.topology.clients, LAB_CONCURRENCY, async (c): Promise<ClientStatus> => {
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
  });

  // One vtysh per router (the anycast routes; at a site router also its sessions and BFD peers), a few at a
  // time: one call per command, one after the other, was 21 vtysh processes for 3 sites with BFD.
  const routers = plan.hosts.filter((h) => h.role === "core" || h.role === "site");
  const routerOrder = new Map(routers.map((r, i) => [r.id, i]));
  const routes: RouteStatus[] = [];
  const summaries = new Map<string, Record<string, { state?: string }>>();
  const bfdPeers = new Map<string, string>();
  const jobs = routers.map((r) => async () => {
    const commands = AFI_PREFIXES.map(([afi, prefix]) => `show bgp ${afi} unicast ${prefix} json`);
    if (r.role === "site") {
      commands.push(...AFI_PREFIXES.map(([afi]) => `show bgp ${afi} unicast summary json`));
      if (s.bfd) commands.push("show bfd peers json");
    }
    const dir = join(s.dir, "routers", r.id);
    // One failing command (say bfdd is down) fails the batch: then one by one, so the rest still shows. What
    // does not answer shows as no route, unknown sessions, no BFD peers.
    const out = await vtyshJsonBatch(dir, commands).catch(() =>
      Promise.all(commands.map((c) => vtyshJson<unknown>(dir, c).catch(() => undefined))),
    );
    const [v4, v6, sum4, sum6, bfd] = out as [
      { paths?: FrrPath[] }?,
      { paths?: FrrPath[] }?,
      FrrSummary?,
      FrrSummary?,
      FrrBfdPeer[]?,
    ];
    routes.push(
      routeStatus(r.id, AFI_PREFIXES[0][1], v4?.paths ?? []),
      routeStatus(r.id, AFI_PREFIXES[1][1], v6?.paths ?? []),
    );
    if (r.role === "site") summaries.set(r.id, { ...sum4?.peers, ...sum6?.peers });
    for (const p of bfd ?? []) if (p.peer) bfdPeers.set(p.peer, p.status ?? "unknown");
  });
  const routersDone = mapLimit(jobs, LAB_CONCURRENCY, (job) => job()).then(() =>
    // In the plan's order, whichever router answered first.
    routes.sort((x, y) => routerOrder.get(x.router)! - routerOrder.get(y.router)!),
  );

  // A node's sessions and BFD come from the routers' answers, its health from its agent's metrics.
  const nodesDone = mapLimit(
    plan.hosts.filter((h) => h.role === "node"),
    LAB_CONCURRENCY,
    async (h): Promise<NodeStatus> => {
      const rec = s.nodes[h.id] ?? { serve: null, exabgp: null, failure: null, serial: 0 };
      const { self } = uplink(plan, h.id);
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
      await routersDone;
      const peers = summaries.get(h.site!) ?? {};
      const sessions = [self.ipv4, self.ipv6].map((a) => ({
        peer: a,
        state: peers[a]?.state ?? "unknown",
      }));
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
    },
  );
  const [, nodes] = await Promise.all([routersDone, nodesDone]);
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
