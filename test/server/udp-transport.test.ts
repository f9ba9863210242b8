// The UDP transport, run with both implementations: the native batch socket (recvmmsg/sendmmsg, when the addon
// is built) and node:dgram. Same answers, same drops, same metrics.
import { createSocket } from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ListenAddress } from "../../src/config/listen-address.js";
import { createLogger } from "../../src/log.js";
import { ServerMetrics } from "../../src/metrics/server-metrics.js";
import type { QueryOutcome, RemoteAddress, Responder, Transport } from "../../src/responder/types.js";
import { ipBytes, loadNativeUdp, peerAddress } from "../../src/server/native-udp.js";
import { startUdpListener, type UdpListener, type UdpTransportKind } from "../../src/server/udp-listener.js";
import { udpLoad } from "../cli/udp-load.js";
import { requirePrereq } from "../helpers/prereq.js";
import { decode, query } from "./dns-client.js";
import { TestResponder } from "./test-responder.js";

const log = createLogger("silent");
const native = loadNativeUdp();
const nativeOk = requirePrereq("native UDP transport", () =>
  native.available ? null : `${native.reason} (${native.fix})`,
);
const KINDS: UdpTransportKind[] = nativeOk ? ["native", "dgram"] : ["dgram"];

/** Remembers the peer the transport passed for NOTIFY (opcode 4) and answers everything else as usual. */
class PeerRecorder extends TestResponder {
  remotes: (RemoteAddress | undefined)[] = [];
  override respond(q: Buffer, t: Transport, o: QueryOutcome, remote?: RemoteAddress): Buffer | null {
    if (q.length >= 12 && ((q[2]! >> 3) & 0xf) === 4) this.remotes.push(remote && { ...remote });
    return super.respond(q, t, o);
  }
}

/** Send `msg` from a fresh socket; resolves with the answer and where it came from, or null on timeout. */
function exchange(host: string, port: number, msg: Buffer, timeoutMs = 1500) {
  return new Promise<{ answer: Buffer; from: string; localPort: number } | null>((resolve) => {
    const s = createSocket(host.includes(":") ? "udp6" : "udp4");
    const timer = setTimeout(() => {
      s.close();
      resolve(null);
    }, timeoutMs);
    s.on("message", (answer, rinfo) => {
      clearTimeout(timer);
      const localPort = s.address().port;
      s.close();
      resolve({ answer, from: rinfo.address, localPort });
    });
    s.send(msg, port, host);
  });
}

async function metricValue(metrics: ServerMetrics, series: string): Promise<number> {
  const text = await metrics.registry.metrics();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(" ")[1]) : 0;
}

describe.each(KINDS)("UDP transport: %s", (kind) => {
  const responder = new PeerRecorder();
  const metrics = new ServerMetrics({ defaultMetrics: false });
  const listeners: UdpListener[] = [];
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    for (const [host, family] of [
      ["127.0.0.1", 4],
      ["::1", 6],
    ] as const) {
      const addr: ListenAddress = { host, port: 0, family };
      const l = await startUdpListener(addr, responder, metrics, log, { transport: kind });
      expect(l.kind).toBe(kind);
      listeners.push(l);
      ports[host] = l.port;
    }
  });
  afterAll(async () => {
    await Promise.all(listeners.map((l) => l.close()));
  });

  it.each(["127.0.0.1", "::1"])("answers on %s from the address the query was sent to", async (host) => {
    const r = await exchange(host, ports[host]!, query("a.example.", "A", 77));
    expect(r).not.toBeNull();
    expect(r!.from).toBe(host);
    const p = decode(r!.answer);
    expect(p.id).toBe(77);
    expect(p.answers?.[0]).toMatchObject({ name: "a.example", type: "A", data: "192.0.2.1" });
  });

  it("drops empty, short and QR=1 datagrams, answers garbage with FORMERR, and keeps serving", async () => {
    const dropsBefore = await metricValue(metrics, 'edgens_dropped_total{reason="responder_drop"}');
    const port = ports["127.0.0.1"]!;
    const response = query("r.example.", "A", 9);
    response[2]! |= 0x80;
    for (const bad of [Buffer.alloc(0), Buffer.from([1, 2, 3, 4, 5]), response]) {
      expect(await exchange("127.0.0.1", port, bad, 300)).toBeNull();
    }
    const garbage = Buffer.alloc(40, 0xff);
    garbage[2] = 0x01; // QR=0
    const formerr = await exchange("127.0.0.1", port, garbage);
    expect(formerr).not.toBeNull();
    expect(formerr!.answer[3]! & 0xf).toBe(1);
    const ok = await exchange("127.0.0.1", port, query("after.example.", "A", 10));
    expect(decode(ok!.answer).id).toBe(10);
    expect(await metricValue(metrics, 'edgens_dropped_total{reason="responder_drop"}')).toBe(dropsBefore + 3);
  });

  it.each(["127.0.0.1", "::1"])("passes the peer address to the responder for NOTIFY on %s", async (host) => {
    const notify = query("z.example.", "SOA", 31);
    notify[2] = (4 << 3) | 0x04; // opcode NOTIFY, AA
    responder.remotes = [];
    const r = await exchange(host, ports[host]!, notify);
    expect(r).not.toBeNull();
    expect(responder.remotes).toHaveLength(1);
    expect(responder.remotes[0]).toMatchObject({ address: host, port: r!.localPort });
  });

  it("counts answers in the prom-client metrics at scrape time", async () => {
    const series = 'edgens_queries_total{transport="udp",qtype="A",rcode="NOERROR"}';
    const before = await metricValue(metrics, series);
    for (let i = 0; i < 3; i++) await exchange("127.0.0.1", ports["127.0.0.1"]!, query(`m${i}.example.`));
    expect(await metricValue(metrics, series)).toBe(before + 3);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/edgens_response_latency_seconds_bucket\{le="\+Inf",transport="udp"\} [1-9]/);
    expect(text).toMatch(/edgens_response_size_bytes_count\{transport="udp"\} [1-9]/);
  });

  it("answers a burst of 20000 queries at a modest rate without losing one", async () => {
    const r = await udpLoad({
      host: "127.0.0.1",
      port: ports["127.0.0.1"]!,
      name: "burst.example.",
      total: 20_000,
      durationMs: 4000,
      window: 200,
      lostAfterMs: 3000,
      check: (a) => (a.answers?.[0]?.data === "192.0.2.1" ? null : `bad answer ${JSON.stringify(a.answers)}`),
    });
    expect(r.wrong).toEqual([]);
    expect(r.lost).toBe(0);
    expect(r.answered).toBe(20_000);
  }, 60_000);
});

