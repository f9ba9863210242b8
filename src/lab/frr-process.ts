// One FRR router (zebra + bgpd, optionally bfdd) inside a network namespace, for the lab and the BGP tests.
// Facts this relies on (LAB-NOTES): each router needs its own directory owned by frr:frr because the daemons
// drop to user `frr` before writing pid and vty files; `-F traditional` selects the profile the config is
// written for; vtysh talks to a router through `--vty_socket DIR`.
import { execFile } from "node:child_process";
import { chmod, chown, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const EDGENS_ERR_FRR = "EDGENS_ERR_FRR";

export class FrrError extends Error {
  readonly code = EDGENS_ERR_FRR;
  constructor(message: string) {
    super(message);
    this.name = "FrrError";
  }
}

export type FrrDaemon = "zebra" | "bgpd" | "bfdd";

export interface FrrOptions {
  /** Network namespace the daemons run in (must exist). */
  netns: string;
  /** Directory for config, pid, vty and zserv sockets; created and given to frr:frr. */
  dir: string;
  /** Integrated frr.conf text (all daemons read the same file). */
  config: string;
  /** zebra always starts first; default ["zebra", "bgpd"]. */
  daemons?: FrrDaemon[];
  frrLibDir?: string;
  /** Per-daemon start bound; default 10 s. */
  startTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function frrIds(): Promise<{ uid: number; gid: number }> {
  const [u, g] = await Promise.all([run("id", ["-u", "frr"]), run("id", ["-g", "frr"])]);
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export class FrrRouter {
  private readonly pids = new Map<FrrDaemon, number>();

  private constructor(
    readonly netns: string,
    readonly dir: string,
  ) {}

  /** Starts the daemons in order and waits for each pid file; stops what did start if one fails. */
  static async start(opts: FrrOptions): Promise<FrrRouter> {
    const daemons = opts.daemons ?? ["zebra", "bgpd"];
    const libDir = opts.frrLibDir ?? "/usr/lib/frr";
    const timeout = opts.startTimeoutMs ?? 10_000;
    const { uid, gid } = await frrIds();
    await mkdir(opts.dir, { recursive: true });
    const confPath = join(opts.dir, "frr.conf");
    await writeFile(confPath, opts.config);
    await chown(opts.dir, uid, gid);
    await chown(confPath, uid, gid);
    await chmod(opts.dir, 0o755);

    const router = new FrrRouter(opts.netns, opts.dir);
    try {
      for (const d of ["zebra", ...daemons.filter((x) => x !== "zebra")] as FrrDaemon[]) {
        const pidFile = join(opts.dir, `${d}.pid`);
        const args = [
          "netns",
          "exec",
          opts.netns,
          join(libDir, d),
          "-d",
          "-F",
          "traditional",
          "-f",
          confPath,
          "-i",
          pidFile,
          "--vty_socket",
          opts.dir,
          "-A",
          "127.0.0.1",
        ];
        args.push("-z", join(opts.dir, "zserv.api"));
        if (d === "bfdd") args.push("--bfdctl", join(opts.dir, "bfdd.sock"));
        // -d: the command returns once the daemon has forked; its pid is in the pid file.
        await run("ip", args, { timeout });
        const pid = await waitForPidFile(pidFile, timeout);
        router.pids.set(d, pid);
        await waitForFile(join(opts.dir, `${d}.vty`), timeout);
      }
    } catch (e) {
      await router.stop();
      throw e instanceof FrrError
        ? e
        : new FrrError(`starting FRR in ${opts.netns}: ${(e as Error).message}`);
    }
    return router;
  }

  /** Runs vtysh commands against this router; returns stdout. */
  async vtysh(...commands: string[]): Promise<string> {
    const args = ["--vty_socket", this.dir];
    for (const c of commands) args.push("-c", c);
    const { stdout } = await run("vtysh", args, { timeout: 10_000, maxBuffer: 16 << 20 });
    return stdout;
  }

  async vtyshJson<T = unknown>(command: string): Promise<T> {
    const out = await this.vtysh(command);
    try {
      return JSON.parse(out) as T;
    } catch {
      throw new FrrError(`vtysh '${command}' did not return JSON: ${out.slice(0, 200)}`);
    }
  }

  /** SIGTERM to every daemon (reverse start order), then SIGKILL after `timeoutMs`. Idempotent. */
  async stop(timeoutMs = 3000): Promise<void> {
    const pids = [...this.pids.values()].reverse();
    this.pids.clear();
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + timeoutMs;
    while (pids.some(alive) && Date.now() < deadline) await sleep(50);
    for (const pid of pids.filter(alive)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // raced with exit
      }
    }
  }
}

async function waitForPidFile(path: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const pid = Number((await readFile(path, "utf8")).trim());
      if (pid > 0) return pid;
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) throw new FrrError(`no pid file ${path} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await stat(path);
      return;
    } catch {
      if (Date.now() > deadline) throw new FrrError(`no ${path} after ${timeoutMs} ms`);
      await sleep(50);
    }
  }
}

/** `vtysh -c COMMAND` as JSON against the router whose directory is `dir` (from any process). */
export async function vtyshJson<T>(dir: string, command: string): Promise<T> {
  const { stdout } = await run("vtysh", ["--vty_socket", dir, "-c", command], {
    timeout: 10_000,
    maxBuffer: 16 << 20,
  });
  try {
    return JSON.parse(stdout) as T;
  } catch {
    throw new FrrError(`vtysh '${command}' did not return JSON: ${stdout.slice(0, 200)}`);
  }
}

/** `show bfd peers json` of the router in `dir`: peer address → status ("up", "down", "init", …). */
export async function bfdPeerStates(dir: string): Promise<Map<string, string>> {
  const peers = await vtyshJson<{ peer?: string; status?: string }[]>(dir, "show bfd peers json");
  return new Map(peers.flatMap((p) => (p.peer ? [[p.peer, p.status ?? "unknown"] as const] : [])));
}

/**
 * Several commands in one vtysh process, each answering JSON: one process and connection per router instead of
 * one per command (a status asks each site router 5 things). Fails unless every command gave one JSON value.
 */
export async function vtyshJsonBatch(dir: string, commands: string[]): Promise<unknown[]> {
  const args = ["--vty_socket", dir];
  for (const c of commands) args.push("-c", c);
  const { stdout } = await run("vtysh", args, { timeout: 10_000, maxBuffer: 16 << 20 });
  const values = splitJsonValues(stdout);
  if (values.length !== commands.length)
    throw new FrrError(
      `vtysh: ${commands.length} commands gave ${values.length} JSON values: ${stdout.slice(0, 200)}`,
    );
  return values;
}

/** The top-level JSON objects and arrays in `text`, in order (vtysh prints one per command, back to back). */
export function splitJsonValues(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === "\\") escaped = true;
      else if (ch === '"') inString = false;
    } else if (ch === "{" || ch === "[") {
      if (depth++ === 0) start = i;
    } else if (depth > 0 && ch === '"') {
      inString = true;
    } else if (depth > 0 && (ch === "}" || ch === "]") && --depth === 0) {
      out.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  if (depth !== 0) throw new FrrError(`unterminated JSON in vtysh output: ${text.slice(start, start + 200)}`);
  return out;
}
