// SVCB/HTTPS SvcParams (RFC 9460 §2.1, §7, Appendix A): `key[=value]` fields ↔ wire pairs sorted by key.
import {
  base64ToText,
  escapeBytes,
  ipv4ToText,
  ipv6ToText,
  parseBase64,
  parseIpv4,
  parseIpv6,
  parseUint,
  RdataTextError,
  unescapeText,
} from "./text-fields.js";

const KEY_NAMES = ["mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint", "dohpath"];

export function svcKeyFromText(text: string): number {
  const i = KEY_NAMES.indexOf(text.toLowerCase());
  if (i >= 0) return i;
  const m = /^key([0-9]{1,5})$/i.exec(text);
  if (m && Number(m[1]) <= 65535) return Number(m[1]);
  throw new RdataTextError(`unknown SvcParamKey '${text}'`);
}

export function svcKeyToText(key: number): string {
  return KEY_NAMES[key] ?? `key${key}`;
}

/** Split a value-list (RFC 9460 Appendix A.1) on unescaped commas; `\X` stands for X. */
function splitValueList(b: Buffer): Buffer[] {
  const items: Buffer[] = [];
  let cur: number[] = [];
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x5c && i + 1 < b.length) cur.push(b[++i]!);
    else if (c === 0x2c) {
      items.push(Buffer.from(cur));
      cur = [];
    } else cur.push(c);
  }
  items.push(Buffer.from(cur));
  return items;
}

function encodeValue(key: number, value: string | undefined): Buffer {
  const name = svcKeyToText(key);
  const need = () => {
    if (value === undefined || value === "") throw new RdataTextError(`SvcParam '${name}' needs a value`);
    return value;
  };
  switch (key) {
    case 0: {
      const keys = need()
        .split(",")
        .map((k) => svcKeyFromText(k));
      if (keys.includes(0)) throw new RdataTextError("'mandatory' must not list itself");
      keys.sort((a, b) => a - b);
      const out = Buffer.alloc(keys.length * 2);
      keys.forEach((k, i) => {
        if (i > 0 && keys[i - 1] === k)
          throw new RdataTextError(`'mandatory' lists '${svcKeyToText(k)}' twice`);
        out.writeUInt16BE(k, i * 2);
      });
      return out;
    }
    case 1: {
      const ids = splitValueList(unescapeText(need()));
      return Buffer.concat(
        ids.flatMap((id) => {
          if (id.length === 0 || id.length > 255) throw new RdataTextError("empty or overlong alpn id");
          return [Buffer.from([id.length]), id];
        }),
      );
    }
    case 2:
      if (value !== undefined) throw new RdataTextError("'no-default-alpn' takes no value");
      return Buffer.alloc(0);
    case 3: {
      const out = Buffer.alloc(2);
      out.writeUInt16BE(parseUint(need(), 16, "port"));
      return out;
    }
    case 4:
      return Buffer.concat(need().split(",").map(parseIpv4));
    case 5:
      return parseBase64(need(), "ech");
    case 6:
      return Buffer.concat(need().split(",").map(parseIpv6));
    case 7:
      return unescapeText(need(), "dohpath");
    default:
      return value === undefined ? Buffer.alloc(0) : unescapeText(value, `SvcParam '${name}'`);
  }
}

export function svcParamsFromText(fields: string[], firstField: number): Buffer {
  const params = new Map<number, Buffer>();
  fields.forEach((f, i) => {
    try {
      const eq = f.indexOf("=");
      const key = svcKeyFromText(eq < 0 ? f : f.slice(0, eq));
      if (params.has(key)) throw new RdataTextError(`duplicate SvcParam '${svcKeyToText(key)}'`);
      params.set(key, encodeValue(key, eq < 0 ? undefined : f.slice(eq + 1)));
    } catch (e) {
      if (e instanceof RdataTextError && e.field === undefined)
        throw new RdataTextError(e.message, firstField + i);
      throw e;
    }
  });
  const mandatory = params.get(0);
  if (mandatory) {
    for (let o = 0; o < mandatory.length; o += 2) {
      const k = mandatory.readUInt16BE(o);
      if (!params.has(k)) throw new RdataTextError(`'mandatory' lists '${svcKeyToText(k)}' which is absent`);
    }
  }
  const keys = [...params.keys()].sort((a, b) => a - b);
  return Buffer.concat(
    keys.flatMap((k) => {
      const v = params.get(k)!;
      if (v.length > 65535) throw new RdataTextError(`SvcParam '${svcKeyToText(k)}' value too long`);
      const head = Buffer.alloc(4);
      head.writeUInt16BE(k, 0);
      head.writeUInt16BE(v.length, 2);
      return [head, v];
    }),
  );
}

