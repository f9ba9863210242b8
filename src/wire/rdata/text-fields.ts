// Presentation-format field codecs shared by the RDATA codecs and the master-file parser: integers, TTLs with
// units, addresses, base16/32/64, character-strings and RRSIG timestamps (RFC 1035 §5.1, RFC 4034 §3.2).

/** Thrown by the text codecs. `field` is the index (in the RDATA fields) where the problem is, when known. */
export class RdataTextError extends Error {
  readonly code = "EDGENS_ERR_RDATA";
  constructor(
    message: string,
    readonly field?: number,
  ) {
    super(message);
  }
}

export function parseUint(text: string, bits: 8 | 16 | 32, what: string): number {
  if (!/^[0-9]+$/.test(text)) throw new RdataTextError(`bad ${what} '${text}': not a decimal number`);
  const n = Number(text);
  if (n > 2 ** bits - 1) throw new RdataTextError(`bad ${what} '${text}': above ${2 ** bits - 1}`);
  return n;
}

const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * A TTL or SOA timer: plain seconds or BIND-style units ("1h30m", "1w"). Returns undefined when `text` does not
 * look like a TTL at all (so the caller can try class/type), throws when it does but is out of range.
 */
export function parseTtlText(text: string, max = 0xffffffff): number | undefined {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    if (n > max) throw new RdataTextError(`bad TTL '${text}': above ${max}`);
    return n;
  }
  if (!/^([0-9]+[smhdwSMHDW])+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)([smhdwSMHDW])/g)) {
    total += Number(m[1]) * TTL_UNITS[m[2]!.toLowerCase()]!;
  }
  if (total > max) throw new RdataTextError(`bad TTL '${text}': above ${max}`);
  return total;
}

export function parseIpv4(text: string): Buffer {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^[0-9]{1,3}$/.test(p) || Number(p) > 255)) {
    throw new RdataTextError(`bad IPv4 address '${text}'`);
  }
  return Buffer.from(parts.map(Number));
}

