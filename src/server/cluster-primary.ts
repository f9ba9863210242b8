// The cluster primary: forks `workers` serving processes, restarts any that crash, prints one ready line when
// all are up, fans reloads out to them, serves the summed metrics of all workers, owns the XDP map, and passes
// the secondary zones' changes from worker 0 (which hosts their managers) on to the other workers.
import cluster, { type Worker } from "node:cluster";
import type { Server } from "node:http";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { AggregatorRegistry } from "prom-client";
import { ConfigError } from "../config/errors.js";
import { parseListenAddress } from "../config/listen-address.js";
import type { EdgensConfig } from "../config/schema.js";
import { ControlMetrics } from "../metrics/control-metrics.js";
import { startMetricsEndpoint } from "../metrics/http-endpoint.js";
import {
  isWorkerMessage,
  type PrimaryMessage,
  WORKER_CONFIG_ENV,
  type WorkerMessage,
} from "./cluster-messages.js";
import {
  ANSWER_CAPACITY,
  decodeNegativeTable,
  decodeWireEntries,
  FastPathSync,
  type WireEntry,
  type WireNegative,
} from "./fast-path-sync.js";
import { readyLine } from "./ready-line.js";
import type { SecondaryChange } from "./secondary-table.js";
import { secondaryWanted } from "./secondary-wanted.js";
import type { ServeOptions, ServerHandle } from "./server-handle.js";
import type { ReloadSummary } from "./serving-node.js";

export class StartupError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  zones: number;
  startedAt: number;
  /** The config version the worker was started with or last reloaded to. */
  configVersion: number;
}

// A worker that dies within this long of starting counts as crash-looping: restart it with a growing delay.
const CRASH_LOOP_MS = 2000;
const MAX_RESTART_DELAY_MS = 10_000;
// A worker serialising its answer table for the fast path: generous, it is only done at start and reload.
const FAST_ANSWERS_TIMEOUT_MS = 30_000;

