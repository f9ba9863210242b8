// `edgens lab up`: namespaces and veths from the address plan, FRR in every router namespace, and per node
// `edgens serve` + ExaBGP (config rendered by src/bgp/render.ts) whose API process is `edgens health-agent`.
// Returns once every client's router holds the anycast routes and every client is answered by the site the
// topology says is nearest, and with --bfd every router–node BFD session is up. Any failure tears down what was
// built.
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderExabgp } from "../bgp/render.js";
import { spawnInNetns, waitForLog } from "./daemon.js";
import { renderFrrConfig, renderNodeBfdConfig } from "./frr-config.js";
import { bfdPeerStates, FrrRouter, vtyshJson } from "./frr-process.js";
import { labDown } from "./lab-down.js";
import {
  type LabState,
  LabStateError,
  labDir,
  labHosts,
  netnsPrefix,
  parseAgentSpec,
  validLabName,
  writeLabState,
} from "./lab-state.js";
import { LAB_CONCURRENCY, mapLimit } from "./map-limit.js";
import { createNetns, createVeth, ip, listNetns } from "./netns.js";
import {
  agentArgv,
  CHECK_ANSWER,
  CHECK_NAME,
  healthcheckScriptText,
  nodeBgpConfig,
  nodePaths,
  serveArgv,
  zoneText,
} from "./node-files.js";
import { queryInNetns } from "./ns-helper.js";
import { ANYCAST_PREFIXES, ANYCAST_V4, ANYCAST_V6, expectedSite, type Topology, uplink } from "./topology.js";

