// RDATA presentation format ↔ uncompressed wire RDATA, per type (RFC 1035 §5 and each type's RFC), plus the
// RFC 3597 generic form `\# <length> <hex>` for any type. Each type is a row of field kinds; the same rows drive
// both directions so they cannot drift apart. Names inside RDATA are written uncompressed.
import { lowerAscii, type NameError, nameToText, parseNameText } from "./name.js";
import { aplFromText, aplToText } from "./rdata/apl.js";
import { ipseckeyFromText, ipseckeyToText } from "./rdata/ipseckey.js";
import { locFromText, locToText } from "./rdata/loc.js";
import { svcParamsFromText, svcParamsToText } from "./rdata/svcb-params.js";
import {
  base32HexToText,
  base64ToText,
  charStringToText,
  escapeBytes,
  hexToText,
  ipv4ToText,
  ipv6ToText,
  parseBase32Hex,
  parseBase64,
  parseCharString,
  parseHex,
  parseIpv4,
  parseIpv6,
  parseSigTime,
  parseTtlText,
  parseUint,
  RdataTextError,
  sigTimeToText,
  unescapeText,
} from "./rdata/text-fields.js";
import { typeBitmapFromText, typeBitmapToText } from "./rdata/type-bitmap.js";
import { RRType, typeFromText, typeToText } from "./rrtype.js";

export { RdataTextError } from "./rdata/text-fields.js";

/**
 * Field kinds. "Rest" kinds (strs, b64, hex, bitmap, svc, rest-str) take every remaining field and must come last.
 * timer: 32-bit seconds that may use units (1h); time: RRSIG timestamp; salt/b32: u8-length-prefixed hex/base32hex;
 * alg: DNSSEC algorithm number, mnemonics accepted (RFC 4034 Appendix A.1), printed as a number.
 */
type Kind =
  | "u8"
  | "u16"
  | "u32"
  | "timer"
  | "name"
  | "a"
  | "aaaa"
  | "str"
  | "strs"
  | "b64"
  | "hex"
  | "salt"
  | "b32"
  | "bitmap"
  | "time"
  | "type"
  | "tag"
  | "rest-str"
  | "svc"
  | "eui48"
  | "eui64"
  | "cert-type"
  | "alg";

const REST_KINDS = new Set<Kind>(["strs", "b64", "hex", "bitmap", "svc", "rest-str"]);

interface SpecialCodec {
  fromText(fields: string[], origin: Buffer | null): Buffer;
  toText(rdata: Buffer): string;
}

const T = RRType;
const LAYOUTS = new Map<number, Kind[] | SpecialCodec>([
  [T.A, ["a"]],
  [T.NS, ["name"]],
  [T.CNAME, ["name"]],
  [T.DNAME, ["name"]],
  [T.PTR, ["name"]],
  [T.SOA, ["name", "name", "u32", "timer", "timer", "timer", "timer"]],
  [T.HINFO, ["str", "str"]],
  [T.MX, ["u16", "name"]],
  [T.KX, ["u16", "name"]],
  [T.AFSDB, ["u16", "name"]],
  [T.TXT, ["strs"]],
  [T.SPF, ["strs"]],
  [T.RP, ["name", "name"]],
  [T.AAAA, ["aaaa"]],
  [T.LOC, { fromText: locFromText, toText: locToText }],
  [T.SRV, ["u16", "u16", "u16", "name"]],
  [T.NAPTR, ["u16", "u16", "str", "str", "str", "name"]],
  [T.APL, { fromText: aplFromText, toText: aplToText }],
  [T.IPSECKEY, { fromText: ipseckeyFromText, toText: ipseckeyToText }],
  [T.CERT, ["cert-type", "u16", "alg", "b64"]],
  [T.DS, ["u16", "alg", "u8", "hex"]],
  [T.CDS, ["u16", "alg", "u8", "hex"]],
  [T.SSHFP, ["u8", "u8", "hex"]],
  [T.RRSIG, ["type", "alg", "u8", "timer", "time", "time", "u16", "name", "b64"]],
  [T.NSEC, ["name", "bitmap"]],
  [T.DNSKEY, ["u16", "u8", "alg", "b64"]],
  [T.CDNSKEY, ["u16", "u8", "alg", "b64"]],
  [T.DHCID, ["b64"]],
  [T.NSEC3, ["u8", "u8", "u16", "salt", "b32", "bitmap"]],
  [T.NSEC3PARAM, ["u8", "u8", "u16", "salt"]],
  [T.TLSA, ["u8", "u8", "u8", "hex"]],
  [T.SMIMEA, ["u8", "u8", "u8", "hex"]],
  [T.OPENPGPKEY, ["b64"]],
  [T.CSYNC, ["u32", "u16", "bitmap"]],
  [T.ZONEMD, ["u32", "u8", "u8", "hex"]],
  [T.SVCB, ["u16", "name", "svc"]],
  [T.HTTPS, ["u16", "name", "svc"]],
  [T.EUI48, ["eui48"]],
  [T.EUI64, ["eui64"]],
  [T.URI, ["u16", "u16", "rest-str"]],
  [T.CAA, ["u8", "tag", "rest-str"]],
]);

