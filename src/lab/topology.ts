// The lab's shape: core routers (each its own AS, joined by links), sites (one router each, hanging off one
// core router, with M edgens nodes behind it) and clients (attached to a site or core router). From the shape
// follow the address plan and the site a client should reach: every router is its own AS, so the AS-path
// length from a client's router to a site is the router-hop distance (BFS), ties broken by the lower router ID
// (`bgp bestpath compare-routerid`), which the plan assigns in declaration order.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

export const EDGENS_ERR_LAB_TOPOLOGY = "EDGENS_ERR_LAB_TOPOLOGY";

export class LabTopologyError extends Error {
  readonly code = EDGENS_ERR_LAB_TOPOLOGY;
  constructor(message: string) {
    super(message);
    this.name = "LabTopologyError";
  }
}

/** Short names: they become parts of interface names (≤ 15 characters) and namespace names. */
const shortName = z.string().regex(/^[a-z][a-z0-9]{0,4}$/, "must be 1-5 characters: a-z then a-z/0-9");

export const topologySchema = z
  .strictObject({
    cores: z.array(shortName).min(1).max(16),
    /** Pairs of core routers joined by a link. */
    coreLinks: z.array(z.tuple([shortName, shortName])).default([]),
    sites: z
      .array(z.strictObject({ name: shortName, core: shortName, nodes: z.number().int().min(1).max(8) }))
      .min(1)
      .max(16),
    /** `router` is a site or core name. */
    clients: z
      .array(z.strictObject({ name: shortName, router: shortName }))
      .min(1)
      .max(32),
  })
  .superRefine((t, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: "custom", path, message });
    const all = [...t.cores, ...t.sites.map((s) => s.name), ...t.clients.map((c) => c.name)];
    const seen = new Set<string>();
    for (const n of all) {
      if (seen.has(n)) issue([], `name '${n}' is used twice (cores, sites and clients share one namespace)`);
      seen.add(n);
    }
    t.coreLinks.forEach(([a, b], i) => {
      if (!t.cores.includes(a) || !t.cores.includes(b) || a === b)
        issue(["coreLinks", i], `must join two different cores, got ${a}-${b}`);
    });
    t.sites.forEach((s, i) => {
      if (!t.cores.includes(s.core)) issue(["sites", i, "core"], `unknown core '${s.core}'`);
    });
    const routers = new Set([...t.cores, ...t.sites.map((s) => s.name)]);
    t.clients.forEach((c, i) => {
      if (!routers.has(c.router)) issue(["clients", i, "router"], `unknown router '${c.router}'`);
    });
  });

export type Topology = z.output<typeof topologySchema>;

/** The default: a chain of N core routers c1-c2-…-cN, site sI on core cI, one client clI per site router. */
export function chainTopology(sites: number, nodesPerSite: number): Topology {
  if (!Number.isInteger(sites) || sites < 1 || sites > 16)
    throw new LabTopologyError(`--sites: expected 1-16, got ${sites}`);
  if (!Number.isInteger(nodesPerSite) || nodesPerSite < 1 || nodesPerSite > 8)
    throw new LabTopologyError(`--nodes-per-site: expected 1-8, got ${nodesPerSite}`);
  const idx = Array.from({ length: sites }, (_, i) => i + 1);
  return parseTopology({
    cores: idx.map((i) => `c${i}`),
    coreLinks: idx.slice(1).map((i) => [`c${i - 1}`, `c${i}`]),
    sites: idx.map((i) => ({ name: `s${i}`, core: `c${i}`, nodes: nodesPerSite })),
    clients: idx.map((i) => ({ name: `cl${i}`, router: `s${i}` })),
  });
}

