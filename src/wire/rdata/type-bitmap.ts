// NSEC/NSEC3/CSYNC type bitmaps (RFC 4034 §4.1.2): windows of up to 32 octets, in increasing window order.
import { typeFromText, typeToText } from "../rrtype.js";
import { RdataTextError } from "./text-fields.js";

export function typeBitmapFromText(fields: string[], firstField: number): Buffer {
  const types = new Set<number>();
  fields.forEach((f, i) => {
    const t = typeFromText(f);
    if (t === undefined) throw new RdataTextError(`unknown type '${f}' in type bitmap`, firstField + i);
    types.add(t);
  });
  return typeBitmapFromTypes([...types]);
}

export function typeBitmapFromTypes(list: number[]): Buffer {
  const sorted = [...new Set(list)].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let i = 0;
  while (i < sorted.length) {
    const window = sorted[i]! >> 8;
    const bits = Buffer.alloc(32);
    let maxOctet = 0;
    for (; i < sorted.length && sorted[i]! >> 8 === window; i++) {
      const low = sorted[i]! & 0xff;
      bits[low >> 3]! |= 0x80 >> (low & 7);
      maxOctet = low >> 3;
    }
    parts.push(Buffer.from([window, maxOctet + 1]), bits.subarray(0, maxOctet + 1));
  }
  return Buffer.concat(parts);
}

/** Types in a wire bitmap; throws on a malformed bitmap (bad order, empty or overlong window, trailing zero). */
export function typeBitmapToTypes(b: Uint8Array): number[] {
  const types: number[] = [];
  let pos = 0;
  let lastWindow = -1;
  while (pos < b.length) {
    if (pos + 2 > b.length) throw new Error("truncated type bitmap window");
    const window = b[pos]!;
    const len = b[pos + 1]!;
    if (window <= lastWindow || len < 1 || len > 32 || pos + 2 + len > b.length) {
      throw new Error("malformed type bitmap");
    }
    // A window whose last octet is zero is not the canonical encoding (RFC 4034 §4.1.2: trailing zeros omitted).
    if (b[pos + 1 + len] === 0) throw new Error("type bitmap window with a trailing zero octet");
    for (let o = 0; o < len; o++) {
      const byte = b[pos + 2 + o]!;
      for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) types.push((window << 8) | (o * 8 + bit));
    }
    lastWindow = window;
    pos += 2 + len;
  }
  return types;
}

export function typeBitmapToText(b: Uint8Array): string {
  return typeBitmapToTypes(b).map(typeToText).join(" ");
}
