// An RRset and how its RDATA is stored. A zone tree of a million names would otherwise hold a `Buffer[]` and
// one Buffer per record (~100 bytes of heap each, all long-lived: the garbage collector scavenges, promotes and
// marks every one). Here the records of an RRset are bytes in a chunk: a large Buffer shared by many RRsets,
// laid out `[u16 length][rdata]` per record, in the order added. Hot paths walk the chunk (`rdataLength`,
// `nextRdata`) or take views (`rdataAt`); `rdataList()` allocates and is for cold paths.
//
// RRsets are immutable once the tree holding them is finished: trees of successive versions share them (IXFR,
// src/zone/zone-delta.ts). Only the RdataArena that made an RRset appends to it, while its builder runs.

/** Largest RDATA (its length is a u16 on the wire). */
export const MAX_RDATA = 0xffff;

/**
 * An owner name as the tree keeps it (a ZoneNode): the key, and the wire name only when its case differs from
 * the key's (an upper-case letter); most names then need no Buffer at all.
 */
export interface KeyedOwner {
  readonly key: string;
  readonly casedOwner: Buffer | null;
}

/** True when `name` has an upper-case ASCII letter (its bytes then differ from its key's). */
export function hasUpperCase(name: Uint8Array): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

/** All records of one owner, class and type. RRSIGs are kept per covered type (`ZoneNode.sigs`). */
export class RRset {
  /**
   * Wire owner name, original case (synthesized RRsets carry the query name instead); null when it is
   * `ownerKey`'s bytes (a tree RRset whose owner has no upper-case letter). `owner` gives a Buffer either way.
   */
  readonly casedOwner: Buffer | null;
  /** The owner's key (`nameKey`) for tree RRsets; null when only `casedOwner` is known. */
  readonly ownerKey: string | null;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  /** Holds the records between `start` and `end` as `[u16 length][rdata]…`; shared with other RRsets. */
  readonly chunk: Buffer;
  readonly start: number;
  readonly end: number;
  /** Records held (duplicates removed when built by a RdataArena; zone-file order). */
  readonly rdataCount: number;

  constructor(
    casedOwner: Buffer | null,
    ownerKey: string | null,
    type: number,
    cls: number,
    ttl: number,
    chunk: Buffer,
    start: number,
    end: number,
    rdataCount: number,
  ) {
    if (casedOwner === null && ownerKey === null) throw new TypeError("an RRset needs an owner");
    this.casedOwner = casedOwner;
    this.ownerKey = ownerKey;
    this.type = type;
    this.class = cls;
    this.ttl = ttl;
    this.chunk = chunk;
    this.start = start;
    this.end = end;
    this.rdataCount = rdataCount;
  }

  /**
   * An RRset holding `rdatas` as given (duplicates kept), packed into a chunk of its own. `owner`: a wire name,
   * or a tree node (the RRset then shares its key and, like the node, keeps no Buffer for a lower-case name).
   */
  static of(
    owner: Buffer | KeyedOwner,
    type: number,
    cls: number,
    ttl: number,
    rdatas: readonly Uint8Array[],
  ): RRset {
    let size = 0;
    for (const r of rdatas) size += 2 + checkedLength(r.length);
    const chunk = Buffer.allocUnsafe(size);
    let pos = 0;
    for (const r of rdatas) pos = writeRdata(chunk, pos, r);
    if (owner instanceof Uint8Array)
      return new RRset(owner, null, type, cls, ttl, chunk, 0, size, rdatas.length);
    return new RRset(owner.casedOwner, owner.key, type, cls, ttl, chunk, 0, size, rdatas.length);
  }

  /** The wire owner name, original case: `casedOwner`, else a new Buffer of the key's bytes (cold paths). */
  get owner(): Buffer {
    return this.casedOwner ?? Buffer.from(this.ownerKey!, "latin1");
  }

  /** Length of the RDATA whose length prefix is at `pos` (a position from `start` or `nextRdata`). */
  rdataLength(pos: number): number {
    return (this.chunk[pos]! << 8) | this.chunk[pos + 1]!;
  }

