// UDP transport: one socket per configured address, bound explicitly so replies leave from the address the
// query arrived on. Under node:cluster the workers share the primary's socket handle (exclusive: false).
import { createSocket, type Socket } from "node:dgram";
import { performance } from "node:perf_hooks";
import { formatListenAddress, type ListenAddress } from "../config/listen-address.js";
import type { Logger } from "../log.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";
import type { QueryOutcome, Responder } from "../responder/types.js";

export interface UdpListener {
  readonly address: ListenAddress;
  close(): Promise<void>;
}

export function startUdpListener(
  addr: ListenAddress,
  responder: Responder,
  metrics: ServerMetrics,
  log: Logger,
): Promise<UdpListener> {
  const socket: Socket = createSocket({
    type: addr.family === 6 ? "udp6" : "udp4",
    ipv6Only: addr.family === 6,
  });
  // One outcome object reused for every datagram: respond() is synchronous, so it is never shared.
  const outcome: QueryOutcome = { qtype: -1, rcode: -1, truncated: false };
  socket.on("message", (msg, rinfo) => {
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
        close: () => new Promise<void>((r) => socket.close(() => r())),
      });
    });
  });
}
