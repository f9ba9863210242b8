// `--workers 0|1`: serve everything in this process (no node:cluster): useful for tests and small hosts.
import type { Server } from "node:http";
import { Registry } from "prom-client";
import { ConfigError } from "../config/errors.js";
import { parseListenAddress } from "../config/listen-address.js";
import type { EdgensConfig } from "../config/schema.js";
import { compileNegativeTable } from "../fastpath/negative.js";
import { ControlMetrics } from "../metrics/control-metrics.js";
import { startMetricsEndpoint } from "../metrics/http-endpoint.js";
import { ServerMetrics } from "../metrics/server-metrics.js";
import { servedAnswers } from "../responder/snapshot.js";
import { FastPathSync } from "./fast-path-sync.js";
import { readyLine } from "./ready-line.js";
import type { SecondaryHost } from "./secondary-host.js";
import type { SecondaryTable } from "./secondary-table.js";
import { secondaryWanted } from "./secondary-wanted.js";
import type { ServeOptions, ServerHandle } from "./server-handle.js";
import { ServingNode } from "./serving-node.js";

export interface SingleProcessServer extends ServerHandle {
  readonly node: ServingNode;
  readonly metrics: ServerMetrics;
  readonly control: ControlMetrics;
  readonly metricsServer: Server | null;
  readonly config: EdgensConfig;
  readonly fastPath: FastPathSync;
}

export async function startSingleProcess(opts: ServeOptions): Promise<SingleProcessServer> {
  const { log } = opts;
  let config = opts.config;
  const metrics = new ServerMetrics();
  const control = new ControlMetrics();
  const fastPath = new FastPathSync(log);
  // Secondary zones and catalogs: the managers live here, next to the node they feed. Their code (transfers,
  // persistence, zod schemas) is loaded only when some are configured: start-up time.
  const secondary = secondaryWanted(config)
    ? await Promise.all([import("./secondary-host.js"), import("./secondary-table.js")])
    : null;
  const host: SecondaryHost | null = secondary ? new secondary[0].SecondaryHost(config, log) : null;
  // The metrics listener comes up first: /healthz answers while zones load, /readyz says not yet.
  let node: ServingNode | null = null;
  let metricsServer: Server | null = null;
  if (config.metrics.listen) {
    const merged = Registry.merge([metrics.registry, control.registry, fastPath.registry]);
    metricsServer = await startMetricsEndpoint(parseListenAddress(config.metrics.listen)!, {
      // The secondary metrics register as zones are created: read that registry at scrape time, not merged.
      metrics: async () => (await merged.metrics()) + (host ? `\n${await host.registry.metrics()}` : ""),
      contentType: merged.contentType,
      ready: () => {
        if (!node) return { ready: false, detail: "starting" };
        const sec = host?.readiness();
        const detail = `${node.zoneCount} zone(s) loaded${sec ? `; ${sec.detail}` : ""}`;
        return sec && !sec.ready ? { ready: false, detail } : { ready: true, detail: `ready: ${detail}` };
      },
    });
  }
  let table: SecondaryTable | null = null;
  try {
    if (host && secondary) {
      const t = new secondary[1].SecondaryTable(config, log, metrics);
      t.onNotify = (zone, serial) => host.notify(zone, serial);
      table = t;
      // Persisted copies are reported before start() resolves, so the node starts with them. The node gets
      // the built data directly: served before the persisted copy is written.
      await host.start({
        local: (changes) => {
          if (!node) {
            t.apply(changes);
            return;
          }
          node.applySecondary(changes);
          // The XDP answers follow the sockets' snapshot (never stale data of an expired or removed zone).
          if (fastPath.on)
            fastPath.sync(config, servedAnswers(node.snapshot), 0, compileNegativeTable(node.snapshot));
        },
      });
    }
    node = await ServingNode.start(config, metrics, log, table ? { secondary: table } : {});
    // Secondary data is served first through the lookup path, then with its precompiled answers: the XDP map
    // follows that second swap too.
    node.onPrecompiled = (snapshot) => {
      if (fastPath.on) fastPath.sync(config, servedAnswers(snapshot), 0, compileNegativeTable(snapshot));
    };
    if (table) node.applySecondary([]);
  } catch (e) {
    await host?.stop();
    metricsServer?.close();
    throw e;
  }
  control.workersReady.set(1);
  const running = node;
  // This process owns the fast path; it is up (or known to be off) before the ready line. The NXDOMAIN tables
  // are compiled only for a fast path that may start: they walk every name, while the socket path waits.
  const negative = config.fastpath.mode === "off" ? undefined : compileNegativeTable(running.snapshot);
  fastPath.start(config, servedAnswers(running.snapshot), 0, negative);
  log.info(readyLine(config, running.zoneCount, 1));

  return {
    node: running,
    metrics,
    control,
    metricsServer,
    fastPath,
    get config() {
      return config;
    },
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
      // Secondary zones and catalogs added, removed or changed by the new config (their data comes later).
      host?.reconfigure(next);
      const summary = running.reload(next);
      // The sockets answer from the new snapshot now; then the fast path flips to the same answers.
      fastPath.sync(
        next,
        servedAnswers(running.snapshot),
        0,
        fastPath.on ? compileNegativeTable(running.snapshot) : undefined,
      );
      config = next;
      const ok = summary.failures.length === 0;
      control.reloaded(ok);
      log.info({ generation: summary.generation, zones: summary.zones }, "reloaded");
      return ok;
    },
    async stop() {
      await host?.stop();
      fastPath.close();
      await running.close();
      if (metricsServer) await new Promise((r) => metricsServer!.close(r));
    },
  };
}