  /** Position of the record after the one at `pos`; `end` after the last. */
  nextRdata(pos: number): number {
    return pos + 2 + this.rdataLength(pos);
  }

  /** A view of the RDATA of the record at `pos` (in `chunk`: never write to it). */
  rdataView(pos: number): Buffer {
    return this.chunk.subarray(pos + 2, pos + 2 + this.rdataLength(pos));
  }

  /** A view of record `i` (see `rdataView`). Walks the records before it. */
  rdataAt(i: number): Buffer {
    if (i < 0 || i >= this.rdataCount) throw new RangeError(`RDATA ${i} of ${this.rdataCount}`);
    let pos = this.start;
    for (; i > 0; i--) pos = this.nextRdata(pos);
    return this.rdataView(pos);
  }

  /** Call `fn` with a view of each record (see `rdataView`), in order. */
  forEachRdata(fn: (rdata: Buffer, i: number) => void): void {
    let i = 0;
    for (let pos = this.start; pos < this.end; pos = this.nextRdata(pos)) fn(this.rdataView(pos), i++);
  }

  /** A fresh array of views of the records: allocates, for cold paths only (hot paths walk the chunk). */
  rdataList(): Buffer[] {
    const out: Buffer[] = [];
    this.forEachRdata((r) => out.push(r));
    return out;
  }

  /** True when some record holds exactly the bytes of `rdata[from, to)` (by default all of `rdata`). */
  hasRdata(rdata: Uint8Array, from = 0, to = rdata.length): boolean {
    return chunkHolds(this.chunk, this.start, this.end, rdata, from, to);
  }

  /** The same records, byte for byte and in the same order (owner, type, class and TTL not compared). */
  sameRdatas(other: RRset): boolean {
    if (this.rdataCount !== other.rdataCount || this.end - this.start !== other.end - other.start)
      return false;
    if (this.chunk === other.chunk && this.start === other.start) return true;
    return this.chunk.compare(other.chunk, other.start, other.end, this.start, this.end) === 0;
  }

  /** This RRset with another TTL (sharing the records). */
  withTtl(ttl: number): RRset {
    if (ttl === this.ttl) return this;
    return new RRset(
      this.casedOwner,
      this.ownerKey,
      this.type,
      this.class,
      ttl,
      this.chunk,
      this.start,
      this.end,
      this.rdataCount,
    );
  }

  /** This RRset under another owner name (sharing the records); itself when `owner` is its owner Buffer. */
  withOwner(owner: Buffer): RRset {
    if (owner === this.casedOwner) return this;
    return new RRset(
      owner,
      null,
      this.type,
      this.class,
      this.ttl,
      this.chunk,
      this.start,
      this.end,
      this.rdataCount,
    );
  }
}

/** True when the records `[u16 length][rdata]…` in `chunk[start, end)` include exactly `rdata[from, to)`. */
export function chunkHolds(
  chunk: Uint8Array,
  start: number,
  end: number,
  rdata: Uint8Array,
  from: number,
  to: number,
): boolean {
  const n = to - from;
  for (let pos = start; pos < end; pos += 2 + ((chunk[pos]! << 8) | chunk[pos + 1]!)) {
    if (((chunk[pos]! << 8) | chunk[pos + 1]!) !== n) continue;
    let k = 0;
    const at = pos + 2;
    while (k < n && chunk[at + k] === rdata[from + k]) k++;
    if (k === n) return true;
  }
  return false;
}

export function checkedLength(length: number): number {
  if (length > MAX_RDATA) throw new RangeError(`RDATA of ${length} octets (at most ${MAX_RDATA})`);
  return length;
}