/** True when `type` has a type-specific presentation format here (others need the `\#` form). */
export function hasRdataCodec(type: number): boolean {
  return LAYOUTS.has(type);
}

// DNSSEC algorithm mnemonics (IANA "DNS Security Algorithm Numbers").
const ALGORITHMS: Record<string, number> = {
  RSAMD5: 1,
  DH: 2,
  DSA: 3,
  RSASHA1: 5,
  "DSA-NSEC3-SHA1": 6,
  "RSASHA1-NSEC3-SHA1": 7,
  RSASHA256: 8,
  RSASHA512: 10,
  "ECC-GOST": 12,
  ECDSAP256SHA256: 13,
  ECDSAP384SHA384: 14,
  ED25519: 15,
  ED448: 16,
  INDIRECT: 252,
  PRIVATEDNS: 253,
  PRIVATEOID: 254,
};

const CERT_TYPES = ["", "PKIX", "SPKI", "PGP", "IPKIX", "ISPKI", "IPGP", "ACPKIX", "IACPKIX"];

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function parseEui(text: string, octets: number): Buffer {
  const re = new RegExp(`^[0-9a-fA-F]{2}(-[0-9a-fA-F]{2}){${octets - 1}}$`);
  if (!re.test(text)) throw new RdataTextError(`bad EUI-${octets * 8} address '${text}'`);
  return Buffer.from(text.replace(/-/g, ""), "hex");
}

function parseGeneric(fields: string[]): Buffer {
  if (fields.length < 2) throw new RdataTextError("generic RDATA '\\#' needs a length", fields.length);
  const len = parseUint(fields[1]!, 16, "generic RDATA length");
  const hex = fields.slice(2).join("");
  let data: Buffer;
  try {
    data = parseHex(hex, "generic RDATA hex");
  } catch (e) {
    throw new RdataTextError((e as Error).message, 2);
  }
  if (data.length !== len) {
    throw new RdataTextError(`generic RDATA length ${len} does not match ${data.length} octets of data`, 1);
  }
  return data;
}

/** One field (or, for rest kinds, all remaining fields) → wire bytes. */
function encodeField(kind: Kind, fields: string[], i: number, origin: Buffer | null): Buffer {
  const f = fields[i]!;
  switch (kind) {
    case "u8":
      return Buffer.from([parseUint(f, 8, "8-bit field")]);
    case "u16":
      return u16(parseUint(f, 16, "16-bit field"));
    case "u32":
      return u32(parseUint(f, 32, "32-bit field"));
    case "timer": {
      const n = parseTtlText(f);
      if (n === undefined) throw new RdataTextError(`bad time value '${f}'`);
      return u32(n);
    }
    case "name":
      return parseNameText(f, origin);
    case "a":
      return parseIpv4(f);
    case "aaaa":
      return parseIpv6(f);
    case "str": {
      const s = parseCharString(f);
      return Buffer.concat([Buffer.from([s.length]), s]);
    }
    case "strs":
      return Buffer.concat(
        fields.slice(i).map((t, k) => {
          try {
            const s = parseCharString(t);
            return Buffer.concat([Buffer.from([s.length]), s]);
          } catch (e) {
            throw new RdataTextError((e as Error).message, i + k);
          }
        }),
      );
    case "b64":
      return parseBase64(fields.slice(i).join(""));
    case "hex":
      return parseHex(fields.slice(i).join(""));
    case "salt": {
      const b = f === "-" ? Buffer.alloc(0) : parseHex(f, "salt");
      if (b.length > 255) throw new RdataTextError("salt longer than 255 octets");
      return Buffer.concat([Buffer.from([b.length]), b]);
    }
    case "b32": {
      const b = parseBase32Hex(f, "hashed owner name");
      if (b.length === 0 || b.length > 255) throw new RdataTextError("bad hashed owner name length");
      return Buffer.concat([Buffer.from([b.length]), b]);
    }
    case "bitmap":
      return typeBitmapFromText(fields.slice(i), i);
    case "time":
      return u32(parseSigTime(f));
    case "type": {
      const t = typeFromText(f);
      if (t === undefined) throw new RdataTextError(`unknown type '${f}'`);
      return u16(t);
    }
    case "tag": {
      if (!/^[A-Za-z0-9]{1,255}$/.test(f)) throw new RdataTextError(`bad CAA tag '${f}'`);
      return Buffer.concat([Buffer.from([f.length]), Buffer.from(f, "latin1")]);
    }
    case "rest-str":
      if (fields.length > i + 1) throw new RdataTextError("trailing data: quote the value", i + 1);
      return unescapeText(f);
    case "svc":
      return svcParamsFromText(fields.slice(i), i);
    case "eui48":
      return parseEui(f, 6);
    case "eui64":
      return parseEui(f, 8);
    case "alg":
      return Buffer.from([ALGORITHMS[f.toUpperCase()] ?? parseUint(f, 8, "algorithm")]);
    case "cert-type": {
      const k = CERT_TYPES.indexOf(f.toUpperCase());
      if (k > 0) return u16(k);
      if (f.toUpperCase() === "URI") return u16(253);
      if (f.toUpperCase() === "OID") return u16(254);
      return u16(parseUint(f, 16, "certificate type"));
    }
  }
}

