// `--workers 0|1`: serve everything in this process (no node:cluster): useful for tests and small hosts.
import type { Server } from "node:http";
import { Registry } from "prom-client";
import { ConfigError } from "../config/errors.js";
import { parseListenAddress } from "../config/listen-address.js";
import type { EdgensConfig } from "../config/schema.js";
import { ControlMetrics } from "../metrics/control-metrics.js";
import { startMetricsEndpoint } from "../metrics/http-endpoint.js";
import { ServerMetrics } from "../metrics/server-metrics.js";
import { readyLine } from "./ready-line.js";
import type { ServeOptions, ServerHandle } from "./server-handle.js";
import { ServingNode } from "./serving-node.js";

export interface SingleProcessServer extends ServerHandle {
  readonly node: ServingNode;
  readonly metrics: ServerMetrics;
  readonly control: ControlMetrics;
  readonly metricsServer: Server | null;
  readonly config: EdgensConfig;
}

export async function startSingleProcess(opts: ServeOptions): Promise<SingleProcessServer> {
  const { log } = opts;
  let config = opts.config;
  const metrics = new ServerMetrics();
  const control = new ControlMetrics();
  // The metrics listener comes up first: /healthz answers while zones load, /readyz says not yet.
  let node: ServingNode | null = null;
  let metricsServer: Server | null = null;
  if (config.metrics.listen) {
    const merged = Registry.merge([metrics.registry, control.registry]);
    metricsServer = await startMetricsEndpoint(parseListenAddress(config.metrics.listen)!, {
      metrics: () => merged.metrics(),
      contentType: merged.contentType,
      ready: () =>
        node
          ? { ready: true, detail: `ready: ${node.zoneCount} zone(s) loaded` }
          : { ready: false, detail: "starting" },
    });
  }
  try {
    node = await ServingNode.start(config, metrics, log);
  } catch (e) {
    metricsServer?.close();
    throw e;
  }
  control.workersReady.set(1);
  const running = node;
  log.info(readyLine(config, running.zoneCount, 1));

  return {
    node: running,
    metrics,
    control,
    metricsServer,
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
      const summary = running.reload(next);
      config = next;
      const ok = summary.failures.length === 0;
      control.reloaded(ok);
      log.info({ generation: summary.generation, zones: summary.zones }, "reloaded");
      return ok;
    },
    async stop() {
      await running.close();
      if (metricsServer) await new Promise((r) => metricsServer!.close(r));
    },
  };
}
