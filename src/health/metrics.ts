// The health agent's own Prometheus metrics (its own Registry, `edgens_health_` prefix), served on the agent's
// port: the agent must stay observable when the DNS server it watches is dead.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { CheckResult } from "./checks.js";
import { type HealthState, healthStates } from "./state-machine.js";

export class HealthMetrics {
  readonly registry = new Registry();
  private readonly state: Gauge<"prefix" | "family" | "state">;
  private readonly lastTransition: Gauge<"prefix">;
  private readonly transitions: Counter<"prefix" | "from" | "to">;
  private readonly checkDuration: Histogram<"check">;
  private readonly checkFailures: Counter<"check" | "reason">;
  private readonly session: Gauge<"neighbor">;
  private readonly announced: Gauge<"family">;
  private readonly drained: Gauge;
  private readonly acks: Counter<"result">;
  private readonly adminErrors: Counter;

  constructor() {
    const registers = [this.registry];
    this.state = new Gauge({
      name: "edgens_health_state",
      help: "Health state per anycast prefix: 1 for the current state, 0 for the others",
      labelNames: ["prefix", "family", "state"],
      registers,
    });
    this.lastTransition = new Gauge({
      name: "edgens_health_last_transition_timestamp_seconds",
      help: "Unix time of the last state change per prefix",
      labelNames: ["prefix"],
      registers,
    });
    this.transitions = new Counter({
      name: "edgens_health_transitions_total",
      help: "State changes per prefix",
      labelNames: ["prefix", "from", "to"],
      registers,
    });
    this.checkDuration = new Histogram({
      name: "edgens_health_check_duration_seconds",
      help: "Latency of each health check (failures included)",
      labelNames: ["check"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1],
      registers,
    });
    this.checkFailures = new Counter({
      name: "edgens_health_check_failures_total",
      help: "Failed health checks by check and reason",
      labelNames: ["check", "reason"],
      registers,
    });
    this.session = new Gauge({
      name: "edgens_health_bgp_session_up",
      help: "BGP session state per neighbor as reported by ExaBGP (1 up, 0 down or connecting)",
      labelNames: ["neighbor"],
      registers,
    });
    this.announced = new Gauge({
      name: "edgens_health_announced_prefixes",
      help: "Prefixes currently advertised to peers (announced or draining, with a session up)",
      labelNames: ["family"],
      registers,
    });
    this.drained = new Gauge({
      name: "edgens_health_admin_drained",
      help: "1 while the admin-state file says drained",
      registers,
    });
    this.acks = new Counter({
      name: "edgens_health_api_acks_total",
      help: "ExaBGP acknowledgements of our API commands by result (done, error)",
      labelNames: ["result"],
      registers,
    });
    this.adminErrors = new Counter({
      name: "edgens_health_admin_state_errors_total",
      help: "Unreadable or invalid admin-state file reads (the last good state stays in force)",
      registers,
    });
  }

  setState(prefix: string, family: string, state: HealthState): void {
    for (const s of healthStates) this.state.set({ prefix, family, state: s }, s === state ? 1 : 0);
  }

  transition(prefix: string, from: HealthState, to: HealthState, atMs: number): void {
    this.transitions.inc({ prefix, from, to });
    this.lastTransition.set({ prefix }, atMs / 1000);
  }

  check(id: string, r: CheckResult): void {
    if (r.ok && r.skipped) return;
    this.checkDuration.observe({ check: id }, r.latencyMs / 1000);
    if (!r.ok) this.checkFailures.inc({ check: id, reason: r.reason });
  }

  setSession(neighbor: string, up: boolean): void {
    this.session.set({ neighbor }, up ? 1 : 0);
  }

  setAnnounced(family: string, n: number): void {
    this.announced.set({ family }, n);
  }

  setDrained(drained: boolean): void {
    this.drained.set(drained ? 1 : 0);
  }

  ack(ok: boolean): void {
    this.acks.inc({ result: ok ? "done" : "error" });
  }

  adminStateError(): void {
    this.adminErrors.inc();
  }
}
