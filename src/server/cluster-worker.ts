// A cluster worker: serve with the config the primary passed, report readiness, reload on request. UDP sockets
// share the primary's handle; TCP connections are handed out by the primary.
import { AggregatorRegistry } from "prom-client";
import type { EdgensConfig } from "../config/schema.js";
import { compileNegativeTable } from "../fastpath/negative.js";
import { createLogger } from "../log.js";
import { ServerMetrics } from "../metrics/server-metrics.js";
import { servedAnswers } from "../responder/snapshot.js";
import { type PrimaryMessage, WORKER_CONFIG_ENV, type WorkerMessage } from "./cluster-messages.js";
import { encodeNegativeTable, encodeWireEntries } from "./fast-path-sync.js";
import { secondaryWanted } from "./secondary-wanted.js";
import { type ReloadSummary, ServingNode } from "./serving-node.js";

function send(m: WorkerMessage): void {
  process.send?.(m);
}

export async function runClusterWorker(): Promise<void> {
  const config = JSON.parse(process.env[WORKER_CONFIG_ENV] ?? "null") as EdgensConfig | null;
  if (!config) throw new Error(`${WORKER_CONFIG_ENV} is not set: workers are started by \`edgens serve\``);
  // Signals from a terminal reach the whole process group: only the primary acts on them and tells us.
  process.on("SIGHUP", () => {});
  process.on("SIGINT", () => {});
  const log = createLogger(config.log.level, { worker: Number(process.env.EDGENS_WORKER_INDEX ?? 0) });
  const metrics = new ServerMetrics();
  const index = Number(process.env.EDGENS_WORKER_INDEX ?? 0);

  // Secondary zones: worker 0 hosts their managers (and serves what they build before we serve); the other
  // workers get their states from it, through the primary, before they serve. The code (and the zod schemas
  // it pulls in) is loaded only when secondary zones are configured.
  const secondary = !secondaryWanted(config)
    ? null
    : index === 0
      ? await (await import("./secondary-host-worker.js")).hostSecondaryZones(config, log, metrics)
      : await (await import("./secondary-worker.js")).joinSecondaryZones(config, log, metrics, send);
  // Answer the primary's AggregatorRegistry requests with this worker's registries (worker 0: with the
  // secondary zones' metrics, which only it has).
  AggregatorRegistry.setRegistries([metrics.registry, ...(secondary?.registry ? [secondary.registry] : [])]);
  new AggregatorRegistry();
  let node: ServingNode;
  try {
    // One worker sends NOTIFY for provided zones; every worker serves transfers.
    node = await ServingNode.start(config, metrics, log, {
      sendNotify: index === 0,
      ...(secondary ? { secondary: secondary.table } : {}),
    });
  } catch (e) {
    const err = e as Error & { code?: string };
    send({ type: "edgens:startup-failed", error: err.message, code: err.code ?? "EDGENS_ERR_STARTUP" });
    // Let the message flush before exiting.
    process.disconnect?.();
    process.exitCode = 1;
    return;
  }
  node.onPrecompiled = () => send({ type: "edgens:precompiled" });
  secondary?.attach(node);
  process.on("message", (m: PrimaryMessage) => {
    if (m?.type === "edgens:fast-answers") {
      const snapshot = node.snapshot;
      const { entries, skipped } = encodeWireEntries(servedAnswers(snapshot), m.limit);
      const negative = encodeNegativeTable(compileNegativeTable(snapshot));
      send({ type: "edgens:fast-answers", id: m.id, entries, skipped, negative });
      return;
    }
    if (m?.type !== "edgens:reload") return;
    let summary: ReloadSummary;
    try {
      secondary?.reconfigure(m.config);
      summary = node.reload(m.config);
    } catch (e) {
      // reload() keeps the old data on any failure it knows of; never let an unknown one kill the worker.
      log.error({ err: e }, "reload threw; keeping old data");
      summary = {
        generation: -1,
        zones: [],
        failures: [{ name: "reload", reasons: [(e as Error).message] }],
      };
    }
    send({ type: "edgens:reloaded", id: m.id, summary });
  });
  // The primary going away (crash or stop) ends this worker too.
  process.on("disconnect", () => {
    void (async () => {
      await secondary?.stop().catch((e) => log.error({ err: e }, "stopping the secondary zones failed"));
      await node.close().catch(() => {});
      process.exit(0);
    })();
  });
  send({ type: "edgens:ready", zones: node.zoneCount });
}
