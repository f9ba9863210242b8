// A built zone as a flat image (issue #6): names, RRsets and RDATA in a few typed arrays and Buffers, with no
// JavaScript object per name. A tree of a million names held ~2.6 million long-lived objects (a key string,
// a node and an RRset per name), and making them was half of a 1 M-record build: the garbage collector
// copied each one twice before promoting it (docs/BENCHMARKS.md, "Session 8", `flat-build-floor.mjs`).
//
// The image keeps the tree's interface: `ZoneData.nodes` is a view (`ImageNodes`) that makes a name's
// `ZoneNode` and its `RRset`s when asked, short-lived objects pointing into the image's RDATA arena; only the
// apex and the NSEC owners (the denial chain) are kept as objects. Trees of later versions (an IXFR) layer
// their own nodes over the view (src/zone/layered-map.ts), as they did over the tree's name table.
//
// Layout. Names: each key (lower-cased wire name) in one arena after its length octet; per name its offset,
// the offset of its original-case bytes (only when they differ), its parent's index, its first RRset and flags.
// An open-addressing table (hash of the key, as NameTable's) finds a name's index. RRsets: 7 Int32 each (type,
// class, TTL, RDATA start and end in the arena, record count, next RRset of the same name); RRSIGs are filed
// under the type they cover with SIG_BIT set. The RDATA arena holds `[u16 length][rdata]` per record, the
// layout `RRset.chunk` has, so an RRset made on lookup points into it without a copy.
import { isSubdomainKey, keyToWire, nameToText, parentName } from "../wire/name.js";
import { parseBase32Hex } from "../wire/rdata/text-fields.js";
import { RRClass, RRType } from "../wire/rrtype.js";
import { NameTable, nameHash, placeSlots } from "./name-table.js";
import type { ResourceRecord } from "./record.js";
import { checkedLength, chunkHolds, hasUpperCase, RdataArena, RRset, writeRdata } from "./rrset.js";
import { TypeMap } from "./type-map.js";
import {
  type BuildAudit,
  buildNsec3Chain,
  canonicalCompare,
  NO_SIGS,
  type Nsec3Draft,
  nodeOf,
  ownerKey,
  soaMinimum,
  ZoneBuildError,
  type ZoneData,
  type ZoneNode,
} from "./zone.js";

/** Name flags. */
const CUT = 1;
const OCCLUDED = 2;
/** A cut or a DNAME: everything below is occluded. */
const BLOCKS = 4;

/** RRset fields, `SET_FIELDS` Int32 per RRset. */
const S_TYPE = 0;
const S_CLASS = 1;
const S_TTL = 2;
const S_START = 3;
const S_END = 4;
const S_COUNT = 5;
/** Index + 1 of the next RRset of the same name (0: the last). */
const S_NEXT = 6;
const SET_FIELDS = 7;
/** Set in S_TYPE for an RRSIG RRset, filed under the type it covers. */
const SIG_BIT = 0x10000;

/** The largest count `expectRecords` sizes the arrays for (per name 16 bytes of table and 16 of arrays, 28 per RRset). */
const MAX_NAMES_HINT = 4_000_000;
const MIN_NAMES = 16;

