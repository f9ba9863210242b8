// Long-lived lab processes (edgens serve, ExaBGP) started detached inside a namespace, so the lab outlives the
// `edgens lab up` command. `ip netns exec` execs the program in place, so the child's pid is the program's.
// Processes are only ever signalled by pid, and only after checking the pid is still inside a lab namespace.
import { spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function spawnInNetns(
  netns: string,
  argv: string[],
  logFile: string,
  env?: NodeJS.ProcessEnv,
): number {
  const fd = openSync(logFile, "a");
  try {
    const child = spawn("ip", ["netns", "exec", netns, ...argv], {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: env ?? process.env,
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`cannot start ${argv[0]} in ${netns}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped by us) is not alive for the lab's purposes.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** True when `pid` runs inside namespace `netns`: a recorded pid may have been reused by another process. */
export function inNetns(pid: number, netns: string): boolean {
  try {
    const link = readlinkSync(`/proc/${pid}/ns/net`); // net:[INODE]
    return link === `net:[${statSync(`/run/netns/${netns}`).ino}]`;
  } catch {
    return false;
  }
}

export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL whatever is left after `graceMs`. */
export async function stopPids(pids: number[], graceMs = 1500): Promise<void> {
  const live = pids.filter(alive);
  for (const p of live) signal(p, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (live.some(alive) && Date.now() < deadline) await sleep(50);
  for (const p of live.filter(alive)) signal(p, "SIGKILL");
}

/** Direct children of `pid` (from /proc), e.g. the health agent ExaBGP runs. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      // Fields after the parenthesised command: state ppid …
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      // exited while scanning
    }
  }
  return out;
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** The node's API process under ExaBGP: `edgens health-agent`, or the healthcheck.py wrapper/interpreter. */
export function isAgentCmdline(argv: string[]): boolean {
  return (
    argv.includes("health-agent") ||
    argv.includes("healthcheck") ||
    argv.some((a) => a.endsWith("/healthcheck.sh"))
  );
}

/** Waits until `file` contains `text` after byte `from`; throws after `timeoutMs` or when `pid` dies. */
export async function waitForLog(
  file: string,
  text: string,
  opts: { from?: number; timeoutMs: number; pid?: number; what: string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const content = await readFile(file, "utf8").catch(() => "");
    if (content.slice(opts.from ?? 0).includes(text)) return;
    if (opts.pid !== undefined && !alive(opts.pid)) {
      throw new Error(`${opts.what} exited during start; log ${file}:\n${content.slice(-2000)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${opts.what}: no '${text}' in ${file} after ${opts.timeoutMs} ms:\n${content.slice(-2000)}`,
      );
    }
    await sleep(100);
  }
}
