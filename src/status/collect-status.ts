// Gathers `edgens status` from the live sources, all in parallel and each bounded: the DNS server's /metrics
// and /readyz, the health agent's /metrics, the admin-state file. A source that does not answer is reported
// as unreachable, never fatal: status is most wanted when something is broken.
import { parsePrometheusText, type Sample } from "../cli/stats.js";
import { readAdminState } from "../health/admin-state.js";
import { httpGet } from "./http-get.js";
import { adminStatus, agentStatus, type NodeStatus, nodeStatus, serverStatus } from "./node-status.js";

export interface StatusSources {
  /** The DNS server's /metrics URL; /readyz is the same origin. */
  serverMetricsUrl: string;
  agentMetricsUrl: string;
  adminStateFile: string;
  timeoutMs?: number;
}

/** `http://h:p/anything` → `http://h:p/readyz`. */
export function readyzUrlFor(metricsUrl: string): string {
  const u = new URL(metricsUrl);
  u.pathname = "/readyz";
  u.search = "";
  return u.toString();
}

async function samples(url: string, timeoutMs: number): Promise<Sample[] | Error> {
  try {
    const r = await httpGet(url, timeoutMs);
    if (r.status !== 200) return new Error(`${url}: HTTP ${r.status}`);
    return parsePrometheusText(r.body);
  } catch (e) {
    return new Error(`${url}: ${(e as Error).message}`);
  }
}

export async function collectStatus(src: StatusSources): Promise<NodeStatus> {
  const timeoutMs = src.timeoutMs ?? 3000;
  const readyz = readyzUrlFor(src.serverMetricsUrl);
  const [server, ready, agent, admin] = await Promise.all([
    samples(src.serverMetricsUrl, timeoutMs),
    httpGet(readyz, timeoutMs).catch((e: Error) => new Error(`${readyz}: ${e.message}`)),
    samples(src.agentMetricsUrl, timeoutMs),
    readAdminState(src.adminStateFile).catch((e: Error) => e),
  ]);
  return nodeStatus(
    serverStatus(src.serverMetricsUrl, server, ready),
    agentStatus(src.agentMetricsUrl, agent),
    adminStatus(src.adminStateFile, admin),
    new Date(),
  );
}
