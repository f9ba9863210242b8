// The OPT record of a response (RFC 6891 §6.1.2): our UDP payload size, the extended RCODE bits, version 0,
// the DO bit echoed (RFC 3225 §3) and NSID (RFC 5001) when requested and configured.
import { RRType } from "../wire/rrtype.js";

export const OPT_FIXED_LENGTH = 11;
export const EDNS_VERSION = 0;
const NSID_OPTION = 3;

/** Octets of our OPT record, with the NSID option when `nsid` is given. */
export function optLength(nsid: Buffer | null): number {
  return OPT_FIXED_LENGTH + (nsid ? 4 + nsid.length : 0);
}

/** Write the OPT record at `pos`; returns the offset after it. The caller counts it in ARCOUNT. */
export function writeOpt(
  buf: Buffer,
  pos: number,
  udpSize: number,
  rcode: number,
  dnssecOk: boolean,
  nsid: Buffer | null,
): number {
  buf[pos] = 0; // root owner
  buf.writeUInt16BE(RRType.OPT, pos + 1);
  buf.writeUInt16BE(udpSize, pos + 3);
  buf[pos + 5] = (rcode >> 4) & 0xff; // upper 8 bits of the 12-bit extended RCODE
  buf[pos + 6] = EDNS_VERSION;
  buf[pos + 7] = dnssecOk ? 0x80 : 0;
  buf[pos + 8] = 0;
  if (!nsid) {
    buf.writeUInt16BE(0, pos + 9);
    return pos + OPT_FIXED_LENGTH;
  }
  buf.writeUInt16BE(4 + nsid.length, pos + 9);
  buf.writeUInt16BE(NSID_OPTION, pos + 11);
  buf.writeUInt16BE(nsid.length, pos + 13);
  nsid.copy(buf, pos + 15);
  return pos + 15 + nsid.length;
}
