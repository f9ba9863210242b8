import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnDaemon } from "../helpers/daemon.js";
import { randomPort } from "../helpers/ports.js";
import { KNOTD, NSD, servedSerial } from "../helpers/primary-servers.js";

export interface SecondaryOptions {
  /** Zone origins with the trailing dot. */
  zones: string[];
  primary: { host: string; port: number };
  key: { name: string; algorithm: string; secret: string };
}

export interface SecondaryServer {
  readonly kind: "knot" | "nsd";
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  log(): string;
  stop(): Promise<void>;
}

const file = (dir: string, origin: string) => join(dir, `${origin.replace(/\.$/, "")}.zone`);

function knotConfig(dir: string, port: number, o: SecondaryOptions): string {
  const zones = o.zones
    .map(
      (z) =>
        `  - domain: "${z}"\n    file: "${file(dir, z)}"\n    master: edgens\n    acl: [notify-from-edgens]\n`,
    )
    .join("");
  return `server:
  rundir: "${dir}"
  pidfile: "${join(dir, "knot.pid")}"
  listen: 127.0.0.1@${port}
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
control:
  listen: "${join(dir, "knot.sock")}"
database:
  storage: "${dir}"
log:
  - target: stderr
    any: info
key:
  - id: "${o.key.name}"
    algorithm: ${o.key.algorithm}
    secret: ${o.key.secret}
remote:
  - id: edgens
    address: ${o.primary.host}@${o.primary.port}
    key: "${o.key.name}"
acl:
  - id: notify-from-edgens
    address: ${o.primary.host}
    key: "${o.key.name}"
    action: notify
template:
  - id: default
    storage: "${dir}"
    semantic-checks: off
    zonefile-sync: -1
    journal-content: changes
zone:
${zones}`;
}

function nsdConfig(dir: string, port: number, o: SecondaryOptions): string {
  const zones = o.zones
    .map(
      (z) =>
        `zone:\n  name: "${z}"\n  zonefile: "${file(dir, z)}"\n` +
        `  request-xfr: ${o.primary.host}@${o.primary.port} ${o.key.name}\n` +
        `  allow-notify: ${o.primary.host} ${o.key.name}\n`,
    )
    .join("");
  return `server:
  ip-address: 127.0.0.1@${port}
  port: ${port}
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  database: ""
  pidfile: "${join(dir, "nsd.pid")}"
  xfrdfile: "${join(dir, "xfrd.state")}"
  xfrdir: "${dir}"
  zonelistfile: "${join(dir, "zone.list")}"
  verbosity: 2
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  minimal-responses: yes
remote-control:
  control-enable: no
key:
  name: "${o.key.name}"
  algorithm: ${o.key.algorithm}
  secret: "${o.key.secret}"
${zones}`;
}

/** Poll (bounded) until `port` serves `origin` with `serial` (any serial when null); the time it took, ms. */
export async function waitServed(
  port: number,
  origin: string,
  serial: number | null,
  timeoutMs: number,
  intervalMs = 20,
): Promise<number> {
  const start = performance.now();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const s = await servedSerial(port, origin);
    if (s !== null && (serial === null || s === serial)) return performance.now() - start;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `${origin} not served on port ${port}${serial === null ? "" : ` with serial ${serial}`} within ${timeoutMs} ms`,
  );
}

async function startSecondary(kind: "knot" | "nsd", o: SecondaryOptions): Promise<SecondaryServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = randomPort();
    const dir = mkdtempSync(join(tmpdir(), `edgens-secondary-${kind}-`));
    chmodSync(dir, 0o777);
    const conf = join(dir, `${kind}.conf`);
    writeFileSync(conf, kind === "knot" ? knotConfig(dir, port, o) : nsdConfig(dir, port, o));
    const argv = kind === "knot" ? [KNOTD, "-c", conf] : [NSD, "-d", "-c", conf];
    const { child, log, stop } = spawnDaemon(argv, dir);
    try {
      // Started, bound and transferred: every zone answers with some serial.
      for (const z of o.zones) await waitServed(port, z, null, 20_000, 100);
      return { kind, host: "127.0.0.1", port, pid: child.pid!, log, stop };
    } catch (e) {
      lastError = new Error(`${kind} secondary on 127.0.0.1:${port}: ${(e as Error).message}\n${log()}`);
      await stop();
    }
  }
  throw lastError;
}

export function startKnotSecondary(o: SecondaryOptions): Promise<SecondaryServer> {
  return startSecondary("knot", o);
}

export function startNsdSecondary(o: SecondaryOptions): Promise<SecondaryServer> {
  return startSecondary("nsd", o);
}
