// Domain names in wire format (RFC 1035 §3.1): a sequence of length-prefixed labels ending with the root (0).
// Everything inside edgens keeps names as uncompressed wire bytes with their original case; comparisons use
// `nameKey`, the same bytes with ASCII letters lower-cased, as a latin1 string (cheap Map key, exact bytes).

export const MAX_NAME_LENGTH = 255;
export const MAX_LABEL_LENGTH = 63;

export const ROOT_NAME: Buffer = Buffer.from([0]);

export class NameError extends Error {
  readonly code = "EDGENS_ERR_NAME";
}

/** ASCII-only lower-casing: DNS compares names case-insensitively for A-Z only (RFC 4343). */
export function lowerAscii(wire: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(wire.length);
  for (let i = 0; i < wire.length; i++) {
    const c = wire[i]!;
    out[i] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
  }
  return out;
}

/** The canonical comparison key of a wire name: lower-cased bytes as a latin1 string. */
export function nameKey(wire: Uint8Array): string {
  return lowerAscii(wire).toString("latin1");
}

/** Wire name of a key (keys are lower-cased wire bytes). */
export function keyToWire(key: string): Buffer {
  return Buffer.from(key, "latin1");
}

/** Byte offsets of each label start, not counting the root. "www.example." → [0, 4]. */
export function labelOffsets(wire: Uint8Array | string): number[] {
  const offsets: number[] = [];
  let i = 0;
  const at = typeof wire === "string" ? (n: number) => wire.charCodeAt(n) : (n: number) => wire[n]!;
  while (i < wire.length) {
    const len = at(i);
    if (len === 0) break;
    offsets.push(i);
    i += len + 1;
  }
  return offsets;
}

export function labelCount(wire: Uint8Array | string): number {
  return labelOffsets(wire).length;
}

/** True when `key` equals `zoneKey` or lies below it (both keys, compared at label boundaries). */
export function isSubdomainKey(key: string, zoneKey: string): boolean {
  if (key.length < zoneKey.length) return false;
  if (!key.endsWith(zoneKey)) return false;
  const start = key.length - zoneKey.length;
  if (start === 0) return true;
  // The suffix must start at a label boundary of `key`.
  let i = 0;
  while (i < start) i += key.charCodeAt(i) + 1;
  return i === start;
}

/** The parent of a wire name (or key), i.e. the name without its first label; the root has no parent. */
export function parentName<T extends Uint8Array | string>(wire: T): T | null {
  const len = typeof wire === "string" ? wire.charCodeAt(0) : (wire as Uint8Array)[0]!;
  if (len === 0 || len === undefined) return null;
  return (typeof wire === "string" ? wire.slice(len + 1) : (wire as Uint8Array).subarray(len + 1)) as T;
}

/** Prepend one label (raw bytes) to a wire name. */
export function prependLabel(label: Uint8Array, wire: Uint8Array): Buffer {
  if (label.length === 0 || label.length > MAX_LABEL_LENGTH) throw new NameError("label length out of range");
  if (label.length + 1 + wire.length > MAX_NAME_LENGTH) throw new NameError("name longer than 255 octets");
  return Buffer.concat([Buffer.from([label.length]), label, wire]);
}

/** Concatenate a relative wire name prefix (no root byte) with an absolute wire name. */
export function joinNames(prefixWithoutRoot: Uint8Array, suffix: Uint8Array): Buffer {
  if (prefixWithoutRoot.length + suffix.length > MAX_NAME_LENGTH)
    throw new NameError("name longer than 255 octets");
  return Buffer.concat([prefixWithoutRoot, suffix]);
}

/** Characters that must be escaped in presentation format. */
function isSpecial(c: number): boolean {
  // . ; \ ( ) " @ $ and whitespace
  return (
    c === 0x2e ||
    c === 0x3b ||
    c === 0x5c ||
    c === 0x28 ||
    c === 0x29 ||
    c === 0x22 ||
    c === 0x40 ||
    c === 0x24 ||
    c === 0x20
  );
}

/** Presentation form of one label's bytes, with RFC 1035 §5.1 escapes. */
export function labelToText(bytes: Uint8Array): string {
  let s = "";
  for (const c of bytes) {
    if (c <= 0x20 || c >= 0x7f) s += `\\${c.toString().padStart(3, "0")}`;
    else if (isSpecial(c)) s += `\\${String.fromCharCode(c)}`;
    else s += String.fromCharCode(c);
  }
  return s;
}

