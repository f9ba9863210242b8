// Hot-path query parsing: the 12-byte header, the single question (uncompressed name, bounded loop) and the
// OPT record (RFC 6891), nothing else. Never throws; problems are reported as a status so the responder can
// answer FORMERR (or drop the message).
import { MAX_LABEL_LENGTH, MAX_NAME_LENGTH } from "./name.js";
import { RRType } from "./rrtype.js";

export const OPCODE_QUERY = 0;
/** EDNS option code of NSID (RFC 5001). */
export const EDNS_OPTION_NSID = 3;

export type QueryStatus =
  /** Parsed; question and EDNS fields are valid. */
  | "ok"
  /** Not a query we may answer at all (shorter than a header, or QR=1): drop silently. */
  | "drop"
  /** Header is fine but the rest is malformed. */
  | "formerr";

export interface ParsedQuery {
  status: QueryStatus;
  /** Short reason for FORMERR, for logs and tests. */
  reason: string;
  id: number;
  /** Header octets 2-3 as received. */
  flags: number;
  opcode: number;
  /** True when exactly one question parsed; `questionEnd`, `qtype`, `qclass` are then valid. */
  hasQuestion: boolean;
  /** Offset just after the question name. */
  qnameEnd: number;
  /** Offset just after QTYPE/QCLASS. */
  questionEnd: number;
  qtype: number;
  qclass: number;
  /** Lower-cased wire question name as a latin1 string (see `nameKey`); set with `questionKey`. */
  qkey: string;
  /**
   * `qkey` + 2 chars of QTYPE (high, low octet) + 1 char DO (0/1): the key of the responder's precompiled
   * answers (`exactKey` in src/responder/snapshot.ts), built here in the same pass. Empty unless `status`
   * is "ok" and the opcode is QUERY.
   */
  questionKey: string;
  /**
   * An OPT record was present and valid. Also set for a FORMERR query whose records could still be walked and
   * held one valid OPT (e.g. QDCOUNT ≠ 1, ANCOUNT ≠ 0), so the error carries an OPT (RFC 6891 §6.1.1).
   */
  edns: boolean;
  ednsVersion: number;
  udpSize: number;
  dnssecOk: boolean;
  nsidRequested: boolean;
}

// The lower-cased name plus 3 octets of `questionKey`.
const scratch = Buffer.allocUnsafe(MAX_NAME_LENGTH + 3);

/** A fresh result object; the responder keeps one and passes it to every `parseQuery` call. */
export function newParsedQuery(): ParsedQuery {
  return {
    status: "drop",
    reason: "",
    id: 0,
    flags: 0,
    opcode: 0,
    hasQuestion: false,
    qnameEnd: -1,
    questionEnd: -1,
    qtype: -1,
    qclass: -1,
    qkey: "",
    questionKey: "",
    edns: false,
    ednsVersion: 0,
    udpSize: 0,
    dnssecOk: false,
    nsidRequested: false,
  };
}

function formerr(q: ParsedQuery, reason: string): ParsedQuery {
  q.status = "formerr";
  q.reason = reason;
  return q;
}

