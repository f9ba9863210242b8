// Start UDP and TCP on every configured address (IPv4 and IPv6), all feeding one responder.
import { formatListenAddress, type ListenAddress, parseListenAddress } from "../config/listen-address.js";
import type { EdgensConfig } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";
import type { TransferHandler } from "../provider/zone-provider.js";
import type { Responder } from "../responder/types.js";
import { startTcpListener, TcpConnectionTable } from "./tcp-listener.js";
import { startUdpListener } from "./udp-listener.js";

export class BindError extends Error {
  readonly code = "EDGENS_ERR_BIND";
}

export interface Transports {
  readonly addresses: ListenAddress[];
  readonly tcpTable: TcpConnectionTable;
  close(): Promise<void>;
}

export function listenAddresses(config: EdgensConfig): ListenAddress[] {
  return config.listen.map((l) => parseListenAddress(l)!);
}

export async function startTransports(
  config: EdgensConfig,
  responder: Responder,
  metrics: ServerMetrics,
  log: Logger,
  transfers?: TransferHandler,
): Promise<Transports> {
  const addresses = listenAddresses(config);
  const tcpTable = new TcpConnectionTable(metrics);
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    await Promise.all(closers.map((c) => c()));
  };
  for (const addr of addresses) {
    for (const proto of ["udp", "tcp"] as const) {
      try {
        const l =
          proto === "udp"
            ? await startUdpListener(addr, responder, metrics, log)
            : await startTcpListener(addr, responder, config.tcp, tcpTable, metrics, log, transfers);
        closers.push(l.close);
      } catch (e) {
        await close();
        const err = e as NodeJS.ErrnoException;
        const hint = err.code === "EACCES" ? " (ports below 1024 need CAP_NET_BIND_SERVICE)" : "";
        throw new BindError(
          `cannot listen on ${formatListenAddress(addr)} ${proto}: ${err.code ?? err.message}${hint}`,
        );
      }
    }
  }
  return { addresses, tcpTable, close };
}