export async function startClusterPrimary(opts: ServeOptions): Promise<ServerHandle> {
  const { log } = opts;
  let config = opts.config;
  const count = config.workers;
  const control = new ControlMetrics();
  const aggregator = new AggregatorRegistry();
  const slots: Slot[] = [];
  let stopping = false;
  let announced = false;
  let reloadId = 0;
  let configVersion = 0;
  const pendingReloads = new Map<number, { left: number; summaries: ReloadSummary[]; done: () => void }>();
  // The XDP fast path lives here, in the one process that outlives the workers (see fast-path-sync.ts).
  const fastPath = new FastPathSync(log);
  let fastAnswersId = 0;
  /** One worker's answer table for the fast path: the precompiled answers and the NXDOMAIN tables. */
  type FastAnswers = { entries: WireEntry[]; skipped: number; negative: WireNegative };
  const pendingFastAnswers = new Map<number, (r: FastAnswers) => void>();

  // Secondary zones and catalogs: worker 0 hosts the managers next to its own serving node (one transfer per
  // zone, src/server/secondary-host-worker.ts); this process passes their changes on to the other workers,
  // which apply an IXFR's delta, build a whole zone from the file of its transfer messages, or load the persisted copy
  // (src/server/secondary-table.ts). No zone tree here.
  const secondary = secondaryWanted(config);
  let fastResync: NodeJS.Timeout | null = null;
  /** Worker 0's last word on the secondary zones (null: its managers are not up). */
  let secondaryReadiness: { ready: boolean; detail: string } | null = null;
  const passOn = (changes: SecondaryChange[], full: boolean, to?: number) => {
    const msg: PrimaryMessage = { type: "edgens:secondary", changes, full };
    const t0 = performance.now();
    const candidates = changes.filter((c) => c.op === "candidate").length;
    for (const s of to === undefined ? slots.slice(1) : [slots[to]]) {
      if (!s?.worker.isConnected()) continue;
      s.worker.send(msg, () => {
        // A whole zone's messages: where the milliseconds of the hand-off go (with the workers' lines).
        if (candidates > 0)
          log.debug(
            { worker: s.index, ms: Math.round(performance.now() - t0) },
            "transfer candidate passed on",
          );
      });
    }
    // The XDP answers follow the workers' snapshots: ask one worker once the burst of changes is applied
    // (it handles messages in order, so its answer already has them).
    if (to === undefined) scheduleFastResync();
  };
  /** To worker 0, when it is there (a worker 0 that starts sends the whole set to every worker anyway). */
  const toSecondaryHost = (msg: PrimaryMessage) => {
    const host = slots[0];
    if (host?.worker.isConnected()) host.worker.send(msg);
  };
  // Also after a worker swapped in the precompiled answers it built in the background (serving-node.ts).
  const scheduleFastResync = () => {
    if (fastPath.on && !fastResync) {
      fastResync = setTimeout(() => {
        fastResync = null;
        void fetchFastAnswers().then((answers) => {
          if (!fastPath.on) return;
          if (answers)
            fastPath.sync(
              config,
              decodeWireEntries(answers.entries),
              answers.skipped,
              decodeNegativeTable(answers.negative),
            );
          else fastPath.disable("no worker sent its answer table after a secondary zone change");
        });
      }, 200);
    }
  };

  cluster.setupPrimary({
    exec: fileURLToPath(new URL("./worker-main.js", import.meta.url)),
    args: [],
    // Structured clone instead of JSON (plain data only since the transfer messages go as a file).
    serialization: "advanced",
  });

  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  const allReady = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });

  const fork = (index: number, delayMs = 0) => {
    const start = () => {
      if (stopping) return;
      const worker = cluster.fork({
        [WORKER_CONFIG_ENV]: JSON.stringify(config),
        EDGENS_WORKER_INDEX: String(index),
      });
      const slot: Slot = { index, worker, ready: false, zones: 0, startedAt: Date.now(), configVersion };
      slots[index] = slot;
      worker.on("message", (m: unknown) => {
        if (isWorkerMessage(m)) onMessage(slot, m);
      });
      worker.on("exit", (code, signal) => onExit(slot, code, signal));
      // A send to a worker that is dying fails (EPIPE) after isConnected() said yes: an unhandled 'error'
      // would end the primary. The exit handler restarts the worker, which asks for the states again.
      worker.on("error", (e) => log.warn({ worker: index, err: e.message }, "IPC to a worker failed"));
    };
    // Not unref()d: with every worker down, this timer is what keeps the primary alive.
    if (delayMs > 0) setTimeout(start, delayMs);
    else start();
  };

  const refreshReady = () => {
    const ready = slots.filter((s) => s?.ready).length;
    control.workersReady.set(ready);
    if (!announced && ready === count) {
      announced = true;
      resolveReady();
    }
  };

  const restartDelay = new Map<number, number>();
  const onExit = (slot: Slot, code: number | null, signal: string | null) => {
    if (slots[slot.index] !== slot) return;
    slot.ready = false;
    // Worker 0's managers went with it; the restarted one reports again once they are up.
    if (slot.index === 0) secondaryReadiness = null;
    refreshReady();
    if (stopping) return;
    const quick = Date.now() - slot.startedAt < CRASH_LOOP_MS;
    const delay = quick ? Math.min(MAX_RESTART_DELAY_MS, (restartDelay.get(slot.index) ?? 100) * 2) : 0;
    restartDelay.set(slot.index, delay || 100);
    control.workerRestarts.inc();
    log.error(
      { worker: slot.index, workerPid: slot.worker.process.pid, code, signal, restartInMs: delay },
      "worker exited; restarting",
    );
    fork(slot.index, delay);
  };

  const onMessage = (slot: Slot, m: WorkerMessage) => {
    if (m.type === "edgens:secondary-sync") {
      if (slot.index !== 0) toSecondaryHost({ type: "edgens:secondary-sync", to: slot.index });
    } else if (m.type === "edgens:secondary-changes") {
      if (slot.index === 0) passOn(m.changes, m.full, m.to);
    } else if (m.type === "edgens:secondary-readiness") {
      if (slot.index === 0) secondaryReadiness = { ready: m.ready, detail: m.detail };
    } else if (m.type === "edgens:precompiled") {
      scheduleFastResync();
    } else if (m.type === "edgens:notify") {
      toSecondaryHost({ type: "edgens:notify", zone: m.zone, serial: m.serial });
    } else if (m.type === "edgens:ready") {
      slot.ready = true;
      slot.zones = m.zones;
      // A reload happened while this worker was starting with the previous config: bring it up to date.
      if (slot.configVersion !== configVersion) {
        slot.configVersion = configVersion;
        slot.worker.send({ type: "edgens:reload", id: 0, config } satisfies PrimaryMessage);
      }
      refreshReady();
    } else if (m.type === "edgens:startup-failed") {
      // Zones or addresses that fail at startup will fail again: give up instead of crash-looping.
      if (!announced) {
        stopping = true;
        for (const s of slots) s?.worker.kill();
        rejectReady(new StartupError(m.error, m.code));
      } else {
        log.error({ worker: slot.index, error: m.error }, "worker failed to start");
      }
    } else if (m.type === "edgens:fast-answers") {
      pendingFastAnswers.get(m.id)?.({ entries: m.entries, skipped: m.skipped, negative: m.negative });
    } else if (m.type === "edgens:reloaded") {
      const p = pendingReloads.get(m.id);
      if (p) {
        p.summaries.push(m.summary);
        if (--p.left === 0) p.done();
      }
    }
  };

  // The metrics listener comes up first: /healthz answers while workers start, /readyz says how many are up.
  let metricsServer: Server | null = null;
  if (config.metrics.listen) {
    metricsServer = await startMetricsEndpoint(parseListenAddress(config.metrics.listen)!, {
      metrics: async () =>
        `${await aggregator.clusterMetrics()}\n${await control.registry.metrics()}\n${await fastPath.registry.metrics()}`,
      contentType: aggregator.contentType,
      ready: () => {
        const ready = slots.filter((s) => s?.ready).length;
        const sec = secondary
          ? (secondaryReadiness ?? { ready: false, detail: "secondary zones: worker 0 is starting them" })
          : null;
        const detail = `${ready}/${count} workers ready${sec ? `; ${sec.detail}` : ""}`;
        return { ready: ready === count && (sec?.ready ?? true), detail };
      },
    });
  }

  /** The precompiled answers one ready worker serves (every worker compiles the same zones the same way). */
  const fetchFastAnswers = async (): Promise<FastAnswers | null> => {
    const slot = slots.find((s) => s?.ready && s.worker.isConnected());
    if (!slot) return null;
    const id = ++fastAnswersId;
    try {
      return await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), FAST_ANSWERS_TIMEOUT_MS);
        pendingFastAnswers.set(id, (r) => {
          clearTimeout(timer);
          resolve(r);
        });
        const msg: PrimaryMessage = { type: "edgens:fast-answers", id, limit: ANSWER_CAPACITY };
        slot.worker.send(msg);
      });
    } finally {
      pendingFastAnswers.delete(id);
    }
  };

  for (let i = 0; i < count; i++) fork(i);
  try {
    await allReady;
  } catch (e) {
    metricsServer?.close();
    throw e;
  }
  if (config.fastpath.mode === "off") fastPath.start(config, []);
  else {
    const answers = await fetchFastAnswers();
    if (answers)
      fastPath.start(
        config,
        decodeWireEntries(answers.entries),
        answers.skipped,
        decodeNegativeTable(answers.negative),
      );
    else log.warn("XDP fast path off (socket-only): no worker sent its answer table");
  }
  log.info(readyLine(config, slots[0]!.zones, count));

  return {
    async reload() {
      let next: EdgensConfig;
      try {
        next = opts.readConfig();
      } catch (e) {
        control.reloaded(false);
        const problems = e instanceof ConfigError ? e.problems : [(e as Error).message];
        log.error({ problems }, `config reload failed, keeping the running config: ${problems[0] ?? ""}`);
        return false;
      }
      if (next.workers !== config.workers || next.listen.join() !== config.listen.join()) {
        log.warn("listen addresses and worker count change only on restart");
      }
      config = next;
      configVersion++;
      // Secondary zones and catalogs added, removed or changed: worker 0 applies that with the reload.
      const id = ++reloadId;
      // Workers still starting catch up when they report ready (see onMessage).
      const live = slots.filter((s) => s?.ready && s.worker.isConnected());
      for (const s of live) s.configVersion = configVersion;
      const summaries: ReloadSummary[] = [];
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 30_000);
        pendingReloads.set(id, {
          left: live.length,
          summaries,
          done: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        const msg: PrimaryMessage = { type: "edgens:reload", id, config };
        for (const s of live) s.worker.send(msg);
        if (live.length === 0) resolve();
      });
      pendingReloads.delete(id);
      // Every worker has swapped (or timed out): only now does the fast path flip to the new answers.
      if (fastPath.on) {
        const answers = await fetchFastAnswers();
        if (answers)
          fastPath.sync(
            config,
            decodeWireEntries(answers.entries),
            answers.skipped,
            decodeNegativeTable(answers.negative),
          );
        else fastPath.disable("no worker sent its answer table after the reload");
      }
      const ok = summaries.length === live.length && summaries.every((s) => s.failures.length === 0);
      control.reloaded(ok);
      log.info({ zones: summaries[0]?.zones, workers: summaries.length }, "reloaded");
      return ok;
    },
    async stop() {
      stopping = true;
      if (fastResync) clearTimeout(fastResync);
      fastPath.close();
      if (metricsServer) metricsServer.close();
      await Promise.all(
        slots.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (!s || s.worker.isDead()) return resolve();
              s.worker.once("exit", () => resolve());
              // A worker that got the same SIGTERM (systemd signals the whole cgroup) may be gone already:
              // disconnecting then fails with EPIPE, which must not crash the primary before it detaches XDP.
              s.worker.on("error", () => {});
              s.worker.disconnect();
              setTimeout(() => s.worker.kill("SIGKILL"), 3000).unref();
            }),
        ),
      );
    },
  };
}
