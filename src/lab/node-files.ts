// What one lab node runs and reads: its zone (lab.test.), the `edgens serve` command line, the BgpConfig its
// exabgp.conf/env are rendered from, and the health agent command line ExaBGP starts as its API process.
import { join } from "node:path";
import { type BgpConfig, parseBgpConfig } from "../bgp/config.js";
import { ANYCAST_PREFIXES, ANYCAST_V4, ANYCAST_V6, type LinkEnd, NODE_AS } from "./topology.js";

export const LAB_ZONE = "lab.test";
/** The name the health agent and the probes check: A 10.53.0.1 when healthy. */
export const CHECK_NAME = `check.${LAB_ZONE}`;
export const CHECK_ANSWER = "10.53.0.1";
/** What a node serves in `wrong-answers` mode (the agent's --expect-answer catches it). */
export const WRONG_ANSWER = "10.66.6.6";
export const SERVER_METRICS = "127.0.0.1:9153";
export const AGENT_METRICS = "127.0.0.1:9154";
/** Short enough that traffic has moved (≈0.3 s in the lab) long before the withdrawal. */
export const DRAIN_WAIT_MS = 3000;

export function zoneText(nodeId: string, wrong: boolean, serial: number): string {
  return `; lab zone of ${nodeId}, written by \`edgens lab\`
$ORIGIN ${LAB_ZONE}.
$TTL 60
@       SOA ns.${LAB_ZONE}. hostmaster.${LAB_ZONE}. ${serial} 60 60 600 60
@       NS ns
ns      A ${ANYCAST_V4}
ns      AAAA ${ANYCAST_V6}
check   A ${wrong ? WRONG_ANSWER : CHECK_ANSWER}
whoami  TXT "${nodeId}"
`;
}

export interface NodePaths {
  dir: string;
  zone: string;
  adminState: string;
  exabgpConf: string;
  exabgpEnv: string;
  serveLog: string;
  exabgpLog: string;
  /** The wrapper ExaBGP runs as API process when the lab uses ExaBGP's healthcheck.py (`--agent healthcheck`). */
  healthcheckScript: string;
}

export function nodePaths(labDir: string, nodeId: string): NodePaths {
  const dir = join(labDir, "nodes", nodeId.replace("/", "-"));
  return {
    dir,
    zone: join(dir, `${LAB_ZONE}.zone`),
    adminState: join(dir, "admin-state.json"),
    exabgpConf: join(dir, "exabgp.conf"),
    exabgpEnv: join(dir, "exabgp.env"),
    serveLog: join(dir, "serve.log"),
    exabgpLog: join(dir, "exabgp.log"),
    healthcheckScript: join(dir, "healthcheck.sh"),
  };
}

export function serveArgv(node: string, cli: string, nodeId: string, self: LinkEnd, p: NodePaths): string[] {
  return [
    node,
    cli,
    "serve",
    "--listen",
    `${ANYCAST_V4}:53`,
    "--listen",
    `[${ANYCAST_V6}]:53`,
    // Node-local (unicast) address: reach this very node whatever BGP does.
    "--listen",
    `${self.ipv4}:53`,
    "--zone",
    `${LAB_ZONE}=${p.zone}`,
    "--nsid",
    nodeId,
    "--identity",
    nodeId,
    "--workers",
    "1",
    "--metrics",
    SERVER_METRICS,
  ];
}

export function agentArgv(node: string, cli: string, p: NodePaths): string[] {
  const argv = [node, cli, "health-agent"];
  for (const prefix of ANYCAST_PREFIXES) argv.push("--prefix", prefix);
  for (const t of ["udp", "tcp"]) {
    argv.push(`--check-${t}`, `${ANYCAST_V4}:53`, `--check-${t}`, `[${ANYCAST_V6}]:53`);
  }
  argv.push(
    "--name",
    CHECK_NAME,
    "--qtype",
    "A",
    "--expect-aa",
    "--expect-answer",
    CHECK_ANSWER,
    "--readyz",
    `http://${SERVER_METRICS}/readyz`,
    "--admin-state",
    p.adminState,
    "--metrics",
    AGENT_METRICS,
    "--local-as",
    String(NODE_AS),
    "--drain-wait-ms",
    String(DRAIN_WAIT_MS),
  );
  return argv;
}

/** The node's BGP config: one IPv4 and one IPv6 session to its site router, the agent as API process. */
export function nodeBgpConfig(self: LinkEnd, router: LinkEnd & { as: number }, agent: string[]): BgpConfig {
  return parseBgpConfig({
    localAs: NODE_AS,
    routerId: self.ipv4,
    neighbors: [
      { address: router.ipv4, peerAs: router.as, localAddress: self.ipv4, description: "site router v4" },
      { address: router.ipv6, peerAs: router.as, localAddress: self.ipv6, description: "site router v6" },
    ],
    prefixes: ANYCAST_PREFIXES.map((prefix) => ({ prefix })),
    api: { run: agent },
    env: { log: { destination: "stdout", level: "INFO" } },
  });
}

/**
 * ExaBGP's own healthcheck.py (Debian: exabgp/application/healthcheck.py) as the node's API process, the
 * reference the edgens agent is measured against. Its check: `check A` over TCP to the IPv4 anycast address
 * must return the right answer (a dead server fails in milliseconds over TCP; kdig's UDP timeout is ≥ 1 s).
 * Defaults: healthcheck.py's own (interval 5 s, fast-interval 1 s, rise/fall 3, timeout 5 s) plus
 * `--withdraw-on-down` (its default lowers the MED, which other ASes never see). `extra` is appended, so it
 * overrides (argparse: the last value wins).
 */
export const HEALTHCHECK_BASE_ARGS = ["--no-syslog", "--withdraw-on-down", "--no-ip-setup"];
export const HEALTHCHECK_CMD = `kdig +tcp +time=1 +retry=0 +short @${ANYCAST_V4} ${CHECK_NAME} A | grep -qx ${CHECK_ANSWER}`;

function shQuote(s: string): string {
  return /^[A-Za-z0-9_./:=+@-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

export function healthcheckScriptText(extra: string[]): string {
  const argv = [
    "/usr/bin/python3",
    "-m",
    "exabgp",
    "healthcheck",
    ...HEALTHCHECK_BASE_ARGS,
    "--name",
    "lab",
    "--ip",
    ANYCAST_V4,
    "--ip",
    ANYCAST_V6,
    "--cmd",
    HEALTHCHECK_CMD,
    ...extra,
  ];
  return `#!/bin/sh\n# written by \`edgens lab up --agent healthcheck\`: ExaBGP's healthcheck.py as the API process\nexec ${argv
    .map(shQuote)
    .join(" ")}\n`;
}
