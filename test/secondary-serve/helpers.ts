// Helpers for the `edgens serve` secondary tests: SOA/rcode probes over UDP, /readyz and /metrics, waiting.
import { expect } from "vitest";
import type { Spawned } from "../cli/spawn-server.js";
import { query } from "../helpers/dns-client.js";

export const HOST = "127.0.0.1";

export { randomPort } from "../helpers/ports.js";

export interface Probe {
  rcode: number;
  serial: number | null;
}

/** SOA of `zone` over UDP (or TCP): the rcode and the serial when answered; rcode -1 on timeout. */
export async function soa(port: number, zone: string, transport: "udp" | "tcp" = "udp"): Promise<Probe> {
  try {
    const r = await query({ host: HOST, port }, { qname: zone, qtype: "SOA", transport }, 1000);
    const ans = r.packet?.answers?.find((a) => a.type === "SOA");
    const serial = ans && ans.type === "SOA" ? (ans.data as { serial: number }).serial : null;
    return { rcode: r.header.rcode, serial };
  } catch {
    return { rcode: -1, serial: null };
  }
}

export async function until<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 15_000,
  stepMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 300)}`);
}

export async function readyz(port: number): Promise<{ status: number; body: string }> {
  try {
    const r = await fetch(`http://${HOST}:${port}/readyz`);
    return { status: r.status, body: await r.text() };
  } catch (e) {
    return { status: -1, body: (e as Error).message };
  }
}

export async function metricsText(port: number): Promise<string> {
  const r = await fetch(`http://${HOST}:${port}/metrics`);
  return r.text();
}

/** The value of one sample line, e.g. metricValue(text, 'edgens_zone_transfer_failures_total{zone="a.",reason="tsig"}'). */
export function metricValue(text: string, series: string): number | null {
  for (const line of text.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return null;
}

/** Log lines of a spawned server (pino JSON) whose message matches. */
export function logged(s: Spawned, msg: RegExp): Record<string, unknown>[] {
  return s.output.flatMap((l) => {
    try {
      const j = JSON.parse(l) as Record<string, unknown>;
      return msg.test(String(j.msg)) ? [j] : [];
    } catch {
      return [];
    }
  });
}

/** Enough UDP queries that every cluster worker answers some (the kernel spreads them): each must say `serial`. */
export async function everyWorkerServes(port: number, zone: string, serial: number): Promise<void> {
  for (let i = 0; i < 20; i++) expect((await soa(port, zone)).serial).toBe(serial);
}

/** Wait until every worker serves `serial` (20 answers in a row: SO_REUSEPORT spreads them over the workers). */
export async function untilEveryWorkerServes(
  port: number,
  zone: string,
  serial: number,
  timeoutMs = 15_000,
): Promise<void> {
  await until(
    `every worker on serial ${serial}`,
    async () => {
      for (let i = 0; i < 20; i++) if ((await soa(port, zone)).serial !== serial) return false;
      return true;
    },
    (all) => all,
    timeoutMs,
  );
}
