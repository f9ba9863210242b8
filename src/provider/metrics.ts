// Metrics of the primary role, one set per prom-client Registry (the serving process's), created on first use.
// In a cluster the primary's AggregatorRegistry sums the counters of all workers.
import { Counter, Gauge, type Registry } from "prom-client";

const byRegistry = new WeakMap<Registry, ProviderMetrics>();

export class ProviderMetrics {
  /** Transfer requests by zone (provided zones; "other" for the rest) and outcome. */
  readonly transfers: Counter<"zone" | "outcome">;
  /** NOTIFY results per peer: ok, error (an error RCODE or a bad answer), timeout. */
  readonly notifies: Counter<"zone" | "result">;
  readonly journalDeltas: Gauge<"zone">;

  static for(registry: Registry): ProviderMetrics {
    let m = byRegistry.get(registry);
    if (!m) {
      m = new ProviderMetrics(registry);
      byRegistry.set(registry, m);
    }
    return m;
  }

  private constructor(registry: Registry) {
    const registers = [registry];
    this.transfers = new Counter({
      name: "edgens_zone_transfers_out_total",
      help: "AXFR/IXFR requests answered, by outcome (axfr, ixfr, ixfr-axfr, ixfr-current, refused, notauth, bad-tsig, formerr)",
      labelNames: ["zone", "outcome"],
      registers,
    });
    this.notifies = new Counter({
      name: "edgens_notify_out_total",
      help: "NOTIFY messages sent to secondaries, by result per peer (ok, error, timeout)",
      labelNames: ["zone", "result"],
      registers,
    });
    this.journalDeltas = new Gauge({
      name: "edgens_zone_journal_deltas",
      help: "IXFR journal entries held for a provided zone",
      labelNames: ["zone"],
      registers,
      aggregator: "max",
    });
  }
}
