// A map from RR type to value for one zone node. Almost every node of a big zone holds one or two types, and a
// `Map` costs ~170 bytes even when it holds one entry (its hash table is allocated up front): at a million
// names that is most of the zone tree. The first two entries live in fields; a `Map` takes over from the third.
// Iteration is in insertion order, like `Map`, as long as nothing is deleted from the two fields.

export class TypeMap<V> implements ReadonlyMap<number, V> {
  private k0 = -1;
  private v0: V | undefined = undefined;
  private k1 = -1;
  private v1: V | undefined = undefined;
  private more: Map<number, V> | null = null;

  get size(): number {
    return (this.k0 >= 0 ? 1 : 0) + (this.k1 >= 0 ? 1 : 0) + (this.more?.size ?? 0);
  }

  get(type: number): V | undefined {
    if (type === this.k0) return this.v0;
    if (type === this.k1) return this.v1;
    return this.more?.get(type);
  }

  has(type: number): boolean {
    return type === this.k0 || type === this.k1 || (this.more?.has(type) ?? false);
  }

  set(type: number, value: V): this {
    if (type < 0) throw new RangeError(`bad RR type ${type}`);
    if (type === this.k0 || (this.k0 < 0 && type !== this.k1 && !this.more?.has(type))) {
      this.k0 = type;
      this.v0 = value;
    } else if (type === this.k1 || (this.k1 < 0 && !this.more?.has(type))) {
      this.k1 = type;
      this.v1 = value;
    } else {
      this.more ??= new Map();
      this.more.set(type, value);
    }
    return this;
  }

  delete(type: number): boolean {
    if (type === this.k0) {
      this.k0 = -1;
      this.v0 = undefined;
      return true;
    }
    if (type === this.k1) {
      this.k1 = -1;
      this.v1 = undefined;
      return true;
    }
    return this.more?.delete(type) ?? false;
  }

  *entries(): MapIterator<[number, V]> {
    if (this.k0 >= 0) yield [this.k0, this.v0 as V];
    if (this.k1 >= 0) yield [this.k1, this.v1 as V];
    if (this.more) yield* this.more.entries();
  }

  *keys(): MapIterator<number> {
    if (this.k0 >= 0) yield this.k0;
    if (this.k1 >= 0) yield this.k1;
    if (this.more) yield* this.more.keys();
  }

  *values(): MapIterator<V> {
    if (this.k0 >= 0) yield this.v0 as V;
    if (this.k1 >= 0) yield this.v1 as V;
    if (this.more) yield* this.more.values();
  }

  [Symbol.iterator](): MapIterator<[number, V]> {
    return this.entries();
  }

  /** `fn` on each value, in order, without an iterator (a walk over a million nodes makes two per node). */
  forEachValue(fn: (value: V) => void): void {
    if (this.k0 >= 0) fn(this.v0 as V);
    if (this.k1 >= 0) fn(this.v1 as V);
    if (this.more) for (const v of this.more.values()) fn(v);
  }

  forEach(fn: (value: V, key: number, map: ReadonlyMap<number, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }
}
