// The compressing DNS message writer (RFC 1035 §4.1.4). Owner names and the names inside the RDATA of the
// RFC 1035 well-known types are compressed against earlier names, the question name included (so an answer
// owner equal to the query name becomes a pointer to offset 12 and echoes the query's case, 0x20). Names
// inside other RDATA (DNAME, SRV, ...) are written verbatim and are never pointer targets (RFC 3597 §4).
// Records are written all-or-nothing per RRset so truncation can drop whole RRsets.
import type { RRset } from "../zone/rrset.js";
import { nameKey } from "./name.js";
import { RRType } from "./rrtype.js";

export const HEADER_LENGTH = 12;
/** Largest DNS message (TCP, RFC 1035 §4.2.2). */
export const MAX_MESSAGE = 65535;
const MAX_POINTER = 0x3fff;

export const Section = { answer: 1, authority: 2, additional: 3 } as const;
export type SectionIndex = (typeof Section)[keyof typeof Section];

/** Byte layout of RDATA whose names may be compressed: "n" = a name, a number = that many fixed octets. */
const COMPRESSIBLE: ReadonlyMap<number, readonly (number | "n")[]> = new Map<number, (number | "n")[]>([
  [RRType.NS, ["n"]],
  [3, ["n"]], // MD
  [4, ["n"]], // MF
  [RRType.CNAME, ["n"]],
  [RRType.SOA, ["n", "n", 20]],
  [7, ["n"]], // MB
  [8, ["n"]], // MG
  [9, ["n"]], // MR
  [RRType.PTR, ["n"]],
  [14, ["n", "n"]], // MINFO
  [RRType.MX, [2, "n"]],
]);

/** Length of the uncompressed wire name at `off`, or -1 when malformed. */
function nameLength(b: Uint8Array, off: number): number {
  let i = off;
  for (let n = 0; n < 128 && i < b.length; n++) {
    const len = b[i]!;
    if (len === 0) return i + 1 - off;
    if (len > 63) return -1;
    i += len + 1;
  }
  return -1;
}

export interface WriterMark {
  pos: number;
  log: number;
  an: number;
  ns: number;
  ar: number;
}

export class MessageWriter {
  pos = HEADER_LENGTH;
  limit: number;
  qd = 0;
  an = 0;
  ns = 0;
  ar = 0;
  /** Lower-cased suffix key → offset of its first occurrence. */
  private readonly table = new Map<string, number>();
  /** Keys in insertion order, so a rollback can forget names written after a mark. */
  private readonly log: string[] = [];

  constructor(
    readonly buf: Buffer,
    limit = buf.length,
  ) {
    this.limit = Math.min(limit, buf.length);
  }

  reset(limit: number): void {
    this.pos = HEADER_LENGTH;
    this.limit = Math.min(limit, this.buf.length);
    this.qd = this.an = this.ns = this.ar = 0;
    this.table.clear();
    this.log.length = 0;
  }

  mark(): WriterMark {
    return { pos: this.pos, log: this.log.length, an: this.an, ns: this.ns, ar: this.ar };
  }

  rollback(m: WriterMark): void {
    this.pos = m.pos;
    while (this.log.length > m.log) this.table.delete(this.log.pop()!);
    this.an = m.an;
    this.ns = m.ns;
    this.ar = m.ar;
  }

  private register(key: string, offsets: number[], upTo: number, base: number): void {
    for (const o of offsets) {
      if (o >= upTo) break;
      const at = base + o;
      if (at > MAX_POINTER) break;
      const suffix = o === 0 ? key : key.slice(o);
      if (this.table.has(suffix)) continue;
      this.table.set(suffix, at);
      this.log.push(suffix);
    }
  }

  /** Write an uncompressed wire name, compressing it when `compress`. Returns false when it does not fit. */
  writeName(name: Uint8Array, compress: boolean): boolean {
    if (!compress) {
      if (this.pos + name.length > this.limit) return false;
      this.buf.set(name, this.pos);
      this.pos += name.length;
      return true;
    }
    return this.writeKeyed(name, nameKey(name));
  }

  /**
   * Write and compress the name whose key is `key`, its bytes taken from `name`, or from `key` itself when
   * `name` is null (a name without upper-case letters is its key's bytes: tree RRsets keep no Buffer for it).
   */
  private writeKeyed(name: Uint8Array | null, key: string): boolean {
    const offsets: number[] = [];
    let match = -1;
    let cut = key.length - 1; // the root byte: no pointer, end of labels
    for (let o = 0; o < key.length - 1; o += key.charCodeAt(o) + 1) {
      const hit = this.table.get(o === 0 ? key : key.slice(o));
      if (hit !== undefined) {
        match = hit;
        cut = o;
        break;
      }
      offsets.push(o);
    }
    const need = match >= 0 ? cut + 2 : key.length;
    if (this.pos + need > this.limit) return false;
    const base = this.pos;
    if (name !== null) this.buf.set(name.subarray(0, cut), base);
    else this.buf.write(key, base, cut, "latin1");
    if (match >= 0) {
      this.buf[base + cut] = 0xc0 | (match >> 8);
      this.buf[base + cut + 1] = match & 0xff;
    } else {
      this.buf[base + cut] = 0;
    }
    this.pos += need;
    this.register(key, offsets, cut, base);
    return true;
  }

