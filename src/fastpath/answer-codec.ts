// Answer entries for the XDP answer maps: the domain type, its validation and the key/value codecs that
// match struct edgens_answer_key / struct edgens_answer (layout.ts).
import { lowerAscii, MAX_LABEL_LENGTH, MAX_NAME_LENGTH } from "../wire/name.js";
import { FastPathError } from "./errors.js";
import {
  ANS_F_OPT,
  ANSWER,
  ANSWER_KEY,
  BODY_MAX,
  KEY_F_DO,
  readU16,
  readU64,
  writeU16,
  writeU64,
} from "./layout.js";

/** Header flag bits an answer may carry besides QR and the rcode; RD and CD are copied from the query. */
export const ANSWER_FLAG_AA = 0x0400;
export const ANSWER_FLAG_RA = 0x0080;
export const ANSWER_FLAG_AD = 0x0020;
const ALLOWED_FLAGS = ANSWER_FLAG_AA | ANSWER_FLAG_RA | ANSWER_FLAG_AD;

/** One precompiled answer, as the snapshot compiler produces it. */
export interface FastAnswer {
  /** Wire qname; stored lower-cased (the question's case is echoed from the query). */
  qname: Uint8Array;
  qtype: number;
  /** Answer for queries with EDNS DO=1 (true) or without DO/EDNS (false). */
  dnssecOk: boolean;
  /** Header flags other than QR/opcode/rcode: ANSWER_FLAG_AA etc. */
  flags: number;
  /** 0..15 (extended rcodes need the socket path). */
  rcode: number;
  ancount: number;
  nscount: number;
  /** Additional records in `body`, not counting the OPT the fast path appends. */
  arcount: number;
  /** The sections after the question, names compressed against offset 12. */
  body: Uint8Array;
  /** May be sent to EDNS queries with our OPT appended; false passes EDNS queries to the socket path. */
  withOpt: boolean;
}

const QHASH_OFFSET = 0xcbf29ce484222325n;
const QHASH_PRIME = 0x100000001b3n;
const U64 = (1n << 64n) - 1n;

/**
 * The qname hash of edgens.bpf.c: h = (h ^ word) * prime over the lower-cased wire qname read as 64-bit
 * host-order words, the last one zero-padded. Cheap in BPF (one step per 8 octets); collisions are harmless
 * because the program compares the full name.
 */
export function qnameHash(lowerWire: Uint8Array): bigint {
  const padded = Buffer.alloc(Math.ceil(lowerWire.length / 8) * 8);
  padded.set(lowerWire);
  let h = QHASH_OFFSET;
  for (let i = 0; i < padded.length; i += 8) h = ((h ^ readU64(padded, i)) * QHASH_PRIME) & U64;
  return h;
}

/** Folded 16-bit one's-complement sum of `bytes` as if they started at an even offset (RFC 1071). */
export function onesComplementSum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

function bad(message: string): FastPathError {
  return new FastPathError("EDGENS_ERR_XDP_ARGUMENT", message);
}

/** Checks that `wire` is one uncompressed wire name; returns it lower-cased. */
export function checkQname(wire: Uint8Array): Buffer {
  if (wire.length === 0 || wire.length > MAX_NAME_LENGTH)
    throw bad("qname must be 1..255 octets of wire name");
  let i = 0;
  while (i < wire.length) {
    const len = wire[i]!;
    if (len === 0) break;
    if (len > MAX_LABEL_LENGTH) throw bad("qname has a label longer than 63 octets or a compression pointer");
    i += len + 1;
  }
  if (i !== wire.length - 1) throw bad("qname is not exactly one wire name ending with the root label");
  return lowerAscii(wire);
}

function checkU16(v: number, what: string, max = 0xffff): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw bad(`${what} must be an integer 0..${max}`);
}

export function checkAnswer(a: FastAnswer): void {
  checkQname(a.qname);
  checkU16(a.qtype, "qtype");
  checkU16(a.rcode, "rcode", 15);
  checkU16(a.ancount, "ancount");
  checkU16(a.nscount, "nscount");
  checkU16(a.arcount, "arcount", 0xfffe);
  if ((a.flags & ~ALLOWED_FLAGS) !== 0) throw bad("flags may only contain AA, RA and AD");
  if (a.body.length > BODY_MAX)
    throw bad(`answer body is ${a.body.length} octets, the fast path holds ${BODY_MAX}`);
}

export function encodeAnswerKey(qname: Uint8Array, qtype: number, dnssecOk: boolean): Buffer {
  const lower = checkQname(qname);
  checkU16(qtype, "qtype");
  const key = Buffer.alloc(ANSWER_KEY.size);
  writeU64(key, qnameHash(lower), ANSWER_KEY.hash);
  writeU16(key, qtype, ANSWER_KEY.qtype);
  key[ANSWER_KEY.qnameLen] = lower.length;
  key[ANSWER_KEY.flags] = dnssecOk ? KEY_F_DO : 0;
  return key;
}

