// Test helpers: real-socket DNS clients and free-port picking (tests run concurrently with other engineers').
import { createSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import dnsPacket from "dns-packet";

export function query(name: string, type: dnsPacket.RecordType = "A", id = 1234): Buffer {
  return dnsPacket.encode({ id, type: "query", flags: 0, questions: [{ name, type, class: "IN" }] });
}

export { freePort } from "../helpers/ports.js";

export function udpExchange(host: string, port: number, msg: Buffer, timeoutMs = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket(host.includes(":") ? "udp6" : "udp4");
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`no UDP answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on("message", (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(msg, port, host);
  });
}

/** A TCP client that collects framed answers. */
export class TcpClient {
  readonly socket: Socket;
  private buf = Buffer.alloc(0);
  readonly messages: Buffer[] = [];
  closed = false;
  private waiters: (() => void)[] = [];

  constructor(host: string, port: number) {
    this.socket = connect({ host, port });
    this.socket.on("data", (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 2 && this.buf.length >= 2 + this.buf.readUInt16BE(0)) {
        const len = this.buf.readUInt16BE(0);
        this.messages.push(this.buf.subarray(2, 2 + len));
        this.buf = this.buf.subarray(2 + len);
      }
      this.wake();
    });
    this.socket.on("error", () => {});
    this.socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once("connect", () => resolve());
      this.socket.once("error", reject);
    });
  }

  send(msg: Buffer): void {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(msg.length);
    this.socket.write(Buffer.concat([len, msg]));
  }

  /** Wait until `n` messages arrived (or the connection closed, or the timeout passed). */
  async waitFor(n: number, timeoutMs = 3000): Promise<Buffer[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < n && !this.closed && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.messages;
  }

  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline)
      await this.waitFor(Number.POSITIVE_INFINITY, deadline - Date.now());
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** dns-packet's decoded shape, loosely typed for assertions (its typings omit rcode and union the data). */
export interface LooseRecord {
  name: string;
  type: string;
  ttl?: number;
  data?: unknown;
  options?: { code: number; data: Buffer }[];
}

export interface LoosePacket {
  id: number;
  rcode: string;
  flags: number;
  answers: LooseRecord[];
  authorities: LooseRecord[];
  additionals: LooseRecord[];
}

export function decode(msg: Buffer): LoosePacket {
  return dnsPacket.decode(msg) as unknown as LoosePacket;
}

/** SOA serial of the first answer, or undefined. */
export function serialOf(p: LoosePacket): number | undefined {
  return (p.answers[0]?.data as { serial?: number } | undefined)?.serial;
}
