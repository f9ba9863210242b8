// Writes the response to a class IN (or ANY) question: the question exactly as received, then the lookup's
// sections, truncating per RFC 2181 §9 / RFC 9471: optional additional RRsets are dropped first; if the
// answer, authority or required glue does not fit, only the question is kept and TC=1 is set.
// Both the precompiler and the per-query path use this function, so both give the same bytes.
import { findZone } from "../lookup/find-zone.js";
import { lookup } from "../lookup/lookup.js";
import { type MessageWriter, Section } from "../wire/message-writer.js";
import type { ParsedQuery } from "../wire/query-parser.js";
import { Rcode, RRClass, RRType } from "../wire/rrtype.js";
import type { ZoneData } from "../zone/zone.js";

export const Flag = { QR: 0x8000, AA: 0x0400, TC: 0x0200, RD: 0x0100, CD: 0x0010 } as const;

export interface WrittenAnswer {
  /** Header flags QR, AA, TC and the low 4 RCODE bits; the caller adds RD/CD from the query. */
  flags: number;
  rcode: number;
  truncated: boolean;
  /** Every planned record was written (nothing dropped for size). */
  complete: boolean;
}

export interface AnswerParams {
  dnssecOk: boolean;
  /** RFC 8482 minimal ANY (one RRset). */
  minimalAny: boolean;
  /** Octets available for the message, excluding the OPT record the caller will append. */
  limit: number;
}

function done(flags: number, rcode: number, truncated = false, complete = true): WrittenAnswer {
  return { flags, rcode, truncated, complete };
}

export function writeInternetAnswer(
  w: MessageWriter,
  zones: ReadonlyMap<string, ZoneData>,
  msg: Buffer,
  q: ParsedQuery,
  p: AnswerParams,
): WrittenAnswer {
  w.reset(p.limit);
  w.copyQuestion(msg, 12, q.questionEnd);
  // Zone transfers are not served by the query responder (NSD answers REFUSED without an ACL).
  const zone = q.qtype === RRType.AXFR || q.qtype === RRType.IXFR ? null : findZone(zones, q.qkey, q.qtype);
  if (!zone) return done(Flag.QR | Rcode.REFUSED, Rcode.REFUSED);

  const qname = msg.subarray(12, q.qnameEnd);
  const result = lookup(zone, qname, q.qtype, { dnssec: p.dnssecOk, minimalAny: p.minimalAny });
  // Class ANY is answered from the IN data but not authoritatively, as NSD does.
  const aa = result.aa && q.qclass === RRClass.IN;
  const flags = Flag.QR | (aa ? Flag.AA : 0) | (result.rcode & 0xf);
  const afterQuestion = w.mark();
  let fits = true;
  for (const rrset of result.answer) fits &&= w.writeRRset(rrset, Section.answer);
  for (const rrset of result.authority) fits &&= w.writeRRset(rrset, Section.authority);
  // Additional records in order; once an optional one does not fit, later optional ones are left out too
  // (so an RRSIG never goes without the RRset it covers); required glue that does not fit means TC=1.
  let optionalOpen = true;
  for (const entry of result.additional) {
    if (!fits) break;
    if (!entry.required && !optionalOpen) continue;
    if (w.writeRRset(entry.rrset, Section.additional)) continue;
    if (entry.required) fits = false;
    else optionalOpen = false;
  }
  if (!fits) {
    w.rollback(afterQuestion);
    return done(flags | Flag.TC, result.rcode, true, false);
  }
  if (!optionalOpen) return done(flags, result.rcode, false, false);
  return done(flags, result.rcode);
}
