// Test ports. Picked below Linux's ephemeral range (32768–60999), so an outgoing connection of a concurrent test
// or daemon can never be holding the port we are about to listen on.
import { createSocket } from "node:dgram";
import { createServer } from "node:net";

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
