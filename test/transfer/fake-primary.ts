// Scriptable fake primaries for transfer tests: build answer messages from records, sign them (TSIG, including
// unsigned intermediate messages), and serve them over TCP or UDP on a random loopback port.
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
import { encodeRecord, parseMessage } from "../../src/transfer/message.js";
import { signMessage, type TsigKey, verifyRequest } from "../../src/transfer/tsig.js";
import { parseNameText } from "../../src/wire/name.js";
import { RRClass, RRType } from "../../src/wire/rrtype.js";
import type { ResourceRecord } from "../../src/zone/record.js";

export const rr = (owner: string, type: number, rdata: Buffer, ttl = 3600): ResourceRecord => ({
  owner: parseNameText(owner, null),
  type,
  class: RRClass.IN,
  ttl,
  rdata,
});

export function soaRdata(serial: number, mname = "ns1.xfr.test.", rname = "hostmaster.xfr.test."): Buffer {
  const timers = Buffer.alloc(20);
  timers.writeUInt32BE(serial >>> 0, 0);
  timers.writeUInt32BE(7200, 4);
  timers.writeUInt32BE(3600, 8);
  timers.writeUInt32BE(1209600, 12);
  timers.writeUInt32BE(300, 16);
  return Buffer.concat([parseNameText(mname, null), parseNameText(rname, null), timers]);
}

export const soa = (serial: number, origin = "xfr.test.") => rr(origin, RRType.SOA, soaRdata(serial));
export const a = (owner: string, ip: string, ttl = 3600) =>
  rr(owner, RRType.A, Buffer.from(ip.split(".").map(Number)), ttl);

export interface AnswerOptions {
  rcode?: number;
  tc?: boolean;
  /** Override the ID (default: the query's). */
  id?: number;
  /** Include the question (default true). */
  question?: boolean;
}

/** An uncompressed answer to `query` carrying `answer` records. */
export function answerTo(query: Buffer, answer: ResourceRecord[], o: AnswerOptions = {}): Buffer {
  const q = parseMessage(query);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(o.id ?? q.id, 0);
  header.writeUInt16BE(0x8400 | (o.tc ? 0x0200 : 0) | (o.rcode ?? 0), 2); // QR AA
  const withQuestion = o.question ?? true;
  header.writeUInt16BE(withQuestion ? 1 : 0, 4);
  header.writeUInt16BE(answer.length, 6);
  const parts: Buffer[] = [header];
  if (withQuestion) {
    const qt = Buffer.alloc(4);
    qt.writeUInt16BE(q.question[0]!.type, 0);
    qt.writeUInt16BE(q.question[0]!.class, 2);
    parts.push(q.question[0]!.name, qt);
  }
  for (const r of answer) parts.push(encodeRecord(r));
  return Buffer.concat(parts);
}

/** Signs the messages of one multi-message response in order; `signed: false` leaves a message unsigned. */
export class StreamSigner {
  private prior: Buffer;
  private unsigned: Buffer[] = [];
  private first = true;
  constructor(
    private readonly key: TsigKey,
    requestMac: Buffer,
    private readonly opts: { time?: number } = {},
  ) {
    this.prior = requestMac;
  }
  sign(msg: Buffer, signed = true): Buffer {
    if (!signed) {
      this.unsigned.push(msg);
      return msg;
    }
    const s = signMessage(msg, this.key, {
      priorMac: this.prior,
      unsignedSince: this.unsigned,
      timersOnly: !this.first,
      ...(this.opts.time !== undefined ? { time: this.opts.time } : {}),
    });
    this.prior = s.mac;
    this.unsigned = [];
    this.first = false;
    return s.message;
  }
}

export function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

export interface FakeServer {
  port: number;
  /** Queries received, raw. */
  queries: Buffer[];
  close(): Promise<void>;
}

/** TCP primary: `onQuery` gets each framed query and the socket to answer on (it decides when to close). */
export function startFakeTcp(onQuery: (query: Buffer, sock: Socket) => void): Promise<FakeServer> {
  const queries: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => {});
    let buf = Buffer.alloc(0);
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const q = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + q.length);
        queries.push(q);
        onQuery(q, sock);
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        port,
        queries,
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

/** UDP responder: `onQuery` returns the datagram to send back (or null for none). */
export function startFakeUdp(onQuery: (query: Buffer) => Buffer | null, port = 0): Promise<FakeServer> {
  const queries: Buffer[] = [];
  const sock: UdpSocket = createSocket("udp4");
  sock.on("message", (q, rinfo) => {
    queries.push(q);
    const resp = onQuery(q);
    if (resp) sock.send(resp, rinfo.port, rinfo.address);
  });
  return new Promise((resolve) => {
    sock.bind(port, "127.0.0.1", () => {
      resolve({ port: sock.address().port, queries, close: () => new Promise((r) => sock.close(() => r())) });
    });
  });
}

/** Verify a signed query against `keys` and return a signer for its answers (server side of TSIG). */
export function signerFor(query: Buffer, keys: TsigKey[], time?: number): StreamSigner {
  const v = verifyRequest(query, parseMessage(query), keys);
  return new StreamSigner(v.key, v.mac, time !== undefined ? { time } : {});
}
