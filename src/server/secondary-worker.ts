// The worker end of the secondary-zone channel (cluster mode): before serving, ask the primary's SecondaryHost
// for every zone's state (so a started or restarted worker answers secondary zones at once, from the persisted
// copies), then apply each change it broadcasts; accepted NOTIFYs go back to the host.
import type { EdgensConfig } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";
import type { PrimaryMessage, WorkerMessage } from "./cluster-messages.js";
import { SecondaryTable } from "./secondary-table.js";
import { secondaryWanted } from "./secondary-wanted.js";
import type { ServingNode } from "./serving-node.js";

// The primary answers from memory; this only bounds a primary that never does (the worker then starts with
// the configured zones pending: SERVFAIL until the next change arrives).
const SYNC_TIMEOUT_MS = 10_000;

export interface WorkerSecondary {
  table: SecondaryTable;
  /** The node is up: changes go to it from now on (and anything applied meanwhile is compiled in). */
  attach(node: ServingNode): void;
}

export async function joinSecondaryZones(
  config: EdgensConfig,
  log: Logger,
  metrics: ServerMetrics,
  send: (m: WorkerMessage) => void,
): Promise<WorkerSecondary | null> {
  if (!secondaryWanted(config)) return null;
  const table = new SecondaryTable(config, log, metrics);
  table.onNotify = (zone, serial) => {
    // Debug only (NOTIFYs are rare): with the host's "zone transferred" line, where the milliseconds go.
    log.debug({ zone, serial }, "NOTIFY accepted; forwarded to the host");
    send({ type: "edgens:notify", zone, serial: serial ?? null });
  };
  let node: ServingNode | null = null;
  let synced!: () => void;
  const first = new Promise<void>((r) => {
    synced = r;
  });
  process.on("message", (m: PrimaryMessage) => {
    if (m?.type !== "edgens:secondary") return;
    if (node) node.applySecondary(m.changes, m.full);
    else table.apply(m.changes, m.full);
    if (m.full) synced();
  });
  send({ type: "edgens:secondary-sync" });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    first,
    new Promise<void>((r) => {
      timer = setTimeout(() => {
        log.warn("no secondary zone states from the primary; starting with them pending");
        r();
      }, SYNC_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  return {
    table,
    attach(n) {
      node = n;
      n.applySecondary([]);
    },
  };
}
