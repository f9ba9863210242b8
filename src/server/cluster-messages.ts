// IPC between the cluster primary and its workers: the cluster channel with `serialization: "advanced"`
// (structured clone) and plain data. A whole zone's transfer messages do not travel here: worker 0 writes them
// to a file and names it (src/server/candidate-file.ts).
import type { EdgensConfig } from "../config/schema.js";
import type { WireEntry, WireNegative } from "./fast-path-sync.js";
import type { SecondaryChange } from "./secondary-table.js";
import type { ReloadSummary } from "./serving-node.js";

/** Environment variable carrying the config (JSON) to a freshly forked worker. */
export const WORKER_CONFIG_ENV = "EDGENS_WORKER_CONFIG";

export type PrimaryMessage =
  | { type: "edgens:reload"; id: number; config: EdgensConfig }
  // The XDP fast path (owned by the primary) asks one worker for the precompiled answers it serves.
  | { type: "edgens:fast-answers"; id: number; limit: number }
  // Secondary zone states from worker 0's SecondaryHost, passed on to the other workers (no ZoneData: they apply
  // an IXFR's delta, build a whole zone from the file of its transfer messages, or load the persisted file); `full`: the
  // whole set (worker 0's managers are up, or a starting worker asked: edgens:secondary-sync).
  | { type: "edgens:secondary"; changes: SecondaryChange[]; full: boolean }
  // To worker 0: worker `to` is starting and asks for the whole set; a NOTIFY another worker accepted.
  | { type: "edgens:secondary-sync"; to: number }
  | { type: "edgens:notify"; zone: string; serial: number | null };

export type WorkerMessage =
  | { type: "edgens:ready"; zones: number }
  | { type: "edgens:startup-failed"; error: string; code: string }
  | { type: "edgens:reloaded"; id: number; summary: ReloadSummary }
  | { type: "edgens:fast-answers"; id: number; entries: WireEntry[]; skipped: number; negative: WireNegative }
  // A starting worker asks for the secondary zone states; a NOTIFY a worker accepted goes to the host.
  | { type: "edgens:secondary-sync" }
  | { type: "edgens:notify"; zone: string; serial: number | null }
  // Worker 0 (the SecondaryHost): changes for the other workers (`to`: only that one), and its readiness.
  | { type: "edgens:secondary-changes"; changes: SecondaryChange[]; full: boolean; to?: number }
  | { type: "edgens:secondary-readiness"; ready: boolean; detail: string }
  /** This worker swapped in precompiled answers built in the background (the XDP map may follow). */
  | { type: "edgens:precompiled" };

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return (
    typeof m === "object" &&
    m !== null &&
    typeof (m as { type?: unknown }).type === "string" &&
    (m as { type: string }).type.startsWith("edgens:")
  );
}
