// The small slice of the DNS message format the transfer client needs: build a query (optionally with an SOA
// in the authority section, for IXFR) and read a response into records with uncompressed owners and RDATA.
// The TSIG record's position is kept so that tsig.ts can rebuild the bytes its MAC covers.
import { MAX_NAME_LENGTH, NameError, readName } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import type { ResourceRecord } from "../zone/record.js";
import { XfrError } from "./errors.js";
import { decodeRdata, RdataDecodeError } from "./wire-rdata.js";

export const HEADER_LENGTH = 12;

export interface Question {
  name: Buffer;
  type: number;
  class: number;
}

/** A record of a received message, plus where it sat in the message. */
export interface MessageRecord extends ResourceRecord {
  /** Offset of the record's first byte (its owner name). */
  offset: number;
  /** Offset of its RDATA and the RDATA length in the message. */
  rdataOffset: number;
  rdataLength: number;
}

export interface Message {
  id: number;
  flags: number;
  /** Header RCODE (4 bits); transfers do not use EDNS extended RCODEs. */
  rcode: number;
  tc: boolean;
  qr: boolean;
  question: Question[];
  // Plain records: an AXFR keeps each of them, so they carry no offsets (only the TSIG record needs those).
  answer: ResourceRecord[];
  authority: ResourceRecord[];
  /** Additional records except a trailing TSIG. */
  additional: ResourceRecord[];
  /** The TSIG record when it is the last additional record. */
  tsig?: MessageRecord;
}

function malformed(why: string): XfrError {
  return new XfrError("EDGENS_ERR_XFR_MALFORMED", `malformed DNS message: ${why}`);
}

/** Build a query for (name, type, class IN), recursion not desired; `authority` records go in NSCOUNT. */
export function buildQuery(id: number, name: Buffer, type: number, authority: ResourceRecord[] = []): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0, 2); // QUERY, RD=0
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(authority.length, 8);
  parts.push(header, name);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(type, 0);
  q.writeUInt16BE(1, 2);
  parts.push(q);
  for (const rr of authority) parts.push(encodeRecord(rr));
  return Buffer.concat(parts);
}

/** Uncompressed wire form of one record. */
export function encodeRecord(rr: ResourceRecord): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(rr.type, 0);
  fixed.writeUInt16BE(rr.class, 2);
  fixed.writeUInt32BE(rr.ttl >>> 0, 4);
  fixed.writeUInt16BE(rr.rdata.length, 8);
  return Buffer.concat([rr.owner, fixed, rr.rdata]);
}

/**
 * An uncompressed copy of the (possibly compressed) name at `offset`, or `prev` itself when the name is the same
 * bytes: an AXFR lists each owner's RRsets together, so a host's A and AAAA share one owner Buffer. The offset
 * after the name is left in `nameEnd`.
 */
let nameEnd = 0;
const scratch = Buffer.allocUnsafe(MAX_NAME_LENGTH);
function readOwner(msg: Buffer, offset: number, prev: Buffer | null): Buffer {
  let pos = offset;
  let next = -1;
  let jumps = 0;
  let n = 0;
  for (;;) {
    if (pos >= msg.length) throw malformed("owner name: name runs past the end of the message");
    const len = msg[pos]!;
    if (len === 0) {
      scratch[n++] = 0;
      if (next < 0) next = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) throw malformed("owner name: truncated compression pointer");
      const target = ((len & 0x3f) << 8) | msg[pos + 1]!;
      // Strictly backwards (to a prior occurrence), which also rules out loops.
      if (target >= pos) throw malformed("owner name: compression pointer does not point backwards");
      if (++jumps > 127) throw malformed("owner name: too many compression pointers");
      if (next < 0) next = pos + 2;
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw malformed("owner name: unsupported label type");
    if (pos + 1 + len > msg.length) throw malformed("owner name: label runs past the end of the message");
    if (n + len + 2 > MAX_NAME_LENGTH) throw malformed("owner name: name longer than 255 octets");
    // Byte by byte: Buffer#copy of a few octets creates a view per call.
    for (let i = pos; i <= pos + len; i++) scratch[n++] = msg[i]!;
    pos += len + 1;
  }
  nameEnd = next;
  if (prev !== null && prev.length === n && scratch.compare(prev, 0, n, 0, n) === 0) return prev;
  const name = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) name[i] = scratch[i]!;
  return name;
}

