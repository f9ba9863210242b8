// The health agent loop, run by ExaBGP as its API process: run the checks, feed one state machine per anycast
// prefix, write the resulting announce/withdraw lines to ExaBGP (stdout), read acks and neighbor events from
// ExaBGP (stdin), follow the admin-state file. It stops when ExaBGP goes away (stdin closes): with nobody to
// talk to there is nothing left to announce, and ExaBGP's own exit drops the sessions.
import { createInterface, type Interface } from "node:readline";
import { type AdminState, type AdminStateWatcher, readAdminState, watchAdminState } from "./admin-state.js";
import type { CheckFamily, CheckResult, HealthCheck } from "./checks.js";
import { parseExabgpLine } from "./exabgp-input.js";
import type { LossTrigger } from "./loss-watch.js";
import type { HealthMetrics } from "./metrics.js";
import { effectLine, type RouteEffects } from "./route-effects.js";
import {
  initialState,
  isAdvertised,
  type MachineConfig,
  type MachineInput,
  type MachineState,
  step,
} from "./state-machine.js";

export const EDGENS_ERR_HEALTH_CONFIG = "EDGENS_ERR_HEALTH_CONFIG";

export class HealthConfigError extends Error {
  readonly code = EDGENS_ERR_HEALTH_CONFIG;
  constructor(message: string) {
    super(message);
    this.name = "HealthConfigError";
  }
}

/** Exit codes of the agent. */
export const AGENT_EXIT = {
  /** ExaBGP asked us to stop (shutdown notification) or stop() was called. */
  ok: 0,
  /** stdin closed: ExaBGP is gone. Non-zero so a supervisor notices. */
  exabgpGone: 1,
} as const;

export interface AgentPrefix {
  prefix: string;
  family: CheckFamily;
}

