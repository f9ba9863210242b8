// Health checks against a real DNS responder on loopback: good answers, SERVFAIL, missing AA, wrong data and
// serial, a hung server (timeout) and a closed port (refused, which must fail in milliseconds, not after the timeout).
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CheckResult,
  type DnsCheckSpec,
  dnsCheck,
  fastPathCheck,
  readyzCheck,
  xdpAttachedProbe,
} from "../../src/health/checks.js";
import { closedPort, startResponder, type TestResponder } from "./dns-responder.js";

let r4: TestResponder;
let r6: TestResponder | null = null;

beforeAll(async () => {
  r4 = await startResponder("127.0.0.1");
  try {
    r6 = await startResponder("::1");
  } catch {
    console.warn("SKIP IPv6 loopback checks: ::1 is not available");
  }
});
afterAll(async () => {
  await r4.close();
  await r6?.close();
});

function spec(over: Partial<DnsCheckSpec> = {}): DnsCheckSpec {
  return {
    transport: "udp",
    address: "127.0.0.1",
    port: r4.port,
    name: "example.com",
    qtype: "SOA",
    expect: { rcode: "NOERROR", aa: true },
    timeoutMs: 150,
    ...over,
  };
}

function reason(r: CheckResult): string {
  return r.ok ? "ok" : r.reason;
}

describe("DNS checks", () => {
  const table: { name: string; mode: TestResponder["mode"]; over?: Partial<DnsCheckSpec>; want: string }[] = [
    { name: "good SOA", mode: "ok", want: "ok" },
    { name: "SERVFAIL", mode: "servfail", want: "rcode" },
    { name: "AA missing", mode: "noaa", want: "not-authoritative" },
    { name: "AA not required", mode: "noaa", over: { expect: { rcode: "NOERROR", aa: false } }, want: "ok" },
    {
      name: "serial matches",
      mode: "ok",
      over: { expect: { rcode: "NOERROR", aa: true, serial: 2026112301 } },
      want: "ok",
    },
    {
      name: "serial differs",
      mode: "ok",
      over: { expect: { rcode: "NOERROR", aa: true, serial: 7 } },
      want: "serial",
    },
    {
      name: "serial from the authority section",
      mode: "ok",
      over: {
        name: "www.example.com",
        qtype: "TXT",
        expect: { rcode: "NOERROR", aa: true, serial: 2026112301 },
      },
      want: "ok",
    },
    {
      name: "answer data matches",
      mode: "ok",
      over: {
        name: "www.example.com",
        qtype: "A",
        expect: { rcode: "NOERROR", aa: true, answer: ["192.0.2.1"] },
      },
      want: "ok",
    },
    {
      name: "wrong answer data",
      mode: "wrong",
      over: {
        name: "www.example.com",
        qtype: "A",
        expect: { rcode: "NOERROR", aa: true, answer: ["192.0.2.1"] },
      },
      want: "answer",
    },
    { name: "hung server", mode: "hang", want: "timeout" },
  ];
  for (const transport of ["udp", "tcp"] as const) {
    for (const c of table) {
      it(`${transport}: ${c.name} → ${c.want}`, async () => {
        r4.mode = c.mode;
        const r = await dnsCheck(spec({ transport, ...c.over })).run();
        r4.mode = "ok";
        expect(reason(r)).toBe(c.want);
        if (c.want === "timeout") expect(r.latencyMs).toBeGreaterThanOrEqual(140);
      });
    }
  }

  for (const transport of ["udp", "tcp"] as const) {
    it(`${transport}: a closed port is refused at once and fatal`, async () => {
      const port = await closedPort();
      const r = await dnsCheck(spec({ transport, port, timeoutMs: 1000 })).run();
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.reason).toBe("refused");
        expect(r.fatal).toBe(true);
      }
      // ICMP port unreachable on a connected UDP socket arrives as ECONNREFUSED well before the 1 s timeout.
      expect(r.latencyMs).toBeLessThan(100);
    });
  }

  it("IPv6 checks carry family 6", async () => {
    if (!r6) return;
    const c = dnsCheck(spec({ address: "::1", port: r6.port }));
    expect(c.family).toBe(6);
    expect(c.id).toBe(`udp:[::1]:${r6.port}:example.com/SOA`);
    expect((await c.run()).ok).toBe(true);
    const refused = await dnsCheck(
      spec({ address: "::1", port: await closedPort("::1"), timeoutMs: 1000 }),
    ).run();
    expect(reason(refused)).toBe("refused");
    expect(refused.latencyMs).toBeLessThan(100);
  });

  it("IPv4 checks carry family 4", () => {
    expect(dnsCheck(spec()).family).toBe(4);
  });
});

describe("readyz check", () => {
  let status = 200;
  let hang = false;
  let srv: http.Server;
  let url = "";
  beforeAll(async () => {
    srv = http.createServer((req, res) => {
      if (hang) return;
      res.statusCode = req.url === "/readyz" ? status : 404;
      res.end();
    });
    await new Promise<void>((res) => srv.listen(0, "127.0.0.1", () => res()));
    const a = srv.address();
    url = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}/readyz`;
  });
  afterAll(async () => {
    srv.closeAllConnections();
    await new Promise<void>((res) => srv.close(() => res()));
  });

  it("200 is ready, 503 is not-ready, a hung endpoint times out, no listener is refused", async () => {
    expect(reason(await readyzCheck(url, 150).run())).toBe("ok");
    status = 503;
    expect(reason(await readyzCheck(url, 150).run())).toBe("not-ready");
    status = 200;
    hang = true;
    expect(reason(await readyzCheck(url, 150).run())).toBe("timeout");
    hang = false;
    const port = await closedPort();
    const r = await readyzCheck(`http://127.0.0.1:${port}/readyz`, 150).run();
    expect(reason(r)).toBe("refused");
    expect(readyzCheck(url, 150).family).toBeNull();
  });
});

describe("fast-path check", () => {
  it("is skipped when the node does not use the fast path", async () => {
    const r = await fastPathCheck().run();
    expect(r).toMatchObject({ ok: true, skipped: true });
    expect(reason(await fastPathCheck(async () => ({ fail: "detached" })).run())).toBe("error");
  });

  it("reads edgens_xdp_attached from the server's /metrics: attached, detached, not exported", async () => {
    let body = "";
    const srv = http.createServer((_req, res) => res.end(body));
    await new Promise<void>((res) => srv.listen(0, "127.0.0.1", () => res()));
    const a = srv.address();
    const url = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}/metrics`;
    try {
      const check = (cacheMs = 0) => fastPathCheck(xdpAttachedProbe(url, 150, cacheMs)).run();
      body = "# TYPE edgens_xdp_attached gauge\nedgens_xdp_attached 1\nedgens_queries_total 5\n";
      expect(await check()).toMatchObject({ ok: true });
      expect(await check()).not.toHaveProperty("skipped");
      body = "edgens_xdp_attached 0\n";
      const detached = await check();
      expect(detached.ok).toBe(false);
      expect(detached.ok ? "" : detached.detail).toMatch(/not attached/);
      body = "edgens_queries_total 5\n";
      expect(reason(await check())).toBe("error");
      // Results are reused within the cache window (a scrape aggregates every worker).
      const cached = xdpAttachedProbe(url, 150, 60_000);
      body = "edgens_xdp_attached 1\n";
      expect(await cached()).toBe("ok");
      body = "edgens_xdp_attached 0\n";
      expect(await cached()).toBe("ok");
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((res) => srv.close(() => res()));
    }
  });
});