export function parseTopology(input: unknown, source = "topology"): Topology {
  const r = topologySchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${[source, ...i.path.map(String)].join(".")}: ${i.message}`);
    throw new LabTopologyError(`invalid lab topology:\n${lines.join("\n")}`);
  }
  return r.data;
}

export function loadTopology(file: string): Topology {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new LabTopologyError(`cannot read ${file}: ${(e as Error).message}`);
  }
  return parseTopology(parseYaml(text), file);
}

// ---- address plan -------------------------------------------------------------------------------------------

export const ANYCAST_V4 = "192.0.2.53";
export const ANYCAST_V6 = "2001:db8::53";
export const ANYCAST_PREFIXES = [`${ANYCAST_V4}/32`, `${ANYCAST_V6}/128`] as const;
/** The anycast origin AS, shared by every node (as in production anycast). */
export const NODE_AS = 64953;

export type Role = "core" | "site" | "node" | "client";

/** One network namespace of the lab. `key` is the short name used in interface names. */
export interface LabHost {
  role: Role;
  /** core/site/client name, or `SITE/NODE` for nodes. */
  id: string;
  key: string;
  /** The site it belongs to (sites, nodes, clients attached to a site router). */
  site: string | null;
  /** Routers only. */
  as: number | null;
  routerId: string | null;
}

export interface LinkEnd {
  host: string;
  ifname: string;
  ipv4: string;
  ipv6: string;
}

/** A veth pair; `a` is the upstream side (.1 / ::1). Subnet 10.200.K.0/24 and fd00:ed6e:0:K::/64. */
export interface LabLink {
  index: number;
  a: LinkEnd;
  b: LinkEnd;
}

export interface AddressPlan {
  hosts: LabHost[];
  links: LabLink[];
}

function ifname(peerKey: string): string {
  const n = `el-${peerKey}`;
  if (n.length > 15) throw new LabTopologyError(`interface name ${n} is longer than 15 characters`);
  return n;
}

export function nodeId(site: string, n: number): string {
  return `${site}/n${n}`;
}

export function addressPlan(t: Topology): AddressPlan {
  const hosts: LabHost[] = [];
  t.cores.forEach((c, i) => {
    hosts.push({
      role: "core",
      id: c,
      key: c,
      site: null,
      as: 65001 + i,
      routerId: `10.200.254.${i + 1}`,
    });
  });
  t.sites.forEach((s, i) => {
    hosts.push({
      role: "site",
      id: s.name,
      key: s.name,
      site: s.name,
      as: 65101 + i,
      routerId: `10.200.253.${i + 1}`,
    });
  });
  for (const s of t.sites) {
    for (let n = 1; n <= s.nodes; n++) {
      hosts.push({
        role: "node",
        id: nodeId(s.name, n),
        key: `${s.name}n${n}`,
        site: s.name,
        as: null,
        routerId: null,
      });
    }
  }
  for (const c of t.clients) {
    const site = t.sites.some((s) => s.name === c.router) ? c.router : null;
    hosts.push({ role: "client", id: c.name, key: c.name, site, as: null, routerId: null });
  }
  const byId = new Map(hosts.map((h) => [h.id, h]));
  const links: LabLink[] = [];
  const link = (upstream: string, downstream: string) => {
    const index = links.length + 1;
    if (index > 250) throw new LabTopologyError("too many links for the 10.200.K.0/24 plan (max 250)");
    const a = byId.get(upstream)!;
    const b = byId.get(downstream)!;
    links.push({
      index,
      a: { host: a.id, ifname: ifname(b.key), ipv4: `10.200.${index}.1`, ipv6: `fd00:ed6e:0:${index}::1` },
      b: { host: b.id, ifname: ifname(a.key), ipv4: `10.200.${index}.2`, ipv6: `fd00:ed6e:0:${index}::2` },
    });
  };
  for (const [x, y] of t.coreLinks) link(x, y);
  for (const s of t.sites) link(s.core, s.name);
  for (const s of t.sites) for (let n = 1; n <= s.nodes; n++) link(s.name, nodeId(s.name, n));
  for (const c of t.clients) link(c.router, c.name);
  return { hosts, links };
}

/** The link a node or client hangs off (its only link), with its own end as `self`. */
export function uplink(plan: AddressPlan, id: string): { self: LinkEnd; peer: LinkEnd } {
  const l = plan.links.find((x) => x.b.host === id);
  if (!l) throw new LabTopologyError(`no uplink for ${id}`);
  return { self: l.b, peer: l.a };
}

// ---- expected routing -------------------------------------------------------------------------------------------

/** Router-hop distance from `router` to every router (BFS over core links and site uplinks). */
function distances(t: Topology, from: string): Map<string, number> {
  const adj = new Map<string, string[]>();
  const add = (a: string, b: string) => {
    adj.set(a, [...(adj.get(a) ?? []), b]);
    adj.set(b, [...(adj.get(b) ?? []), a]);
  };
  for (const [a, b] of t.coreLinks) add(a, b);
  for (const s of t.sites) add(s.core, s.name);
  const dist = new Map([[from, 0]]);
  const queue = [from];
  while (queue.length > 0) {
    const r = queue.shift()!;
    for (const n of adj.get(r) ?? []) {
      if (!dist.has(n)) {
        dist.set(n, dist.get(r)! + 1);
        queue.push(n);
      }
    }
  }
  return dist;
}

/**
 * The site a client should reach when the sites in `down` announce nothing: shortest AS path, then the lower
 * site index. The tie rule is exact for chains (the lower router ID is on the lower-index side); for other
 * shapes a tie is flagged so callers do not assert on it.
 */
export function expectedSite(
  t: Topology,
  client: string,
  down: ReadonlySet<string> = new Set(),
): { site: string | null; tie: boolean; hops: number | null } {
  const c = t.clients.find((x) => x.name === client);
  if (!c) throw new LabTopologyError(`unknown client '${client}'`);
  const dist = distances(t, c.router);
  const ranked = t.sites
    .filter((s) => !down.has(s.name) && dist.has(s.name))
    .map((s) => ({ site: s.name, hops: dist.get(s.name)! }))
    .sort((x, y) => x.hops - y.hops);
  const best = ranked[0];
  if (!best) return { site: null, tie: false, hops: null };
  return { site: best.site, tie: ranked[1]?.hops === best.hops, hops: best.hops };
}
