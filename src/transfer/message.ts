// The small slice of the DNS message format the transfer client needs: build a query (optionally with an SOA
// in the authority section, for IXFR) and read a response into records with uncompressed owners and RDATA.
// The TSIG record's position is kept so that tsig.ts can rebuild the bytes its MAC covers.
import { keyToWire, MAX_NAME_LENGTH, NameError, readName } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import { OwnerKeys } from "../zone/owner-keys.js";
import type { ResourceRecord } from "../zone/record.js";
import { ownerKey } from "../zone/zone.js";
import { XfrError } from "./errors.js";
import { decodeRdata, RdataDecodeError, rdataHasNames } from "./wire-rdata.js";

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

/**
 * The answer records of one message as parallel arrays, reused from message to message: a transfer hands each
 * record to the zone builder without making a record object for it. Entries past `length` are stale.
 */
export class RecordBatch {
  length = 0;
  /**
   * A shallow batch checks the records' framing and fills only `types`, plus every field of SOA records: a
   * transfer that keeps its messages to parse later learns where it ends without decoding every record.
   */
  constructor(readonly shallow = false) {}

  /** `ownerKey(owner)`, made once per owner (records of one owner share the key). */
  readonly keys: string[] = [];
  /**
   * The owner when its case differs from the key's (an upper-case letter), else null: most owners need no
   * Buffer of their own (`owner(i)` makes one).
   */
  readonly owners: (Buffer | null)[] = [];
  readonly types: number[] = [];
  readonly classes: number[] = [];
  readonly ttls: number[] = [];
  /**
   * Entry `i`'s RDATA is `rdataSources[i]` from `rdataStarts[i]` to `rdataEnds[i]`. The source is the message
   * itself when the RDATA holds no names (most records: a zone builder copies them from there, with no Buffer
   * per record), else an uncompressed copy of the RDATA alone.
   */
  readonly rdataSources: Buffer[] = [];
  readonly rdataStarts: number[] = [];
  readonly rdataEnds: number[] = [];

  /** Entry `i`'s RDATA as a Buffer of its own (a copy when it lies in the message). */
  rdata(i: number): Buffer {
    const src = this.rdataSources[i]!;
    const start = this.rdataStarts[i]!;
    const end = this.rdataEnds[i]!;
    return ownRdata(src, start, end);
  }

  /** Entry `i`'s owner name, original case. */
  owner(i: number): Buffer {
    return this.owners[i] ?? keyToWire(this.keys[i]!);
  }

  /** Entry `i` as a record object (for the callers that keep records: IXFR deltas, record lists). */
  record(i: number): ResourceRecord {
    return {
      owner: this.owner(i),
      type: this.types[i]!,
      class: this.classes[i]!,
      ttl: this.ttls[i]!,
      rdata: this.rdata(i),
    };
  }

  /** Set entry `i`'s RDATA from the record `readFixed` just read: its bytes in `msg`, or their uncompressed copy. */
  setRdata(i: number, msg: Buffer): void {
    if (!rdataHasNames(fType)) {
      this.rdataSources[i] = msg;
      this.rdataStarts[i] = fRdataOffset;
      this.rdataEnds[i] = fRdataOffset + fRdataLength;
    } else {
      const rdata = readRdata(msg);
      this.rdataSources[i] = rdata;
      this.rdataStarts[i] = 0;
      this.rdataEnds[i] = rdata.length;
    }
  }
}

/** `rdata[from, to)` as a Buffer of its own: `rdata` itself when that is all of it, else a copy (not a view). */
export function ownRdata(rdata: Buffer, from: number, to: number): Buffer {
  return from === 0 && to === rdata.length ? rdata : Buffer.from(rdata.subarray(from, to));
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
  const n = scanName(msg, offset);
  if (prev !== null && prev.length === n) {
    // Byte by byte: Buffer#compare is a native call per record.
    let i = 0;
    while (i < n && scratch[i] === prev[i]) i++;
    if (i === n) return prev;
  }
  const name = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) name[i] = scratch[i]!;
  return name;
}

/** Check the name at `offset` and decode it into `scratch`; returns its length, the offset after it in `nameEnd`. */
function scanName(msg: Buffer, offset: number): number {
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
  return n;
}

/** Fields of the record last read by `readFields` (module state: no object per record). */
let fType = 0;
let fClass = 0;
let fTtl = 0;
let fRdataOffset = 0;
let fRdataLength = 0;