function describe(kind: Kind): string {
  const names: Record<Kind, string> = {
    u8: "an 8-bit number",
    u16: "a 16-bit number",
    u32: "a 32-bit number",
    timer: "a time value",
    name: "a domain name",
    a: "an IPv4 address",
    aaaa: "an IPv6 address",
    str: "a character-string",
    strs: "a character-string",
    b64: "base64 data",
    hex: "hex data",
    salt: "a salt (hex or '-')",
    b32: "a hashed owner name",
    bitmap: "types",
    time: "a signature time",
    type: "a type",
    tag: "a tag",
    "rest-str": "a value",
    svc: "SvcParams",
    eui48: "an EUI-48 address",
    eui64: "an EUI-64 address",
    "cert-type": "a certificate type",
    alg: "an algorithm",
  };
  return names[kind];
}

/**
 * Wire RDATA of `type` from its presentation fields (quotes removed, backslash escapes kept as written).
 * Accepts the RFC 3597 generic form for every type. Throws RdataTextError (with the index of the bad field).
 */
export function rdataFromText(type: number, fields: string[], origin: Buffer | null): Buffer {
  if (fields[0] === "\\#") return parseGeneric(fields);
  const layout = LAYOUTS.get(type);
  if (!layout) {
    throw new RdataTextError(
      `type ${typeToText(type)} has no known presentation format; use '\\# len hex'`,
      0,
    );
  }
  if (!Array.isArray(layout)) return layout.fromText(fields, origin);
  const parts: Buffer[] = [];
  let i = 0;
  for (const kind of layout) {
    const rest = REST_KINDS.has(kind);
    // Bitmaps may be empty (NSEC3 of an empty non-terminal), SvcParams too (AliasMode, RFC 9460 §2.4.2).
    if (i >= fields.length && kind !== "bitmap" && kind !== "svc") {
      throw new RdataTextError(`missing field: expected ${describe(kind)}`, fields.length);
    }
    try {
      parts.push(encodeField(kind, fields, i, origin));
    } catch (e) {
      if (e instanceof RdataTextError && e.field !== undefined) throw e;
      throw new RdataTextError((e as Error | NameError).message, i);
    }
    i = rest ? fields.length : i + 1;
  }
  if (i < fields.length) throw new RdataTextError(`trailing garbage '${fields[i]}'`, i);
  const out = Buffer.concat(parts);
  if (out.length > 65535) throw new RdataTextError("RDATA longer than 65535 octets", 0);
  return out;
}