function valueToText(key: number, v: Buffer): string | undefined {
  const bad = () => new Error(`malformed SvcParam '${svcKeyToText(key)}'`);
  switch (key) {
    case 0: {
      if (v.length === 0 || v.length % 2) throw bad();
      const keys: string[] = [];
      for (let o = 0; o < v.length; o += 2) {
        const k = v.readUInt16BE(o);
        if (k === 0 || (o > 0 && k <= v.readUInt16BE(o - 2))) throw bad();
        keys.push(svcKeyToText(k));
      }
      return keys.join(",");
    }
    case 1: {
      const ids: string[] = [];
      for (let o = 0; o < v.length; ) {
        const len = v[o]!;
        if (len === 0 || o + 1 + len > v.length) throw bad();
        // Two escaping layers: value-list (`,` and `\`) inside the zone-file string.
        const id = v.subarray(o + 1, o + 1 + len);
        const listEscaped: number[] = [];
        for (const c of id) {
          if (c === 0x2c || c === 0x5c) listEscaped.push(0x5c);
          listEscaped.push(c);
        }
        ids.push(escapeBytes(Buffer.from(listEscaped)));
        o += 1 + len;
      }
      if (ids.length === 0) throw bad();
      return `"${ids.join(",")}"`;
    }
    case 2:
      if (v.length) throw bad();
      return undefined;
    case 3:
      if (v.length !== 2) throw bad();
      return String(v.readUInt16BE(0));
    case 4: {
      if (v.length === 0 || v.length % 4) throw bad();
      const a: string[] = [];
      for (let o = 0; o < v.length; o += 4) a.push(ipv4ToText(v.subarray(o, o + 4)));
      return a.join(",");
    }
    case 5:
      if (v.length === 0) throw bad();
      return base64ToText(v);
    case 6: {
      if (v.length === 0 || v.length % 16) throw bad();
      const a: string[] = [];
      for (let o = 0; o < v.length; o += 16) a.push(ipv6ToText(v.subarray(o, o + 16)));
      return a.join(",");
    }
    default:
      if (key === 7 && v.length === 0) throw bad();
      return v.length === 0 ? undefined : `"${escapeBytes(v)}"`;
  }
}

/** Presentation form of wire SvcParams; throws on malformed or unsorted params (caller prints generically). */
export function svcParamsToText(b: Buffer): string[] {
  const out: string[] = [];
  const present = new Set<number>();
  let mandatory: Buffer | undefined;
  let last = -1;
  for (let pos = 0; pos < b.length; ) {
    if (pos + 4 > b.length) throw new Error("truncated SvcParam");
    const key = b.readUInt16BE(pos);
    const len = b.readUInt16BE(pos + 2);
    if (key <= last || pos + 4 + len > b.length) throw new Error("unsorted or truncated SvcParams");
    const v = valueToText(key, b.subarray(pos + 4, pos + 4 + len));
    out.push(v === undefined ? svcKeyToText(key) : `${svcKeyToText(key)}=${v}`);
    if (key === 0) mandatory = b.subarray(pos + 4, pos + 4 + len);
    present.add(key);
    last = key;
    pos += 4 + len;
  }
  for (let o = 0; mandatory && o < mandatory.length; o += 2) {
    if (!present.has(mandatory.readUInt16BE(o))) throw new Error("'mandatory' lists an absent key");
  }
  return out;
}