/** The subset of pino's logger the agent uses. */
export interface AgentLogger {
  debug?(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: AgentLogger = { info() {}, warn() {}, error() {} };

export interface AgentOptions {
  prefixes: AgentPrefix[];
  checks: HealthCheck[];
  /** Hints that the server may be gone (e.g. a watched TCP connection closed): run a round at once. */
  triggers?: LossTrigger[];
  machine: MachineConfig;
  routes: RouteEffects;
  /** ExaBGP → agent (acks, neighbor events). */
  input: NodeJS.ReadableStream;
  /** Agent → ExaBGP (API commands, one per line). */
  output: NodeJS.WritableStream;
  adminStateFile?: string;
  adminPollMs?: number;
  metrics?: HealthMetrics;
  log?: AgentLogger;
  /** Monotonic clock in ms (injectable for tests). */
  now?: () => number;
}

interface PrefixSlot extends AgentPrefix {
  m: MachineState;
  deadlineTimer: NodeJS.Timeout | null;
}

export class HealthAgent {
  private readonly slots: PrefixSlot[];
  private readonly log: AgentLogger;
  private readonly now: () => number;
  private readonly neighbors = new Map<string, boolean>();
  private drained = false;
  private stopped = false;
  private roundTimer: NodeJS.Timeout | null = null;
  private inRound = false;
  private rerun = false;
  private watcher: AdminStateWatcher | null = null;
  private rl: Interface | null = null;
  private resolveExit: (code: number) => void = () => {};
  /** Resolves with the exit code once the agent has stopped. */
  readonly exited: Promise<number>;

  constructor(private readonly opts: AgentOptions) {
    this.log = opts.log ?? silentLogger;
    this.now = opts.now ?? (() => performance.now());
    if (opts.prefixes.length === 0) throw new HealthConfigError("no anycast prefix to announce");
    for (const p of opts.prefixes) {
      if (!opts.checks.some((c) => c.family === p.family)) {
        // Without a DNS check of its own family a prefix would be announced on node-wide checks alone.
        throw new HealthConfigError(`prefix ${p.prefix} has no IPv${p.family} check of a service address`);
      }
    }
    this.slots = opts.prefixes.map((p) => ({ ...p, m: initialState(0), deadlineTimer: null }));
    this.exited = new Promise((res) => {
      this.resolveExit = res;
    });
  }

  async start(): Promise<void> {
    // ExaBGP keeps the routes of an API process that died while it respawns it: a new agent must start from a
    // clean slate (withdraw everything), then announce only after its own checks pass.
    for (const s of this.slots) this.send(this.opts.routes.withdraw(s.prefix));
    const t = this.now();
    let admin: AdminState | null = null;
    if (this.opts.adminStateFile) {
      try {
        admin = await readAdminState(this.opts.adminStateFile);
      } catch (e) {
        // Someone edited the file by hand and broke it: they most likely meant to drain, so fail closed.
        this.log.error(
          { err: (e as Error).message },
          "admin-state file unreadable at start: starting drained",
        );
        this.opts.metrics?.adminStateError();
        admin = { state: "drained", since: new Date().toISOString(), reason: "unreadable admin-state file" };
      }
    }
    this.drained = admin?.state === "drained";
    this.opts.metrics?.setDrained(this.drained);
    for (const s of this.slots) {
      s.m = initialState(t, this.drained);
      this.publish(s);
    }
    if (this.drained) this.log.info({ reason: admin?.reason, since: admin?.since }, "starting drained");

    this.rl = createInterface({ input: this.opts.input, crlfDelay: Number.POSITIVE_INFINITY });
    this.rl.on("line", (line) => this.onInput(line));
    this.rl.on("close", () => this.stop(AGENT_EXIT.exabgpGone, "stdin closed: ExaBGP is gone"));
    this.opts.output.on("error", (e: Error) => this.stop(AGENT_EXIT.exabgpGone, `stdout: ${e.message}`));

    if (this.opts.adminStateFile) {
      this.watcher = watchAdminState(
        this.opts.adminStateFile,
        (s) => this.onAdminState(s),
        (e) => {
          this.opts.metrics?.adminStateError();
          this.log.error({ err: e.message }, "admin-state file unreadable: keeping the current state");
        },
        this.opts.adminPollMs,
      );
    }
    for (const t of this.opts.triggers ?? []) t.start(() => this.roundNow(t.id));
    this.scheduleRound(0);
  }

  /** Runs a check round now (or right after the one in progress) instead of at the next interval. */
  private roundNow(why: string): void {
    if (this.stopped) return;
    if (this.inRound) {
      this.rerun = true;
      return;
    }
    if (this.roundTimer) clearTimeout(this.roundTimer);
    this.roundTimer = null;
    this.log.info({ trigger: why }, "possible server loss: checking now");
    void this.round();
  }

  stop(code: number = AGENT_EXIT.ok, why = "stopped"): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.roundTimer) clearTimeout(this.roundTimer);
    for (const s of this.slots) if (s.deadlineTimer) clearTimeout(s.deadlineTimer);
    this.watcher?.close();
    for (const t of this.opts.triggers ?? []) t.close();
    this.rl?.close();
    this.log.info({ code }, why);
    this.resolveExit(code);
  }

  /** Per-prefix state, for status output and tests. */
  status(): { prefix: string; family: CheckFamily; state: MachineState }[] {
    return this.slots.map((s) => ({ prefix: s.prefix, family: s.family, state: s.m }));
  }

  private scheduleRound(delayMs: number): void {
    if (this.stopped) return;
    this.roundTimer = setTimeout(() => {
      this.roundTimer = null;
      void this.round();
    }, delayMs);
  }

  private async round(): Promise<void> {
    const started = this.now();
    const results = await Promise.all(
      this.opts.checks.map(
        async (c) => ({ check: c, r: await c.run() }) as { check: HealthCheck; r: CheckResult },
      ),
    );
    if (this.stopped) return;
    for (const { check, r } of results) this.opts.metrics?.check(check.id, r);
    let next = Number.POSITIVE_INFINITY;
    for (const s of this.slots) {
      const mine = results.filter(({ check }) => check.family === null || check.family === s.family);
      const failures = mine.flatMap(({ check, r }) => (r.ok ? [] : [{ id: check.id, r }]));
      let input: MachineInput;
      if (failures.length === 0) input = { type: "check", ok: true };
      else {
        const worst = failures.find((f) => f.r.fatal) ?? failures[0]!;
        const r = worst.r as Extract<CheckResult, { ok: false }>;
        input = {
          type: "check",
          ok: false,
          fatal: r.fatal,
          reason: `${worst.id}: ${r.reason} (${r.detail})`,
        };
      }
      next = Math.min(next, this.apply(s, input));
    }
    // Start-to-start spacing; a round that overran its interval (or was asked to rerun) starts the next at once.
    const rerun = this.rerun;
    this.rerun = false;
    this.scheduleRound(rerun ? 0 : Math.max(0, started + next - this.now()));
  }

