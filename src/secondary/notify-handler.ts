// NOTIFY (RFC 1996) on the secondary side: the server hands us every opcode-4 message; we answer it and, when
// the zone is ours and the sender allowed, ask the zone for an immediate SOA check.
//   not a NOTIFY request (QR set, other opcode) → null: not ours to answer
//   unparseable, not one SOA question          → FORMERR
//   zone not a secondary here                  → NOTAUTH
//   TSIG present but unknown key / bad MAC     → NOTAUTH with the TSIG error (RFC 8945 §5.2), unsigned
//   source or key not allowed for the zone     → REFUSED (signed when the request was)
//   otherwise                                  → NOERROR, AA, signed when the request was; zone.notify()

import { AA, controlReply, unsignedTsigError } from "../transfer/control-reply.js";
import { TsigError } from "../transfer/errors.js";
import { HEADER_LENGTH, type Message, parseMessage } from "../transfer/message.js";
import { signMessage, type TsigKey, verifyRequest } from "../transfer/tsig.js";
import { nameKey } from "../wire/name.js";
import { Rcode, RRClass, RRType } from "../wire/rrtype.js";

export const OPCODE_NOTIFY = 4;

/** What handleNotify needs of a zone (SecondaryZone implements it). */
export interface NotifyTarget {
  readonly origin: Buffer;
  /** Keys a signed NOTIFY may be signed with. */
  readonly notifyKeys: readonly TsigKey[];
  /** Whether NOTIFY from `address` (signed with `key`, or unsigned) is accepted. */
  notifyAllowed(address: string, key: TsigKey | null): boolean;
  /** Check the SOA now; `serialHint` is the serial the NOTIFY carried, if any. */
  notify(serialHint?: number): void;
}

/** Finds the zone a NOTIFY names (by its lower-case name key, `nameKey`). */
export type NotifyLookup = (zoneKey: string) => NotifyTarget | undefined;

export type NotifyOutcome = "accepted" | "formerr" | "notauth" | "bad-tsig" | "refused";

export interface NotifyResult {
  outcome: NotifyOutcome;
  response: Buffer;
  target?: NotifyTarget;
}

/** "::ffff:192.0.2.1" (an IPv4 client on a dual-stack socket) → "192.0.2.1"; IPv6 in lower case. */
export function normalizeAddress(address: string): string {
  const a = address.toLowerCase();
  return a.startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a;
}

/** A lookup over zones by origin. */
export function notifyLookup(targets: Iterable<NotifyTarget>): NotifyLookup {
  const map = new Map<string, NotifyTarget>();
  for (const t of targets) map.set(nameKey(t.origin), t);
  return (k) => map.get(k);
}

/** The answer to a NOTIFY (null when the message is not a NOTIFY request); see processNotify. */
export function handleNotify(
  query: Buffer,
  remote: { address: string; port: number },
  lookup: NotifyLookup,
): Buffer | null {
  return processNotify(query, remote, lookup)?.response ?? null;
}

/** handleNotify with the outcome, for metrics and logs. */
export function processNotify(
  query: Buffer,
  remote: { address: string; port: number },
  lookup: NotifyLookup,
  now = Math.floor(Date.now() / 1000),
): NotifyResult | null {
  if (query.length < HEADER_LENGTH) return null;
  const flags = query.readUInt16BE(2);
  if (flags & 0x8000 || ((flags >> 11) & 0xf) !== OPCODE_NOTIFY) return null;
  let msg: Message;
  try {
    msg = parseMessage(query);
  } catch {
    return { outcome: "formerr", response: reply(query, null, Rcode.FORMERR) };
  }
  const q = msg.question[0];
  if (msg.question.length !== 1 || q!.type !== RRType.SOA || q!.class !== RRClass.IN) {
    return { outcome: "formerr", response: reply(query, msg, Rcode.FORMERR) };
  }
  const target = lookup(nameKey(q!.name));
  if (!target) return { outcome: "notauth", response: reply(query, msg, Rcode.NOTAUTH) };

  let key: TsigKey | null = null;
  let mac: Buffer | null = null;
  if (msg.tsig) {
    try {
      const v = verifyRequest(query, msg, [...target.notifyKeys], now);
      key = v.key;
      mac = v.mac;
    } catch (e) {
      if (!(e instanceof TsigError) || e.tsigError === undefined) {
        return { outcome: "formerr", response: reply(query, msg, Rcode.FORMERR), target };
      }
      return { outcome: "bad-tsig", response: tsigErrorReply(query, msg, e.tsigError, now), target };
    }
  }
  const sign = (r: Buffer) => (key && mac ? signMessage(r, key, { priorMac: mac, time: now }).message : r);
  if (!target.notifyAllowed(remote.address, key)) {
    return { outcome: "refused", response: sign(reply(query, msg, Rcode.REFUSED)), target };
  }
  // RFC 1996 §3.7: the answer section may carry the new SOA; its serial is only a hint.
  const soa = msg.answer.find((r) => r.type === RRType.SOA && nameKey(r.owner) === nameKey(q!.name));
  const hint = soa && soa.rdata.length >= 22 ? soa.rdata.readUInt32BE(soa.rdata.length - 20) : undefined;
  target.notify(hint);
  return { outcome: "accepted", response: sign(reply(query, msg, Rcode.NOERROR)), target };
}

/** Header (QR, opcode NOTIFY, AA, RD copied, rcode) and the question as asked. */
/** NOTIFY replies are authoritative answers with the NOTIFY opcode (RFC 1996 §4.7). */
const NOTIFY_FLAGS = (OPCODE_NOTIFY << 11) | AA;

function reply(query: Buffer, msg: Message | null, rcode: number): Buffer {
  return controlReply(query, msg, rcode, NOTIFY_FLAGS);
}

function tsigErrorReply(query: Buffer, msg: Message, error: number, now: number): Buffer {
  return unsignedTsigError(query, msg, error, now, NOTIFY_FLAGS);
}
