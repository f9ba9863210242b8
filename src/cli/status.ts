// `edgens status [--json] [--metrics URL] [--agent-metrics URL] [--admin-state FILE] [--config FILE [--site FILE]]`:
// the node's health at a glance — server readiness and zone serials, the agent's state per prefix, announced
// prefixes, BGP sessions, drain state. Exit 0 when serving, 3 when not (drained, degraded, down), 1 on a bad
// config, 2 on misuse. The --json shape is public (src/status/node-status.ts, docs/failover.md).
import { parseArgs } from "node:util";
import { ConfigError } from "../config/errors.js";
import { formatListenAddress, parseListenAddress } from "../config/listen-address.js";
import { loadConfig } from "../config/load-config.js";
import { DEFAULT_ADMIN_STATE_FILE } from "../health/admin-state.js";
import { collectStatus } from "../status/collect-status.js";
import { formatStatus } from "../status/status-table.js";
import { DEFAULT_METRICS_URL, metricsUrl } from "./stats.js";

export const DEFAULT_AGENT_METRICS_URL = "http://127.0.0.1:9154/metrics";

export interface Writer {
  write(chunk: string): unknown;
}

const USAGE = `usage: edgens status [--json] [--metrics URL] [--agent-metrics URL] [--admin-state FILE]
                     [--config FILE [--site FILE]]
  --metrics URL         the DNS server's /metrics (ADDR:PORT or URL; default ${DEFAULT_METRICS_URL})
  --agent-metrics URL   the health agent's /metrics (default ${DEFAULT_AGENT_METRICS_URL})
  --admin-state FILE    the drain file (default ${DEFAULT_ADMIN_STATE_FILE})
  --config FILE         take the three above from the node config (metrics.listen, health.metrics,
                        health.adminStateFile); flags still override
  --json                machine-readable output (docs/failover.md)
exit status: 0 serving, 3 not serving (drained, degraded or down), 1 bad config, 2 misuse
`;

export async function runStatus(args: string[], out: Writer, err: Writer): Promise<number> {
  let v: {
    json?: boolean;
    metrics?: string;
    "agent-metrics"?: string;
    "admin-state"?: string;
    config?: string;
    site?: string;
    help?: boolean;
  };
  try {
    ({ values: v } = parseArgs({
      args,
      options: {
        json: { type: "boolean" },
        metrics: { type: "string" },
        "agent-metrics": { type: "string" },
        "admin-state": { type: "string" },
        config: { type: "string" },
        site: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    err.write(`edgens status: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (v.help) {
    out.write(USAGE);
    return 0;
  }
  if (v.site !== undefined && v.config === undefined) {
    err.write(`edgens status: --site needs --config\n${USAGE}`);
    return 2;
  }
  let fromConfig: { server?: string; agent?: string; admin?: string } = {};
  if (v.config !== undefined) {
    try {
      const cfg = loadConfig({ file: v.config, ...(v.site !== undefined ? { site: v.site } : {}) });
      const url = (listen: string | null | undefined) => {
        const a = listen ? parseListenAddress(listen) : null;
        return a ? `http://${formatListenAddress(a)}/metrics` : undefined;
      };
      fromConfig = {
        server: url(cfg.metrics.listen),
        agent: url(cfg.health.metrics),
        admin: cfg.health.adminStateFile,
      };
    } catch (e) {
      const msg = e instanceof ConfigError ? e.problems.join("\n  ") : (e as Error).message;
      err.write(`edgens status: EDGENS_ERR_CONFIG: ${v.config}: ${msg}\n`);
      return 1;
    }
  }
  const server = metricsUrl(v.metrics ?? fromConfig.server ?? DEFAULT_METRICS_URL);
  const agent = metricsUrl(v["agent-metrics"] ?? fromConfig.agent ?? DEFAULT_AGENT_METRICS_URL);
  for (const [flag, url] of [
    ["--metrics", server],
    ["--agent-metrics", agent],
  ] as const) {
    if (!url || url.startsWith("https:")) {
      err.write(`edgens status: ${flag}: expected an http URL or ADDR:PORT\n${USAGE}`);
      return 2;
    }
  }
  const status = await collectStatus({
    serverMetricsUrl: server!,
    agentMetricsUrl: agent!,
    adminStateFile: v["admin-state"] ?? fromConfig.admin ?? DEFAULT_ADMIN_STATE_FILE,
  });
  out.write(v.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
  return status.verdict === "serving" ? 0 : 3;
}
