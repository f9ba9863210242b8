// Metrics of secondary zones, one set per prom-client Registry shared by all zones (a zone label each).
// Seconds until expire is computed at scrape time from each zone's live state.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { FailureReason } from "./errors.js";

const byRegistry = new WeakMap<Registry, SecondaryMetrics>();

export class SecondaryMetrics {
  readonly transferSeconds: Histogram<"zone" | "kind">;
  readonly failures: Counter<"zone" | "reason">;
  readonly lastRefresh: Gauge<"zone">;
  readonly expireSeconds: Gauge<"zone">;
  readonly bytes: Counter<"zone">;
  private readonly expiresAt = new Map<string, () => number | null>();

  /** The metrics registered in `registry`, created on first use. */
  static for(registry: Registry): SecondaryMetrics {
    let m = byRegistry.get(registry);
    if (!m) {
      m = new SecondaryMetrics(registry);
      byRegistry.set(registry, m);
    }
    return m;
  }

  private constructor(registry: Registry) {
    const registers = [registry];
    this.transferSeconds = new Histogram({
      name: "edgens_zone_transfer_seconds",
      help: "Duration of successful zone transfers (SOA check excluded), by kind (axfr, ixfr)",
      labelNames: ["zone", "kind"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.failures = new Counter({
      name: "edgens_zone_transfer_failures_total",
      help: "Failed refreshes per primary tried, by reason (timeout, tsig, serial-backwards, invalid-zone, ...)",
      labelNames: ["zone", "reason"],
      registers,
    });
    this.lastRefresh = new Gauge({
      name: "edgens_zone_last_refresh_timestamp_seconds",
      help: "When a refresh of the zone last succeeded (Unix time)",
      labelNames: ["zone"],
      registers,
    });
    this.bytes = new Counter({
      name: "edgens_zone_transfer_bytes_total",
      help: "Bytes received in zone transfers (AXFR and IXFR answers)",
      labelNames: ["zone"],
      registers,
    });
    const expiresAt = this.expiresAt;
    this.expireSeconds = new Gauge({
      name: "edgens_zone_expire_seconds",
      help: "Seconds until the zone expires (negative: expired, data no longer served)",
      labelNames: ["zone"],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const [zone, at] of expiresAt) {
          const t = at();
          if (t !== null) this.labels(zone).set((t - now) / 1000);
        }
      },
    });
  }

  /** Start reporting a zone; returns the function that stops it. */
  track(zone: string, expiresAt: () => number | null): () => void {
    this.expiresAt.set(zone, expiresAt);
    return () => {
      if (this.expiresAt.get(zone) === expiresAt) this.expiresAt.delete(zone);
    };
  }

  failed(zone: string, reason: FailureReason): void {
    this.failures.labels(zone, reason).inc();
  }
}
