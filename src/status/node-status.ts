// `edgens status --json`: the node's health at a glance, built from the DNS server's /metrics and /readyz, the
// health agent's /metrics and the admin-state file. The shape is a public interface (docs/failover.md,
// "edgens status"): add fields, never rename or remove them. Pure: the I/O is in collect-status.ts.

import type { Sample } from "../cli/stats.js";
import type { AdminState } from "../health/admin-state.js";

export interface ZoneStatus {
  zone: string;
  serial: number;
  records: number | null;
  /** Failed loads or reloads since start (the previous data kept serving). */
  loadFailures: number;
}

export interface ServerStatus {
  metricsUrl: string;
  /** /metrics answered. */
  reachable: boolean;
  error: string | null;
  /** /readyz said 200; null when it could not be asked. */
  ready: boolean | null;
  readyDetail: string | null;
  zones: ZoneStatus[];
}

export type PrefixRoute = "announced" | "withdrawn" | "drained";

export interface PrefixStatus {
  prefix: string;
  family: "ipv4" | "ipv6";
  /** The agent's state machine: INIT, RISING, UP, FALLING, DOWN, DISABLED. */
  state: string;
  /** What the agent has told ExaBGP for this prefix, derived from the state. */
  route: PrefixRoute;
  /** ISO time of the last state change, null before the first. */
  since: string | null;
}

export interface AgentStatus {
  metricsUrl: string;
  reachable: boolean;
  error: string | null;
  prefixes: PrefixStatus[];
  /** Prefixes advertised to peers (announced or draining with a session up), per family. */
  announced: { ipv4: number; ipv6: number };
  sessions: { neighbor: string; up: boolean }[];
  /** The agent's view of the admin state; null when unknown. */
  drained: boolean | null;
}

export interface AdminStatus {
  file: string;
  /** `unreadable`: the file exists but cannot be parsed (the agent then treats the node as drained at start). */
  state: "active" | "drained" | "unreadable";
  since: string | null;
  reason: string | null;
  error: string | null;
}

export type Verdict = "serving" | "drained" | "degraded" | "down";

export interface NodeStatus {
  time: string;
  /**
   * serving: ready, every prefix announced, a session up, not drained. drained: the operator drained it.
   * down: nothing announced (or nothing reachable). degraded: anything in between.
   */
  verdict: Verdict;
  server: ServerStatus;
  agent: AgentStatus;
  admin: AdminStatus;
}

const ANNOUNCED_STATES = new Set(["UP", "FALLING"]);

export function serverStatus(
  metricsUrl: string,
  metrics: Sample[] | Error,
  readyz: { status: number; body: string } | Error,
): ServerStatus {
  const samples = metrics instanceof Error ? [] : metrics;
  const value = (name: string, zone: string) =>
    samples.find((s) => s.name === name && s.labels.zone === zone)?.value;
  const zones = samples
    .filter((s) => s.name === "edgens_zone_serial" && s.labels.zone !== undefined)
    .map((s) => ({
      zone: s.labels.zone!,
      serial: s.value,
      records: value("edgens_zone_records", s.labels.zone!) ?? null,
      loadFailures: value("edgens_zone_load_failures_total", s.labels.zone!) ?? 0,
    }))
    .sort((a, b) => a.zone.localeCompare(b.zone));
  return {
    metricsUrl,
    reachable: !(metrics instanceof Error),
    error: metrics instanceof Error ? metrics.message : readyz instanceof Error ? readyz.message : null,
    ready: readyz instanceof Error ? null : readyz.status === 200,
    readyDetail: readyz instanceof Error ? null : readyz.body.trim(),
    zones,
  };
}

export function agentStatus(metricsUrl: string, metrics: Sample[] | Error): AgentStatus {
  const samples = metrics instanceof Error ? [] : metrics;
  const prefixes: PrefixStatus[] = samples
    .filter((s) => s.name === "edgens_health_state" && s.value === 1 && s.labels.prefix !== undefined)
    .map((s) => {
      const prefix = s.labels.prefix!;
      const state = s.labels.state ?? "INIT";
      const at = samples.find(
        (x) => x.name === "edgens_health_last_transition_timestamp_seconds" && x.labels.prefix === prefix,
      )?.value;
      const fam = s.labels.family;
      return {
        prefix,
        family: fam === "ipv6" || (fam === undefined && prefix.includes(":")) ? "ipv6" : "ipv4",
        state,
        route: ANNOUNCED_STATES.has(state) ? "announced" : state === "DISABLED" ? "drained" : "withdrawn",
        since: at !== undefined && at > 0 ? new Date(at * 1000).toISOString() : null,
      } satisfies PrefixStatus;
    })
    .sort((a, b) => a.family.localeCompare(b.family) || a.prefix.localeCompare(b.prefix));
  const count = (family: string) =>
    samples
      .filter((s) => s.name === "edgens_health_announced_prefixes" && s.labels.family === family)
      .reduce((a, s) => a + s.value, 0);
  const drained = samples.find((s) => s.name === "edgens_health_admin_drained");
  return {
    metricsUrl,
    reachable: !(metrics instanceof Error),
    error: metrics instanceof Error ? metrics.message : null,
    prefixes,
    announced: { ipv4: count("ipv4"), ipv6: count("ipv6") },
    sessions: samples
      .filter((s) => s.name === "edgens_health_bgp_session_up" && s.labels.neighbor !== undefined)
      .map((s) => ({ neighbor: s.labels.neighbor!, up: s.value > 0 }))
      .sort((a, b) => a.neighbor.localeCompare(b.neighbor)),
    drained: drained ? drained.value > 0 : null,
  };
}

export function adminStatus(file: string, state: AdminState | Error): AdminStatus {
  if (state instanceof Error)
    return { file, state: "unreadable", since: null, reason: null, error: state.message };
  return {
    file,
    state: state.state,
    // A missing file reads as active since the epoch: say "never changed" rather than 1970.
    since: Date.parse(state.since) > 0 ? state.since : null,
    reason: state.reason ?? null,
    error: null,
  };
}

export function verdict(server: ServerStatus, agent: AgentStatus, admin: AdminStatus): Verdict {
  const announced = agent.prefixes.filter((p) => p.route === "announced").length;
  if (admin.state === "drained" || agent.drained === true) return announced > 0 ? "degraded" : "drained";
  if (!agent.reachable || announced === 0) return "down";
  const allUp = agent.prefixes.every((p) => p.state === "UP");
  const session = agent.sessions.length === 0 || agent.sessions.some((s) => s.up);
  return server.ready === true && allUp && session ? "serving" : "degraded";
}

export function nodeStatus(
  server: ServerStatus,
  agent: AgentStatus,
  admin: AdminStatus,
  now: Date,
): NodeStatus {
  return { time: now.toISOString(), verdict: verdict(server, agent, admin), server, agent, admin };
}