describe.skipIf(!nativeOk)("native UDP transport only", () => {
  it("drops a datagram larger than its receive slot and keeps serving", async () => {
    const metrics = new ServerMetrics({ defaultMetrics: false });
    const l = await startUdpListener(
      { host: "127.0.0.1", port: 0, family: 4 },
      new TestResponder(),
      metrics,
      log,
      {
        transport: "native",
      },
    );
    try {
      const big = Buffer.concat([query("big.example."), Buffer.alloc(5000)]);
      expect(await exchange("127.0.0.1", l.port, big, 300)).toBeNull();
      expect(decode((await exchange("127.0.0.1", l.port, query("small.example.", "A", 5)))!.answer).id).toBe(
        5,
      );
      expect(await metricValue(metrics, 'edgens_dropped_total{reason="udp_oversize"}')).toBe(1);
    } finally {
      await l.close();
    }
  });

  it("spreads clients over two SO_REUSEPORT sockets bound to the same address", async () => {
    const tagged = (tag: string): Responder => {
      const inner = new TestResponder();
      return { respond: (q, _t, o) => inner.respond(q, tag as Transport, o) };
    };
    const metrics = new ServerMetrics({ defaultMetrics: false });
    const opts = { transport: "native", reusePort: true } as const;
    const a = await startUdpListener(
      { host: "127.0.0.1", port: 0, family: 4 },
      tagged("A"),
      metrics,
      log,
      opts,
    );
    const b = await startUdpListener(
      { host: "127.0.0.1", port: a.port, family: 4 },
      tagged("B"),
      metrics,
      log,
      opts,
    );
    try {
      const seen = new Set<string>();
      // Each exchange uses a new source port; the kernel hashes the 4-tuple onto one of the sockets.
      for (let i = 0; i < 64 && seen.size < 2; i++) {
        const r = await exchange("127.0.0.1", a.port, query(`s${i}.example.`, "A", i));
        seen.add(String(decode(r!.answer).answers?.[1]?.data));
      }
      expect([...seen].sort()).toEqual(["A", "B"]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("refuses a second socket on the same address without SO_REUSEPORT (EADDRINUSE)", async () => {
    const metrics = new ServerMetrics({ defaultMetrics: false });
    const a = await startUdpListener(
      { host: "127.0.0.1", port: 0, family: 4 },
      new TestResponder(),
      metrics,
      log,
      {
        transport: "native",
        reusePort: false,
      },
    );
    try {
      await expect(
        startUdpListener({ host: "127.0.0.1", port: a.port, family: 4 }, new TestResponder(), metrics, log, {
          transport: "native",
        }),
      ).rejects.toMatchObject({ code: "EADDRINUSE" });
    } finally {
      await a.close();
    }
  });
});

describe("native UDP helpers", () => {
  it.each([
    ["::1", "00000000000000000000000000000001"],
    ["2001:db8::53", "20010db8000000000000000000000053"],
    ["fe80::1:2", "fe800000000000000000000000010002"],
    ["::ffff:192.0.2.1", "00000000000000000000ffffc0000201"],
    ["1:2:3:4:5:6:7:8", "00010002000300040005000600070008"],
  ])("encodes %s", (text, hex) => {
    expect(ipBytes(text, 6).toString("hex")).toBe(hex);
  });

  it("decodes sockaddr_in and sockaddr_in6 peers like node:dgram's rinfo", () => {
    const peers = Buffer.alloc(56);
    peers.writeUInt16LE(2, 0);
    peers.writeUInt16BE(5353, 2);
    ipBytes("192.0.2.7", 4).copy(peers, 4);
    peers.writeUInt16LE(10, 28);
    peers.writeUInt16BE(53, 30);
    ipBytes("2001:db8::1:0:0:53", 6).copy(peers, 36);
    expect(peerAddress(peers, 0)).toEqual({ address: "192.0.2.7", port: 5353 });
    expect(peerAddress(peers, 1)).toEqual({ address: "2001:db8::1:0:0:53", port: 53 });
  });

  it("falls back to dgram when the addon cannot be loaded", async () => {
    const load = loadNativeUdp(["/nonexistent/edgens_udp.node"]);
    expect(load.available).toBe(false);
    const l = await startUdpListener(
      { host: "127.0.0.1", port: 0, family: 4 },
      new TestResponder(),
      new ServerMetrics({ defaultMetrics: false }),
      log,
      { nativeLoad: load },
    );
    try {
      expect(l.kind).toBe("dgram");
      expect((await exchange("127.0.0.1", l.port, query("fb.example.", "A", 3)))?.answer).toBeDefined();
    } finally {
      await l.close();
    }
  });
});