function readRecord(
  msg: Buffer,
  pos: number,
  prevOwner: Buffer | null,
): { rr: ResourceRecord | MessageRecord; next: number } {
  const offset = pos;
  const owner = readOwner(msg, pos, prevOwner);
  pos = nameEnd;
  if (pos + 10 > msg.length) throw malformed("record header runs past the end");
  const type = msg.readUInt16BE(pos);
  const cls = msg.readUInt16BE(pos + 2);
  const ttl = msg.readUInt32BE(pos + 4);
  const rdlength = msg.readUInt16BE(pos + 8);
  const rdataOffset = pos + 10;
  if (rdataOffset + rdlength > msg.length) throw malformed("RDATA runs past the end");
  const next = rdataOffset + rdlength;
  // TSIG and OPT RDATA are read by their own codecs; keep them raw, and the TSIG record's offsets.
  if (type === RRType.TSIG || type === RRType.OPT) {
    const rdata = Buffer.from(msg.subarray(rdataOffset, next));
    return { rr: { owner, type, class: cls, ttl, rdata, offset, rdataOffset, rdataLength: rdlength }, next };
  }
  let rdata: Buffer;
  try {
    rdata = decodeRdata(msg, rdataOffset, rdlength, type);
  } catch (e) {
    if (e instanceof RdataDecodeError) throw malformed(e.message);
    throw e;
  }
  return { rr: { owner, type, class: cls, ttl, rdata }, next };
}

/** Parse a whole response message. Throws XfrError EDGENS_ERR_XFR_MALFORMED on any structural problem. */
export function parseMessage(msg: Buffer): Message {
  if (msg.length < HEADER_LENGTH) throw malformed("shorter than a header");
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  const counts = [
    msg.readUInt16BE(4),
    msg.readUInt16BE(6),
    msg.readUInt16BE(8),
    msg.readUInt16BE(10),
  ] as const;
  let pos = HEADER_LENGTH;
  const question: Question[] = [];
  for (let i = 0; i < counts[0]; i++) {
    let r: { name: Buffer; next: number };
    try {
      r = readName(msg, pos);
    } catch (e) {
      if (e instanceof NameError) throw malformed(`question name: ${e.message}`);
      throw e;
    }
    if (r.next + 4 > msg.length) throw malformed("question runs past the end");
    question.push({ name: r.name, type: msg.readUInt16BE(r.next), class: msg.readUInt16BE(r.next + 2) });
    pos = r.next + 4;
  }
  const sections: ResourceRecord[][] = [[], [], []];
  let prevOwner: Buffer | null = null;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const r = readRecord(msg, pos, prevOwner);
      sections[s]!.push(r.rr);
      prevOwner = r.rr.owner;
      pos = r.next;
    }
  }
  if (pos !== msg.length) throw malformed("trailing bytes after the last record");
  const additional = sections[2]!;
  let tsig: MessageRecord | undefined;
  const last = additional[additional.length - 1];
  if (last && last.type === RRType.TSIG) tsig = additional.pop() as MessageRecord;
  // RFC 8945 §5.2: a TSIG anywhere but last is a format error.
  if (additional.some((r) => r.type === RRType.TSIG)) throw malformed("TSIG record is not the last record");
  if ([...sections[0]!, ...sections[1]!].some((r) => r.type === RRType.TSIG))
    throw malformed("TSIG outside additional");
  return {
    id,
    flags,
    qr: (flags & 0x8000) !== 0,
    tc: (flags & 0x0200) !== 0,
    rcode: flags & 0x000f,
    question,
    answer: sections[0]!,
    authority: sections[1]!,
    additional,
    ...(tsig ? { tsig } : {}),
  };
}
