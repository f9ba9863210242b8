// TCP transport: one listening socket per configured address, with total and per-client connection limits
// (extra connections are closed at once). Limits apply per worker process.
import { createServer, type Server, type Socket } from "node:net";
import type { ListenAddress } from "../config/listen-address.js";
import type { Logger } from "../log.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";
import type { TransferHandler } from "../provider/zone-provider.js";
import type { Responder } from "../responder/types.js";
import { TcpConnection, type TcpLimits } from "./tcp-connection.js";

export interface TcpListener {
  readonly address: ListenAddress;
  /** Stop accepting and destroy open connections. */
  close(): Promise<void>;
}

/** Connection accounting shared by all TCP listeners of one process. */
export class TcpConnectionTable {
  private total = 0;
  private readonly perClient = new Map<string, number>();
  private readonly sockets = new Set<Socket>();

  constructor(private readonly metrics: ServerMetrics) {}

  /** Register a new connection; false when a limit refuses it. */
  admit(socket: Socket, limits: TcpLimits): boolean {
    const client = socket.remoteAddress ?? "";
    if (this.total >= limits.maxConnections) {
      this.metrics.drop("tcp_conn_limit");
      return false;
    }
    const n = this.perClient.get(client) ?? 0;
    if (n >= limits.maxConnectionsPerClient) {
      this.metrics.drop("tcp_client_limit");
      return false;
    }
    this.total++;
    this.perClient.set(client, n + 1);
    this.sockets.add(socket);
    this.metrics.tcpAccepted.inc();
    this.metrics.tcpOpen.inc();
    socket.once("close", () => {
      this.total--;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left === 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
      this.sockets.delete(socket);
      this.metrics.tcpOpen.dec();
    });
    return true;
  }

  get open(): number {
    return this.total;
  }

  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
  }
}

export function startTcpListener(
  addr: ListenAddress,
  responder: Responder,
  limits: TcpLimits,
  table: TcpConnectionTable,
  metrics: ServerMetrics,
  log: Logger,
  transfers?: TransferHandler,
): Promise<TcpListener> {
  // allowHalfOpen: a client may send its queries and shut down its side; we still answer them.
  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) => {
    if (!table.admit(socket, limits)) {
      socket.on("error", () => {});
      socket.destroy();
      return;
    }
    new TcpConnection(socket, responder, limits, metrics, log, transfers);
  });
  server.on("error", (e) => log.error({ err: e }, "TCP listener error"));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: addr.host, port: addr.port, ipv6Only: addr.family === 6, exclusive: false }, () => {
      server.off("error", reject);
      resolve({
        address: addr,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            table.destroyAll();
          }),
      });
    });
  });
}
