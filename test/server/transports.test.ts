import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConfig, overlayLayer } from "../../src/config/load-config.js";
import type { Plain } from "../../src/config/merge.js";
import { createLogger } from "../../src/log.js";
import { ServerMetrics } from "../../src/metrics/server-metrics.js";
import { startTransports, type Transports } from "../../src/server/transports.js";
import { decode, freePort, query, TcpClient, udpExchange } from "./dns-client.js";
import { TestResponder } from "./test-responder.js";

const log = createLogger("silent");

async function start(
  overlay: Plain,
  responder = new TestResponder(),
): Promise<{ t: Transports; port: number; metrics: ServerMetrics }> {
  const port = await freePort();
  const config = buildConfig([
    overlayLayer("test", { listen: [`127.0.0.1:${port}`, `[::1]:${port}`], ...overlay }),
  ]);
  const metrics = new ServerMetrics({ defaultMetrics: false });
  const t = await startTransports(config, responder, metrics, log);
  return { t, port, metrics };
}

describe("UDP and TCP on 127.0.0.1 and ::1", () => {
  let s: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    s = await start({ tcp: { idleTimeoutMs: 400, maxConnectionsPerClient: 3, maxMessageSize: 512 } });
  });
  afterAll(() => s.t.close());

  it.each(["127.0.0.1", "::1"])("answers over UDP on %s", async (host) => {
    const r = decode(await udpExchange(host, s.port, query("a.example.", "A", 77)));
    expect(r.id).toBe(77);
    expect(r.answers?.[0]).toMatchObject({ name: "a.example", type: "A", data: "192.0.2.1" });
  });

  it.each(["127.0.0.1", "::1"])("answers over TCP on %s", async (host) => {
    const c = new TcpClient(host, s.port);
    c.send(query("b.example.", "A", 78));
    const [m] = await c.waitFor(1);
    const r = decode(m!);
    expect(r.id).toBe(78);
    expect(r.answers?.[1]).toMatchObject({ type: "TXT" });
    c.destroy();
  });

  it("answers every pipelined query on one connection", async () => {
    const c = new TcpClient("127.0.0.1", s.port);
    const frames = Array.from({ length: 50 }, (_, i) => {
      const q = query(`q${i}.example.`, "A", 1000 + i);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.length);
      return Buffer.concat([len, q]);
    });
    c.socket.write(Buffer.concat(frames)); // all 50 in one write
    const got = await c.waitFor(50);
    expect(got.map((m) => decode(m).id).sort()).toEqual(frames.map((_, i) => 1000 + i).sort());
    c.destroy();
  });

  it("reassembles a message and its length prefix sent one byte at a time", async () => {
    const c = new TcpClient("::1", s.port);
    await c.connected();
    const q = query("split.example.", "A", 4242);
    const framed = Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]);
    for (const byte of framed) {
      c.socket.write(Buffer.from([byte]));
      await new Promise((r) => setTimeout(r, 2));
    }
    const [m] = await c.waitFor(1);
    expect(decode(m!).id).toBe(4242);
    c.destroy();
  });

  it("answers queries sent before the client half-closes", async () => {
    const c = new TcpClient("127.0.0.1", s.port);
    c.send(query("x.example.", "A", 5));
    c.send(query("y.example.", "A", 6));
    c.socket.end();
    expect((await c.waitFor(2)).map((m) => decode(m).id)).toEqual([5, 6]);
    expect(await c.waitClosed(2000)).toBe(true);
  });

  it("closes a client stalled after half a length prefix at the idle timeout", async () => {
    const c = new TcpClient("127.0.0.1", s.port);
    await c.connected();
    c.socket.write(Buffer.from([0]));
    const t0 = Date.now();
    expect(await c.waitClosed(3000)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(c.messages).toHaveLength(0);
  });

  it("closes a client that dribbles a message slower than the idle timeout allows", async () => {
    const c = new TcpClient("127.0.0.1", s.port);
    await c.connected();
    const q = query("slow.example.");
    const framed = Buffer.concat([Buffer.from([0, q.length]), q]);
    for (let i = 0; i < framed.length && !c.closed; i++) {
      c.socket.write(framed.subarray(i, i + 1));
      await new Promise((r) => setTimeout(r, 100)); // each byte within the timeout, the message not
    }
    expect(c.closed).toBe(true);
    expect(c.messages).toHaveLength(0);
  });

  it("closes a connection announcing a message above the size cap", async () => {
    const c = new TcpClient("127.0.0.1", s.port);
    c.socket.write(Buffer.from([0x10, 0x00, 1, 2, 3]));
    expect(await c.waitClosed(2000)).toBe(true);
  });

  it("enforces the per-client connection limit and recovers afterwards", async () => {
    const clients = Array.from({ length: 3 }, () => new TcpClient("127.0.0.1", s.port));
    await Promise.all(clients.map((c) => c.connected()));
    await new Promise((r) => setTimeout(r, 50));
    const extra = new TcpClient("127.0.0.1", s.port);
    expect(await extra.waitClosed(2000)).toBe(true);
    // A different client address (::1) is not affected.
    const v6 = new TcpClient("::1", s.port);
    v6.send(query("v6.example.", "A", 9));
    expect(await v6.waitFor(1)).toHaveLength(1);
    v6.destroy();
    for (const c of clients) c.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const again = new TcpClient("127.0.0.1", s.port);
    again.send(query("again.example.", "A", 10));
    expect(await again.waitFor(1)).toHaveLength(1);
    again.destroy();
    const text = await s.metrics.registry.getSingleMetricAsString("edgens_dropped_total");
    expect(text).toMatch(/reason="tcp_client_limit"} [1-9]/);
  });

  it("survives malformed datagrams and still answers", async () => {
    const { createSocket } = await import("node:dgram");
    const sock = createSocket("udp4");
    for (const junk of [Buffer.alloc(0), Buffer.from([1]), Buffer.alloc(12, 0xff), Buffer.alloc(600, 0x41)]) {
      sock.send(junk, s.port, "127.0.0.1");
    }
    await new Promise((r) => setTimeout(r, 50));
    sock.close();
    const r = decode(await udpExchange("127.0.0.1", s.port, query("ok.example.", "A", 3)));
    expect(r.id).toBe(3);
  });
});

