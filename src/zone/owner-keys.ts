// Owner names → tree keys for records read straight from wire bytes (a transfer's messages, the wire copy on
// disk). Records come owner by owner, so an owner with the same bytes as the previous one gets the previous
// key; and a lower-case owner (most names) needs no Buffer of its own, the key's bytes being the same.
import { MAX_NAME_LENGTH, nameKey } from "../wire/name.js";

export class OwnerKeys {
  private readonly prev = Buffer.allocUnsafe(MAX_NAME_LENGTH);
  private prevLength = -1;
  private prevKey = "";
  /** After `key`: the name itself when its case differs from its key's (an upper-case letter), else null. */
  cased: Buffer | null = null;

  /** The key of the uncompressed wire name `bytes[start, end)`. */
  key(bytes: Uint8Array, start: number, end: number): string {
    const n = end - start;
    const prev = this.prev;
    if (n === this.prevLength) {
      // Byte by byte: a native compare per record costs more for names this short.
      let i = 0;
      while (i < n && bytes[start + i] === prev[i]) i++;
      if (i === n) return this.prevKey;
    }
    let upper = false;
    for (let i = 0; i < n; i++) {
      const c = bytes[start + i]!;
      prev[i] = c;
      if (c >= 0x41 && c <= 0x5a) upper = true;
    }
    this.prevLength = n;
    this.cased = upper ? Buffer.from(prev.subarray(0, n)) : null;
    this.prevKey = upper ? nameKey(this.cased!) : prev.toString("latin1", 0, n);
    return this.prevKey;
  }
}
