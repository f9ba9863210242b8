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
  size: 16,
  port: 0,
  ednsUdpSize: 2,
  generation: 4,
  flags: 5,
  rrlSlip: 6,
  pad: 7,
  rrlInterval: 8,
  pad2: 12,
} as const;

export const RRL_KEY = {
  size: 16,
  family: 0,
  pad: 1,
  prefix: 8,
} as const;

export const RRL = {
  size: 16,
  tat: 0,
  over: 8,
  pad: 12,
} as const;

export const ADDR_KEY = {
  size: 20,
  family: 0,
  pad: 1,
  addr: 4,
} as const;

export const NAME_KEY = {
  size: 16,
  hash: 0,
  zone: 8,
  len: 10,
  gen: 11,
  pad: 12,
} as const;

export const NAME = {
  size: 4,
  zone: 0,
  flags: 2,
  pad: 3,
} as const;

export const ZONE = {
  size: 1440,
  flags: 0,
  apexLen: 1,
  nptr: 2,
  pad0: 3,
  bodyLen: 4,
  bodySum: 6,
  ptrOff: 8,
  ptrBase: 16,
  forbidLen: 24,
  pad1: 26,
  forbid: 32,
  apex: 160,
  body: 416,
} as const;

export const SERVICE_SLOT = {
  size: 24,
  addr: 0,
  flags: 20,
  pad: 21,
} as const;

export const SERVICE_SLOTS = 256;
export const SLOT_F_MORE = 0x01;

/** Slot of a service address (EDGENS_SERVICE_SLOT): its 32-bit little-endian words XORed, Fibonacci hash. */
export function serviceSlot(addr16: Buffer): number {
  const w =
    (addr16.readUInt32LE(0) ^ addr16.readUInt32LE(4) ^ addr16.readUInt32LE(8) ^ addr16.readUInt32LE(12)) >>>
    0;
  return Number((BigInt(w) * 0x9e3779b1n) & 0xffffffffn) >>> 24;
}

export const NODATA_KEY = {
  size: 16,
  hash: 0,
  qnameLen: 8,
  gen: 9,
  pad: 10,
} as const;

export const NODATA = {
  size: 264,
  zone: 0,
  flags: 2,
  qnameLen: 3,
  pad: 4,
  qname: 8,
} as const;

export const NODATA_F_DO0 = 0x01;
export const NODATA_F_DO1 = 0x02;

export const MAX_ZONES = 256;
export const NEG_PTRS = 4;
export const FORBID = 2;
export const LABEL_BUF = 64;
export const NAME_F_APEX = 0x01;
export const NAME_F_CUT = 0x02;
export const NAME_F_WILD = 0x04;
export const ZONE_F_NX = 0x01;
export const ZONE_F_SIGNED = 0x02;
export const ZONE_F_SUBZONES = 0x04;
export const MAX_NAMES = 65536;

export const KEY_F_DO = 0x01;
export const ANS_F_OPT = 0x01;
export const CFG_F_ENABLED = 0x01;
export const CFG_F_IGNORE_OPTIONS = 0x02;
export const CFG_F_NXDOMAIN = 0x04;

/** Map names in edgens_maps.h. */
export const MAPS = {
  config: "config",
  serviceAddrs: "service_addrs",
  serviceSlots: "service_slots",
  answers: ["answers_0", "answers_1"],
  counters: "counters",
  names: "names",
  zones: "zones",
  nodata: "nodata",
  rrl: "rrl",
} as const;

export const PROGRAM = "edgens_xdp";

// Map structs are in host byte order (ports and sizes included); only packet bytes are big-endian.
const LE = endianness() === "LE";

export function writeU16(buf: Buffer, value: number, offset: number): void {
  if (LE) buf.writeUInt16LE(value, offset);
  else buf.writeUInt16BE(value, offset);
}

export function writeU32(buf: Buffer, value: number, offset: number): void {
  if (LE) buf.writeUInt32LE(value, offset);
  else buf.writeUInt32BE(value, offset);
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
