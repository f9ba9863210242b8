// Names of the per-CPU counters (enum edgens_counter, same order) and their sum over CPUs.
import { readU64 } from "./layout.js";

export const COUNTER_NAMES = [
  "seen",
  "answered",
  "dropped",
  "pass_disabled",
  "pass_not_ip",
  "pass_not_udp",
  "pass_not_service",
  "pass_malformed",
  "pass_not_query",
  "pass_counts",
  "pass_qname",
  "pass_qclass",
  "pass_edns",
  "pass_miss",
  "pass_collision",
  "pass_too_big",
  "pass_no_opt",
  "pass_no_room",
  "pass_error",
  "answered_nxdomain",
  "rrl_dropped",
  "rrl_slipped",
  "answered_nodata",
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];

export type FastPathCounters = Record<CounterName, number>;

/** Sum one per-CPU u64 value (8-byte slots, one per possible CPU) into a number. */
export function sumPerCpu(buf: Buffer, cpus: number): number {
  let total = 0n;
  for (let i = 0; i < cpus; i++) total += readU64(buf, i * 8);
  return Number(total);
}

export function emptyCounters(): FastPathCounters {
  return Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as FastPathCounters;
}
