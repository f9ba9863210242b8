// The one line printed when every serving process is up, e.g.
// "edgens ready: listening on 127.0.0.1:5353 udp+tcp, 1 zone(s), 2 workers, metrics on 127.0.0.1:9153".
import type { EdgensConfig } from "../config/schema.js";

export function readyLine(config: EdgensConfig, zoneCount: number, workers: number): string {
  const mode = workers <= 1 ? "in-process" : `${workers} workers`;
  const metrics = config.metrics.listen ? `, metrics on ${config.metrics.listen}` : "";
  const site = config.node.site ? `, site ${config.node.site}` : "";
  return `edgens ready: listening on ${config.listen.join(", ")} udp+tcp, ${zoneCount} zone(s), ${mode}${metrics}${site}`;
}
