// The zone tree's name → node map (issue #6): an open-addressing hash table over two arrays, instead of a
// `Map` whose `set` of 800 000 string keys was an eighth of the CPU profile of a 1 M-record AXFR. The keys and values sit in
// arrays in insertion order (iteration is the arrays'); the probe table holds only indices into them, next to
// each key's hash, so growing it re-places the indices from the stored hashes and never hashes a string again.
// Names are only added or replaced, never deleted (the zone tree never loses a name once built).

/** Probe slots per entry at least: the table doubles beyond a load of 1/2, so linear probing stays short. */
const SLOTS_PER_ENTRY = 2;
const MIN_SLOTS = 8;

/**
 * FNV-1a over the key's char codes (name keys are latin1: one octet per char), then murmur3's finalizer so
 * that the low bits, which pick the slot, depend on every char.
 */
export function nameHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * A probe table of `n` slots (a power of two) holding the entries of `old`: two Int32 per slot, entry + 1
 * (0 = empty) then its hash, each placed again by its stored hash (no key is hashed again).
 */
export function placeSlots(old: Int32Array, n: number): Int32Array {
  const slots = new Int32Array(n * 2);
  const mask = n - 1;
  for (let o = 0; o < old.length; o += 2) {
    const e = old[o]!;
    if (e === 0) continue;
    const h = old[o + 1]!;
    let s = h & mask;
    while (slots[s * 2] !== 0) s = (s + 1) & mask;
    slots[s * 2] = e;
    slots[s * 2 + 1] = h;
  }
  return slots;
}

function slotsFor(entries: number): number {
  let n = MIN_SLOTS;
  while (n < entries * SLOTS_PER_ENTRY) n *= 2;
  return n;
}

export class NameTable<V> implements ReadonlyMap<string, V> {
  private readonly keyList: string[] = [];
  private readonly valueList: V[] = [];
  /** Two Int32 per slot: entry index + 1 (0 = empty), then that key's hash. Length: a power of two × 2. */
  private slots: Int32Array;
  private mask: number;
  /**
   * Where the last `get`/`has` of an absent key stopped: the builder's "get, else create and set" then sets
   * without hashing and probing again. Any `set` clears it (the slot may no longer be free after one).
   */
  private missKey: string | null = null;
  private missHash = 0;
  private missSlot = 0;

  /** `capacity`: how many names are expected (a hint: the table grows past it by doubling). */
  constructor(capacity = 0) {
    const n = slotsFor(capacity);
    this.slots = new Int32Array(n * 2);
    this.mask = n - 1;
  }

  /** A table with the entries of `from`, in its iteration order. */
  static from<V>(from: ReadonlyMap<string, V>): NameTable<V> {
    const t = new NameTable<V>(from.size);
    for (const [k, v] of from) t.set(k, v);
    return t;
  }

  get size(): number {
    return this.keyList.length;
  }

  /** The entry index of `key`, or -1. */
  private find(key: string, h: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const i = slots[s * 2]!;
      if (i === 0) {
        this.missKey = key;
        this.missHash = h;
        this.missSlot = s;
        return -1;
      }
      if (slots[s * 2 + 1] === h && this.keyList[i - 1] === key) return i - 1;
    }
  }

  get(key: string): V | undefined {
    const i = this.find(key, nameHash(key));
    return i < 0 ? undefined : this.valueList[i];
  }

  has(key: string): boolean {
    return this.find(key, nameHash(key)) >= 0;
  }

  /** Add `key`, or replace its value in place (it keeps its position in the iteration order). */
  set(key: string, value: V): this {
    const slots = this.slots;
    let h: number;
    let s: number;
    if (key === this.missKey) {
      h = this.missHash;
      s = this.missSlot;
    } else {
      h = nameHash(key);
      const mask = this.mask;
      for (s = h & mask; ; s = (s + 1) & mask) {
        const i = slots[s * 2]!;
        if (i === 0) break;
        if (slots[s * 2 + 1] === h && this.keyList[i - 1] === key) {
          this.valueList[i - 1] = value;
          return this;
        }
      }
    }
    this.missKey = null;
    this.keyList.push(key);
    this.valueList.push(value);
    slots[s * 2] = this.keyList.length;
    slots[s * 2 + 1] = h;
    if (this.keyList.length * SLOTS_PER_ENTRY > this.mask + 1) this.grow();
    return this;
  }

  /**
   * Make room for `entries` names in all (a hint, as the constructor's `capacity`): a table that will take a
   * million names skips the doublings on the way, each of which places every index again.
   */
  reserve(entries: number): void {
    const n = slotsFor(entries);
    if (n > this.mask + 1) this.grow(n);
  }

  /** Grow the probe table to `n` slots (a power of two; default: double), placing each index by its hash. */
  private grow(n = (this.mask + 1) * 2): void {
    this.slots = placeSlots(this.slots, n);
    this.mask = n - 1;
  }

  // The arrays' own iterators: native, and like a Map's they see entries added during the iteration.
  keys(): MapIterator<string> {
    return this.keyList.values();
  }

  values(): MapIterator<V> {
    return this.valueList.values();
  }

  entries(): MapIterator<[string, V]> {
    return new EntryIterator(this.keyList, this.valueList);
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    const keys = this.keyList;
    const values = this.valueList;
    for (let i = 0; i < keys.length; i++) fn.call(thisArg, values[i]!, keys[i]!, this);
  }
}

/** The entries as pairs, one per `next` (a class: a generator took about twice as long per entry). */
class EntryIterator<V> implements MapIterator<[string, V]> {
  private i = 0;

  constructor(
    private readonly keys: readonly string[],
    private readonly values: readonly V[],
  ) {}

  next(): IteratorResult<[string, V], undefined> {
    const i = this.i;
    if (i >= this.keys.length) return { value: undefined, done: true };
    this.i = i + 1;
    return { value: [this.keys[i]!, this.values[i]!], done: false };
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this;
  }
}
