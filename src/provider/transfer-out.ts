// Serving one AXFR or IXFR request over TCP (RFC 5936, RFC 1995), with TSIG (RFC 8945) and the zone's ACL.
// Lifecycle, with the exit at each stage:
//   not QUERY opcode / not one AXFR|IXFR question → null: the responder answers it as any other query
//   unparseable                                → FORMERR
//   TSIG: unknown key, bad MAC                 → NOTAUTH + unsigned TSIG with BADKEY/BADSIG
//         time outside the fudge               → NOTAUTH + signed TSIG with BADTIME and our time
//   zone not served here                       → NOTAUTH;  served but not provided → REFUSED
//   ACL (source prefix, key)                   → REFUSED (signed when the request was)
//   IXFR without an SOA in authority           → FORMERR
//   AXFR                                       → SOA, every record, SOA
//   IXFR: client serial ≥ ours                 → our SOA alone
//         journal reaches the client's serial  → one condensed delta
//         otherwise                            → AXFR-style answer
// Every refusal is logged once, with who and why; every served transfer is logged when its last message is made.
import { performance } from "node:perf_hooks";
import type { Logger } from "../log.js";
import { AA, controlReply, unsignedTsigError } from "../transfer/control-reply.js";
import { TsigError } from "../transfer/errors.js";
import { HEADER_LENGTH, type Message, parseMessage } from "../transfer/message.js";
import { compareSerial } from "../transfer/serial.js";
import { decodeTsigRdata, signMessage, type TsigKey, TsigRcode, verifyRequest } from "../transfer/tsig.js";
import { nameKey, nameToText } from "../wire/name.js";
import { Rcode, RRClass, RRType } from "../wire/rrtype.js";
import type { ResourceRecord } from "../zone/record.js";
import type { ZoneData } from "../zone/zone.js";
import type { Journal } from "./journal.js";
import type { TransferAcl } from "./transfer-acl.js";
import { type XfrSigner, type XfrStats, xfrMessages } from "./xfr-messages.js";
import { axfrRecords, zoneSoa } from "./zone-records.js";

/** One zone as the transfer path sees it: the data being served now, its journal and ACL. */
export interface ProvidedZone {
  name: string;
  data: ZoneData;
  serial: number;
  journal: Journal;
  acl: TransferAcl;
}

export type TransferOutcome =
  | "axfr"
  | "ixfr"
  | "ixfr-axfr"
  | "ixfr-current"
  | "formerr"
  | "bad-tsig"
  | "notauth"
  | "refused";

export interface TransferContext {
  /** The provided zone by origin key; "not-provided" when served without a `provide` section. */
  lookup(originKey: string): ProvidedZone | "not-provided" | undefined;
  keys: readonly TsigKey[];
  log: Logger;
  /** Called once per request with its outcome and the asked zone's origin key when known (counters). */
  count(outcome: TransferOutcome, originKey?: string): void;
  now?: () => number;
}

export interface TransferRemote {
  address: string;
  port: number;
}

/** A transfer answer: its messages, made lazily; `qtype`/`rcode` for the query metrics. */
export interface TransferStart {
  qtype: number;
  rcode: number;
  messages: Iterator<Buffer>;
}

/** QTYPE of a one-question QUERY asking AXFR or IXFR, else 0. Cheap: runs for every TCP query. */
export function transferQtype(query: Buffer): number {
  if (query.length < HEADER_LENGTH + 5) return 0;
  const flags = query.readUInt16BE(2);
  if (flags & 0x8000 || (flags & 0x7800) !== 0 || query.readUInt16BE(4) !== 1) return 0;
  let i = HEADER_LENGTH;
  for (let n = 0; n < 128; n++) {
    const len = query[i];
    if (len === undefined || len > 63) return 0;
    i += len + 1;
    if (len === 0) break;
  }
  if (i + 4 > query.length) return 0;
  const qtype = query.readUInt16BE(i);
  return qtype === RRType.AXFR || qtype === RRType.IXFR ? qtype : 0;
}

/** Header (QR, AA when `aa`, RD copied, rcode) and the question as asked. */
function reply(query: Buffer, msg: Message | null, rcode: number, aa = false): Buffer {
  return controlReply(query, msg, rcode, aa ? AA : 0);
}

function timeField(now: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(now, 0, 6);
  return b;
}

const TSIG_ERROR_NAMES: Record<number, string> = { 16: "BADSIG", 17: "BADKEY", 18: "BADTIME" };

function one(message: Buffer): Iterator<Buffer> {
  return [message][Symbol.iterator]();
}