/** Skip a possibly compressed name in the answer/authority/additional sections; -1 when malformed. */
function skipName(msg: Buffer, pos: number): number {
  for (let n = 0; n < 128; n++) {
    if (pos >= msg.length) return -1;
    const len = msg[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2 <= msg.length ? pos + 2 : -1;
    if (len > MAX_LABEL_LENGTH) return -1;
    pos += len + 1;
  }
  return -1;
}

/** Parse one OPT record's fixed fields and options at `pos` (just after its root owner). */
function parseOpt(msg: Buffer, q: ParsedQuery, pos: number, rdlen: number): string | null {
  q.udpSize = msg.readUInt16BE(pos + 2);
  q.ednsVersion = msg[pos + 5]!;
  q.dnssecOk = (msg[pos + 6]! & 0x80) !== 0;
  let o = pos + 10;
  const end = o + rdlen;
  while (o < end) {
    if (o + 4 > end) return "truncated EDNS option";
    const code = msg.readUInt16BE(o);
    const len = msg.readUInt16BE(o + 2);
    if (o + 4 + len > end) return "EDNS option runs past the OPT RDATA";
    if (code === EDNS_OPTION_NSID) q.nsidRequested = true; // unknown options are ignored (RFC 6891 §6.1.2)
    o += 4 + len;
  }
  q.edns = true;
  return null;
}

/** Skip `count` questions (names possibly compressed) from `pos`; -1 when malformed. */
function skipQuestions(msg: Buffer, pos: number, count: number): number {
  for (let i = 0; i < count; i++) {
    pos = skipName(msg, pos);
    if (pos < 0 || pos + 4 > msg.length) return -1;
    pos += 4;
  }
  return pos;
}

/**
 * Walk the answer, authority and additional records from `pos` and parse the OPT (RFC 6891): at most one,
 * root-owned, in the additional section. Returns a FORMERR reason, or null; `q.edns` is true only when the
 * whole walk succeeded and found a valid OPT.
 */
function parseRecords(
  msg: Buffer,
  q: ParsedQuery,
  pos: number,
  an: number,
  ns: number,
  ar: number,
): string | null {
  const err = walkRecords(msg, q, pos, an, ns, ar);
  if (err) q.edns = false;
  return err;
}

function walkRecords(
  msg: Buffer,
  q: ParsedQuery,
  pos: number,
  an: number,
  ns: number,
  ar: number,
): string | null {
  const records = an + ns + ar;
  let sawOpt = false;
  for (let r = 0; r < records; r++) {
    const start = pos;
    pos = skipName(msg, pos);
    if (pos < 0 || pos + 10 > msg.length) return "truncated resource record";
    const type = msg.readUInt16BE(pos);
    const rdlen = msg.readUInt16BE(pos + 8);
    if (pos + 10 + rdlen > msg.length) return "RDATA runs past the end";
    if (type === RRType.OPT) {
      if (r < an + ns) return "OPT outside the additional section";
      if (sawOpt) return "more than one OPT record"; // RFC 6891 §6.1.1
      if (pos !== start + 1 || msg[start] !== 0) return "OPT owner is not the root";
      sawOpt = true;
      const err = parseOpt(msg, q, pos, rdlen);
      if (err) return err;
    }
    pos += 10 + rdlen;
  }
  return null;
}

function reset(q: ParsedQuery): void {
  q.status = "drop";
  q.reason = "";
  q.id = q.flags = q.opcode = 0;
  q.hasQuestion = false;
  q.qnameEnd = q.questionEnd = q.qtype = q.qclass = -1;
  q.qkey = q.questionKey = "";
  q.edns = false;
  q.ednsVersion = q.udpSize = 0;
  q.dnssecOk = q.nsidRequested = false;
}

/** Parse a DNS query into `q` (reused to spare an allocation per query) and return it. */
export function parseQuery(msg: Buffer, q: ParsedQuery = newParsedQuery()): ParsedQuery {
  reset(q);
  if (msg.length < 12) return q;
  q.id = msg.readUInt16BE(0);
  q.flags = msg.readUInt16BE(2);
  if (q.flags & 0x8000) return q; // QR=1: a response, never answer it (RFC 1035 §4.1.1)
  q.opcode = (q.flags >> 11) & 0xf;
  const qdcount = msg.readUInt16BE(4);
  const ancount = msg.readUInt16BE(6);
  const nscount = msg.readUInt16BE(8);
  const arcount = msg.readUInt16BE(10);
  if (qdcount !== 1) {
    // FORMERR either way; for a QUERY walk the rest only to find the OPT the error response must echo
    // (another opcode gets NOTIMP, header only, and its layout is not ours to parse).
    if (q.opcode !== OPCODE_QUERY) return formerr(q, `QDCOUNT is ${qdcount}`);
    const pos = skipQuestions(msg, 12, qdcount);
    const err = pos < 0 ? "question runs past the end" : parseRecords(msg, q, pos, ancount, nscount, arcount);
    return formerr(q, err ?? `QDCOUNT is ${qdcount}`);
  }

  // Question name: plain labels only; compression in the question is not allowed here.
  let pos = 12;
  let n = 0;
  for (;;) {
    if (pos >= msg.length) return formerr(q, "question name runs past the end");
    const len = msg[pos]!;
    if (len === 0) break;
    if (len > MAX_LABEL_LENGTH) return formerr(q, "compression pointer or bad label type in the question");
    if (n + len + 2 > MAX_NAME_LENGTH) return formerr(q, "question name longer than 255 octets");
    if (pos + 1 + len > msg.length) return formerr(q, "question label runs past the end");
    scratch[n++] = len;
    for (let i = 1; i <= len; i++) {
      const c = msg[pos + i]!;
      scratch[n++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    }
    pos += len + 1;
  }
  scratch[n++] = 0;
  q.qnameEnd = pos + 1;
  if (q.qnameEnd + 4 > msg.length) return formerr(q, "question type/class missing");
  q.qtype = msg.readUInt16BE(q.qnameEnd);
  q.qclass = msg.readUInt16BE(q.qnameEnd + 2);
  q.questionEnd = q.qnameEnd + 4;
  q.hasQuestion = true;
  q.status = "ok";
  if (q.opcode !== OPCODE_QUERY) return q; // the responder answers NOTIMP; the rest does not matter

  const err = parseRecords(msg, q, q.questionEnd, ancount, nscount, arcount);
  if (err) return formerr(q, err);
  if (ancount !== 0) return formerr(q, "answer section in a query"); // the OPT, if valid, is kept
  scratch[n] = q.qtype >> 8;
  scratch[n + 1] = q.qtype & 0xff;
  scratch[n + 2] = q.dnssecOk ? 1 : 0;
  q.questionKey = scratch.toString("latin1", 0, n + 3);
  q.qkey = q.questionKey.slice(0, n);
  return q;
}
