// A small test DNS client: build one query (exact qname case, optional EDNS with NSID/DO/version), send it over
// UDP or TCP (RFC 7766 length prefix) with a timeout, and decode the reply with dns-packet.
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import dnsPacket from "dns-packet";
import { parseNameText } from "../../src/wire/name.js";
import { classFromText, RRType, typeFromText } from "../../src/wire/rrtype.js";

export interface Server {
  host: string;
  port: number;
}

export interface EdnsOptions {
  /** Advertised UDP payload size (RFC 6891 §6.2.3). */
  udpSize: number;
  /** EDNS version (default 0; 1 should give BADVERS). */
  version?: number;
  /** DNSSEC OK bit. */
  do?: boolean;
  /** Ask for the server's NSID (RFC 5001). */
  nsid?: boolean;
}

export interface QuerySpec {
  /** Presentation-form name, case preserved, e.g. "WwW.Example.TEST." */
  qname: string;
  /** Mnemonic ("A", "TYPE65280") or number. */
  qtype: string | number;
  /** Default IN. */
  qclass?: string | number;
  transport?: "udp" | "tcp";
  /** Omit or false for a plain RFC 1035 query. */
  edns?: EdnsOptions | false;
  /** RD bit (default false: we query authoritative servers). */
  rd?: boolean;
  id?: number;
  /** Header opcode (default 0 = QUERY). */
  opcode?: number;
  /** Send QDCOUNT=0 and no question (a FORMERR probe). */
  noQuestion?: boolean;
}

export interface Header {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  /** The 4-bit header rcode (the OPT record holds the upper bits). */
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export interface QueryResult {
  bytes: Buffer;
  header: Header;
  /** null when dns-packet could not decode the message. */
  packet: dnsPacket.Packet | null;
  elapsedMs: number;
}

function toNumber(v: string | number, parse: (s: string) => number | undefined, what: string): number {
  if (typeof v === "number") return v;
  const n = parse(v);
  if (n === undefined) throw new Error(`unknown ${what} '${v}'`);
  return n;
}

/** Build the wire form of a query. */
export function buildQuery(q: QuerySpec): Buffer {
  const qtype = toNumber(q.qtype, typeFromText, "type");
  const qclass = toNumber(q.qclass ?? "IN", classFromText, "class");
  const name = parseNameText(q.qname.endsWith(".") ? q.qname : `${q.qname}.`, null);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id ?? Math.floor(Math.random() * 0x10000), 0);
  header.writeUInt16BE((q.rd ? 0x0100 : 0) | (((q.opcode ?? 0) & 0xf) << 11), 2);
  header.writeUInt16BE(q.noQuestion ? 0 : 1, 4);
  const question = Buffer.alloc(4);
  question.writeUInt16BE(qtype, 0);
  question.writeUInt16BE(qclass, 2);
  const parts = q.noQuestion ? [header] : [header, name, question];
  if (q.edns) {
    const options = q.edns.nsid ? Buffer.from([0, 3, 0, 0]) : Buffer.alloc(0);
    const opt = Buffer.alloc(11);
    opt[0] = 0; // root owner
    opt.writeUInt16BE(RRType.OPT, 1);
    opt.writeUInt16BE(q.edns.udpSize, 3);
    opt[5] = 0; // extended rcode
    opt[6] = q.edns.version ?? 0;
    opt.writeUInt16BE(q.edns.do ? 0x8000 : 0, 7);
    opt.writeUInt16BE(options.length, 9);
    parts.push(opt, options);
    header.writeUInt16BE(1, 10);
  }
  return Buffer.concat(parts);
}

export function parseHeader(b: Buffer): Header {
  if (b.length < 12) throw new Error(`message shorter than a header (${b.length} octets)`);
  const f = b.readUInt16BE(2);
  return {
    id: b.readUInt16BE(0),
    qr: (f & 0x8000) !== 0,
    opcode: (f >> 11) & 0xf,
    aa: (f & 0x0400) !== 0,
    tc: (f & 0x0200) !== 0,
    rd: (f & 0x0100) !== 0,
    ra: (f & 0x0080) !== 0,
    ad: (f & 0x0020) !== 0,
    cd: (f & 0x0010) !== 0,
    rcode: f & 0xf,
    qdcount: b.readUInt16BE(4),
    ancount: b.readUInt16BE(6),
    nscount: b.readUInt16BE(8),
    arcount: b.readUInt16BE(10),
  };
}

export function sendUdp(server: Server, msg: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(server.host.includes(":") ? "udp6" : "udp4");
    const id = msg.readUInt16BE(0);
    const done = (err: Error | null, reply?: Buffer) => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(
      () => done(new Error(`UDP timeout after ${timeoutMs} ms (${server.host}:${server.port})`)),
      timeoutMs,
    );
    sock.on("error", (e) => done(e));
    sock.on("message", (reply) => {
      if (reply.length >= 2 && reply.readUInt16BE(0) === id) done(null, reply);
    });
    // Connected socket: ICMP port unreachable surfaces as ECONNREFUSED at once (LAB-NOTES).
    sock.connect(server.port, server.host, () => sock.send(msg));
  });
}

export function sendTcp(server: Server, msg: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: server.host, port: server.port });
    let buf = Buffer.alloc(0);
    const done = (err: Error | null, reply?: Buffer) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(
      () => done(new Error(`TCP timeout after ${timeoutMs} ms (${server.host}:${server.port})`)),
      timeoutMs,
    );
    sock.on("error", (e) => done(e));
    sock.on("connect", () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      sock.write(Buffer.concat([len, msg]));
    });
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0))
        done(null, buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    sock.on("end", () => done(new Error("TCP connection closed before a full reply")));
  });
}

export function decode(bytes: Buffer): dnsPacket.Packet | null {
  try {
    return dnsPacket.decode(bytes);
  } catch {
    return null;
  }
}

/** Send one query and decode the reply. */
export async function query(server: Server, q: QuerySpec, timeoutMs = 2000): Promise<QueryResult> {
  const msg = buildQuery(q);
  const start = performance.now();
  const bytes =
    q.transport === "tcp" ? await sendTcp(server, msg, timeoutMs) : await sendUdp(server, msg, timeoutMs);
  return { bytes, header: parseHeader(bytes), packet: decode(bytes), elapsedMs: performance.now() - start };
}
