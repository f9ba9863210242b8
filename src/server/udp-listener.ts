// UDP transport: one socket per configured address, bound explicitly so replies leave from the address the
// query arrived on. Two implementations with the same behaviour:
// - native (src/server/native-udp.ts, when the addon is built): recvmmsg/sendmmsg batches, one JS call per
//   batch; under node:cluster each worker binds its own SO_REUSEPORT socket, so workers get separate receive
//   queues and the primary binds nothing;
// - dgram (fallback): under node:cluster the workers share the primary's socket handle (exclusive: false).
import cluster from "node:cluster";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { performance } from "node:perf_hooks";
import { formatListenAddress, type ListenAddress } from "../config/listen-address.js";
import type { Logger } from "../log.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";
import type { QueryOutcome, RemoteAddress, Responder } from "../responder/types.js";
import {
  BatchUdpSocket,
  loadNativeUdp,
  type NativeUdpAddon,
  type NativeUdpLoad,
  peerAddress,
} from "./native-udp.js";

export type UdpTransportKind = "native" | "dgram";

export interface UdpListener {
  readonly address: ListenAddress;
  readonly kind: UdpTransportKind;
  /** The bound port (differs from address.port when that is 0). */
  readonly port: number;
  close(): Promise<void>;
}

export interface UdpListenerOptions {
  /** "auto" (default): native when the addon loads, else dgram. "native" fails when it does not load. */
  transport?: "auto" | UdpTransportKind;
  /** SO_REUSEPORT on the native socket; default: when running as a cluster worker. */
  reusePort?: boolean;
  /** Where to look for the addon (tests); default: the package's build directory. */
  nativeLoad?: NativeUdpLoad;
}

// Bursts arrive while the loop is busy (GC, a reload): a deep receive queue turns them into latency, not loss.
// As root the native socket gets this past net.core.rmem_max (SO_RCVBUFFORCE); otherwise the kernel caps it.
const RECV_BUFFER = 8 * 1024 * 1024;
const SEND_BUFFER = 4 * 1024 * 1024;
const BATCH = 64;
const SLOT = 4096;
const ROUNDS = 4;

// Said once per process: which UDP transport serves, or why the fast one could not be used.
let toldTransport = false;
let toldFallback = false;

export async function startUdpListener(
  addr: ListenAddress,
  responder: Responder,
  metrics: ServerMetrics,
  log: Logger,
  opts: UdpListenerOptions = {},
): Promise<UdpListener> {
  const want = opts.transport ?? "auto";
  if (want !== "dgram") {
    const load = opts.nativeLoad ?? loadNativeUdp();
    if (load.available) {
      const l = startNative(addr, responder, metrics, log, load.addon, opts);
      if (!toldTransport) {
        toldTransport = true;
        log.info("UDP: batch transport (recvmmsg/sendmmsg; SO_REUSEPORT socket per cluster worker)");
      }
      return l;
    }
    if (want === "native") throw new Error(`native UDP transport unavailable: ${load.reason}`);
    if (!toldFallback) {
      toldFallback = true;
      log.info(
        `batch UDP transport unavailable, using node:dgram: ${load.reason}. To enable it: ${load.fix}`,
      );
    }
  }
  return startDgram(addr, responder, metrics, log);
}

/** The responder needs the peer only for non-QUERY opcodes (NOTIFY): build it only for those. */
function needsPeer(query: Buffer): boolean {
  return query.length > 2 && (query[2]! & 0x78) !== 0;
}

