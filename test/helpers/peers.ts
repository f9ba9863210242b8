// Reference DNS peers for differential tests and benchmarks: real NSD and Knot DNS started as child processes on
// loopback, each with its own temp dir (config, pid, db, control socket) and a random high port.
// Lab traps handled here (docs: /work/shared/LAB-NOTES.md): NSD forks children, so it runs in its own process
// group and the group is signalled; NSD's RRL is on by default and is switched off; knotd drops privileges even
// as root, so its run dir must be writable by anyone.
import type { ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnDaemon } from "./daemon.js";
import { type QueryResult, query } from "./dns-client.js";
import { randomPort } from "./ports.js";

export const NSD_BIN = "/usr/sbin/nsd";
export const KNOTD_BIN = "/usr/sbin/knotd";

export interface ZoneSpec {
  /** Zone apex in presentation form, e.g. "example.test." */
  origin: string;
  /** Master file path. */
  file: string;
}

export interface PeerOptions {
  zones: ZoneSpec[];
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Listen port; default: a random high port. */
  port?: number;
  /** Answer to CH TXT id.server / hostname.bind (default "edge-test"). */
  identity?: string;
  /** NSID payload as ASCII (default: the identity). */
  nsid?: string;
  /** Server processes (NSD server-count / Knot udp-workers); default 1. */
  workers?: number;
  /** Prefix the daemon command, e.g. ["ip", "netns", "exec", "ns", "taskset", "-c", "1"] for benchmarks. */
  wrap?: string[];
  /**
   * NSD only: `minimal-responses: yes` (no apex NS/glue in positive answers, as Knot does). Default true: the
   * differential reference; set false to see NSD's stock behaviour.
   */
  minimalResponses?: boolean;
  /** How long to wait for the first answer (default 10 s). */
  startTimeoutMs?: number;
}

export interface Peer {
  readonly kind: "nsd" | "knot";
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number;
  /** Everything the daemon wrote on stdout/stderr (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

// Collisions with concurrent tests are retried by the caller's start loop.
export { randomPort };

function quoteConf(s: string): string {
  return `"${s.replace(/["\\]/g, "")}"`;
}

export function nsdConfig(dir: string, host: string, port: number, o: PeerOptions): string {
  const identity = o.identity ?? "edge-test";
  const nsidHex = Buffer.from(o.nsid ?? identity, "ascii").toString("hex");
  const zones = o.zones
    .map((z) => `zone:\n  name: ${quoteConf(z.origin)}\n  zonefile: ${quoteConf(resolve(z.file))}\n`)
    .join("");
  return `server:
  ip-address: ${host}@${port}
  port: ${port}
  server-count: ${o.workers ?? 1}
  username: ""
  chroot: ""
  zonesdir: ${quoteConf(dir)}
  database: ""
  pidfile: ${quoteConf(join(dir, "nsd.pid"))}
  xfrdfile: ${quoteConf(join(dir, "xfrd.state"))}
  xfrdir: ${quoteConf(dir)}
  zonelistfile: ${quoteConf(join(dir, "zone.list"))}
  identity: ${quoteConf(identity)}
  nsid: ${quoteConf(nsidHex)}
  hide-version: no
  verbosity: 1
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  tcp-count: 100
  minimal-responses: ${o.minimalResponses === false ? "no" : "yes"}
remote-control:
  control-enable: no
${zones}`;
}

export function knotConfig(dir: string, host: string, port: number, o: PeerOptions): string {
  const identity = o.identity ?? "edge-test";
  const zones = o.zones
    .map((z) => `  - domain: ${quoteConf(z.origin)}\n    file: ${quoteConf(resolve(z.file))}\n`)
    .join("");
  return `server:
  rundir: ${quoteConf(dir)}
  pidfile: ${quoteConf(join(dir, "knot.pid"))}
  listen: ${host}@${port}
  identity: ${quoteConf(identity)}
  nsid: ${quoteConf(o.nsid ?? identity)}
  udp-workers: ${o.workers ?? 1}
  tcp-workers: 1
  background-workers: 1
control:
  listen: ${quoteConf(join(dir, "knot.sock"))}
database:
  storage: ${quoteConf(dir)}
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: ${quoteConf(dir)}
    semantic-checks: off
    journal-content: none
    zonefile-sync: -1
    zonefile-load: whole
zone:
${zones}`;
}

async function waitAnswering(
  host: string,
  port: number,
  origin: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error("daemon exited during startup");
    try {
      // TCP fails fast on a closed port, unlike UDP (LAB-NOTES: kdig/ICMP).
      const r: QueryResult = await query(
        { host, port },
        { qname: origin, qtype: "SOA", transport: "tcp" },
        500,
      );
      if (r.header.rcode === 0 && r.header.ancount > 0) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no SOA answer for ${origin} within ${timeoutMs} ms`);
}

async function startDaemon(
  kind: "nsd" | "knot",
  o: PeerOptions,
  argv: (dir: string, conf: string) => string[],
  config: (dir: string, host: string, port: number) => string,
): Promise<Peer> {
  const host = o.host ?? "127.0.0.1";
  const attempts = o.port === undefined ? 4 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = o.port ?? randomPort();
    const dir = mkdtempSync(join(tmpdir(), `edgens-${kind}-`));
    chmodSync(dir, 0o777); // knotd drops privileges and must still write its pid, socket and db here
    const conf = join(dir, `${kind}.conf`);
    writeFileSync(conf, config(dir, host, port));
    const cmd = [...(o.wrap ?? []), ...argv(dir, conf)];
    const { child, log, stop } = spawnDaemon(cmd, dir);
    try {
      await waitAnswering(host, port, o.zones[0]!.origin, child, o.startTimeoutMs ?? 10_000);
      return { kind, host, port, dir, pid: child.pid!, log, stop };
    } catch (e) {
      lastError = new Error(`${kind} on ${host}:${port}: ${(e as Error).message}\n${log()}`);
      await stop();
    }
  }
  throw lastError;
}

export function startNsd(o: PeerOptions): Promise<Peer> {
  return startDaemon(
    "nsd",
    o,
    (_dir, conf) => [NSD_BIN, "-d", "-c", conf],
    (dir, host, port) => nsdConfig(dir, host, port, o),
  );
}

export function startKnot(o: PeerOptions): Promise<Peer> {
  return startDaemon(
    "knot",
    o,
    (_dir, conf) => [KNOTD_BIN, "-c", conf],
    (dir, host, port) => knotConfig(dir, host, port, o),
  );
}

/** Start NSD and Knot side by side with the same zones; stops the first if the second fails. */
export async function startPeers(o: PeerOptions): Promise<{ nsd: Peer; knot: Peer }> {
  const nsd = await startNsd(o);
  try {
    const knot = await startKnot(o);
    return { nsd, knot };
  } catch (e) {
    await nsd.stop();
    throw e;
  }
}
