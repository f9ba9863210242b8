// Packet fixtures for BPF_PROG_TEST_RUN: DNS queries in Ethernet (+VLAN) / IPv4|IPv6 / UDP frames, built
// byte by byte so tests can also build the malformed ones, and a parser that checks the IP/UDP checksums.

import { parseNameText } from "../../src/wire/name.js";
import { parseIpv4, parseIpv6 } from "../../src/wire/rdata/text-fields.js";

export const CLIENT_MAC = Buffer.from("02000000000a", "hex");
export const SERVER_MAC = Buffer.from("02000000000b", "hex");
export const CLIENT4 = "198.51.100.7";
export const SERVICE4 = "192.0.2.53";
export const CLIENT6 = "2001:db8:c::7";
export const SERVICE6 = "2001:db8:53::53";

export interface EdnsSpec {
  udpSize: number;
  do?: boolean;
  version?: number;
  /** Raw option bytes (code, length, data...). */
  options?: Buffer;
}

export interface QuerySpec {
  id?: number;
  /** Presentation name, case kept, e.g. "WwW.Example.COM." */
  qname?: string;
  /** Wire qname instead of `qname` (for malformed names). */
  qnameWire?: Buffer;
  qtype?: number;
  qclass?: number;
  /** Full flags word (default: RD set). */
  flags?: number;
  edns?: EdnsSpec;
  /** Override the header counts (after the question and OPT were written). */
  counts?: Partial<{ qd: number; an: number; ns: number; ar: number }>;
  /** Bytes appended after the question/OPT. */
  trailing?: Buffer;
}

export function optRecord(e: EdnsSpec): Buffer {
  const options = e.options ?? Buffer.alloc(0);
  const b = Buffer.alloc(11 + options.length);
  b.writeUInt16BE(41, 1);
  b.writeUInt16BE(e.udpSize, 3);
  b[6] = e.version ?? 0;
  b.writeUInt16BE(e.do ? 0x8000 : 0, 7);
  b.writeUInt16BE(options.length, 9);
  options.copy(b, 11);
  return b;
}

export function dnsQuery(q: QuerySpec): Buffer {
  const name = q.qnameWire ?? parseNameText(q.qname ?? "www.example.com.", null);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id ?? 0x1234, 0);
  header.writeUInt16BE(q.flags ?? 0x0100, 2);
  header.writeUInt16BE(q.counts?.qd ?? 1, 4);
  header.writeUInt16BE(q.counts?.an ?? 0, 6);
  header.writeUInt16BE(q.counts?.ns ?? 0, 8);
  header.writeUInt16BE(q.counts?.ar ?? (q.edns ? 1 : 0), 10);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(q.qtype ?? 1, 0);
  tail.writeUInt16BE(q.qclass ?? 1, 2);
  return Buffer.concat([
    header,
    name,
    tail,
    q.edns ? optRecord(q.edns) : Buffer.alloc(0),
    q.trailing ?? Buffer.alloc(0),
  ]);
}

export interface FrameSpec {
  family?: 4 | 6;
  src?: string;
  dst?: string;
  srcPort?: number;
  dstPort?: number;
  vlan?: number;
  /** Bytes after the IP packet (Ethernet padding). */
  padding?: number;
  /** "zero": no UDP checksum (legal on IPv4 only); "bad": a wrong one. */
  udpChecksum?: "zero" | "bad";
  /** A wrong IPv4 header checksum. */
  badIpChecksum?: boolean;
}

function sum16(b: Buffer, sum = 0): number {
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2) sum += b[b.length - 1]! << 8;
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

function udpChecksum(src: Buffer, dst: Buffer, udp: Buffer): number {
  const pseudo = sum16(src) + sum16(dst) + 17 + udp.length;
  const c = ~fold(sum16(udp, pseudo)) & 0xffff;
  return c === 0 ? 0xffff : c;
}

