// IPSECKEY (RFC 4025 §3): `precedence gateway-type algorithm gateway [public-key]`; the gateway's form
// depends on its type (0: ".", 1: IPv4, 2: IPv6, 3: a domain name, uncompressed).
import { nameToText, parseNameText } from "../name.js";
import {
  base64ToText,
  ipv4ToText,
  ipv6ToText,
  parseBase64,
  parseIpv4,
  parseIpv6,
  parseUint,
  RdataTextError,
} from "./text-fields.js";

export function ipseckeyFromText(fields: string[], origin: Buffer | null): Buffer {
  if (fields.length < 4)
    throw new RdataTextError("missing field: want precedence, type, algorithm, gateway", fields.length);
  const nums = fields.slice(0, 3).map((f, i) => {
    try {
      return parseUint(f, 8, ["precedence", "gateway type", "algorithm"][i]!);
    } catch (e) {
      throw new RdataTextError((e as Error).message, i);
    }
  });
  const gwType = nums[1]!;
  const gw = fields[3]!;
  let gateway: Buffer;
  try {
    if (gwType === 0) {
      if (gw !== ".") throw new RdataTextError("gateway type 0 needs '.' as gateway");
      gateway = Buffer.alloc(0);
    } else if (gwType === 1) gateway = parseIpv4(gw);
    else if (gwType === 2) gateway = parseIpv6(gw);
    else if (gwType === 3) gateway = parseNameText(gw, origin);
    else throw new RdataTextError(`unknown gateway type ${gwType}`);
  } catch (e) {
    throw new RdataTextError((e as Error).message, gwType > 3 ? 1 : 3);
  }
  let key: Buffer = Buffer.alloc(0);
  if (fields.length > 4) {
    try {
      key = parseBase64(fields.slice(4).join(""), "public key");
    } catch (e) {
      throw new RdataTextError((e as Error).message, 4);
    }
  }
  return Buffer.concat([Buffer.from(nums), gateway, key]);
}

export function ipseckeyToText(b: Buffer): string {
  if (b.length < 3) throw new Error("IPSECKEY too short");
  const gwType = b[1]!;
  let pos = 3;
  let gateway: string;
  if (gwType === 0) gateway = ".";
  else if (gwType === 1 || gwType === 2) {
    const n = gwType === 1 ? 4 : 16;
    if (b.length < pos + n) throw new Error("IPSECKEY gateway truncated");
    gateway = gwType === 1 ? ipv4ToText(b.subarray(pos, pos + n)) : ipv6ToText(b.subarray(pos, pos + n));
    pos += n;
  } else if (gwType === 3) {
    const start = pos;
    for (;;) {
      const len = b[pos];
      if (len === undefined || len > 63) throw new Error("bad IPSECKEY gateway name");
      pos += len + 1;
      if (len === 0) break;
    }
    if (pos > b.length || pos - start > 255) throw new Error("bad IPSECKEY gateway name");
    gateway = nameToText(b.subarray(start, pos));
  } else throw new Error("unknown IPSECKEY gateway type");
  const parts = [String(b[0]), String(gwType), String(b[2]), gateway];
  if (pos < b.length) parts.push(base64ToText(b.subarray(pos)));
  return parts.join(" ");
}
