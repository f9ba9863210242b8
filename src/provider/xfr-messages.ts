// Split the records of an AXFR or IXFR answer over DNS messages (RFC 5936 §2.2): each message copies the
// question, compresses names within itself (the MessageWriter), stays under ~16 KiB unless a single record
// needs more, and is TSIG-signed when the request was (RFC 8945 §5.3.1: we sign every message; the first
// covers the request MAC, later ones the previous MAC and only the timers).
import { signMessage, type TsigKey } from "../transfer/tsig.js";
import { MAX_MESSAGE, MessageWriter } from "../wire/message-writer.js";
import type { ResourceRecord } from "../zone/record.js";

/** Target size of one answer message. */
export const XFR_MESSAGE_SIZE = 16 * 1024;
/** Room kept for the TSIG record (owner ≤ 255, algorithm name, fixed fields, a 64-octet MAC). */
const TSIG_ROOM = 400;

const QR = 0x8000;
const AA = 0x0400;

export interface XfrSigner {
  key: TsigKey;
  /** MAC of the verified request. */
  requestMac: Buffer;
}

export interface XfrStats {
  messages: number;
  records: number;
  bytes: number;
}

/**
 * The messages of one transfer answer, produced lazily (the caller writes each before asking for the next).
 * `question` is the question section as received (name, type, class: uncompressed wire). `stats` is updated as
 * messages are produced.
 */
export function* xfrMessages(
  id: number,
  question: Buffer,
  records: Iterable<ResourceRecord>,
  signer: XfrSigner | null,
  stats: XfrStats = { messages: 0, records: 0, bytes: 0 },
): Generator<Buffer> {
  const w = new MessageWriter(Buffer.allocUnsafe(MAX_MESSAGE));
  const softLimit = XFR_MESSAGE_SIZE - (signer ? TSIG_ROOM : 0);
  const hardLimit = MAX_MESSAGE - (signer ? TSIG_ROOM : 0);
  let priorMac = signer?.requestMac ?? null;
  const start = () => {
    w.reset(softLimit);
    w.copyQuestion(question, 0, question.length);
  };
  const finish = (): Buffer => {
    const len = w.finish(id, QR | AA);
    let msg: Buffer = Buffer.from(w.buf.subarray(0, len));
    if (signer) {
      const first = stats.messages === 0;
      const s = signMessage(msg, signer.key, { priorMac: priorMac!, timersOnly: !first });
      msg = s.message;
      priorMac = s.mac;
    }
    stats.messages++;
    stats.bytes += msg.length;
    return msg;
  };
  start();
  for (const rr of records) {
    const m = w.mark();
    if (w.writeRecord(rr.owner, rr.type, rr.class, rr.ttl, rr.rdata)) {
      w.an++;
      stats.records++;
      continue;
    }
    w.rollback(m);
    if (w.an > 0) {
      yield finish();
      start();
      if (w.writeRecord(rr.owner, rr.type, rr.class, rr.ttl, rr.rdata)) {
        w.an++;
        stats.records++;
        continue;
      }
    }
    // One record larger than the soft limit: give this message the whole 64 KiB.
    w.reset(hardLimit);
    w.copyQuestion(question, 0, question.length);
    if (!w.writeRecord(rr.owner, rr.type, rr.class, rr.ttl, rr.rdata)) {
      throw new Error("record does not fit in a DNS message");
    }
    w.an++;
    stats.records++;
    yield finish();
    start();
  }
  if (w.an > 0 || stats.messages === 0) yield finish();
}
