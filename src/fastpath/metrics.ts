// Prometheus view of the fast path: the kernel's per-CPU counters (summed) as one counter family, and
// whether our program is attached. Values are read at scrape time; nothing runs per packet in Node.
import { Counter, Gauge, type Registry } from "prom-client";
import { COUNTER_NAMES, type FastPathCounters } from "./counters.js";

export interface FastPathSample {
  counters: FastPathCounters;
  attached: boolean;
}

/** `sample` returns null while the fast path is unavailable or closed (the families then stay empty). */
export function registerFastPathMetrics(registry: Registry, sample: () => FastPathSample | null): void {
  new Counter({
    name: "edgens_xdp_packets_total",
    help: "Packets seen by the XDP program, by result: seen, answered, dropped, or pass_<reason>",
    labelNames: ["result"],
    registers: [registry],
    collect() {
      const s = sample();
      this.reset();
      if (!s) return;
      for (const name of COUNTER_NAMES) this.inc({ result: name }, s.counters[name]);
    },
  });
  new Gauge({
    name: "edgens_xdp_attached",
    help: "1 when the XDP program runs on the service interface",
    registers: [registry],
    collect() {
      const s = sample();
      this.set(s?.attached ? 1 : 0);
    },
  });
}
