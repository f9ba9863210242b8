// RDATA of a received message → uncompressed wire RDATA. Names inside RDATA may be compressed only in the
// RFC 1035 types; RFC 3597 §4 also asks receivers to decompress RP, AFSDB, RT, SIG, PX, NXT, NAPTR and SRV
// (older senders compressed them). Every other type is opaque and copied byte for byte.
import { lowerAscii, NameError, readName } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";

export class RdataDecodeError extends Error {
  readonly code = "EDGENS_ERR_XFR_MALFORMED";
}

/** One field of a layout: a (possibly compressed) name, a fixed number of octets, a character-string, or the rest. */
type Field = "name" | number | "str" | "rest";

const T = RRType;
// Types whose RDATA holds names, with the layout needed to find them.
const LAYOUTS = new Map<number, readonly Field[]>([
  [T.NS, ["name"]],
  [3, ["name"]], // MD
  [4, ["name"]], // MF
  [T.CNAME, ["name"]],
  [T.SOA, ["name", "name", 20]],
  [7, ["name"]], // MB
  [8, ["name"]], // MG
  [9, ["name"]], // MR
  [T.PTR, ["name"]],
  [14, ["name", "name"]], // MINFO
  [T.MX, [2, "name"]],
  [T.RP, ["name", "name"]],
  [T.AFSDB, [2, "name"]],
  [21, [2, "name"]], // RT
  [24, [18, "name", "rest"]], // SIG
  [26, [2, "name", "name"]], // PX
  [30, ["name", "rest"]], // NXT
  [T.SRV, [6, "name"]],
  [T.NAPTR, [4, "str", "str", "str", "name"]],
]);

/** True when names inside this type's RDATA are decompressed (and lower-cased by `canonicalRdata`). */
export function rdataHasNames(type: number): boolean {
  return LAYOUTS.has(type);
}

/** A copy of msg[start, end) without the intermediate view `Buffer.from(msg.subarray(…))` makes (an AXFR does this per record). */
function copyBytes(msg: Uint8Array, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  // A and AAAA are 4 and 16 octets: a loop beats creating a view to copy from.
  if (end - start <= 32) for (let i = start; i < end; i++) out[i - start] = msg[i]!;
  else out.set(msg.subarray(start, end));
  return out;
}

/**
 * Decode the RDATA at msg[start, start+length) into uncompressed wire RDATA. Throws RdataDecodeError when the
 * fields do not fill the RDATA exactly or a name is malformed.
 */
export function decodeRdata(msg: Uint8Array, start: number, length: number, type: number): Buffer {
  const end = start + length;
  if (end > msg.length) throw new RdataDecodeError("RDATA runs past the end of the message");
  const layout = LAYOUTS.get(type);
  if (!layout) return copyBytes(msg, start, end);
  const parts: Buffer[] = [];
  let pos = start;
  for (const f of layout) {
    if (f === "name") {
      let r: { name: Buffer; next: number };
      try {
        r = readName(msg, pos);
      } catch (e) {
        if (e instanceof NameError) throw new RdataDecodeError(`bad name in RDATA: ${e.message}`);
        throw e;
      }
      if (r.next > end) throw new RdataDecodeError("name in RDATA runs past RDLENGTH");
      parts.push(r.name);
      pos = r.next;
    } else if (f === "str") {
      if (pos >= end) throw new RdataDecodeError("character-string runs past RDLENGTH");
      const n = msg[pos]! + 1;
      if (pos + n > end) throw new RdataDecodeError("character-string runs past RDLENGTH");
      parts.push(Buffer.from(msg.subarray(pos, pos + n)));
      pos += n;
    } else if (f === "rest") {
      parts.push(Buffer.from(msg.subarray(pos, end)));
      pos = end;
    } else {
      if (pos + f > end) throw new RdataDecodeError(`RDATA shorter than its fixed fields (type ${type})`);
      parts.push(Buffer.from(msg.subarray(pos, pos + f)));
      pos += f;
    }
  }
  if (pos !== end) throw new RdataDecodeError(`RDATA longer than its fields (type ${type})`);
  return Buffer.concat(parts);
}

/**
 * RDATA with the names of the types above lower-cased (uncompressed input), so that two spellings of the same
 * record compare equal (RFC 4034 §6.2 for these types). Other types are returned unchanged.
 */
export function canonicalRdata(type: number, rdata: Buffer): Buffer {
  if (!LAYOUTS.has(type)) return rdata;
  try {
    // Uncompressed RDATA decodes as itself; reuse the walker to find the names and lower-case them.
    const layout = LAYOUTS.get(type)!;
    const out = Buffer.from(rdata);
    let pos = 0;
    for (const f of layout) {
      if (f === "name") {
        const r = readName(rdata, pos);
        lowerAscii(r.name).copy(out, pos);
        pos = r.next;
      } else if (f === "str") pos += rdata[pos]! + 1;
      else if (f === "rest") pos = rdata.length;
      else pos += f;
    }
    return out;
  } catch {
    return rdata;
  }
}