export interface UpOptions {
  name: string;
  topology: Topology;
  stateRoot: string;
  nodeBin: string;
  cli: string;
  /** BFD (100 ms × 3) between each site router and its nodes. */
  bfd?: boolean;
  /** ExaBGP's API process on every node (parseAgentSpec): "edgens" (default) or "healthcheck[:ARGS]". */
  agent?: string;
  /** Bound on the whole convergence wait (routes, clients, and BFD with `bfd`). */
  convergeTimeoutMs?: number;
  log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function labUp(o: UpOptions): Promise<LabState> {
  const log = o.log ?? (() => {});
  if (!validLabName(o.name)) throw new LabStateError(`lab name must be 1-12 of a-z0-9, got '${o.name}'`);
  if ((await listNetns(netnsPrefix(o.name))).length > 0 || existsSync(labDir(o.stateRoot, o.name))) {
    throw new LabStateError(`lab '${o.name}' exists: edgens lab down --name ${o.name}`);
  }
  if (o.agent !== undefined) parseAgentSpec(o.agent);
  if (!existsSync(o.cli)) throw new LabStateError(`edgens CLI not found at ${o.cli} (build it first)`);
  const state: LabState = {
    version: 1,
    name: o.name,
    dir: labDir(o.stateRoot, o.name),
    createdAt: new Date().toISOString(),
    nodeBin: o.nodeBin,
    cli: o.cli,
    topology: o.topology,
    bfd: o.bfd === true,
    ...(o.agent !== undefined && o.agent !== "edgens" ? { agent: o.agent } : {}),
    nodes: {},
  };
  // FRR drops to user frr: every directory on the way to its own must be traversable.
  mkdirSync(o.stateRoot, { recursive: true, mode: 0o755 });
  chmodSync(o.stateRoot, statSync(o.stateRoot).mode | 0o755);
  writeLabState(state);
  try {
    await build(state, o, log);
    return state;
  } catch (e) {
    log(`lab up failed, tearing down: ${(e as Error).message}`);
    await labDown(o.stateRoot, o.name);
    throw e;
  }
}

async function build(state: LabState, o: UpOptions, log: (l: string) => void): Promise<void> {
  const { plan, netns } = labHosts(state);
  const t0 = performance.now();
  const since = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

  // Each step is a few `ip` processes: run them a few at a time (2 vCPUs; ~400 spawns for 10 sites).
  await mapLimit(plan.hosts, LAB_CONCURRENCY, (h) =>
    createNetns(netns(h), { forwarding: h.role === "core" || h.role === "site" }),
  );
  await mapLimit(plan.links, LAB_CONCURRENCY, (l) =>
    createVeth({ netns: netns(l.a.host), ...l.a }, { netns: netns(l.b.host), ...l.b }),
  );
  await mapLimit(
    plan.hosts.filter((x) => x.role === "node" || x.role === "client"),
    LAB_CONCURRENCY,
    async (h) => {
      const { peer } = uplink(plan, h.id);
      await ip("-n", netns(h), "route", "add", "default", "via", peer.ipv4);
      await ip("-n", netns(h), "-6", "route", "add", "default", "via", peer.ipv6);
      if (h.role === "node") {
        await ip("-n", netns(h), "addr", "add", `${ANYCAST_V4}/32`, "dev", "lo");
        await ip("-n", netns(h), "addr", "add", `${ANYCAST_V6}/128`, "dev", "lo");
      }
    },
  );
  log(`${plan.hosts.length} namespaces, ${plan.links.length} links (${since()})`);

  const routers = plan.hosts.filter((h) => h.role === "core" || h.role === "site");
  await Promise.all(
    routers.map(async (r) => {
      const dir = join(state.dir, "routers", r.id);
      await FrrRouter.start({
        netns: netns(r),
        dir,
        daemons: state.bfd && r.role === "site" ? ["zebra", "bgpd", "bfdd"] : ["zebra", "bgpd"],
        config: renderFrrConfig(plan, r, {
          hostname: `${state.name}-${r.id}`,
          logFile: join(dir, "frr.log"),
          bfd: state.bfd,
        }),
      });
    }),
  );
  log(`${routers.length} FRR routers (${since()})`);
  if (state.bfd) {
    await Promise.all(
      plan.hosts
        .filter((h) => h.role === "node")
        .map(async (n) => {
          const dir = join(nodePaths(state.dir, n.id).dir, "frr");
          const { self, peer } = uplink(plan, n.id);
          await FrrRouter.start({
            netns: netns(n),
            dir,
            daemons: ["zebra", "bfdd"],
            config: renderNodeBfdConfig(self, peer, {
              hostname: `${state.name}-${n.key}`,
              logFile: join(dir, "frr.log"),
            }),
          });
        }),
    );
    log(`BFD daemons on the nodes (${since()})`);
  }

  const nodes = plan.hosts.filter((h) => h.role === "node");
  await Promise.all(
    nodes.map(async (n) => {
      const p = nodePaths(state.dir, n.id);
      mkdirSync(p.dir, { recursive: true });
      writeFileSync(p.zone, zoneText(n.id, false, 1));
      const { self } = uplink(plan, n.id);
      const serve = spawnInNetns(netns(n), serveArgv(o.nodeBin, o.cli, n.id, self, p), p.serveLog);
      state.nodes[n.id] = { serve, exabgp: null, failure: null, serial: 1 };
      writeLabState(state);
      await waitForLog(p.serveLog, "edgens ready:", {
        timeoutMs: 30_000,
        pid: serve,
        what: `edgens serve ${n.id}`,
      });
      // Pipelined: this node's ExaBGP (and the agent it spawns) starts while other servers still start.
      startExabgp(state, n.id);
      writeLabState(state);
    }),
  );
  log(`${nodes.length} edgens servers (${since()})`);
  log(`${nodes.length} ExaBGP + health agents started (each as soon as its server was ready) (${since()})`);

  const timeoutMs = o.convergeTimeoutMs ?? 90_000;
  const deadline = Date.now() + timeoutMs;
  await waitConverged(state, deadline, timeoutMs);
  log(`converged: every client answered by its nearest site (${since()})`);
  if (state.bfd) {
    // Routes can converge before every BFD session is up; `up` promises the whole lab, BFD included.
    const n = await waitBfdUp(state, deadline, timeoutMs);
    log(`BFD up on all ${n} router–node sessions (${since()})`);
  }
}

/** Renders the node's exabgp.conf/env and starts ExaBGP in its namespace; records the pid in `state`. */
export function startExabgp(state: LabState, nodeId: string): number {
  const { plan, netns } = labHosts(state);
  const p = nodePaths(state.dir, nodeId);
  const { self, peer } = uplink(plan, nodeId);
  const router = plan.hosts.find((h) => h.id === peer.host)!;
  const agent = parseAgentSpec(state.agent ?? "edgens");
  let api = agentArgv(state.nodeBin, state.cli, p);
  if (agent.kind === "healthcheck") {
    writeFileSync(p.healthcheckScript, healthcheckScriptText(agent.args));
    api = ["/bin/sh", p.healthcheckScript];
  }
  const cfg = nodeBgpConfig(self, { ...peer, as: router.as! }, api);
  const { conf, env } = renderExabgp(cfg);
  writeFileSync(p.exabgpConf, conf);
  writeFileSync(p.exabgpEnv, env);
  const pid = spawnInNetns(
    netns(nodeId),
    ["/usr/sbin/exabgp", "--env", p.exabgpEnv, p.exabgpConf],
    p.exabgpLog,
  );
  state.nodes[nodeId] = { ...state.nodes[nodeId]!, exabgp: pid };
  return pid;
}

export function startServe(state: LabState, nodeId: string): number {
  const { plan, netns } = labHosts(state);
  const p = nodePaths(state.dir, nodeId);
  const pid = spawnInNetns(
    netns(nodeId),
    serveArgv(state.nodeBin, state.cli, nodeId, uplink(plan, nodeId).self, p),
    p.serveLog,
  );
  state.nodes[nodeId] = { ...state.nodes[nodeId]!, serve: pid };
  return pid;
}

interface FrrPrefix {
  paths?: { bestpath?: { overall?: boolean } }[];
}

/** Every router holds both anycast routes, then every client gets the right answer from its nearest site. */
async function waitConverged(state: LabState, deadline: number, timeoutMs: number): Promise<void> {
  const { plan, netns } = labHosts(state);
  const routers = plan.hosts.filter((h) => h.role === "core" || h.role === "site");
  const frrDirs = routers.map((r) => join(state.dir, "routers", r.id));
  // Every (router, prefix) still without a best path; once seen, a route is not asked for again (the client
  // check below is the end-to-end proof). Asked a few at a time: 40 serial vtysh calls took seconds per round.
  let missing = frrDirs.flatMap((dir, i) =>
    (
      [
        ["ipv4", ANYCAST_PREFIXES[0]],
        ["ipv6", ANYCAST_PREFIXES[1]],
      ] as const
    ).map(([afi, prefix]) => ({ dir, afi, prefix, label: `${routers[i]!.id} ${prefix}` })),
  );
  while (Date.now() < deadline) {
    const have = await mapLimit(missing, LAB_CONCURRENCY, async (m) => {
      const j = await vtyshJson<FrrPrefix>(m.dir, `show bgp ${m.afi} unicast ${m.prefix} json`).catch(
        (): FrrPrefix => ({}),
      );
      return (j.paths ?? []).some((p) => p.bestpath?.overall);
    });
    missing = missing.filter((_, i) => !have[i]);
    if (missing.length === 0) break;
    await sleep(250);
  }
  if (missing.length > 0)
    throw new LabStateError(
      `no anycast route after ${timeoutMs} ms at: ${missing.map((m) => m.label).join(", ")}`,
    );

  let wrong: string[] = [];
  while (Date.now() < deadline) {
    wrong = [];
    await Promise.all(
      state.topology.clients.map(async (c) => {
        const want = expectedSite(state.topology, c.name).site;
        const rs = await queryInNetns(state, netns(c.name), [ANYCAST_V4, ANYCAST_V6], {
          name: CHECK_NAME,
          expect: CHECK_ANSWER,
          timeoutMs: 500,
        });
        for (const [i, r] of rs.entries()) {
          if (r.status !== "ok" || (want !== null && !r.nsid?.startsWith(`${want}/`)))
            wrong.push(
              `${c.name}→${i === 0 ? ANYCAST_V4 : ANYCAST_V6}: ${r.status} from ${r.nsid ?? "nobody"}, want ${want}`,
            );
        }
      }),
    );
    if (wrong.length === 0) return;
    await sleep(250);
  }
  throw new LabStateError(`clients not answered by their nearest site: ${wrong.join("; ")}`);
}

/**
 * BFD "up" on every site-router ↔ node session (IPv4 and IPv6), seen from the router, by `deadline`; returns how
 * many, or fails naming each session not up and its state (`timeoutMs` is for the message). Each router is
 * asked once per round, and no more once all of its sessions were seen up.
 */
export async function waitBfdUp(state: LabState, deadline: number, timeoutMs: number): Promise<number> {
  const { plan } = labHosts(state);
  const sessions = plan.hosts
    .filter((h) => h.role === "node")
    .flatMap((n) => {
      const { self, peer } = uplink(plan, n.id);
      return [self.ipv4, self.ipv6].map((address) => ({
        router: peer.host,
        address,
        label: `${peer.host} ↔ ${n.id} ${address}`,
        status: "none",
      }));
    });
  let missing = sessions;
  while (Date.now() < deadline) {
    const routers = [...new Set(missing.map((m) => m.router))];
    const seen = new Map(
      await mapLimit(routers, LAB_CONCURRENCY, async (r) => {
        const peers = await bfdPeerStates(join(state.dir, "routers", r)).catch(
          () => new Map<string, string>(),
        );
        return [r, peers] as const;
      }),
    );
    for (const m of missing) m.status = seen.get(m.router)?.get(m.address) ?? "none";
    missing = missing.filter((m) => m.status !== "up");
    if (missing.length === 0) return sessions.length;
    await sleep(250);
  }
  throw new LabStateError(
    `BFD session not up after ${timeoutMs} ms: ${missing.map((m) => `${m.label} (${m.status})`).join(", ")}`,
  );
}