describe("total TCP connection limit", () => {
  it("refuses connections beyond tcp.maxConnections", async () => {
    const s = await start({ tcp: { maxConnections: 2 } });
    try {
      const a = new TcpClient("127.0.0.1", s.port);
      const b = new TcpClient("::1", s.port);
      await Promise.all([a.connected(), b.connected()]);
      await new Promise((r) => setTimeout(r, 50));
      const c = new TcpClient("::1", s.port);
      expect(await c.waitClosed(2000)).toBe(true);
      a.send(query("still.example.", "A", 11));
      expect(await a.waitFor(1)).toHaveLength(1);
      a.destroy();
      b.destroy();
    } finally {
      await s.t.close();
    }
  });
});

describe("write backpressure", () => {
  it("closes a client that sends queries but never reads its (large) answers", async () => {
    const s = await start(
      { tcp: { maxWriteBufferBytes: 65_536, idleTimeoutMs: 2000 } },
      new TestResponder(16_000),
    );
    try {
      const c = new TcpClient("127.0.0.1", s.port);
      await c.connected();
      c.socket.pause(); // never read: the answers pile up in the kernel buffers, then in the server
      const q = query("big.example.", "A", 1);
      const frame = Buffer.concat([Buffer.from([0, q.length]), q]);
      // 2000 queries ask for ~32 MB of answers, far more than the socket buffers hold.
      for (let i = 0; i < 20; i++) c.socket.write(Buffer.concat(Array.from({ length: 100 }, () => frame)));
      // The paused client cannot notice the close itself: watch the server's side.
      const deadline = Date.now() + 10_000;
      while (s.t.tcpTable.open > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(s.t.tcpTable.open).toBe(0);
      c.destroy();
      const dropped = await s.metrics.registry.getSingleMetricAsString("edgens_dropped_total");
      expect(dropped).toMatch(/reason="(tcp_slow_reader|tcp_idle)"} 1/);
      // The server is still fine for others.
      const other = new TcpClient("::1", s.port);
      other.send(query("after.example.", "A", 2));
      expect(await other.waitFor(1)).toHaveLength(1);
      other.destroy();
    } finally {
      await s.t.close();
    }
  });
});