  /** Feeds one input to a prefix's machine and carries out the effects; returns the next check delay. */
  private apply(s: PrefixSlot, input: MachineInput): number {
    const at = this.now();
    const r = step(s.m, input, this.opts.machine, at);
    const prev = s.m;
    s.m = r.state;
    for (const e of r.effects) this.send(effectLine(this.opts.routes, s.prefix, e));
    if (r.transition) {
      this.opts.metrics?.transition(s.prefix, r.transition.from, r.transition.to, Date.now());
      this.log.info(
        {
          prefix: s.prefix,
          from: r.transition.from,
          to: r.transition.to,
          reason: r.state.lastReason ?? undefined,
        },
        "health state change",
      );
    } else if (input.type === "check" && !input.ok && prev.failStreak === 0) {
      this.log.warn({ prefix: s.prefix, state: s.m.state, reason: input.reason }, "check failed");
    }
    if (r.effects.length > 0 || r.transition || input.type === "session") this.publish(s);
    if (s.deadlineTimer) clearTimeout(s.deadlineTimer);
    s.deadlineTimer = null;
    if (r.deadline !== null && !this.stopped) {
      s.deadlineTimer = setTimeout(
        () => {
          s.deadlineTimer = null;
          if (!this.stopped) this.apply(s, { type: "tick" });
        },
        Math.max(0, r.deadline - at),
      );
    }
    return r.nextCheckMs;
  }

  private publish(s: PrefixSlot): void {
    const m = this.opts.metrics;
    if (!m) return;
    const family = `ipv${s.family}`;
    m.setState(s.prefix, family, s.m.state);
    m.setAnnounced(family, this.slots.filter((x) => x.family === s.family && isAdvertised(x.m)).length);
  }

  private send(line: string): void {
    if (this.stopped) return;
    this.log.info({ command: line }, "to ExaBGP");
    this.opts.output.write(`${line}\n`);
  }

  private onInput(line: string): void {
    if (line.trim() === "") return;
    const ev = parseExabgpLine(line);
    switch (ev.kind) {
      case "ack":
        this.opts.metrics?.ack(ev.ok);
        if (!ev.ok) this.log.error({}, "ExaBGP rejected a command (error ack)");
        break;
      case "session": {
        const wasAnyUp = [...this.neighbors.values()].some(Boolean);
        this.neighbors.set(ev.peer, ev.state === "up");
        this.opts.metrics?.setSession(ev.peer, ev.state === "up");
        this.log.info({ neighbor: ev.peer, state: ev.state, reason: ev.reason }, "BGP session");
        const anyUp = [...this.neighbors.values()].some(Boolean);
        // Every session that comes up gets the current routes again; "down" matters once the last one is gone.
        if (ev.state === "up") for (const s of this.slots) this.apply(s, { type: "session", up: true });
        else if (wasAnyUp && !anyUp)
          for (const s of this.slots) this.apply(s, { type: "session", up: false });
        break;
      }
      case "shutdown":
        this.stop(AGENT_EXIT.ok, "ExaBGP is shutting down");
        break;
      case "other":
        this.log.debug?.({ line: ev.line.slice(0, 500) }, "from ExaBGP: ignored");
        break;
    }
  }

  private onAdminState(a: AdminState): void {
    const drained = a.state === "drained";
    if (drained === this.drained) return;
    this.drained = drained;
    this.opts.metrics?.setDrained(drained);
    this.log.info({ state: a.state, reason: a.reason, since: a.since }, drained ? "drain" : "undrain");
    for (const s of this.slots) this.apply(s, { type: drained ? "drain" : "undrain" });
  }
}
