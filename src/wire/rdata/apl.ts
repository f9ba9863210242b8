// APL (RFC 3123): `[!]afi:address/prefix ...` ↔ items of {afi u16, prefix u8, N|afdlength u8, afdpart}.
import { ipv4ToText, ipv6ToText, parseIpv4, parseIpv6, RdataTextError } from "./text-fields.js";

export function aplFromText(fields: string[]): Buffer {
  return Buffer.concat(
    fields.map((f, i) => {
      const m = /^(!?)([12]):([^/]+)\/([0-9]{1,3})$/.exec(f);
      if (!m) throw new RdataTextError(`bad APL item '${f}': want [!]afi:address/prefix`, i);
      const afi = Number(m[2]);
      const prefix = Number(m[4]);
      let addr: Buffer;
      try {
        addr = afi === 1 ? parseIpv4(m[3]!) : parseIpv6(m[3]!);
      } catch (e) {
        throw new RdataTextError((e as Error).message, i);
      }
      if (prefix > addr.length * 8) throw new RdataTextError(`APL prefix /${prefix} too long`, i);
      // Trailing zero octets are left out on the wire (RFC 3123 §4).
      let len = addr.length;
      while (len > 0 && addr[len - 1] === 0) len--;
      const head = Buffer.from([0, afi, prefix, (m[1] ? 0x80 : 0) | len]);
      return Buffer.concat([head, addr.subarray(0, len)]);
    }),
  );
}

export function aplToText(b: Buffer): string {
  const items: string[] = [];
  for (let pos = 0; pos < b.length; ) {
    if (pos + 4 > b.length) throw new Error("truncated APL item");
    const afi = b.readUInt16BE(pos);
    const prefix = b[pos + 2]!;
    const neg = b[pos + 3]! & 0x80;
    const len = b[pos + 3]! & 0x7f;
    const size = afi === 1 ? 4 : afi === 2 ? 16 : 0;
    if (size === 0 || len > size || prefix > size * 8 || pos + 4 + len > b.length)
      throw new Error("bad APL item");
    const part = b.subarray(pos + 4, pos + 4 + len);
    if (len > 0 && part[len - 1] === 0) throw new Error("APL address with trailing zero octets");
    const addr = Buffer.alloc(size);
    part.copy(addr);
    items.push(`${neg ? "!" : ""}${afi}:${afi === 1 ? ipv4ToText(addr) : ipv6ToText(addr)}/${prefix}`);
    pos += 4 + len;
  }
  return items.join(" ");
}