function startNative(
  addr: ListenAddress,
  responder: Responder,
  metrics: ServerMetrics,
  log: Logger,
  addon: NativeUdpAddon,
  opts: UdpListenerOptions,
): UdpListener {
  const outcome: QueryOutcome = { qtype: -1, rcode: -1, truncated: false };
  // Assigned below; onBatch only runs from the loop, after the constructor returned.
  let sock!: BatchUdpSocket;
  const send = (count: number) => {
    let refused = count;
    try {
      refused = sock.flush(count);
    } catch (e) {
      // Only a closed socket or a bug gets here; an exception must not escape into the native callback.
      log.warn({ err: e, listen: formatListenAddress(addr) }, "UDP batch send failed");
    }
    for (let i = 0; i < refused; i++) metrics.drop("udp_send_error");
  };
  const onBatch = (n: number) => {
    const start = performance.now();
    const { rx, rxMeta, peers, tx, txMeta } = sock;
    let out = 0;
    let off = 0;
    let answered = 0;
    for (let i = 0; i < n; i++) {
      const len = rxMeta[2 * i]!;
      if (len < 0) {
        metrics.drop("udp_oversize");
        continue;
      }
      const query = rx.subarray(i * SLOT, i * SLOT + len);
      outcome.qtype = -1;
      outcome.rcode = -1;
      outcome.truncated = false;
      let answer: Buffer | null;
      let remote: RemoteAddress | undefined;
      try {
        remote = needsPeer(query) ? peerAddress(peers, i) : undefined;
        answer = responder.respond(query, "udp", outcome, remote);
      } catch (e) {
        metrics.drop("responder_error");
        log.error({ err: e, from: peerAddress(peers, i).address }, "responder threw on a UDP query");
        continue;
      }
      if (answer === null) {
        metrics.drop("responder_drop");
        continue;
      }
      if (off + answer.length > tx.length) {
        send(out);
        out = 0;
        off = 0;
      }
      // Copy now: the answer may be a view of the responder's reused writer buffer.
      answer.copy(tx, off);
      txMeta[3 * out] = off;
      txMeta[3 * out + 1] = answer.length;
      txMeta[3 * out + 2] = i;
      off += answer.length;
      out++;
      answered++;
      metrics.countQuery("udp", outcome, answer.length, Number.NaN);
    }
    if (out > 0) send(out);
    metrics.observeLatency("udp", (performance.now() - start) / 1000, answered);
  };
  sock = new BatchUdpSocket(
    addon,
    addr,
    {
      batch: BATCH,
      slot: SLOT,
      rounds: ROUNDS,
      recvBufferSize: RECV_BUFFER,
      sendBufferSize: SEND_BUFFER,
      reusePort: opts.reusePort ?? cluster.isWorker,
    },
    onBatch,
  );
  return {
    address: addr,
    kind: "native",
    port: sock.port,
    close: async () => sock.close(),
  };
}

function startDgram(
  addr: ListenAddress,
  responder: Responder,
  metrics: ServerMetrics,
  log: Logger,
): Promise<UdpListener> {
  const socket: Socket = createSocket({
    type: addr.family === 6 ? "udp6" : "udp4",
    ipv6Only: addr.family === 6,
    recvBufferSize: RECV_BUFFER,
    sendBufferSize: SEND_BUFFER,
  });
  // One outcome object reused for every datagram: respond() is synchronous, so it is never shared.
  const outcome: QueryOutcome = { qtype: -1, rcode: -1, truncated: false };
  socket.on("message", (msg: Buffer, rinfo: RemoteInfo) => {
    const start = performance.now();
    outcome.qtype = -1;
    outcome.rcode = -1;
    outcome.truncated = false;
    let answer: Buffer | null;
    try {
      answer = responder.respond(msg, "udp", outcome, rinfo);
    } catch (e) {
      // The responder promises never to throw; if it does, drop this datagram and keep the worker alive.
      metrics.drop("responder_error");
      log.error({ err: e, from: rinfo.address }, "responder threw on a UDP query");
      return;
    }
    if (answer === null) {
      metrics.drop("responder_drop");
      return;
    }
    socket.send(answer, rinfo.port, rinfo.address);
    metrics.countQuery("udp", outcome, answer.length, (performance.now() - start) / 1000);
  });
  // Send errors (e.g. EPERM from a firewall, ENOBUFS) must not kill the worker.
  const onRuntimeError = (e: Error) => {
    metrics.drop("udp_send_error");
    log.warn({ err: e, listen: formatListenAddress(addr) }, "UDP socket error");
  };
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind({ address: addr.host, port: addr.port, exclusive: false }, () => {
      socket.off("error", reject);
      socket.on("error", onRuntimeError);
      resolve({
        address: addr,
        kind: "dgram",
        port: socket.address().port,
        close: () => new Promise<void>((r) => socket.close(() => r())),
      });
    });
  });
}
