// Replies of the zone-transfer control plane (transfer requests, NOTIFY): the header and echoed question, and the
// unsigned TSIG error record (RFC 8945 §5.2.1, §5.2.2: NOTAUTH with the error and an empty MAC).

import { Rcode, RRClass, RRType } from "../wire/rrtype.js";
import { HEADER_LENGTH, type Message } from "./message.js";
import { decodeTsigRdata } from "./tsig.js";

const QR = 0x8000;
const RD = 0x0100;
export const AA = 0x0400;

/** A reply to `query`: same ID, QR, RD copied, `flags` (opcode bits, AA) and `rcode`; the question echoed. */
export function controlReply(query: Buffer, msg: Message | null, rcode: number, flags = 0): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  query.copy(header, 0, 0, 2);
  header.writeUInt16BE(QR | flags | (query.readUInt16BE(2) & RD) | rcode, 2);
  const q = msg?.question.length === 1 ? msg.question[0]! : null;
  if (!q) return header;
  header.writeUInt16BE(1, 4);
  const fixed = Buffer.alloc(4);
  fixed.writeUInt16BE(q.type, 0);
  fixed.writeUInt16BE(q.class, 2);
  return Buffer.concat([header, q.name, fixed]);
}

/** NOTAUTH carrying a TSIG record with `error` (BADSIG, BADKEY, ...), our time and no MAC. */
export function unsignedTsigError(
  query: Buffer,
  msg: Message,
  error: number,
  now: number,
  flags = 0,
): Buffer {
  const base = controlReply(query, msg, Rcode.NOTAUTH, flags);
  const t = msg.tsig!;
  const rd = decodeTsigRdata(query, t.rdataOffset, t.rdataLength);
  const fields = Buffer.alloc(16);
  fields.writeUIntBE(now, 0, 6);
  fields.writeUInt16BE(rd.fudge, 6);
  fields.writeUInt16BE(0, 8); // MAC size
  fields.writeUInt16BE(rd.originalId, 10);
  fields.writeUInt16BE(error, 12);
  fields.writeUInt16BE(0, 14); // other len
  const rdata = Buffer.concat([rd.algorithm, fields]);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(RRType.TSIG, 0);
  fixed.writeUInt16BE(RRClass.ANY, 2);
  fixed.writeUInt16BE(rdata.length, 8);
  base.writeUInt16BE(1, 10);
  return Buffer.concat([base, t.owner, fixed, rdata]);
}
