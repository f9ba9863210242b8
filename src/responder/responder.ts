// The query processor. Lifecycle of one message, with the exit at each stage:
//   parse header        → shorter than 12 octets or QR=1: drop (null)
//   opcode              → not QUERY: NOTIMP (header only, as NSD: the rest of the message is not parsed)
//   question + OPT      → malformed, QDCOUNT ≠ 1, bad/duplicate OPT: FORMERR (header, + OPT when the
//                         query's OPT was found and valid, RFC 6891 §6.1.1, as NSD and Knot)
//   EDNS version        → > 0: BADVERS (question + OPT)
//   zone unavailable    → a secondary zone with no data yet or expired: SERVFAIL (question + OPT)
//   AXFR over UDP       → NOTIMP (as NSD)
//   class               → IN: precompiled table, else lookup; ANY: lookup with AA=0 (as NSD); CH: identity;
//                         other classes: REFUSED (header only, as NSD)
//   size                → drop optional additional, then TC=1 with question + OPT
//   any exception       → SERVFAIL (never thrown to the transport)
import { MAX_MESSAGE, MessageWriter } from "../wire/message-writer.js";
import { labelOffsets } from "../wire/name.js";
import { newParsedQuery, type ParsedQuery, parseQuery } from "../wire/query-parser.js";
import { Rcode, RRClass, RRType } from "../wire/rrtype.js";
import { Flag, type WrittenAnswer, writeInternetAnswer } from "./answer.js";
import { identityTxtRdata, isIdentityName } from "./chaos.js";
import { optLength, writeOpt } from "./edns.js";
import { type PrecompiledAnswer, type Snapshot, writeNegativeSoa } from "./snapshot.js";
import type { QueryOutcome, Responder, Transport } from "./types.js";

/** Without EDNS a UDP response is limited to 512 octets (RFC 1035 §4.2.1); with it, never less. */
export const MIN_UDP_PAYLOAD = 512;
export const DEFAULT_MAX_UDP_PAYLOAD = 1232;

export interface ResponderOptions {
  /** NSID payload (RFC 5001), sent when the query asks for it. */
  nsid?: Buffer;
  /** Answer to CH TXT `id.server.` / `hostname.bind.`. */
  identity: string;
  /** Our UDP payload size, advertised in OPT and the cap on the requester's (default 1232). */
  maxUdpPayload: number;
}

export interface SnapshotResponder extends Responder {
  /** Replace the snapshot; queries already being answered finish on the one they read. */
  swap(snapshot: Snapshot): void;
  readonly snapshot: Snapshot;
}

const OPCODE_MASK = 0x7800;

class QueryResponder implements SnapshotResponder {
  snapshot: Snapshot;
  private readonly w = new MessageWriter(Buffer.allocUnsafe(MAX_MESSAGE));
  /** Reused for every query: respond() runs to completion before the next call. */
  private readonly parsed = newParsedQuery();
  private readonly nsid: Buffer | null;
  private readonly maxUdp: number;
  private readonly identityRdata: Buffer;

  constructor(snapshot: Snapshot, opts: ResponderOptions) {
    this.snapshot = snapshot;
    this.nsid = opts.nsid && opts.nsid.length > 0 ? Buffer.from(opts.nsid) : null;
    this.maxUdp = Math.max(MIN_UDP_PAYLOAD, Math.min(opts.maxUdpPayload || DEFAULT_MAX_UDP_PAYLOAD, 0xffff));
    this.identityRdata = identityTxtRdata(opts.identity);
  }

  swap(snapshot: Snapshot): void {
    this.snapshot = snapshot;
  }

  respond(query: Buffer, transport: Transport, outcome: QueryOutcome): Buffer | null {
    outcome.qtype = -1;
    outcome.rcode = -1;
    outcome.truncated = false;
    try {
      return this.answer(query, transport, outcome);
    } catch {
      return this.servfail(query, outcome);
    }
  }