/** Presentation form of an uncompressed wire name, absolute (with trailing dot). */
export function nameToText(wire: Uint8Array | string): string {
  const buf = typeof wire === "string" ? keyToWire(wire) : wire;
  if (buf.length === 0 || buf[0] === 0) return ".";
  let s = "";
  let i = 0;
  while (i < buf.length && buf[i] !== 0) {
    const len = buf[i]!;
    s += `${labelToText(buf.subarray(i + 1, i + 1 + len))}.`;
    i += len + 1;
  }
  return s;
}

/**
 * Parse a presentation-format name. Relative names (no trailing dot) are completed with `origin`;
 * "@" is the origin itself. Supports `\X` and `\DDD` escapes.
 */
export function parseNameText(text: string, origin: Uint8Array | null): Buffer {
  if (text === "@") {
    if (!origin) throw new NameError("'@' used but no origin is known");
    return Buffer.from(origin);
  }
  if (text === ".") return Buffer.from(ROOT_NAME);
  if (text.length === 0) throw new NameError("empty name");
  const out: number[] = [];
  let label: number[] = [];
  let absolute = false;
  const flush = () => {
    if (label.length === 0) throw new NameError(`empty label in name '${text}'`);
    if (label.length > MAX_LABEL_LENGTH) throw new NameError(`label longer than 63 octets in name '${text}'`);
    out.push(label.length, ...label);
    label = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x5c) {
      const next = text.charCodeAt(i + 1);
      if (Number.isNaN(next)) throw new NameError(`dangling backslash in name '${text}'`);
      if (next >= 0x30 && next <= 0x39) {
        const digits = text.slice(i + 1, i + 4);
        if (!/^[0-9]{3}$/.test(digits)) throw new NameError(`bad \\DDD escape in name '${text}'`);
        const value = Number(digits);
        if (value > 255) throw new NameError(`\\DDD escape above 255 in name '${text}'`);
        label.push(value);
        i += 3;
      } else {
        label.push(next);
        i += 1;
      }
    } else if (ch === 0x2e) {
      flush();
      if (i === text.length - 1) absolute = true;
    } else {
      if (ch > 0xff) throw new NameError(`non-latin1 character in name '${text}'`);
      label.push(ch);
    }
  }
  if (!absolute) {
    if (label.length > 0) flush();
    if (!origin) throw new NameError(`relative name '${text}' but no origin is known`);
    if (out.length + origin.length > MAX_NAME_LENGTH)
      throw new NameError(`name longer than 255 octets: '${text}'`);
    return Buffer.concat([Buffer.from(out), origin]);
  }
  out.push(0);
  if (out.length > MAX_NAME_LENGTH) throw new NameError(`name longer than 255 octets: '${text}'`);
  return Buffer.from(out);
}

/**
 * Read a possibly compressed name from a DNS message. Returns the uncompressed wire name and the offset just
 * after the name's bytes at `offset`. Rejects forward/looping pointers, overlong labels and names.
 */
export function readName(msg: Uint8Array, offset: number): { name: Buffer; next: number } {
  const out: number[] = [];
  let pos = offset;
  let next = -1;
  let jumps = 0;
  for (;;) {
    if (pos >= msg.length) throw new NameError("name runs past the end of the message");
    const len = msg[pos]!;
    if (len === 0) {
      out.push(0);
      if (next < 0) next = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= msg.length) throw new NameError("truncated compression pointer");
      const target = ((len & 0x3f) << 8) | msg[pos + 1]!;
      // Pointers must point strictly backwards (to a prior occurrence), which also rules out loops.
      if (target >= pos) throw new NameError("compression pointer does not point backwards");
      if (++jumps > 127) throw new NameError("too many compression pointers");
      if (next < 0) next = pos + 2;
      pos = target;
      continue;
    }
    if (kind !== 0) throw new NameError("unsupported label type");
    if (pos + 1 + len > msg.length) throw new NameError("label runs past the end of the message");
    if (out.length + len + 2 > MAX_NAME_LENGTH) throw new NameError("name longer than 255 octets");
    out.push(len);
    for (let i = 1; i <= len; i++) out.push(msg[pos + i]!);
    pos += len + 1;
  }
  return { name: Buffer.from(out), next };
}