/** Keys of the answer records' owners (the previous owner's key is reused: see OwnerKeys). */
const ownerKeys = new OwnerKeys();

/** Read one record's owner and fixed fields at `pos`; returns the owner, the rest is left in the f* fields. */
function readFields(msg: Buffer, pos: number, prevOwner: Buffer | null): Buffer {
  const owner = readOwner(msg, pos, prevOwner);
  readFixed(msg, nameEnd);
  return owner;
}

/** The fixed fields after an owner name ending at `pos`, into the f* fields. */
function readFixed(msg: Buffer, pos: number): void {
  if (pos + 10 > msg.length) throw malformed("record header runs past the end");
  fType = (msg[pos]! << 8) | msg[pos + 1]!;
  fClass = (msg[pos + 2]! << 8) | msg[pos + 3]!;
  fTtl = msg.readUInt32BE(pos + 4);
  fRdataLength = (msg[pos + 8]! << 8) | msg[pos + 9]!;
  fRdataOffset = pos + 10;
  if (fRdataOffset + fRdataLength > msg.length) throw malformed("RDATA runs past the end");
}

function readRdata(msg: Buffer): Buffer {
  try {
    return decodeRdata(msg, fRdataOffset, fRdataLength, fType);
  } catch (e) {
    if (e instanceof RdataDecodeError) throw malformed(e.message);
    throw e;
  }
}

function readRecord(
  msg: Buffer,
  pos: number,
  prevOwner: Buffer | null,
): { rr: ResourceRecord | MessageRecord; next: number } {
  const offset = pos;
  const owner = readFields(msg, pos, prevOwner);
  const type = fType;
  const rdataOffset = fRdataOffset;
  const rdlength = fRdataLength;
  const next = rdataOffset + rdlength;
  // TSIG and OPT RDATA are read by their own codecs; keep them raw, and the TSIG record's offsets.
  if (type === RRType.TSIG || type === RRType.OPT) {
    const rdata = Buffer.from(msg.subarray(rdataOffset, next));
    return {
      rr: { owner, type, class: fClass, ttl: fTtl, rdata, offset, rdataOffset, rdataLength: rdlength },
      next,
    };
  }
  return { rr: { owner, type, class: fClass, ttl: fTtl, rdata: readRdata(msg) }, next };
}

/** Read `count` answer records at `pos` into `batch` (cleared first); returns the offset after them. */
function readAnswerInto(msg: Buffer, pos: number, count: number, batch: RecordBatch): number {
  if (batch.shallow) {
    for (let i = 0; i < count; i++) {
      scanName(msg, pos);
      readFixed(msg, nameEnd);
      if (fType === RRType.TSIG) throw malformed("TSIG outside additional");
      batch.types[i] = fType;
      if (fType === RRType.SOA) {
        const owner = readOwner(msg, pos, null);
        batch.owners[i] = owner;
        batch.keys[i] = ownerKey(owner);
        batch.classes[i] = fClass;
        batch.ttls[i] = fTtl;
        batch.setRdata(i, msg);
      }
      pos = fRdataOffset + fRdataLength;
    }
    batch.length = count;
    return pos;
  }
  for (let i = 0; i < count; i++) {
    batch.keys[i] = ownerKeys.key(scratch, 0, scanName(msg, pos));
    batch.owners[i] = ownerKeys.cased;
    readFixed(msg, nameEnd);
    if (fType === RRType.TSIG) throw malformed("TSIG outside additional");
    batch.types[i] = fType;
    batch.classes[i] = fClass;
    batch.ttls[i] = fTtl;
    batch.setRdata(i, msg);
    pos = fRdataOffset + fRdataLength;
  }
  batch.length = count;
  return pos;
}

/**
 * Parse a whole response message. Throws XfrError EDGENS_ERR_XFR_MALFORMED on any structural problem. With
 * `batch`, the answer records go there (reused; `answer` is then empty) instead of into record objects.
 */
export function parseMessage(msg: Buffer, batch?: RecordBatch): Message {
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
  if (batch) {
    pos = readAnswerInto(msg, pos, counts[1], batch);
    prevOwner = counts[1] > 0 && !batch.shallow ? batch.owner(counts[1] - 1) : null;
  }
  for (let s = batch ? 1 : 0; s < 3; s++) {
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