/** Start answering `query` if it is a transfer request; null when it is not (the responder answers it). */
export function startTransfer(
  query: Buffer,
  remote: TransferRemote,
  ctx: TransferContext,
): TransferStart | null {
  const qtype = transferQtype(query);
  if (qtype === 0) return null;
  const kind = qtype === RRType.AXFR ? "AXFR" : "IXFR";
  const now = ctx.now?.() ?? Math.floor(Date.now() / 1000);
  const who = `${remote.address}#${remote.port}`;
  let askedKey: string | undefined;
  const refuse = (outcome: TransferOutcome, rcode: number, message: Buffer, zone: string, reason: string) => {
    ctx.count(outcome, askedKey);
    ctx.log.warn(
      { zone, client: remote.address, kind, reason },
      `refused ${kind} of ${zone} to ${who}: ${reason}`,
    );
    return { qtype, rcode, messages: one(message) };
  };

  let msg: Message;
  try {
    msg = parseMessage(query);
  } catch (e) {
    return refuse("formerr", Rcode.FORMERR, reply(query, null, Rcode.FORMERR), "?", (e as Error).message);
  }
  const q = msg.question[0]!;
  const zoneText = nameToText(q.name);
  askedKey = nameKey(q.name);

  // RFC 8945 §5.2: the signature is checked before anything else.
  let signer: XfrSigner | null = null;
  if (msg.tsig) {
    try {
      const v = verifyRequest(query, msg, [...ctx.keys], now);
      signer = { key: v.key, requestMac: v.mac };
    } catch (e) {
      if (!(e instanceof TsigError) || e.tsigError === undefined) {
        return refuse(
          "formerr",
          Rcode.FORMERR,
          reply(query, msg, Rcode.FORMERR),
          zoneText,
          (e as Error).message,
        );
      }
      const why = `TSIG ${TSIG_ERROR_NAMES[e.tsigError] ?? e.tsigError}: ${e.message}`;
      if (e.tsigError === TsigRcode.BADTIME) {
        // §5.2.3: the MAC verified, so the answer is signed; Other Data carries our clock.
        const rd = decodeTsigRdata(query, msg.tsig.rdataOffset, msg.tsig.rdataLength);
        const key = ctx.keys.find((k) => nameKey(k.name) === nameKey(msg.tsig!.owner))!;
        const signed = signMessage(reply(query, msg, Rcode.NOTAUTH), key, {
          priorMac: rd.mac,
          time: rd.timeSigned,
          error: TsigRcode.BADTIME,
          otherData: timeField(now),
        });
        return refuse("bad-tsig", Rcode.NOTAUTH, signed.message, zoneText, why);
      }
      return refuse(
        "bad-tsig",
        Rcode.NOTAUTH,
        unsignedTsigError(query, msg, e.tsigError, now),
        zoneText,
        why,
      );
    }
  }
  const sign = (r: Buffer) =>
    signer ? signMessage(r, signer.key, { priorMac: signer.requestMac }).message : r;

  if (q.class !== RRClass.IN) {
    return refuse("refused", Rcode.REFUSED, sign(reply(query, msg, Rcode.REFUSED)), zoneText, "class not IN");
  }
  const zone = ctx.lookup(nameKey(q.name));
  if (zone === undefined) {
    return refuse(
      "notauth",
      Rcode.NOTAUTH,
      sign(reply(query, msg, Rcode.NOTAUTH)),
      zoneText,
      "zone not served here",
    );
  }
  if (zone === "not-provided") {
    return refuse(
      "refused",
      Rcode.REFUSED,
      sign(reply(query, msg, Rcode.REFUSED)),
      zoneText,
      "zone has no provide section",
    );
  }
  const decision = zone.acl.check(remote.address, signer?.key ?? null);
  if (!decision.allowed) {
    return refuse(
      "refused",
      Rcode.REFUSED,
      sign(reply(query, msg, Rcode.REFUSED)),
      zone.name,
      decision.reason,
    );
  }

  // The question as received, for every answer message.
  const question = Buffer.concat([q.name, Buffer.from([qtype >> 8, qtype & 0xff, 0, RRClass.IN])]);
  const data = zone.data;
  const serial = zone.serial;
  let outcome: TransferOutcome = "axfr";
  let records: Iterable<ResourceRecord>;
  let fromSerial: number | null = null;
  if (qtype === RRType.IXFR) {
    const soa = msg.authority.find((r) => r.type === RRType.SOA && nameKey(r.owner) === nameKey(q.name));
    if (!soa || soa.rdata.length < 22) {
      return refuse(
        "formerr",
        Rcode.FORMERR,
        sign(reply(query, msg, Rcode.FORMERR)),
        zone.name,
        "IXFR without an SOA",
      );
    }
    fromSerial = soa.rdata.readUInt32BE(soa.rdata.length - 20);
    const order = compareSerial(fromSerial, serial);
    const delta = order === "lt" ? zone.journal.condensedFrom(fromSerial) : null;
    if (order === "eq" || order === "gt") {
      outcome = "ixfr-current"; // RFC 1995 §2: same or newer version → our SOA alone
      records = [zoneSoa(data)];
    } else if (delta && delta.toSerial === serial) {
      outcome = "ixfr";
      records = ixfrRecords(delta.fromSoa, delta.deleted, delta.toSoa, delta.added);
    } else {
      outcome = "ixfr-axfr";
      records = axfrRecords(data);
    }
  } else {
    records = axfrRecords(data);
  }

  ctx.count(outcome, askedKey);
  const stats: XfrStats = { messages: 0, records: 0, bytes: 0 };
  const started = performance.now();
  const messages = xfrMessages(msg.id, question, records, signer, stats);
  const log = ctx.log;
  function* logged(): Generator<Buffer> {
    yield* messages;
    log.info(
      {
        zone: zone !== undefined && zone !== "not-provided" ? zone.name : zoneText,
        client: remote.address,
        kind: outcome,
        serial,
        ...(fromSerial !== null ? { fromSerial } : {}),
        key: signer ? nameToText(signer.key.name) : null,
        messages: stats.messages,
        records: stats.records,
        bytes: stats.bytes,
        ms: Math.round(performance.now() - started),
      },
      `served ${outcome} of ${zoneText} serial ${serial} to ${who}`,
    );
  }
  return { qtype, rcode: 0, messages: logged() };
}

/** RFC 1995 §4 condensed delta: SOA(new), SOA(old), deleted…, SOA(new), added…, SOA(new). */
function* ixfrRecords(
  fromSoa: ResourceRecord,
  deleted: ResourceRecord[],
  toSoa: ResourceRecord,
  added: ResourceRecord[],
): Generator<ResourceRecord> {
  yield toSoa;
  yield fromSoa;
  yield* deleted;
  yield toSoa;
  yield* added;
  yield toSoa;
}