  private answer(query: Buffer, transport: Transport, outcome: QueryOutcome): Buffer | null {
    const snap = this.snapshot; // read once: the whole answer comes from one generation
    const q = parseQuery(query, this.parsed);
    if (q.status === "drop") return null;
    if (q.hasQuestion) outcome.qtype = q.qtype;
    if (q.opcode !== 0) return this.error(query, q, Rcode.NOTIMP, false, outcome); // header only, as NSD
    if (q.status === "formerr") {
      outcome.qtype = -1;
      return this.error(query, q, Rcode.FORMERR, false, outcome);
    }
    if (q.edns && q.ednsVersion > 0) return this.error(query, q, Rcode.BADVERS, true, outcome);

    const nsid = q.edns && q.nsidRequested ? this.nsid : null;
    const optLen = q.edns ? optLength(nsid) : 0;
    const limit =
      transport === "tcp"
        ? MAX_MESSAGE
        : q.edns
          ? Math.max(MIN_UDP_PAYLOAD, Math.min(q.udpSize, this.maxUdp))
          : MIN_UDP_PAYLOAD;

    // A zone we are configured for but cannot answer from (no data yet, or expired): SERVFAIL, not REFUSED,
    // so resolvers try another server instead of treating the zone as lame.
    if (snap.unavailable.size > 0 && q.qclass !== RRClass.CH && unavailableZone(snap, q.qkey)) {
      return this.error(query, q, Rcode.SERVFAIL, true, outcome);
    }
    // AXFR needs TCP (RFC 5936 §4.2); NSD answers NOTIMP on UDP. Over TCP the lookup path REFUSES it.
    if (q.qtype === RRType.AXFR && transport === "udp")
      return this.error(query, q, Rcode.NOTIMP, true, outcome);
    if (q.qclass === RRClass.IN) {
      const hit = snap.exactAnswers.get(q.questionKey); // = exactKey(qkey, qtype, DO)
      if (hit && hit.wire.length + optLen <= limit)
        return this.patch(snap, hit, query, q, nsid, optLen, outcome);
    }
    if (q.qclass === RRClass.IN || q.qclass === RRClass.ANY) {
      const written = writeInternetAnswer(this.w, snap.zoneByKey, query, q, {
        dnssecOk: q.dnssecOk,
        minimalAny: true,
        limit: limit - optLen,
      });
      return this.finish(q, written, nsid, outcome);
    }
    if (q.qclass === RRClass.CH) return this.chaos(query, q, nsid, optLen, outcome);
    return this.error(query, q, Rcode.REFUSED, false, outcome); // other classes: header only, as NSD
  }

  /** The precompiled path: one allocation, a copy and a few patched octets. */
  private patch(
    snap: Snapshot,
    hit: PrecompiledAnswer,
    query: Buffer,
    q: ParsedQuery,
    nsid: Buffer | null,
    optLen: number,
    outcome: QueryOutcome,
  ): Buffer {
    const len = hit.wire.length;
    const out = Buffer.allocUnsafe(len + optLen);
    hit.wire.copy(out, 0, 0, len);
    writeNegativeSoa(snap, hit, out); // the zone's current SOA TTL and numbers (an answer taken over after an IXFR)
    out[0] = query[0]!;
    out[1] = query[1]!;
    out[2] = hit.wire[2]! | (query[2]! & (Flag.RD >> 8));
    out[3] = hit.wire[3]! | (query[3]! & Flag.CD);
    query.copy(out, 12, 12, q.questionEnd); // the question exactly as sent (0x20 case)
    if (optLen > 0) {
      writeOpt(out, len, this.maxUdp, hit.rcode, q.dnssecOk, nsid);
      out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
    }
    outcome.rcode = hit.rcode;
    return out;
  }