function grownInts(a: Int32Array, need: number): Int32Array {
  if (need <= a.length) return a;
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** `a` cut to `n` elements when it holds over an eighth more (a copy: the spare room is freed). */
function fitted<T extends Int32Array | Buffer>(a: T, n: number): T {
  if (a.length - n <= a.length >> 3) return a;
  // Buffer#slice is a view (it would keep the whole buffer alive); a typed array's slice copies.
  return (Buffer.isBuffer(a) ? Buffer.from(a.subarray(0, n)) : a.slice(0, n)) as T;
}

function grownBytes(a: Buffer, need: number): Buffer {
  if (need <= a.length) return a;
  const b = Buffer.allocUnsafeSlow(Math.max(need, a.length * 2));
  a.copy(b);
  return b;
}

/**
 * Where `key` (hash `h`) is in a probe table over a names arena (see ZoneImage): its name index, or, when
 * absent, -1 - the free slot where it would go.
 */
function probe(slots: Int32Array, names: Buffer, nameAt: Int32Array, key: string, h: number): number {
  const mask = (slots.length >> 1) - 1;
  const n = key.length;
  for (let s = h & mask; ; s = (s + 1) & mask) {
    const e = slots[s * 2]!;
    if (e === 0) return -1 - s;
    if (slots[s * 2 + 1] !== h) continue;
    const at = nameAt[e - 1]!;
    if (names[at] !== n) continue;
    let k = 0;
    while (k < n && names[at + 1 + k] === key.charCodeAt(k)) k++;
    if (k === n) return e - 1;
  }
}

/** Whether name `i` holds an RRset of `type` (RRSIGs excluded), by its chain in `sets`. */
function chainHas(firstSet: Int32Array, sets: Int32Array, i: number, type: number): boolean {
  for (let s = firstSet[i]!; s !== 0; s = sets[(s - 1) * SET_FIELDS + S_NEXT]!) {
    if (sets[(s - 1) * SET_FIELDS + S_TYPE] === type) return true;
  }
  return false;
}

/** The read side: every array of a finished image. Indices of names and RRsets are stable. */
export class ZoneImage {
  constructor(
    readonly nameCount: number,
    /** Per name: `[length][key bytes]` at `nameAt[i]`. */
    private readonly names: Buffer,
    private readonly nameAt: Int32Array,
    /** Per name: offset of its original-case bytes in `cased`, or -1 when they are the key's. */
    private readonly casedAt: Int32Array,
    private readonly cased: Buffer,
    /** Per name: index + 1 of its first RRset (0: an empty non-terminal). */
    private readonly firstSet: Int32Array,
    private readonly flags: Uint8Array,
    private readonly slots: Int32Array,
    private readonly sets: Int32Array,
    /** The RDATA of every RRset (`RRset.chunk` of the RRsets made on lookup). */
    readonly rdata: Buffer,
  ) {}

  /** The index of the name whose key is `key`, or -1. */
  find(key: string): number {
    const i = probe(this.slots, this.names, this.nameAt, key, nameHash(key));
    return i < 0 ? -1 : i;
  }

  /** The records held (RRSIGs included; NSEC3 records are kept beside the image). */
  recordCount(): number {
    let n = 0;
    for (let o = S_COUNT; o < this.sets.length; o += SET_FIELDS) n += this.sets[o]!;
    return n;
  }

  /** Whether name `i` holds an RRset of `type` (RRSIGs excluded). */
  hasType(i: number, type: number): boolean {
    return chainHas(this.firstSet, this.sets, i, type);
  }

  /** The arrays, in the order `fromSections` takes them (src/zone/zone-image-file.ts writes them as they are). */
  sections(): Uint8Array[] {
    const n = this.nameCount;
    const bytes = (a: Int32Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    // The per-name arrays may hold spare room (up to an eighth): only the names' part is written.
    const perName = (a: Int32Array | Uint8Array) => bytes(a.subarray(0, n));
    return [
      bytes(this.names),
      perName(this.nameAt),
      perName(this.casedAt),
      bytes(this.cased),
      perName(this.firstSet),
      perName(this.flags),
      bytes(this.slots),
      bytes(this.sets),
      bytes(this.rdata),
    ];
  }

  /** The image of `sections` (as `sections()` gave them; Int32 ones 4-aligned), which it keeps (no copy). */
  static fromSections(nameCount: number, s: readonly Uint8Array[]): ZoneImage {
    if (s.length !== 9) throw new RangeError(`a zone image has 9 sections, not ${s.length}`);
    const buf = (a: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const ints = (a: Uint8Array) => {
      if (a.byteLength % 4 !== 0) throw new RangeError("a section of Int32 values has a ragged length");
      return new Int32Array(a.buffer, a.byteOffset, a.byteLength >> 2);
    };
    // The shapes the image's readers rely on (a damaged file must not read past an array).
    const perName = [ints(s[1]!), ints(s[2]!), ints(s[4]!), s[5]!];
    if (perName.some((a) => a.length !== nameCount))
      throw new RangeError("per-name sections of another length");
    const slots = ints(s[6]!);
    const slotCount = slots.length >> 1;
    if (slotCount < nameCount * 2 || (slotCount & (slotCount - 1)) !== 0)
      throw new RangeError("the name table is not a power of two of at least twice the names");
    if (ints(s[7]!).length % SET_FIELDS !== 0) throw new RangeError("the RRset section has a ragged length");
    return new ZoneImage(
      nameCount,
      buf(s[0]!),
      ints(s[1]!),
      ints(s[2]!),
      buf(s[3]!),
      ints(s[4]!),
      s[5]!,
      ints(s[6]!),
      ints(s[7]!),
      buf(s[8]!),
    );
  }

  /** The key of name `i`. */
  key(i: number): string {
    const at = this.nameAt[i]!;
    return this.names.toString("latin1", at + 1, at + 1 + this.names[at]!);
  }

  /** Name `i` as a tree node, with its RRsets (new objects on every call); `key` when the caller has it. */
  node(i: number, key = this.key(i)): ZoneNode {
    const c = this.casedAt[i]!;
    const casedOwner = c < 0 ? null : this.cased.subarray(c, c + key.length);
    const node = nodeOf(key, casedOwner);
    const sets = this.sets;
    for (let s = this.firstSet[i]!; s !== 0; s = sets[(s - 1) * SET_FIELDS + S_NEXT]!) {
      const o = (s - 1) * SET_FIELDS;
      const t = sets[o + S_TYPE]!;
      const rrset = new RRset(
        casedOwner,
        key,
        t & SIG_BIT ? RRType.RRSIG : t,
        sets[o + S_CLASS]!,
        sets[o + S_TTL]! >>> 0,
        this.rdata,
        sets[o + S_START]!,
        sets[o + S_END]!,
        sets[o + S_COUNT]!,
      );
      if (t & SIG_BIT) {
        if (node.sigs === NO_SIGS) node.sigs = new TypeMap();
        node.sigs.set(t & 0xffff, rrset);
      } else node.rrsets.set(t, rrset);
    }
    const f = this.flags[i]!;
    node.cut = (f & CUT) !== 0;
    node.occluded = (f & OCCLUDED) !== 0;
    return node;
  }

  /** Bytes held by the image's arrays (for measurements). */
  get byteLength(): number {
    return [
      this.names,
      this.nameAt,
      this.casedAt,
      this.cased,
      this.firstSet,
      this.flags,
      this.slots,
      this.sets,
      this.rdata,
    ].reduce((n, a) => n + a.byteLength, 0);
  }
}

/** Nodes made by `ImageNodes.get` kept for the next lookups of the same names (direct-mapped by index). */
const RECENT = 1024;

/**
 * The image's names as the tree's name map: `get` makes the node (see the header), except for the pinned ones
 * (the apex, the NSEC owners), which are the same objects every time, and the names looked up recently: a
 * query reads the same few names several times (the closest encloser, the additional section), and the
 * popular names of a zone over and over. Iteration is in the build's order and keeps nothing.
 */
export class ImageNodes implements ReadonlyMap<string, ZoneNode> {
  /** Slots: a power of two up to RECENT, no more than the names (a catalog's many small zones stay small). */
  private readonly recentIndex: Int32Array;
  private readonly recentNode: (ZoneNode | undefined)[];

  constructor(
    readonly image: ZoneImage,
    private readonly pinned: ReadonlyMap<number, ZoneNode>,
  ) {
    let n = 1;
    while (n < RECENT && n < image.nameCount) n *= 2;
    this.recentIndex = new Int32Array(n).fill(-1);
    this.recentNode = new Array(n);
  }

  get size(): number {
    return this.image.nameCount;
  }

  get(key: string): ZoneNode | undefined {
    const i = this.image.find(key);
    return i < 0 ? undefined : this.at(i, key);
  }

  has(key: string): boolean {
    return this.image.find(key) >= 0;
  }

  /**
   * Name `i`: pinned, recent, or made (and kept as recent). Walks go through here too: the precompiler reads
   * each name it walks again through `get`.
   */
  at(i: number, key?: string): ZoneNode {
    const slot = i & (this.recentIndex.length - 1);
    if (this.recentIndex[slot] === i) return this.recentNode[slot]!;
    const node = this.pinned.get(i) ?? this.image.node(i, key);
    this.recentIndex[slot] = i;
    this.recentNode[slot] = node;
    return node;
  }

  *keys(): MapIterator<string> {
    for (let i = 0; i < this.image.nameCount; i++) yield this.image.key(i);
  }

  *values(): MapIterator<ZoneNode> {
    for (let i = 0; i < this.image.nameCount; i++) yield this.at(i);
  }

  *entries(): MapIterator<[string, ZoneNode]> {
    for (let i = 0; i < this.image.nameCount; i++) {
      const key = this.image.key(i);
      yield [key, this.at(i, key)];
    }
  }

  [Symbol.iterator](): MapIterator<[string, ZoneNode]> {
    return this.entries();
  }

  forEach(
    fn: (value: ZoneNode, key: string, map: ReadonlyMap<string, ZoneNode>) => void,
    thisArg?: unknown,
  ): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }
}

/**
 * Builds a zone image record by record, so a transfer can be built while it streams in. `add`/`addRecord`
 * take records in any order; `finish` returns the zone. Records are taken as checked (TTLs per RRset already
 * normalized: the first record's TTL is used). Throws `ZoneBuildError` when a record lies outside the zone (at
 * `add`) or the apex has no SOA (at `finish`).
 */
export class ZoneBuilder {
  readonly originKey: string;
  private zoneClass: number = RRClass.IN;
  /** Records held (duplicates not counted). */
  recordCount = 0;
  private finished = false;

  // Names (see ZoneImage).
  private nameCount = 0;
  private names: Buffer = Buffer.allocUnsafeSlow(4096);
  private namesEnd = 0;
  private nameAt: Int32Array = new Int32Array(MIN_NAMES);
  private casedAt: Int32Array = new Int32Array(MIN_NAMES);
  private cased: Buffer = Buffer.allocUnsafeSlow(256);
  private casedEnd = 0;
  private parent: Int32Array = new Int32Array(MIN_NAMES);
  private firstSet: Int32Array = new Int32Array(MIN_NAMES);
  /** Two Int32 per slot: name index + 1 (0 = empty), then the key's hash. Length: a power of two × 2. */
  private slots: Int32Array = new Int32Array(MIN_NAMES * 4);
  /** Where the last absent `find` stopped: the insert that follows uses it. */
  private missKey: string | null = null;
  private missHash = 0;
  private missSlot = 0;

  // RRsets and their RDATA.
  private setCount = 0;
  private sets: Int32Array = new Int32Array(MIN_NAMES * SET_FIELDS);
  private rdata: Buffer = Buffer.allocUnsafeSlow(4096);
  private rdataEnd = 0;

  /** The last owner's name and RRset: a transfer sends each owner's records together. */
  private lastKey: string;
  private lastName = 0;
  /** The last RRset touched (index + 1) and its name's index. */
  private lastSet = 0;
  private lastSetName = -1;
  /** RRsets (index + 1, or an NSEC3 RRset) whose TTL mismatch is already in the audit (one per RRset). */
  private ttlReported: Set<number | RRset> | null = null;
  /** Names `treeIsClean` must look at (see `watched`). */
  private readonly watchedNames: number[] = [];
  /** NSEC3 records, kept out of the names (RFC 5155 §7.2.8), and where their RDATA is packed. */
  private readonly nsec3: Nsec3Draft = new NameTable();
  private nsec3Arena: RdataArena | null = null;
  private built: ImageNodes | null = null;

  constructor(
    readonly origin: Buffer,
    private readonly audit?: BuildAudit,
  ) {
    this.originKey = ownerKey(origin);
    this.lastKey = this.originKey;
    this.find(this.originKey);
    this.insert(this.originKey, origin, -1);
  }

  add(rr: ResourceRecord): void {
    this.addRecord(ownerKey(rr.owner), rr.owner, rr.type, rr.class, rr.ttl, rr.rdata);
  }

  /**
   * A hint that about `records` records will come (a transfer knows once it is received): the arrays are sized
   * for that many names and RRsets at once. Capped: a primary sending millions of records of one name must not
   * make us allocate for millions of names.
   */
  expectRecords(records: number): void {
    const n = Math.min(records, MAX_NAMES_HINT);
    this.reserveNames(n);
    this.sets = grownInts(this.sets, n * SET_FIELDS);
    let slots = this.slots.length >> 1;
    while (slots < n * 2) slots *= 2;
    if (slots * 2 > this.slots.length) this.rehash(slots);
  }

  /**
   * `add` without a record object; `key` is `ownerKey(owner)`, and `owner` may be null when it is the key's
   * bytes. The RDATA is `rdata[from, to)`, by default all of it: a transfer passes the whole message. Both are
   * copied into the image.
   */
  addRecord(
    key: string,
    owner: Buffer | null,
    type: number,
    cls: number,
    ttl: number,
    rdata: Buffer,
    from = 0,
    to = rdata.length,
  ): void {
    if (key !== this.lastKey && !isSubdomainKey(key, this.originKey)) {
      const name = nameToText(owner ?? keyToWire(key));
      throw new ZoneBuildError(`record ${name} is outside zone ${nameToText(this.origin)}`);
    }
    checkedLength(to - from);
    const covered = type === RRType.RRSIG && to - from >= 2 ? (rdata[from]! << 8) | rdata[from + 1]! : -1;
    // Hashed owners get no name (RFC 5155 §7.2.8): checked before the name is made.
    if (
      (type === RRType.NSEC3 || covered === RRType.NSEC3) &&
      this.addNsec3(key, owner, type, cls, ttl, rdata.subarray(from, to))
    )
      return;
    const name = key === this.lastKey ? this.lastName : this.nameFor(key, owner);
    if (name === 0 && type === RRType.SOA) this.zoneClass = cls;
    if (this.audit && cls !== RRClass.IN) this.audit.clean = false;
    const setType = covered >= 0 ? covered | SIG_BIT : type;
    // The RRset of this name and type: most often the last one touched, else a walk of the name's chain.
    const sets = this.sets;
    let s = this.lastSet;
    let tail = 0;
    if (s === 0 || this.lastSetName !== name || sets[(s - 1) * SET_FIELDS + S_TYPE] !== setType) {
      s = 0;
      for (let t = this.firstSet[name]!; t !== 0; t = sets[(t - 1) * SET_FIELDS + S_NEXT]!) {
        tail = t;
        if (sets[(t - 1) * SET_FIELDS + S_TYPE] === setType) {
          s = t;
          break;
        }
      }
    }
    if (s === 0) {
      s = this.open(setType, cls, ttl, rdata, from, to);
      if (tail === 0) this.firstSet[name] = s;
      else this.sets[(tail - 1) * SET_FIELDS + S_NEXT] = s;
      this.recordCount++;
      if (type === RRType.NS || type === RRType.CNAME || type === RRType.SOA || type === RRType.DNAME)
        this.watchedNames.push(name);
    } else {
      this.addTo(s, owner, type, cls, ttl, rdata, from, to);
      if (this.sets[(s - 1) * SET_FIELDS + S_COUNT] === 2 && type !== RRType.A && type !== RRType.AAAA)
        this.watchedNames.push(name);
    }
    this.lastSet = s;
    this.lastSetName = name;
  }

  /** The index of `key`'s name (created with the empty non-terminals above it), remembered as the last owner's. */
  private nameFor(key: string, owner: Buffer | null): number {
    let i = this.find(key);
    if (i < 0) {
      const origin = this.originKey;
      // Empty non-terminals between the new name and the apex (none for a name right below it: most names).
      if (key.length - key.charCodeAt(0) - 1 === origin.length) i = this.insert(key, owner, 0);
      else {
        i = this.insert(key, owner, -1);
        let child = i;
        for (let p = parentName(key)!; ; p = parentName(p)!) {
          if (p === origin) {
            this.parent[child] = 0;
            break;
          }
          const j = this.find(p);
          if (j >= 0) {
            this.parent[child] = j;
            break;
          }
          const ent = this.insert(p, null, -1);
          this.parent[child] = ent;
          child = ent;
        }
      }
    }
    this.lastKey = key;
    this.lastName = i;
    return i;
  }

  /** The index of `key`, or -1 (remembering where it would go for `insert`). */
  private find(key: string): number {
    const h = nameHash(key);
    const i = probe(this.slots, this.names, this.nameAt, key, h);
    if (i >= 0) return i;
    this.missKey = key;
    this.missHash = h;
    this.missSlot = -1 - i;
    return -1;
  }

  /** Add `key`, which the last `find` did not find, with parent index `parent` (-1: set later). */
  private insert(key: string, owner: Buffer | null, parent: number): number {
    if (key !== this.missKey) throw new Error("ZoneBuilder: insert without find");
    const i = this.nameCount++;
    this.reserveNames(i + 1);
    const n = key.length;
    this.names = grownBytes(this.names, this.namesEnd + 1 + n);
    const names = this.names;
    const at = this.namesEnd;
    names[at] = n;
    for (let k = 0; k < n; k++) names[at + 1 + k] = key.charCodeAt(k);
    this.namesEnd = at + 1 + n;
    this.nameAt[i] = at;
    if (owner !== null && hasUpperCase(owner)) {
      this.cased = grownBytes(this.cased, this.casedEnd + n);
      for (let k = 0; k < n; k++) this.cased[this.casedEnd + k] = owner[k]!;
      this.casedAt[i] = this.casedEnd;
      this.casedEnd += n;
    } else this.casedAt[i] = -1;
    this.parent[i] = parent;
    this.firstSet[i] = 0;
    this.slots[this.missSlot * 2] = i + 1;
    this.slots[this.missSlot * 2 + 1] = this.missHash;
    this.missKey = null;
    if (this.nameCount * 2 > this.slots.length >> 1) this.rehash((this.slots.length >> 1) * 2);
    return i;
  }

  private reserveNames(n: number): void {
    if (n <= this.nameAt.length) return;
    const size = Math.max(n, this.nameAt.length * 2);
    this.nameAt = grownInts(this.nameAt, size);
    this.casedAt = grownInts(this.casedAt, size);
    this.parent = grownInts(this.parent, size);
    this.firstSet = grownInts(this.firstSet, size);
  }

  /** Place every name again in a table of `n` slots (a power of two), from the stored hashes. */
  private rehash(n: number): void {
    this.slots = placeSlots(this.slots, n);
    this.missKey = null;
  }

  /** A new RRset holding one record; returns its index + 1. */
  private open(setType: number, cls: number, ttl: number, rdata: Buffer, from: number, to: number): number {
    const s = this.setCount++;
    this.sets = grownInts(this.sets, (s + 1) * SET_FIELDS);
    const start = this.rdataEnd;
    this.writeRdata(rdata, from, to);
    const o = s * SET_FIELDS;
    const sets = this.sets;
    sets[o + S_TYPE] = setType;
    sets[o + S_CLASS] = cls;
    sets[o + S_TTL] = ttl | 0;
    sets[o + S_START] = start;
    sets[o + S_END] = this.rdataEnd;
    sets[o + S_COUNT] = 1;
    sets[o + S_NEXT] = 0;
    return s + 1;
  }

  /** Append `[u16 length][rdata[from, to)]` at the arena's end. */
  private writeRdata(rdata: Uint8Array, from: number, to: number): void {
    this.rdata = grownBytes(this.rdata, this.rdataEnd + 2 + checkedLength(to - from));
    this.rdataEnd = writeRdata(this.rdata, this.rdataEnd, rdata, from, to);
  }

  /** Add a record to RRset `s` unless it holds the same RDATA; the audit learns of duplicates and TTLs. */
  private addTo(
    s: number,
    owner: Buffer | null,
    type: number,
    cls: number,
    ttl: number,
    rdata: Buffer,
    from: number,
    to: number,
  ): void {
    const o = (s - 1) * SET_FIELDS;
    const added = !this.holds(o, rdata, from, to);
    if (added) {
      const sets = this.sets;
      if (sets[o + S_END] !== this.rdataEnd) {
        // Not at the arena's end: move the RRset's bytes there first (the old ones are abandoned; rare).
        const start = sets[o + S_START]!;
        const size = sets[o + S_END]! - start;
        this.rdata = grownBytes(this.rdata, this.rdataEnd + size);
        this.rdata.copy(this.rdata, this.rdataEnd, start, start + size);
        sets[o + S_START] = this.rdataEnd;
        this.rdataEnd += size;
      }
      this.writeRdata(rdata, from, to);
      sets[o + S_END] = this.rdataEnd;
      sets[o + S_COUNT]!++;
      this.recordCount++;
    }
    const rrsetTtl = this.sets[o + S_TTL]! >>> 0;
    const audit = this.audit;
    if (!audit || (added && rrsetTtl === ttl)) return;
    audit.clean = false;
    const findings = audit.findings;
    if (!findings) return;
    const who = owner ?? keyToWire(this.lastKey);
    // Records of another class are an error of their own (checkZone keys duplicates by class too).
    if (!added && cls === this.sets[o + S_CLASS])
      findings.push({ kind: "duplicate", owner: who, type, ttl, rrsetTtl });
    if (rrsetTtl !== ttl) {
      this.ttlReported ??= new Set();
      if (!this.ttlReported.has(s)) {
        this.ttlReported.add(s);
        findings.push({ kind: "ttl", owner: who, type, ttl, rrsetTtl });
      }
    }
  }

  /** True when the RRset at field offset `o` holds exactly the bytes of `rdata[from, to)`. */
  private holds(o: number, rdata: Uint8Array, from: number, to: number): boolean {
    return chunkHolds(this.rdata, this.sets[o + S_START]!, this.sets[o + S_END]!, rdata, from, to);
  }

  /** File NSEC3 records and their RRSIGs under the hash of their owner; false when the owner is no hash. */
  private addNsec3(
    key: string,
    owner: Buffer | null,
    type: number,
    cls: number,
    ttl: number,
    rdata: Buffer,
  ): boolean {
    const labelLen = key.charCodeAt(0);
    if (key.length - labelLen - 1 !== this.originKey.length) return false; // not directly below the apex
    let hash: Buffer;
    try {
      hash = parseBase32Hex(key.slice(1, 1 + labelLen));
    } catch {
      return false;
    }
    let draft = this.nsec3.get(key);
    if (!draft) {
      draft = { hash, nsec3: null, sig: null };
      this.nsec3.set(key, draft);
    }
    const field = type === RRType.RRSIG ? "sig" : "nsec3";
    const rrset = draft[field];
    this.nsec3Arena ??= new RdataArena();
    if (!rrset) {
      // A copy: `owner` may be a view into a whole message.
      draft[field] = this.nsec3Arena.open(owner ? Buffer.from(owner) : keyToWire(key), type, cls, ttl, rdata);
      this.recordCount++;
      return true;
    }
    const added = this.nsec3Arena.add(rrset, rdata);
    if (added) this.recordCount++;
    const audit = this.audit;
    if (!audit || (added && rrset.ttl === ttl)) return true;
    audit.clean = false;
    if (!audit.findings) return true;
    const who = owner ?? rrset.owner;
    if (!added && cls === rrset.class)
      audit.findings.push({ kind: "duplicate", owner: who, type, ttl, rrsetTtl: rrset.ttl });
    this.ttlReported ??= new Set();
    if (rrset.ttl !== ttl && !this.ttlReported.has(rrset)) {
      this.ttlReported.add(rrset);
      audit.findings.push({ kind: "ttl", owner: who, type, ttl, rrsetTtl: rrset.ttl });
    }
    return true;
  }

  private hasType(i: number, type: number): boolean {
    return chainHas(this.firstSet, this.sets, i, type);
  }

  /**
   * The names `treeIsClean` must look at (src/zone/zone-check.ts), as nodes, after `finish`: those given an
   * SOA, NS, CNAME or DNAME RRset, or an RRset of more than one record of a type other than A/AAAA (names in
   * RDATA may differ only in case). Every other name of a zone built from clean records is clean. A name may
   * be listed more than once.
   */
  get watched(): ZoneNode[] {
    const nodes = this.built;
    if (!nodes) throw new Error("ZoneBuilder.watched before finish");
    return this.watchedNames.map((i) => nodes.at(i));
  }

  /**
   * Every record held so far, as the zone holds them (one TTL per RRset, exact duplicates dropped), in name
   * order, NSEC3 records last; usable before `finish` and when it throws (for `checkZone`).
   */
  *heldRecords(): Generator<ResourceRecord> {
    const image = this.image(new Uint8Array(this.nameCount));
    const all = (rs: RRset) => {
      const owner = rs.owner;
      return rs.rdataList().map((rdata) => ({ owner, type: rs.type, class: rs.class, ttl: rs.ttl, rdata }));
    };
    for (let i = 0; i < image.nameCount; i++) {
      const node = image.node(i);
      for (const rs of node.rrsets.values()) yield* all(rs);
      for (const rs of node.sigs.values()) yield* all(rs);
    }
    for (const d of this.nsec3.values()) {
      if (d.nsec3) yield* all(d.nsec3);
      if (d.sig) yield* all(d.sig);
    }
  }

  /** The image of what is held so far, with `flags` (its other arrays are the builder's: no copy). */
  private image(flags: Uint8Array): ZoneImage {
    return new ZoneImage(
      this.nameCount,
      this.names,
      this.nameAt,
      this.casedAt,
      this.cased,
      this.firstSet,
      flags,
      this.slots,
      this.sets,
      this.rdata,
    );
  }

  /** The zone. Throws `ZoneBuildError` when the apex has no SOA. Once only. */
  finish(): ZoneData {
    if (this.finished) throw new Error("ZoneBuilder.finish called twice");
    this.finished = true;
    const n = this.nameCount;
    const flags = new Uint8Array(n);
    // Cuts and DNAMEs occlude everything below them (RFC 2181 §6, RFC 6672 §2.4).
    let blockers = 0;
    for (let i = 0; i < n; i++) {
      if (this.firstSet[i] === 0) continue;
      if (i !== 0 && this.hasType(i, RRType.NS)) flags[i] = CUT | BLOCKS;
      if (this.hasType(i, RRType.DNAME)) flags[i]! |= BLOCKS;
      if (flags[i]! & BLOCKS) blockers++;
    }
    if (blockers > 0) {
      const parent = this.parent;
      for (let i = 1; i < n; i++) {
        for (let p = parent[i]!; p >= 0; p = parent[p]!) {
          if (flags[p]! & BLOCKS) {
            flags[i]! |= OCCLUDED;
            break;
          }
        }
      }
    }
    // The arrays grew by doubling (or were sized from the hint): a finished zone keeps no spare room.
    this.names = fitted(this.names, this.namesEnd);
    this.nameAt = fitted(this.nameAt, n);
    this.casedAt = fitted(this.casedAt, n);
    this.cased = fitted(this.cased, this.casedEnd);
    this.firstSet = fitted(this.firstSet, n);
    this.sets = fitted(this.sets, this.setCount * SET_FIELDS);
    this.rdata = fitted(this.rdata, this.rdataEnd);
    const data = zoneOfImage(this.image(flags), this.zoneClass, this.nsec3);
    this.built = data.nodes as ImageNodes;
    return data;
  }
}

/**
 * The zone of a finished image: its apex and NSEC owners pinned, the negative SOA, the NSEC chain in
 * canonical order, and the NSEC3 chain of `nsec3` (drafts filed by hash; NSEC3 records are not in the image).
 * Throws `ZoneBuildError` when the apex has no SOA.
 */
export function zoneOfImage(image: ZoneImage, zoneClass: number, nsec3?: Nsec3Draft): ZoneData {
  const apex = image.node(0);
  const pinned = new Map<number, ZoneNode>([[0, apex]]);
  const soa = apex.rrsets.get(RRType.SOA);
  if (!soa || soa.rdataCount === 0) throw new ZoneBuildError("zone has no SOA at its apex");
  const nsecChain: ZoneNode[] = [];
  for (let i = 0; i < image.nameCount; i++) {
    if (!image.hasType(i, RRType.NSEC)) continue;
    const node = pinned.get(i) ?? image.node(i);
    if (node.occluded) continue;
    pinned.set(i, node);
    nsecChain.push(node);
  }
  nsecChain.sort((a, b) => canonicalCompare(a.key, b.key));
  const negTtl = Math.min(soa.ttl, soaMinimum(soa.rdataAt(0)));
  const params = apex.rrsets.get(RRType.NSEC3PARAM)?.rdataAt(0);
  return {
    origin: apex.owner,
    originKey: apex.key,
    class: zoneClass,
    apex,
    nodes: new ImageNodes(image, pinned),
    signed: apex.rrsets.has(RRType.DNSKEY) && apex.sigs.has(RRType.DNSKEY),
    negativeSoa: soa.withTtl(negTtl),
    negativeSoaSigs: apex.sigs.get(RRType.SOA)?.withTtl(negTtl) ?? null,
    nsecChain,
    nsec3: nsec3 ? buildNsec3Chain(nsec3, params) : null,
  };
}

/**
 * Build the zone of `origin` from checked records (TTLs per RRset already normalized; the first record's TTL
 * is used). Throws `ZoneBuildError` when a record lies outside the zone or the apex has no SOA.
 */
export function buildZone(origin: Buffer, records: readonly ResourceRecord[], audit?: BuildAudit): ZoneData {
  const b = new ZoneBuilder(origin, audit);
  for (const rr of records) b.add(rr);
  return b.finish();
}
