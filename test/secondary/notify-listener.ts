// The NOTIFY side of a server, as the tests need it: UDP and TCP (2-octet framing) on one loopback port, every
// message handed to processNotify. Knot 3.2 sends its NOTIFYs over TCP, NSD over UDP.
import type { Socket as DgramSocket, RemoteInfo } from "node:dgram";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { type NotifyLookup, type NotifyOutcome, processNotify } from "../../src/secondary/notify-handler.js";
import { listenUdpAndTcp } from "../helpers/ports.js";

export interface ReceivedNotify {
  outcome: NotifyOutcome;
  transport: "udp" | "tcp";
  address: string;
  /** performance.now() when it arrived. */
  at: number;
}

export interface NotifyListener {
  port: number;
  received: ReceivedNotify[];
  close(): Promise<void>;
}

export async function startNotifyListener(lookup: NotifyLookup): Promise<NotifyListener> {
  const received: ReceivedNotify[] = [];
  const handle = (msg: Buffer, address: string, port: number, transport: "udp" | "tcp") => {
    const r = processNotify(msg, { address, port }, lookup);
    if (r) received.push({ outcome: r.outcome, transport, address, at: performance.now() });
    return r?.response ?? null;
  };
  const sockets = new Set<Socket>();
  const onConnection = (sock: Socket) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => {});
    let buf = Buffer.alloc(0);
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const resp = handle(msg, sock.remoteAddress ?? "", sock.remotePort ?? 0, "tcp");
        if (!resp) continue;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(resp.length);
        sock.write(Buffer.concat([len, resp]));
      }
    });
  };
  const onMessage = (msg: Buffer, rinfo: RemoteInfo, udp: DgramSocket) => {
    const resp = handle(msg, rinfo.address, rinfo.port, "udp");
    if (resp) udp.send(resp, rinfo.port, rinfo.address);
  };
  const { udp, tcp, port } = await listenUdpAndTcp("127.0.0.1", onMessage, onConnection);
  return {
    port,
    received,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((r) => tcp.close(() => r())),
        new Promise<void>((r) => udp.close(() => r())),
      ]);
    },
  };
}
