// Cluster worker 0's end of the secondary zones: it hosts their managers (src/server/secondary-host.ts) next to
// its own serving node, as the single process does (transfers, checks, persistence, catalogs; the node gets each
// checked tree in-process), and sends every change to the primary, which passes it on to the other workers
// (src/server/secondary-worker.ts: they apply deltas and build whole zones from the transfer messages).
// So a zone is built twice with two workers, not three times: the primary holds no tree (time and memory,
// docs/BENCHMARKS.md). A crash here restarts only this worker: its managers start again from the persisted
// copies, which the other workers already serve.
//
// To the primary: the changes (`edgens:secondary-changes`; stripped of the in-process tree), the whole set once
// the managers are up and whenever a starting worker asks for it, and readiness (`edgens:secondary-readiness`,
// for /readyz). From the primary: NOTIFYs other workers accepted, and the state requests of starting workers.
import type { EdgensConfig } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";
import type { PrimaryMessage, WorkerMessage } from "./cluster-messages.js";
import { SecondaryHost } from "./secondary-host.js";
import { forIpc, type SecondaryChange, SecondaryTable } from "./secondary-table.js";
import type { WorkerSecondary } from "./secondary-worker.js";
import type { ServingNode } from "./serving-node.js";

/**
 * Send to the primary; settled once the message is written to the channel (or failed: the channel is gone).
 * Not on send()'s return value: it is false for any message that did not fit the pipe at once, whose bytes
 * then go out only while this event loop is free (a whole zone's, during its parse: seconds later).
 */
function sendToPrimary(m: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(m, undefined, {}, () => resolve());
  });
}

export async function hostSecondaryZones(
  config: EdgensConfig,
  log: Logger,
  metrics: ServerMetrics,
): Promise<WorkerSecondary> {
  const table = new SecondaryTable(config, log, metrics);
  const host = new SecondaryHost(config, log);
  table.onNotify = (zone, serial) => host.notify(zone, serial);
  let node: ServingNode | null = null;
  // Until the managers are up, the other workers keep what they serve: a restarted worker 0 would otherwise
  // tell them every zone is pending. Then they get the whole set at once.
  let live = false;
  let readiness = "";
  const reportReadiness = () => {
    const r = host.readiness();
    const key = `${r.ready} ${r.detail}`;
    if (key === readiness) return;
    readiness = key;
    void sendToPrimary({ type: "edgens:secondary-readiness", ready: r.ready, detail: r.detail });
  };
  const wholeSet = (): SecondaryChange[] => host.states().map((state) => ({ op: "set", state }));
  process.on("message", (m: PrimaryMessage) => {
    if (m?.type === "edgens:notify") host.notify(m.zone, m.serial ?? undefined);
    else if (m?.type === "edgens:secondary-sync" && live) {
      void sendToPrimary({ type: "edgens:secondary-changes", changes: wholeSet(), full: true, to: m.to });
    }
  });
  await host.start({
    local: (changes) => {
      if (node) node.applySecondary(changes);
      else table.apply(changes);
      reportReadiness();
    },
    remote: (changes) => {
      if (!live) return;
      const sent = sendToPrimary({ type: "edgens:secondary-changes", changes: forIpc(changes), full: false });
      reportReadiness();
      return sent;
    },
  });
  live = true;
  void sendToPrimary({ type: "edgens:secondary-changes", changes: wholeSet(), full: true });
  reportReadiness();
  return {
    table,
    registry: host.registry,
    attach(n) {
      node = n;
      n.applySecondary([]);
    },
    reconfigure(next) {
      host.reconfigure(next);
    },
    stop: () => host.stop(),
  };
}