/** Write `[u16 length][rdata[from, to)]` at `pos`; returns the position after it. */
export function writeRdata(
  chunk: Buffer,
  pos: number,
  rdata: Uint8Array,
  from = 0,
  to = rdata.length,
): number {
  const n = to - from;
  chunk[pos] = n >> 8;
  chunk[pos + 1] = n & 0xff;
  // A and AAAA are 4 and 16 octets: a loop beats making a view to copy from.
  if (n <= 32) for (let i = 0; i < n; i++) chunk[pos + 2 + i] = rdata[from + i]!;
  else chunk.set(from === 0 && to === rdata.length ? rdata : rdata.subarray(from, to), pos + 2);
  return pos + 2 + n;
}

/** The fields a RdataArena updates on the RRsets it is building (they are readonly to everyone else). */
type Building = { -readonly [K in "chunk" | "start" | "end" | "rdataCount"]: RRset[K] };

/** First chunk size: a small zone (catalog members, tests) should not hold a mostly empty megabyte. */
const FIRST_CHUNK = 4096;
/** Chunks double up to this size; a big zone holds a few hundred of them. */
const MAX_CHUNK = 1 << 20;

/**
 * Packs the RDATA of the RRsets one builder makes (src/zone/zone.ts ZoneBuilder) into shared chunks. An RRset
 * grows in place while its bytes end the current chunk (records of one owner and type usually arrive together);
 * otherwise its bytes move to the end of the chunk first (the old bytes are abandoned: rare, as zone files may
 * interleave owners and types).
 */
export class RdataArena {
  private chunk: Buffer = Buffer.allocUnsafeSlow(FIRST_CHUNK);
  private pos = 0;
  /** Bytes written, relocations included (for tests and measurements). */
  written = 0;
  /** Bytes abandoned by relocations. */
  abandoned = 0;

  /**
   * A new RRset holding one record, `rdata[from, to)` (by default all of `rdata`: a transfer passes the whole
   * message, so that no record needs a Buffer of its own); `owner` as for `RRset.of`.
   */
  open(
    owner: Buffer | KeyedOwner,
    type: number,
    cls: number,
    ttl: number,
    rdata: Uint8Array,
    from = 0,
    to = rdata.length,
  ): RRset {
    const n = 2 + checkedLength(to - from);
    this.reserve(n);
    const start = this.pos;
    this.pos = writeRdata(this.chunk, start, rdata, from, to);
    this.written += n;
    if (owner instanceof Uint8Array)
      return new RRset(owner, null, type, cls, ttl, this.chunk, start, this.pos, 1);
    return new RRset(owner.casedOwner, owner.key, type, cls, ttl, this.chunk, start, this.pos, 1);
  }

  /**
   * Append `rdata[from, to)` to `rrset` (made by this arena, its tree not finished) unless the RRset holds the
   * same bytes already; false when it did.
   */
  add(rrset: RRset, rdata: Uint8Array, from = 0, to = rdata.length): boolean {
    if (rrset.hasRdata(rdata, from, to)) return false;
    const n = 2 + checkedLength(to - from);
    const set = rrset as Building;
    if (set.chunk !== this.chunk || set.end !== this.pos || this.pos + n > this.chunk.length) {
      // Move the RRset's bytes to the end of the (possibly new) current chunk.
      const size = set.end - set.start;
      this.reserve(size + n);
      set.chunk.copy(this.chunk, this.pos, set.start, set.end);
      this.abandoned += size;
      this.written += size;
      set.chunk = this.chunk;
      set.start = this.pos;
      set.end = this.pos + size;
      this.pos = set.end;
    }
    this.pos = writeRdata(this.chunk, this.pos, rdata, from, to);
    set.end = this.pos;
    set.rdataCount++;
    this.written += n;
    return true;
  }

  /** Make room for `n` bytes at `pos`, starting a new chunk (at least twice as big as needed) when short. */
  private reserve(n: number): void {
    if (this.pos + n <= this.chunk.length) return;
    const size = Math.max(Math.min(this.chunk.length * 2, MAX_CHUNK), 2 * n);
    this.chunk = Buffer.allocUnsafeSlow(size);
    this.pos = 0;
  }
}
