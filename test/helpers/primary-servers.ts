// Hidden primaries for transfer tests: Knot DNS and NSD started as child processes on loopback, each in its own
// temp dir (config, zone files, journal, pid, control socket), with a TSIG key and transfer ACLs.
// Knot keeps a journal and loads edited zone files as differences, so it answers IXFR after `reload()`.
// Lab traps (/work/shared/LAB-NOTES.md): knotd drops privileges, so its dir is world-writable; NSD forks and runs
// in its own process group (signalled as a group); NSD's RRL is switched off.
import { type ChildProcess, execFile } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { spawnDaemon } from "./daemon.js";
import { randomPort } from "./ports.js";

const run = promisify(execFile);

export const KNOTD = "/usr/sbin/knotd";
export const KNOTC = "/usr/sbin/knotc";
export const NSD = "/usr/sbin/nsd";

export interface PrimaryZone {
  /** Apex, presentation form with the trailing dot. */
  origin: string;
  /** Path of the master file to serve (copied into the server's dir). */
  file: string;
  /** When true, transfers need the TSIG key; otherwise both signed and unsigned transfers are allowed. */
  tsigOnly?: boolean;
}

export interface PrimaryKey {
  name: string;
  algorithm: string;
  /** Base64. */
  secret: string;
}

export interface NotifyReceiver {
  host: string;
  port: number;
  /** Sign the NOTIFY with the primary's key. */
  signed?: boolean;
}

export interface PrimaryOptions {
  zones: PrimaryZone[];
  key: PrimaryKey;
  /** Secondaries every zone sends NOTIFY to when it changes (Knot: `notify:` remotes; NSD: `notify:`). */
  notify?: NotifyReceiver[];
  startTimeoutMs?: number;
}

export interface PrimaryServer {
  readonly kind: "knot" | "nsd";
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number;
  /** Path of the served copy of a zone's file (edit it, then `reload`). */
  zoneFile(origin: string): string;
  /** Replace a zone's file and make the server load it; resolves when it serves `expectSerial`. */
  reload(origin: string, sourceFile: string, expectSerial: number): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

function fileName(origin: string): string {
  return `${origin.replace(/\.$/, "") || "root"}.zone`;
}

function knotConfig(dir: string, port: number, o: PrimaryOptions): string {
  const notify = o.notify ?? [];
  const notifyIds = notify.map((_n, i) => `notify${i}`);
  const zones = o.zones
    .map(
      (z) =>
        `  - domain: "${z.origin}"\n    file: "${join(dir, fileName(z.origin))}"\n    acl: [${z.tsigOnly ? "tsig" : "tsig, plain"}]\n` +
        (notify.length > 0 ? `    notify: [${notifyIds.join(", ")}]\n` : ""),
    )
    .join("");
  const remotes =
    notify.length === 0
      ? ""
      : `remote:\n${notify
          .map(
            (n, i) =>
              `  - id: ${notifyIds[i]}\n    address: ${n.host}@${n.port}\n${n.signed ? `    key: "${o.key.name}"\n` : ""}`,
          )
          .join("")}`;
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
acl:
  - id: tsig
    key: "${o.key.name}"
    action: transfer
  - id: plain
    address: 127.0.0.0/8
    action: transfer
${remotes}template:
  - id: default
    storage: "${dir}"
    semantic-checks: on
    zonefile-sync: -1
    zonefile-load: difference
    journal-content: changes
zone:
${zones}`;
}

function nsdConfig(dir: string, port: number, o: PrimaryOptions): string {
  const zones = o.zones
    .map((z) => {
      const acl = z.tsigOnly
        ? `  provide-xfr: 127.0.0.0/8 ${o.key.name}\n`
        : `  provide-xfr: 127.0.0.0/8 ${o.key.name}\n  provide-xfr: 127.0.0.0/8 NOKEY\n`;
      const notify = (o.notify ?? [])
        .map((n) => `  notify: ${n.host}@${n.port} ${n.signed ? o.key.name : "NOKEY"}\n`)
        .join("");
      return `zone:\n  name: "${z.origin}"\n  zonefile: "${join(dir, fileName(z.origin))}"\n${acl}${notify}`;
    })
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
  verbosity: 1
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
key:
  name: "${o.key.name}"
  algorithm: ${o.key.algorithm}
  secret: "${o.key.secret}"
${zones}`;
}

/** Serial the server answers for `origin` over TCP (kdig), or null when it does not answer (yet). */
export async function servedSerial(port: number, origin: string): Promise<number | null> {
  try {
    const { stdout } = await run(
      "kdig",
      ["@127.0.0.1", "-p", String(port), "+tcp", "+short", "+time=1", "+retry=0", "SOA", origin],
      { timeout: 3000 },
    );
    const fields = stdout.trim().split(/\s+/);
    return fields.length >= 7 ? Number(fields[2]) : null;
  } catch {
    return null;
  }
}

async function waitSerial(
  port: number,
  origin: string,
  serial: number | null,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error("daemon exited");
    const s = await servedSerial(port, origin);
    if (s !== null && (serial === null || s === serial)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${origin} not served${serial === null ? "" : ` with serial ${serial}`} within ${timeoutMs} ms`,
  );
}

async function startPrimary(kind: "knot" | "nsd", o: PrimaryOptions): Promise<PrimaryServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = randomPort();
    const dir = mkdtempSync(join(tmpdir(), `edgens-primary-${kind}-`));
    chmodSync(dir, 0o777); // knotd drops privileges but must write its journal, pid and socket here
    for (const z of o.zones) {
      copyFileSync(z.file, join(dir, fileName(z.origin)));
      chmodSync(join(dir, fileName(z.origin)), 0o666);
    }
    const conf = join(dir, `${kind}.conf`);
    writeFileSync(conf, kind === "knot" ? knotConfig(dir, port, o) : nsdConfig(dir, port, o));
    const argv = kind === "knot" ? [KNOTD, "-c", conf] : [NSD, "-d", "-c", conf];
    // Own process group, so stop() reaches NSD's forked children too.
    const { child, log, stop } = spawnDaemon(argv, dir);
    const reload = async (origin: string, sourceFile: string, expectSerial: number) => {
      copyFileSync(sourceFile, join(dir, fileName(origin)));
      chmodSync(join(dir, fileName(origin)), 0o666);
      if (kind === "knot") {
        await run(KNOTC, ["-c", conf, "-s", join(dir, "knot.sock"), "-b", "zone-reload", origin], {
          timeout: 10_000,
        });
      } else {
        // NSD: SIGHUP to the main process re-reads changed zone files.
        process.kill(child.pid!, "SIGHUP");
      }
      await waitSerial(port, origin, expectSerial, child, 10_000);
    };
    try {
      for (const z of o.zones) await waitSerial(port, z.origin, null, child, o.startTimeoutMs ?? 15_000);
      return {
        kind,
        host: "127.0.0.1",
        port,
        dir,
        pid: child.pid!,
        zoneFile: (origin) => join(dir, fileName(origin)),
        reload,
        log,
        stop,
      };
    } catch (e) {
      lastError = new Error(`${kind} on 127.0.0.1:${port}: ${(e as Error).message}\n${log()}`);
      await stop();
    }
  }
  throw lastError;
}

export function startKnotPrimary(o: PrimaryOptions): Promise<PrimaryServer> {
  return startPrimary("knot", o);
}

export function startNsdPrimary(o: PrimaryOptions): Promise<PrimaryServer> {
  return startPrimary("nsd", o);
}