  /** Write a question; its name becomes a compression target. */
  writeQuestion(name: Uint8Array, type: number, cls: number): boolean {
    if (!this.writeName(name, true) || this.pos + 4 > this.limit) return false;
    this.buf.writeUInt16BE(type, this.pos);
    this.buf.writeUInt16BE(cls, this.pos + 2);
    this.pos += 4;
    this.qd++;
    return true;
  }

  /**
   * Copy a received question verbatim (its name must be uncompressed, as the query parser guarantees) and make
   * its name a compression target, so later names point at the query's own bytes.
   */
  copyQuestion(msg: Uint8Array, start: number, end: number): boolean {
    const len = end - start;
    if (this.pos + len > this.limit) return false;
    this.buf.set(msg.subarray(start, end), this.pos);
    const name = msg.subarray(start, end - 4);
    const key = nameKey(name);
    const offsets: number[] = [];
    for (let o = 0; o < key.length - 1; o += key.charCodeAt(o) + 1) offsets.push(o);
    this.register(key, offsets, key.length, this.pos);
    this.pos += len;
    this.qd++;
    return true;
  }

  /** Write the RDATA `src[start, end)` (an RRset's chunk or a whole Buffer), compressing names when allowed. */
  private writeRdata(type: number, src: Buffer, start: number, end: number): boolean {
    const layout = COMPRESSIBLE.get(type);
    if (layout) {
      const at = this.pos;
      let off = start;
      let ok = true;
      for (const part of layout) {
        if (part === "n") {
          // A name running past `end` is malformed (the chunk goes on with the next record's bytes).
          const n = nameLength(src, off);
          if (n < 0 || off + n > end) {
            ok = false;
            break;
          }
          if (!this.writeName(src.subarray(off, off + n), true)) return false;
          off += n;
        } else {
          if (off + part > end) {
            ok = false;
            break;
          }
          if (this.pos + part > this.limit) return false;
          src.copy(this.buf, this.pos, off, off + part);
          this.pos += part;
          off += part;
        }
      }
      if (ok && off === end) return true;
      this.pos = at; // unexpected layout: fall back to the verbatim bytes
    }
    if (this.pos + (end - start) > this.limit) return false;
    src.copy(this.buf, this.pos, start, end);
    this.pos += end - start;
    return true;
  }

  /** One resource record. On false the writer may hold a partial record: callers roll back to a mark. */
  writeRecord(owner: Uint8Array, type: number, cls: number, ttl: number, rdata: Buffer): boolean {
    return this.writeRecordFrom(owner, nameKey(owner), type, cls, ttl, rdata, 0, rdata.length);
  }

  /** `writeRecord` with the RDATA at `src[start, end)`, the owner as for `writeKeyed`. */
  private writeRecordFrom(
    owner: Uint8Array | null,
    ownerKey: string,
    type: number,
    cls: number,
    ttl: number,
    src: Buffer,
    start: number,
    end: number,
  ): boolean {
    if (!this.writeKeyed(owner, ownerKey) || this.pos + 10 > this.limit) return false;
    const b = this.buf;
    b.writeUInt16BE(type, this.pos);
    b.writeUInt16BE(cls, this.pos + 2);
    b.writeUInt32BE(ttl >>> 0, this.pos + 4);
    const rdlenAt = this.pos + 8;
    this.pos += 10;
    if (!this.writeRdata(type, src, start, end)) return false;
    b.writeUInt16BE(this.pos - rdlenAt - 2, rdlenAt);
    return true;
  }

  /** Write a whole RRset into `section`, or nothing at all (returns false) when it does not fit. */
  writeRRset(rrset: RRset, section: SectionIndex): boolean {
    const m = this.mark();
    // Straight from the RRset's chunk: no array and no view per record; the owner from the tree's key.
    const chunk = rrset.chunk;
    const owner = rrset.casedOwner;
    const ownerKey = rrset.ownerKey ?? nameKey(owner!);
    for (let pos = rrset.start; pos < rrset.end; pos = rrset.nextRdata(pos)) {
      const from = pos + 2;
      if (
        !this.writeRecordFrom(
          owner,
          ownerKey,
          rrset.type,
          rrset.class,
          rrset.ttl,
          chunk,
          from,
          from + rrset.rdataLength(pos),
        )
      ) {
        this.rollback(m);
        return false;
      }
    }
    const n = rrset.rdataCount;
    if (section === Section.answer) this.an += n;
    else if (section === Section.authority) this.ns += n;
    else this.ar += n;
    return true;
  }

  /** Fill in the header; returns the message length. */
  finish(id: number, flags: number): number {
    const b = this.buf;
    b.writeUInt16BE(id, 0);
    b.writeUInt16BE(flags, 2);
    b.writeUInt16BE(this.qd, 4);
    b.writeUInt16BE(this.an, 6);
    b.writeUInt16BE(this.ns, 8);
    b.writeUInt16BE(this.ar, 10);
    return this.pos;
  }
}
