// Byte layout of the structs in native/bpf/edgens_structs.h (the only header shared with the BPF program).
// test/fastpath/layout.test.ts compiles that header and checks every offset and size below.
import { endianness } from "node:os";

export const QNAME_BUF = 256;
export const BODY_MAX = 1024;

export const ANSWER_KEY = {
  size: 16,
  hash: 0,
  qtype: 8,
  qnameLen: 10,
  flags: 11,
  pad: 12,
} as const;

export const ANSWER = {
  size: 1300,
  flags: 0,
  ancount: 2,
  nscount: 4,
  arcount: 6,
  bodyLen: 8,
  bodySum: 10,
  qnameLen: 12,
  optFlags: 13,
  pad: 14,
  qname: 20,
  body: 276,
} as const;

export const CONFIG = {
  size: 8,
  port: 0,
  ednsUdpSize: 2,
  generation: 4,
  flags: 5,
  pad: 6,
} as const;

export const ADDR_KEY = {
  size: 20,
  family: 0,
  pad: 1,
  addr: 4,
} as const;

export const KEY_F_DO = 0x01;
export const ANS_F_OPT = 0x01;
export const CFG_F_ENABLED = 0x01;
export const CFG_F_IGNORE_OPTIONS = 0x02;

/** Map names in edgens_maps.h. */
export const MAPS = {
  config: "config",
  serviceAddrs: "service_addrs",
  answers: ["answers_0", "answers_1"],
  counters: "counters",
} as const;

export const PROGRAM = "edgens_xdp";

// Map structs are in host byte order (ports and sizes included); only packet bytes are big-endian.
const LE = endianness() === "LE";

export function writeU16(buf: Buffer, value: number, offset: number): void {
  if (LE) buf.writeUInt16LE(value, offset);
  else buf.writeUInt16BE(value, offset);
}

export function readU16(buf: Buffer, offset: number): number {
  return LE ? buf.readUInt16LE(offset) : buf.readUInt16BE(offset);
}

export function writeU64(buf: Buffer, value: bigint, offset: number): void {
  if (LE) buf.writeBigUInt64LE(value, offset);
  else buf.writeBigUInt64BE(value, offset);
}

export function readU64(buf: Buffer, offset: number): bigint {
  return LE ? buf.readBigUInt64LE(offset) : buf.readBigUInt64BE(offset);
}
