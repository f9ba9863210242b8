// The lab's durable record (STATE_ROOT/NAME/state.json): enough for `status`, `fail`, `restore` and `down` to
// work from another process. The address plan is not stored: it is recomputed from the topology.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AddressPlan, addressPlan, type LabHost, type Topology } from "./topology.js";

export const EDGENS_ERR_LAB_STATE = "EDGENS_ERR_LAB_STATE";

export class LabStateError extends Error {
  readonly code = EDGENS_ERR_LAB_STATE;
  constructor(message: string) {
    super(message);
    this.name = "LabStateError";
  }
}

export const DEFAULT_STATE_ROOT = "/run/edgens-lab";
export const NETNS_PREFIX = "edgens-lab-";

export const FAIL_MODES = [
  "kill",
  "hang",
  "wrong-answers",
  "agent-kill",
  "exabgp-kill",
  "drain",
  "freeze",
] as const;
export type FailMode = (typeof FAIL_MODES)[number];

export interface NodeRecord {
  serve: number | null;
  exabgp: number | null;
  failure: FailMode | null;
  /** SOA serial of the zone last written (bumped on every rewrite so a reload sees new data). */
  serial: number;
}

export interface LabState {
  version: 1;
  name: string;
  dir: string;
  createdAt: string;
  /** Absolute paths of the node binary and the edgens CLI (dist/cli/main.js) the lab's processes run. */
  nodeBin: string;
  cli: string;
  topology: Topology;
  /** BFD between site routers and nodes (bfdd in every node namespace). */
  bfd: boolean;
  /**
   * ExaBGP's API process on every node: "edgens" (the health agent; also when absent, as in older state files)
   * or "healthcheck" / "healthcheck:ARGS" (ExaBGP's healthcheck.py, ARGS appended to the lab's defaults).
   */
  agent?: string;
  nodes: Record<string, NodeRecord>;
}

export function validLabName(name: string): boolean {
  return /^[a-z0-9]{1,12}$/.test(name);
}

export function netnsPrefix(name: string): string {
  return `${NETNS_PREFIX}${name}-`;
}

export function netnsName(labName: string, host: LabHost): string {
  return `${netnsPrefix(labName)}${host.role}-${host.key}`;
}

export function labDir(root: string, name: string): string {
  return join(root, name);
}

export function writeLabState(s: LabState): void {
  mkdirSync(s.dir, { recursive: true, mode: 0o755 });
  const file = join(s.dir, "state.json");
  writeFileSync(`${file}.tmp`, `${JSON.stringify(s, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function readLabState(root: string, name: string): LabState {
  const file = join(labDir(root, name), "state.json");
  if (!existsSync(file)) throw new LabStateError(`no lab '${name}' (${file} missing): run edgens lab up`);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as LabState;
  } catch (e) {
    throw new LabStateError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/** The lab's hosts with their namespace names, from the stored topology. */
export function labHosts(s: LabState): { plan: AddressPlan; netns: (h: LabHost | string) => string } {
  const plan = addressPlan(s.topology);
  const byId = new Map(plan.hosts.map((h) => [h.id, h]));
  return {
    plan,
    netns: (h) => {
      const host = typeof h === "string" ? byId.get(h) : h;
      if (!host) throw new LabStateError(`no host '${String(h)}' in lab '${s.name}'`);
      return netnsName(s.name, host);
    },
  };
}

/** `--agent` values: "edgens", "healthcheck" or "healthcheck:ARGS" (space-separated extra arguments). */
export function parseAgentSpec(spec: string): { kind: "edgens" } | { kind: "healthcheck"; args: string[] } {
  if (spec === "edgens") return { kind: "edgens" };
  const m = /^healthcheck(?::(.*))?$/s.exec(spec);
  if (m) return { kind: "healthcheck", args: (m[1] ?? "").split(/\s+/).filter(Boolean) };
  throw new LabStateError(`--agent must be edgens, healthcheck or healthcheck:ARGS, got '${spec}'`);
}
