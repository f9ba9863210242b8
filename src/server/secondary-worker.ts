// The end of the secondary-zone channel in cluster workers other than worker 0 (which hosts the managers,
// src/server/secondary-host-worker.ts): before serving, ask for every zone's state through the primary (so a
// started or restarted worker answers secondary zones at once, from the persisted copies), then apply each
// change the host sends; accepted NOTIFYs go back to the host.
import type { Registry } from "prom-client";
import type { EdgensConfig } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";
import type { PrimaryMessage, WorkerMessage } from "./cluster-messages.js";
import { SecondaryTable } from "./secondary-table.js";
import { secondaryWanted } from "./secondary-wanted.js";
import type { ServingNode } from "./serving-node.js";

// Worker 0 answers once its managers loaded the persisted copies (seconds for a big zone); this only bounds one
// that never does (the worker then starts with the configured zones pending: SERVFAIL until the next change).
const SYNC_TIMEOUT_MS = 20_000;

export interface WorkerSecondary {
  table: SecondaryTable;
  /** The node is up: changes go to it from now on (and anything applied meanwhile is compiled in). */
  attach(node: ServingNode): void;
  /** A reload's config (worker 0: zones and catalogs added, removed, changed). */
  reconfigure(config: EdgensConfig): void;
  /** Before the process exits (worker 0: the managers stop, the copies are written). */
  stop(): Promise<void>;
  /** Worker 0: the secondary zones' metrics (only it has them). */
  registry?: Registry;
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
  // A candidate the host accepted while it was still being built is served when the build ends.
  table.onLateChange = () => node?.applySecondary([]);
  let synced!: () => void;
  const first = new Promise<void>((r) => {
    synced = r;
  });
  process.on("message", (m: PrimaryMessage) => {
    if (m?.type !== "edgens:secondary") return;
    for (const c of m.changes) {
      if (c.op === "candidate") log.debug({ zone: c.zone, candidate: c.id }, "transfer candidate received");
    }
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
    reconfigure() {},
    stop: async () => {},
  };
}
