// The Prometheus families of the fast path, from a fake sample (no kernel needed).
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { emptyCounters } from "../../src/fastpath/counters.js";
import { type FastPathSample, registerFastPathMetrics } from "../../src/fastpath/metrics.js";

describe("fast path metrics", () => {
  it("exposes the kernel counters by result and the attach state", async () => {
    const registry = new Registry();
    let sample: FastPathSample | null = {
      counters: { ...emptyCounters(), seen: 7, answered: 5, pass_miss: 2 },
      attached: true,
    };
    registerFastPathMetrics(registry, () => sample);
    const text = await registry.metrics();
    expect(text).toMatch(/edgens_xdp_packets_total\{result="answered"\} 5/);
    expect(text).toMatch(/edgens_xdp_packets_total\{result="pass_miss"\} 2/);
    expect(text).toMatch(/edgens_xdp_attached 1/);
    sample = null;
    const off = await registry.metrics();
    expect(off).not.toMatch(/result="answered"/);
    expect(off).toMatch(/edgens_xdp_attached 0/);
  });
});
