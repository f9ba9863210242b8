// A copy-on-write name → node map for an IXFR applied to a zone tree (src/zone/zone-delta.ts): the names the
// IXFR changed sit in a small layer over the previous version's map, which is shared and never written, so
// the previous tree stays valid while it is still served. Copying the whole Map instead cost 1.6–2.2 s for
// 800 000 names on the shared 2-vCPU host (load ~13), in the host and again in every worker, per change.
//
// One layer at most: a map built over a LayeredMap copies that map's layer (small: the names changed since
// the last merge) and shares its base, so a lookup is at most two Map probes. When the layer outgrows 1/8 of
// the base, the next map is merged into one NameTable, the map the tree was built with (an O(n) copy, once
// per that many changed names).
// Names are only added or replaced, never deleted (the local IXFR path refuses a name that loses its data).

import { NameTable } from "./name-table.js";

/** Layer size, relative to the base, beyond which the next map is merged into one. */
const MERGE_RATIO = 8;

export class LayeredMap<V> implements ReadonlyMap<string, V> {
  /** Keys of `top` that `base` lacks. */
  private added = 0;

  private constructor(
    private readonly base: ReadonlyMap<string, V>,
    private readonly top: Map<string, V>,
  ) {}

  /** A writable map with the entries of `from`, which is left as it is. */
  static over<V>(from: ReadonlyMap<string, V>): LayeredMap<V> {
    if (!(from instanceof LayeredMap)) return new LayeredMap(from, new Map());
    if (from.top.size * MERGE_RATIO > from.base.size) return new LayeredMap(NameTable.from(from), new Map());
    const m = new LayeredMap(from.base, new Map(from.top));
    m.added = from.added;
    return m;
  }

  set(key: string, value: V): this {
    if (!this.top.has(key) && !this.base.has(key)) this.added++;
    this.top.set(key, value);
    return this;
  }

  get(key: string): V | undefined {
    const v = this.top.get(key);
    return v !== undefined ? v : this.base.get(key);
  }

  has(key: string): boolean {
    return this.top.has(key) || this.base.has(key);
  }

  /**
   * The shared map below and the names written over it, both read-only: the precompiler tells which names two
   * versions of a zone differ in from them without comparing every name (src/responder/zone-change.ts).
   */
  layers(): { base: ReadonlyMap<string, V>; top: ReadonlyMap<string, V> } {
    return { base: this.base, top: this.top };
  }

  get size(): number {
    return this.base.size + this.added;
  }

  /** The base's order (replaced values in place), then the added keys in insertion order. */
  *entries(): MapIterator<[string, V]> {
    for (const [k, v] of this.base) {
      const t = this.top.get(k);
      yield [k, t !== undefined ? t : v];
    }
    for (const e of this.top) if (!this.base.has(e[0])) yield e;
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }
}