  private finish(q: ParsedQuery, written: WrittenAnswer, nsid: Buffer | null, outcome: QueryOutcome): Buffer {
    const w = this.w;
    if (q.edns) {
      w.pos = writeOpt(w.buf, w.pos, this.maxUdp, written.rcode, q.dnssecOk, nsid);
      w.ar++;
    }
    const len = w.finish(q.id, written.flags | (q.flags & (Flag.RD | Flag.CD)));
    outcome.rcode = written.rcode;
    outcome.truncated = written.truncated;
    const out = Buffer.allocUnsafe(len);
    w.buf.copy(out, 0, 0, len);
    return out;
  }

  private chaos(
    query: Buffer,
    q: ParsedQuery,
    nsid: Buffer | null,
    optLen: number,
    outcome: QueryOutcome,
  ): Buffer {
    if (!isIdentityName(q.qkey) || (q.qtype !== RRType.TXT && q.qtype !== RRType.ANY)) {
      return this.error(query, q, Rcode.REFUSED, true, outcome);
    }
    const w = this.w;
    w.reset(MAX_MESSAGE - optLen);
    w.copyQuestion(query, 12, q.questionEnd);
    const owner = query.subarray(12, q.qnameEnd);
    const m = w.mark();
    if (w.writeRecord(owner, RRType.TXT, RRClass.CH, 0, this.identityRdata)) w.an++;
    else w.rollback(m);
    return this.finish(
      q,
      { flags: Flag.QR | Flag.AA, rcode: 0, truncated: false, complete: true },
      nsid,
      outcome,
    );
  }

  /** An error response: header (+ question when asked and parsed) (+ OPT when the query had valid EDNS). */
  private error(
    query: Buffer,
    q: ParsedQuery,
    rcode: number,
    withQuestion: boolean,
    outcome: QueryOutcome,
  ): Buffer {
    const w = this.w;
    w.reset(MAX_MESSAGE);
    if (withQuestion && q.hasQuestion) w.copyQuestion(query, 12, q.questionEnd);
    const flags = Flag.QR | (q.flags & (OPCODE_MASK | Flag.RD | Flag.CD)) | (rcode & 0xf);
    // RFC 6891 §6.1.1: an OPT in the query means one in the response, FORMERR included; `q.edns` is false when
    // the OPT itself was bad or could not be found (bad question name), and for opcodes other than QUERY.
    const nsid = q.edns && q.nsidRequested ? this.nsid : null;
    if (q.edns) {
      w.pos = writeOpt(w.buf, w.pos, this.maxUdp, rcode, q.dnssecOk, nsid);
      w.ar++;
    }
    const len = w.finish(q.id, flags);
    outcome.rcode = rcode;
    const out = Buffer.allocUnsafe(len);
    w.buf.copy(out, 0, 0, len);
    return out;
  }

  private servfail(query: Buffer, outcome: QueryOutcome): Buffer | null {
    if (query.length < 12 || query[2]! & 0x80) return null;
    const out = Buffer.alloc(12);
    query.copy(out, 0, 0, 2);
    out.writeUInt16BE(
      Flag.QR | (query.readUInt16BE(2) & (OPCODE_MASK | Flag.RD | Flag.CD)) | Rcode.SERVFAIL,
      2,
    );
    outcome.rcode = Rcode.SERVFAIL;
    return out;
  }
}

/** Whether the closest enclosing zone of `qkey` is an unavailable one (a deeper served zone wins). */
function unavailableZone(snap: Snapshot, qkey: string): boolean {
  const offsets = labelOffsets(qkey);
  offsets.push(qkey.length - 1); // the root
  for (const at of offsets) {
    const k = at === 0 ? qkey : qkey.slice(at);
    if (snap.zoneByKey.has(k)) return false;
    if (snap.unavailable.has(k)) return true;
  }
  return false;
}

export function createResponder(snapshot: Snapshot, opts: ResponderOptions): SnapshotResponder {
  return new QueryResponder(snapshot, opts);
}
