// Event-driven "the server process is gone" signal: an idle TCP connection to each service address. When the
// server process dies the kernel closes its sockets and our connection sees FIN/RST at once, so the agent can
// run a check round immediately instead of waiting for the next interval. A close is only a hint (the server
// may also close idle connections): the round that follows decides.
import net from "node:net";

export interface LossTrigger {
  readonly id: string;
  start(onLost: () => void): void;
  close(): void;
}

export function tcpLossWatch(address: string, port: number, reconnectMs = 100): LossTrigger {
  let sock: net.Socket | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const connect = (onLost: () => void): void => {
    if (closed) return;
    let established = false;
    const s = net.connect({ host: address, port });
    sock = s;
    s.setNoDelay(true);
    s.on("connect", () => {
      established = true;
    });
    s.on("data", () => {}); // we never send a query on it; ignore anything the server might write
    s.on("error", () => {});
    s.on("close", () => {
      sock = null;
      if (closed) return;
      if (established) onLost();
      timer = setTimeout(() => connect(onLost), reconnectMs);
      timer.unref();
    });
  };
  return {
    id: `tcp-watch:${net.isIPv6(address) ? `[${address}]` : address}:${port}`,
    start: (onLost) => connect(onLost),
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      sock?.destroy();
    },
  };
}