export function ipv4ToText(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

export function parseIpv6(text: string): Buffer {
  const bad = () => new RdataTextError(`bad IPv6 address '${text}'`);
  const out = Buffer.alloc(16);
  let head = text;
  const lastColon = text.lastIndexOf(":");
  if (lastColon >= 0 && text.indexOf(".", lastColon) >= 0) {
    // Embedded IPv4 ("::ffff:192.0.2.1"): rewrite the dotted quad as two hex groups.
    let v4: Buffer;
    try {
      v4 = parseIpv4(text.slice(lastColon + 1));
    } catch {
      throw bad();
    }
    head = `${text.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const groupsWanted = 8;
  const halves = head.split("::");
  if (halves.length > 2) throw bad();
  const parse = (s: string): number[] => {
    if (s === "") return [];
    return s.split(":").map((g) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
      return Number.parseInt(g, 16);
    });
  };
  let groups: number[];
  if (halves.length === 2) {
    const a = parse(halves[0]!);
    const b = parse(halves[1]!);
    if (a.length + b.length > groupsWanted - 1) throw bad();
    groups = [...a, ...new Array<number>(groupsWanted - a.length - b.length).fill(0), ...b];
  } else {
    groups = parse(head);
    if (groups.length !== groupsWanted) throw bad();
  }
  groups.forEach((g, i) => {
    out.writeUInt16BE(g, i * 2);
  });
  return out;
}

/** RFC 5952 canonical text: lower case, longest run (>1) of zero groups compressed, first on ties. */
export function ipv6ToText(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

export function parseHex(text: string, what = "hex data"): Buffer {
  if (!/^([0-9a-fA-F]{2})*$/.test(text))
    throw new RdataTextError(`bad ${what}: not an even number of hex digits`);
  return Buffer.from(text, "hex");
}

export function hexToText(b: Uint8Array): string {
  return Buffer.from(b).toString("hex").toUpperCase();
}

export function parseBase64(text: string, what = "base64 data"): Buffer {
  if (!/^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) {
    throw new RdataTextError(`bad ${what}: not valid base64`);
  }
  return Buffer.from(text, "base64");
}

export function base64ToText(b: Uint8Array): string {
  return Buffer.from(b).toString("base64");
}

const B32HEX = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

/** Base32 with the extended hex alphabet, no padding (RFC 4648 §7, as used by NSEC3). */
export function parseBase32Hex(text: string, what = "base32hex data"): Buffer {
  const upper = text.toUpperCase();
  if (!/^[0-9A-V]*$/.test(upper) || [1, 3, 6].includes(upper.length % 8)) {
    throw new RdataTextError(`bad ${what}: not valid unpadded base32hex`);
  }
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of upper) {
    acc = (acc << 5) | B32HEX.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero padding, else the text is not the canonical encoding of any bytes.
  if ((acc & ((1 << bits) - 1)) !== 0) throw new RdataTextError(`bad ${what}: non-zero trailing bits`);
  return Buffer.from(out);
}

export function base32HexToText(b: Uint8Array): string {
  let s = "";
  let acc = 0;
  let bits = 0;
  for (const byte of b) {
    acc = ((acc << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      s += B32HEX[(acc >> bits) & 31];
    }
  }
  if (bits > 0) s += B32HEX[(acc << (5 - bits)) & 31];
  return s;
}

/** Bytes of one presentation field with `\X` and `\DDD` escapes decoded (quotes already removed). */
export function unescapeText(text: string, what = "character-string"): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x5c) {
      if (i + 1 >= text.length) throw new RdataTextError(`bad ${what}: dangling backslash`);
      const next = text.charCodeAt(i + 1);
      if (next >= 0x30 && next <= 0x39) {
        const digits = text.slice(i + 1, i + 4);
        if (!/^[0-9]{3}$/.test(digits) || Number(digits) > 255) {
          throw new RdataTextError(`bad ${what}: bad \\DDD escape '\\${digits}'`);
        }
        out.push(Number(digits));
        i += 3;
      } else {
        i += 1;
        pushChar(out, text, i);
        if (next >= 0xd800 && next <= 0xdbff) i++;
      }
    } else {
      pushChar(out, text, i);
      if (ch >= 0xd800 && ch <= 0xdbff) i++;
    }
  }
  return Buffer.from(out);
}

// Zone files are read as latin1 (one char per byte); other JS strings may hold wider characters: UTF-8 them.
function pushChar(out: number[], text: string, i: number): void {
  const cp = text.codePointAt(i)!;
  if (cp <= 0xff) out.push(cp);
  else out.push(...Buffer.from(String.fromCodePoint(cp), "utf8"));
}

export function parseCharString(text: string): Buffer {
  const b = unescapeText(text);
  if (b.length > 255) throw new RdataTextError(`character-string longer than 255 octets (${b.length})`);
  return b;
}

/** Escape bytes for use inside a quoted presentation string. `extra` lists more bytes to backslash-escape. */
export function escapeBytes(b: Uint8Array, extra = ""): string {
  let s = "";
  for (const c of b) {
    if (c < 0x20 || c >= 0x7f) s += `\\${c.toString().padStart(3, "0")}`;
    else if (c === 0x22 || c === 0x5c || extra.includes(String.fromCharCode(c)))
      s += `\\${String.fromCharCode(c)}`;
    else s += String.fromCharCode(c);
  }
  return s;
}

export function charStringToText(b: Uint8Array): string {
  return `"${escapeBytes(b)}"`;
}

/** RRSIG inception/expiration: YYYYMMDDHHmmSS (UTC) or a plain 32-bit number of seconds (RFC 4034 §3.2). */
export function parseSigTime(text: string): number {
  if (/^[0-9]{14}$/.test(text)) {
    const [y, mo, d, h, mi, s] = [0, 4, 6, 8, 10, 12].map((o, i) =>
      Number(text.slice(o, o + (i === 0 ? 4 : 2))),
    );
    const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
    const dt = new Date(ms);
    if (
      mo! < 1 ||
      mo! > 12 ||
      dt.getUTCDate() !== d ||
      h! > 23 ||
      mi! > 59 ||
      s! > 59 ||
      y! < 1970 ||
      dt.getUTCMonth() !== mo! - 1
    ) {
      throw new RdataTextError(`bad signature time '${text}'`);
    }
    // Serial-number arithmetic: the wire holds the time modulo 2^32 (RFC 4034 §3.1.5).
    return Math.floor(ms / 1000) % 2 ** 32;
  }
  if (/^[0-9]{1,10}$/.test(text) && Number(text) <= 0xffffffff) return Number(text);
  throw new RdataTextError(`bad signature time '${text}': want YYYYMMDDHHmmSS`);
}

export function sigTimeToText(t: number): string {
  // Times are printed in the window closest to now that fits 14 digits; before 2106 that is the plain value.
  const d = new Date(t * 1000);
  const p = (n: number, w = 2) => n.toString().padStart(w, "0");
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(
    d.getUTCMinutes(),
  )}${p(d.getUTCSeconds())}`;
}