/** Reads wire RDATA field by field; any overrun throws (the caller then prints the generic form). */
class Reader {
  pos = 0;
  constructor(readonly b: Buffer) {}
  take(n: number): Buffer {
    if (this.pos + n > this.b.length) throw new Error("RDATA too short");
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  rest(): Buffer {
    return this.take(this.b.length - this.pos);
  }
  u8(): number {
    return this.take(1)[0]!;
  }
  u16(): number {
    return this.take(2).readUInt16BE(0);
  }
  u32(): number {
    return this.take(4).readUInt32BE(0);
  }
  name(): Buffer {
    const start = this.pos;
    for (;;) {
      const len = this.u8();
      if (len === 0) break;
      if (len > 63) throw new Error("compressed or bad label in RDATA name");
      this.take(len);
    }
    if (this.pos - start > 255) throw new Error("name longer than 255 octets");
    return this.b.subarray(start, this.pos);
  }
  lenPrefixed(): Buffer {
    return this.take(this.u8());
  }
}

function decodeField(kind: Kind, r: Reader): string {
  switch (kind) {
    case "u8":
    case "alg":
      return String(r.u8());
    case "u16":
      return String(r.u16());
    case "u32":
    case "timer":
      return String(r.u32());
    case "name":
      return nameToText(r.name());
    case "a":
      return ipv4ToText(r.take(4));
    case "aaaa":
      return ipv6ToText(r.take(16));
    case "str":
      return charStringToText(r.lenPrefixed());
    case "strs": {
      const out: string[] = [];
      do out.push(charStringToText(r.lenPrefixed()));
      while (r.pos < r.b.length);
      return out.join(" ");
    }
    case "b64":
    case "hex": {
      const b = r.rest();
      if (b.length === 0) throw new Error("empty data");
      return kind === "b64" ? base64ToText(b) : hexToText(b);
    }
    case "salt": {
      const b = r.lenPrefixed();
      return b.length === 0 ? "-" : hexToText(b);
    }
    case "b32": {
      const b = r.lenPrefixed();
      if (b.length === 0) throw new Error("empty hash");
      return base32HexToText(b);
    }
    case "bitmap":
      return typeBitmapToText(r.rest());
    case "time":
      return sigTimeToText(r.u32());
    case "type":
      return typeToText(r.u16());
    case "tag": {
      const b = r.lenPrefixed();
      const s = b.toString("latin1");
      if (!/^[A-Za-z0-9]+$/.test(s)) throw new Error("bad CAA tag");
      return s;
    }
    case "rest-str":
      return `"${escapeBytes(r.rest())}"`;
    case "svc":
      return svcParamsToText(r.rest()).join(" ");
    case "eui48":
    case "eui64": {
      const b = r.take(kind === "eui48" ? 6 : 8);
      return [...b].map((x) => x.toString(16).padStart(2, "0")).join("-");
    }
    case "cert-type": {
      const t = r.u16();
      return CERT_TYPES[t] || (t === 253 ? "URI" : t === 254 ? "OID" : String(t));
    }
  }
}

/** The RFC 3597 generic presentation form, valid for every type. */
export function rdataToGenericText(rdata: Uint8Array): string {
  return rdata.length === 0 ? "\\# 0" : `\\# ${rdata.length} ${hexToText(rdata)}`;
}

/**
 * Presentation form of wire RDATA, names absolute. Types without a codec, and RDATA that is not valid for its
 * type, come out in the generic `\#` form, so the result always parses back to the same bytes.
 */
export function rdataToText(type: number, rdata: Buffer): string {
  const layout = LAYOUTS.get(type);
  if (!layout) return rdataToGenericText(rdata);
  try {
    if (!Array.isArray(layout)) return layout.toText(rdata);
    const r = new Reader(rdata);
    const parts = layout.map((k) => decodeField(k, r)).filter((s) => s !== "");
    if (r.pos !== rdata.length) return rdataToGenericText(rdata);
    return parts.join(" ");
  } catch {
    return rdataToGenericText(rdata);
  }
}

// RFC 4034 §6.2 (and RFC 6840 §5.1): types whose embedded names are lower-cased in canonical form.
const CANONICAL_LOWER = new Set<number>([
  T.NS,
  T.CNAME,
  T.SOA,
  T.PTR,
  T.MX,
  T.RP,
  T.AFSDB,
  T.NAPTR,
  T.KX,
  T.SRV,
  T.DNAME,
  T.RRSIG,
]);

/**
 * Canonical RDATA (RFC 4034 §6.2) for comparing records: embedded names lower-cased for the types listed there.
 * Other types, and RDATA that does not parse for its type, are returned as they are.
 */
export function canonicalRdata(type: number, rdata: Buffer): Buffer {
  const layout = LAYOUTS.get(type);
  if (!CANONICAL_LOWER.has(type) || !Array.isArray(layout)) return rdata;
  try {
    const r = new Reader(rdata);
    const out = Buffer.from(rdata);
    for (const kind of layout) {
      if (kind === "name") {
        const start = r.pos;
        const n = r.name();
        lowerAscii(n).copy(out, start);
      } else decodeField(kind, r);
    }
    return out;
  } catch {
    return rdata;
  }
}
