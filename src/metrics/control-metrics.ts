// Metrics of the control side (the cluster primary, or the single process): worker readiness and restarts,
// config reloads. Kept in their own registry: in cluster mode the primary appends them to the workers' sum.
import { Counter, Gauge, Registry } from "prom-client";

export class ControlMetrics {
  readonly registry = new Registry();
  readonly workersReady = new Gauge({
    name: "edgens_workers_ready",
    help: "Serving processes that are up with their zones loaded",
    registers: [this.registry],
  });
  readonly workerRestarts = new Counter({
    name: "edgens_worker_restarts_total",
    help: "Workers restarted after they exited unexpectedly",
    registers: [this.registry],
  });
  private readonly reloads = new Counter({
    name: "edgens_config_reloads_total",
    help: "Reloads (SIGHUP) by result; a failed one keeps the previous config and zones serving",
    labelNames: ["result"],
    registers: [this.registry],
  });

  constructor() {
    this.reloads.labels("success").inc(0);
    this.reloads.labels("failure").inc(0);
  }

  reloaded(ok: boolean): void {
    this.reloads.labels(ok ? "success" : "failure").inc();
  }
}
