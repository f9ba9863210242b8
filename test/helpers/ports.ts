// Test ports. Picked below Linux's ephemeral range (32768–60999), so an outgoing connection of a concurrent test
// or daemon can never be holding the port we are about to listen on.
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { createServer, type Socket as NetSocket, type Server } from "node:net";

const LOW = 20_000;
const HIGH = 32_767;

/** A random port in 20000–32767; callers retry on EADDRINUSE (tests run concurrently). */
export function randomPort(): number {
  return LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
}

/** A port free for UDP and TCP on both 127.0.0.1 and ::1 (best effort: another process may take it later). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = randomPort();
    const ok = await Promise.all([
      canBindUdp("127.0.0.1", port, "udp4"),
      canBindUdp("::1", port, "udp6"),
      canBindTcp("127.0.0.1", port),
      canBindTcp("::1", port),
    ]);
    if (ok.every(Boolean)) return port;
  }
  throw new Error("no free port found");
}

function canBindUdp(host: string, port: number, type: "udp4" | "udp6"): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket(type);
    s.once("error", () => resolve(false));
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

function canBindTcp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/**
 * A UDP socket and a TCP server on one port number of the tests' range, as a DNS server has, retried on a clash.
 * Port 0 would come from the kernel's ephemeral range for the first socket, where a concurrent test's outgoing
 * connection may already hold the number for the other protocol.
 */
export async function listenUdpAndTcp(
  host: string,
  onMessage: (msg: Buffer, rinfo: RemoteInfo, udp: Socket) => void,
  onConnection: (sock: NetSocket) => void,
): Promise<{ udp: Socket; tcp: Server; port: number }> {
  let last: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = randomPort();
    const udp = createSocket(host.includes(":") ? "udp6" : "udp4");
    udp.on("message", (msg, rinfo) => onMessage(msg, rinfo, udp));
    const tcp = createServer(onConnection);
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once("error", reject);
        udp.bind(port, host, () => resolve());
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen(port, host, () => resolve());
      });
      return { udp, tcp, port };
    } catch (e) {
      last = e;
      // The one that failed is not open: closing it throws or errors, and it holds nothing.
      try {
        udp.close();
      } catch {}
      tcp.close(() => {});
      if (!/EADDRINUSE/.test(String(e))) break;
    }
  }
  throw last;
}