export function encodeAnswerValue(a: FastAnswer): Buffer {
  checkAnswer(a);
  const lower = lowerAscii(a.qname);
  const v = Buffer.alloc(ANSWER.size);
  writeU16(v, 0x8000 | a.flags | a.rcode, ANSWER.flags);
  writeU16(v, a.ancount, ANSWER.ancount);
  writeU16(v, a.nscount, ANSWER.nscount);
  writeU16(v, a.arcount, ANSWER.arcount);
  writeU16(v, a.body.length, ANSWER.bodyLen);
  writeU16(v, onesComplementSum(a.body), ANSWER.bodySum);
  v[ANSWER.qnameLen] = lower.length;
  v[ANSWER.optFlags] = a.withOpt ? ANS_F_OPT : 0;
  lower.copy(v, ANSWER.qname);
  Buffer.from(a.body.buffer, a.body.byteOffset, a.body.length).copy(v, ANSWER.body);
  return v;
}

export interface DecodedAnswerKey {
  hash: bigint;
  qtype: number;
  qnameLen: number;
  dnssecOk: boolean;
}

export function decodeAnswerKey(key: Buffer): DecodedAnswerKey {
  return {
    hash: readU64(key, ANSWER_KEY.hash),
    qtype: readU16(key, ANSWER_KEY.qtype),
    qnameLen: key[ANSWER_KEY.qnameLen]!,
    dnssecOk: (key[ANSWER_KEY.flags]! & KEY_F_DO) !== 0,
  };
}

export function decodeAnswerValue(v: Buffer, key: DecodedAnswerKey): FastAnswer {
  const word = readU16(v, ANSWER.flags);
  const qnameLen = v[ANSWER.qnameLen]!;
  const bodyLen = readU16(v, ANSWER.bodyLen);
  return {
    qname: Buffer.from(v.subarray(ANSWER.qname, ANSWER.qname + qnameLen)),
    qtype: key.qtype,
    dnssecOk: key.dnssecOk,
    flags: word & ALLOWED_FLAGS,
    rcode: word & 0xf,
    ancount: readU16(v, ANSWER.ancount),
    nscount: readU16(v, ANSWER.nscount),
    arcount: readU16(v, ANSWER.arcount),
    body: Buffer.from(v.subarray(ANSWER.body, ANSWER.body + bodyLen)),
    withOpt: (v[ANSWER.optFlags]! & ANS_F_OPT) !== 0,
  };
}

/**
 * A FastAnswer from a complete precompiled response without OPT (ID 0, question at offset 12, RD=CD=0), the
 * form src/responder/snapshot.ts keeps. Returns null when the response cannot go into the fast path.
 */
export function fastAnswerFromWire(wire: Buffer, questionEnd: number, dnssecOk: boolean): FastAnswer | null {
  if (wire.length < questionEnd || questionEnd < 12 + 1 + 4 || wire.readUInt16BE(4) !== 1) return null;
  const word = wire.readUInt16BE(2);
  const body = wire.subarray(questionEnd);
  if (body.length > BODY_MAX || (word & 0x7800) !== 0) return null;
  return {
    qname: lowerAscii(wire.subarray(12, questionEnd - 4)),
    qtype: wire.readUInt16BE(questionEnd - 4),
    dnssecOk,
    flags: word & ALLOWED_FLAGS,
    rcode: word & 0xf,
    ancount: wire.readUInt16BE(6),
    nscount: wire.readUInt16BE(8),
    arcount: wire.readUInt16BE(10),
    body: Buffer.from(body),
    withOpt: true,
  };
}

/** The fields of a precompiled response (src/responder/snapshot.ts `PrecompiledAnswer`) the fast path uses. */
export interface PrecompiledWire {
  wire: Buffer;
  questionEnd: number;
  dnssecOk: boolean;
  rcode: number;
}

/**
 * Fast-path entries for a snapshot's precompiled answers. Those that cannot go into the kernel (body over
 * BODY_MAX, extended rcode) are counted in `skipped` and stay with the socket path.
 */
export function fastAnswersFromPrecompiled(entries: Iterable<PrecompiledWire>): {
  answers: FastAnswer[];
  skipped: number;
} {
  const answers: FastAnswer[] = [];
  let skipped = 0;
  for (const e of entries) {
    const a = e.rcode > 15 ? null : fastAnswerFromWire(e.wire, e.questionEnd, e.dnssecOk);
    if (a) answers.push(a);
    else skipped++;
  }
  return { answers, skipped };
}
