// ExaBGP 4.2 as a child process (optionally inside a network namespace), and its config check.
// ExaBGP runs in the foreground (exabgp.daemon.daemonize=false in our env), so the child's pid is ExaBGP's:
// `ip netns exec` execs the command in place. Paths are made absolute because ExaBGP looks a relative --env
// path up under /etc/exabgp/.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { resolve } from "node:path";

export const EDGENS_ERR_EXABGP = "EDGENS_ERR_EXABGP";

export const DEFAULT_EXABGP = "/usr/sbin/exabgp";

export class ExabgpError extends Error {
  readonly code = EDGENS_ERR_EXABGP;
  constructor(message: string) {
    super(message);
    this.name = "ExabgpError";
  }
}

export interface ExabgpOptions {
  confPath: string;
  envPath: string;
  /** Network namespace to run in (must exist); default: the current one. */
  netns?: string;
  exabgp?: string;
  /** Extra environment; `exabgp.x.y` variables override the env file. */
  env?: Record<string, string>;
}

export interface ExabgpExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function command(bin: string, args: string[], netns?: string): [string, string[]] {
  return netns ? ["ip", ["netns", "exec", netns, bin, ...args]] : [bin, args];
}

export class ExabgpProcess {
  private output = "";
  readonly exited: Promise<ExabgpExit>;
  private exit: ExabgpExit | null = null;

  private constructor(private readonly child: ChildProcess) {
    const append = (b: Buffer) => {
      // Keep the tail only: ExaBGP logs every API command.
      this.output = (this.output + b.toString("utf8")).slice(-256 * 1024);
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    this.exited = new Promise((res) => {
      child.on("exit", (code, signal) => {
        this.exit = { code, signal };
        res(this.exit);
      });
      child.on("error", (e) => {
        append(Buffer.from(`spawn error: ${e.message}\n`));
        this.exit = { code: null, signal: null };
        res(this.exit);
      });
    });
  }

  static start(opts: ExabgpOptions): ExabgpProcess {
    const [cmd, args] = command(
      opts.exabgp ?? DEFAULT_EXABGP,
      ["--env", resolve(opts.envPath), resolve(opts.confPath)],
      opts.netns,
    );
    const child = spawn(cmd, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...opts.env },
    });
    return new ExabgpProcess(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === null;
  }

  /** The last 256 KiB of ExaBGP's stdout and stderr. */
  log(): string {
    return this.output;
  }

  /** Sends a signal to ExaBGP itself (by pid); no-op once it exited. */
  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /**
   * SIGTERM (ExaBGP then closes its sessions with a Cease NOTIFICATION and stops its API processes),
   * SIGKILL after `timeoutMs`. Idempotent.
   */
  async stop(timeoutMs = 5000): Promise<ExabgpExit> {
    if (!this.running) return this.exited;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface ExabgpCheck {
  ok: boolean;
  /** ExaBGP's own messages (the reason when not ok). */
  output: string;
}

/**
 * `exabgp --test`: parses the config with the env file, as ExaBGP would at start, without connecting.
 * The log is forced to stdout so the reason is visible even when the env logs to syslog or a file.
 * Note that ExaBGP checks the API process's program exists and is executable.
 */
export function checkExabgpConfig(
  confPath: string,
  envPath: string,
  opts: { exabgp?: string; timeoutMs?: number } = {},
): Promise<ExabgpCheck> {
  return new Promise((res) => {
    execFile(
      opts.exabgp ?? DEFAULT_EXABGP,
      ["--env", resolve(envPath), "--test", resolve(confPath)],
      {
        timeout: opts.timeoutMs ?? 20_000,
        env: { ...process.env, "exabgp.log.destination": "stdout" },
      },
      (err, stdout, stderr) => {
        res({ ok: err === null, output: `${stdout}${stderr}` });
      },
    );
  });
}