/** Wrap a DNS payload in Ethernet (+802.1Q) / IP / UDP with correct lengths and checksums. */
export function frame(dns: Buffer, f: FrameSpec = {}): Buffer {
  const family = f.family ?? 4;
  const src = family === 4 ? parseIpv4(f.src ?? CLIENT4) : parseIpv6(f.src ?? CLIENT6);
  const dst = family === 4 ? parseIpv4(f.dst ?? SERVICE4) : parseIpv6(f.dst ?? SERVICE6);
  const udp = Buffer.alloc(8 + dns.length);
  udp.writeUInt16BE(f.srcPort ?? 40000, 0);
  udp.writeUInt16BE(f.dstPort ?? 53, 2);
  udp.writeUInt16BE(udp.length, 4);
  dns.copy(udp, 8);
  const good = udpChecksum(src, dst, udp);
  udp.writeUInt16BE(f.udpChecksum === "zero" ? 0 : f.udpChecksum === "bad" ? good ^ 0x0101 : good, 6);
  let ip: Buffer;
  if (family === 4) {
    ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + udp.length, 2);
    ip.writeUInt16BE(0x4000, 6); // DF
    ip[8] = 57;
    ip[9] = 17;
    src.copy(ip, 12);
    dst.copy(ip, 16);
    ip.writeUInt16BE((~fold(sum16(ip)) & 0xffff) ^ (f.badIpChecksum ? 0x0400 : 0), 10);
  } else {
    ip = Buffer.alloc(40);
    ip.writeUInt32BE(0x60000000, 0);
    ip.writeUInt16BE(udp.length, 4);
    ip[6] = 17;
    ip[7] = 57;
    src.copy(ip, 8);
    dst.copy(ip, 24);
  }
  const ethType = Buffer.alloc(2);
  ethType.writeUInt16BE(family === 4 ? 0x0800 : 0x86dd);
  const vlan = Buffer.alloc(f.vlan === undefined ? 0 : 4);
  if (f.vlan !== undefined) {
    vlan.writeUInt16BE(0x8100, 0);
    vlan.writeUInt16BE(f.vlan, 2);
  }
  return Buffer.concat([SERVER_MAC, CLIENT_MAC, vlan, ethType, ip, udp, Buffer.alloc(f.padding ?? 0)]);
}

export interface ParsedFrame {
  dstMac: Buffer;
  srcMac: Buffer;
  vlan: number | null;
  family: 4 | 6;
  src: Buffer;
  dst: Buffer;
  ttl: number;
  srcPort: number;
  dstPort: number;
  ipChecksumOk: boolean;
  udpChecksumOk: boolean;
  /** Bytes after the IP packet. */
  extra: number;
  dns: Buffer;
}

/** Parse a frame we built or the program rewrote; verifies lengths and checksums. */
export function parseFrame(b: Buffer): ParsedFrame {
  let off = 12;
  let vlan: number | null = null;
  let type = b.readUInt16BE(off);
  if (type === 0x8100) {
    vlan = b.readUInt16BE(off + 2);
    off += 4;
    type = b.readUInt16BE(off);
  }
  off += 2;
  let family: 4 | 6;
  let src: Buffer;
  let dst: Buffer;
  let ttl: number;
  let ipChecksumOk = true;
  let ipEnd: number;
  let l4: number;
  if (type === 0x0800) {
    family = 4;
    const ip = b.subarray(off, off + 20);
    ipChecksumOk = fold(sum16(ip)) === 0xffff;
    ttl = ip[8]!;
    src = Buffer.from(ip.subarray(12, 16));
    dst = Buffer.from(ip.subarray(16, 20));
    ipEnd = off + ip.readUInt16BE(2);
    l4 = off + 20;
  } else if (type === 0x86dd) {
    family = 6;
    const ip = b.subarray(off, off + 40);
    ttl = ip[7]!;
    src = Buffer.from(ip.subarray(8, 24));
    dst = Buffer.from(ip.subarray(24, 40));
    ipEnd = off + 40 + ip.readUInt16BE(4);
    l4 = off + 40;
  } else {
    throw new Error(`not IP: ethertype ${type.toString(16)}`);
  }
  const udpLen = b.readUInt16BE(l4 + 4);
  if (l4 + udpLen !== ipEnd) throw new Error(`UDP length ${udpLen} disagrees with the IP length`);
  if (ipEnd > b.length) throw new Error("frame shorter than the IP length");
  const udp = Buffer.from(b.subarray(l4, l4 + udpLen));
  const sent = udp.readUInt16BE(6);
  udp.writeUInt16BE(0, 6);
  const udpChecksumOk = family === 4 && sent === 0 ? true : udpChecksum(src, dst, udp) === sent;
  return {
    dstMac: Buffer.from(b.subarray(0, 6)),
    srcMac: Buffer.from(b.subarray(6, 12)),
    vlan,
    family,
    src,
    dst,
    ttl,
    srcPort: udp.readUInt16BE(0),
    dstPort: udp.readUInt16BE(2),
    ipChecksumOk,
    udpChecksumOk,
    extra: b.length - ipEnd,
    dns: Buffer.from(udp.subarray(8)),
  };
}
