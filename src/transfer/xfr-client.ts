// Transfer-in client: SOA query, AXFR (RFC 5936) and IXFR (RFC 1995) from a primary, optionally TSIG-signed.
// Each call returns the complete result or throws a typed error; a partial transfer is never returned.
import { randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";
import { isSubdomainKey, nameKey, nameToText, readName } from "../wire/name.js";
import { RRClass, RRType } from "../wire/rrtype.js";
import type { ResourceRecord } from "../zone/record.js";
import { ownerKey } from "../zone/zone.js";
import { XfrError } from "./errors.js";
import { buildQuery, type Message, parseMessage } from "./message.js";
import { compareSerial } from "./serial.js";
import { type Endpoint, type StreamLimits, tcpExchange } from "./tcp-stream.js";
import { signMessage, type TsigKey, TsigResponseVerifier } from "./tsig.js";

export type Primary = Endpoint;

export interface XfrOptions {
  tsig?: TsigKey;
  /** Per-message (and connect) timeout, ms. Default 15 s. */
  messageTimeoutMs?: number;
  /** Whole-transfer timeout, ms. Default 10 min. */
  totalTimeoutMs?: number;
  /** Response size cap, bytes. Default 512 MiB. */
  maxBytes?: number;
  /** Called after each message of a TCP transfer with the records and bytes received so far. */
  onProgress?: (records: number, bytes: number) => void;
}

export interface IxfrOptions extends XfrOptions {
  /** The SOA we hold, sent in the query's authority section (only its serial matters; a stub is sent without). */
  currentSoa?: ResourceRecord;
}

export interface SoaResult {
  serial: number;
  soa: ResourceRecord;
}

export interface AxfrResult {
  serial: number;
  /** All records of the zone, the SOA first (once). */
  records: ResourceRecord[];
}

export interface IxfrDelta {
  fromSerial: number;
  toSerial: number;
  /** Records to remove, starting with the old SOA. */
  deleted: ResourceRecord[];
  /** Records to add, starting with the new SOA. */
  added: ResourceRecord[];
}

export type IxfrResult =
  | { kind: "up-to-date"; serial: number }
  | ({ kind: "axfr" } & AxfrResult)
  | { kind: "ixfr"; serial: number; deltas: IxfrDelta[] };

type IxfrMode = "start" | "axfr" | "ixfr" | "up-to-date";

const DEFAULTS = { messageTimeoutMs: 15_000, totalTimeoutMs: 600_000, maxBytes: 512 * 1024 * 1024 };

function limitsOf(o: XfrOptions): StreamLimits {
  return {
    messageTimeoutMs: o.messageTimeoutMs ?? DEFAULTS.messageTimeoutMs,
    totalTimeoutMs: o.totalTimeoutMs ?? DEFAULTS.totalTimeoutMs,
    maxBytes: o.maxBytes ?? DEFAULTS.maxBytes,
  };
}

/** Serial of SOA RDATA (uncompressed). */
export function soaSerial(rdata: Buffer): number {
  const m = readName(rdata, 0);
  const r = readName(rdata, m.next);
  if (r.next + 20 !== rdata.length)
    throw new XfrError("EDGENS_ERR_XFR_BAD_SOA", "SOA RDATA has the wrong length");
  return rdata.readUInt32BE(r.next);
}

/** A signed (or plain) query and the checks every answer to it gets. */
class Exchange {
  readonly id = randomInt(0, 0x10000);
  readonly bytes: Buffer;
  private readonly verifier?: TsigResponseVerifier;
  private first = true;
  private readonly originKey: string;
  private lastOwner: Buffer | null = null;

  constructor(
    readonly origin: Buffer,
    readonly qtype: number,
    authority: ResourceRecord[],
    readonly tsig: TsigKey | undefined,
  ) {
    this.originKey = nameKey(origin);
    const q = buildQuery(this.id, origin, qtype, authority);
    if (tsig) {
      const s = signMessage(q, tsig);
      this.bytes = s.message;
      this.verifier = new TsigResponseVerifier(tsig, s.mac);
    } else this.bytes = q;
  }

  /** Parse and check one answer message: ID, QR, question, TSIG, RCODE. */
  accept(raw: Buffer): Message {
    const msg = parseMessage(raw);
    const what = `${nameToText(this.origin)} ${this.qtype === RRType.AXFR ? "AXFR" : this.qtype === RRType.IXFR ? "IXFR" : "SOA"}`;
    if (msg.id !== this.id)
      throw new XfrError("EDGENS_ERR_XFR_BAD_ID", `${what}: answer ID ${msg.id}, expected ${this.id}`);
    if (!msg.qr || ((msg.flags >> 11) & 0xf) !== 0)
      throw new XfrError("EDGENS_ERR_XFR_MALFORMED", `${what}: not a QUERY response`);
    // RFC 5936 §2.2: the first message repeats the question; later ones may omit it. Error answers may omit it
    // too (NSD's TSIG BADSIG/BADKEY answers have no question).
    if (this.first && msg.question.length !== 1 && !(msg.rcode !== 0 && msg.question.length === 0)) {
      throw new XfrError(
        "EDGENS_ERR_XFR_BAD_QUESTION",
        `${what}: answer has ${msg.question.length} questions`,
      );
    }
    for (const q of msg.question) {
      if (nameKey(q.name) !== this.originKey || q.type !== this.qtype || q.class !== RRClass.IN) {
        throw new XfrError(
          "EDGENS_ERR_XFR_BAD_QUESTION",
          `${what}: answer is for ${nameToText(q.name)} type ${q.type}`,
        );
      }
    }
    this.first = false;
    if (this.verifier && (msg.rcode === 0 || msg.tsig)) this.verifier.verify(raw, msg);
    if (msg.rcode !== 0)
      throw new XfrError("EDGENS_ERR_XFR_RCODE", `${what}: primary answered RCODE ${msg.rcode}`, msg.rcode);
    return msg;
  }

  /** Every record must be class IN and inside the zone (RFC 5936 §3.3 rejects out-of-zone data). */
  checkRecord(rr: ResourceRecord): void {
    // Records of one owner share its Buffer (message.ts): check each owner once.
    if (rr.owner !== this.lastOwner && !isSubdomainKey(ownerKey(rr.owner), this.originKey)) {
      throw new XfrError(
        "EDGENS_ERR_XFR_OUT_OF_ZONE",
        `${nameToText(rr.owner)} is outside ${nameToText(this.origin)}`,
      );
    }
    this.lastOwner = rr.owner;
    if (rr.class !== RRClass.IN)
      throw new XfrError("EDGENS_ERR_XFR_MALFORMED", `record of class ${rr.class} in transfer`);
  }

  isApexSoa(rr: ResourceRecord): boolean {
    return rr.type === RRType.SOA && nameKey(rr.owner) === this.originKey;
  }

  finish(): void {
    this.verifier?.finish();
  }
}

/**
 * Query the primary's SOA over UDP (two tries, each `messageTimeoutMs`, default 2 s), retrying over TCP when the
 * answer is truncated.
 */
export async function fetchSoa(primary: Primary, origin: Buffer, opts: XfrOptions = {}): Promise<SoaResult> {
  let msg: Message | undefined;
  let ex: Exchange | undefined;
  for (let attempt = 1; !msg; attempt++) {
    ex = new Exchange(origin, RRType.SOA, [], opts.tsig);
    try {
      msg = await udpExchange(primary, ex, opts.messageTimeoutMs ?? 2000);
    } catch (e) {
      if (attempt >= 2 || !(e instanceof XfrError) || e.code !== "EDGENS_ERR_XFR_TIMEOUT") throw e;
    }
  }
  if (msg.tc) {
    ex = new Exchange(origin, RRType.SOA, [], opts.tsig);
    const tcpEx = ex;
    let answer: Message | undefined;
    await tcpExchange(primary, tcpEx.bytes, limitsOf(opts), (raw) => {
      answer = tcpEx.accept(raw);
      return true;
    });
    msg = answer!;
  }
  ex!.finish();
  const soa = msg.answer.find((rr) => ex!.isApexSoa(rr));
  if (!soa) throw new XfrError("EDGENS_ERR_XFR_BAD_SOA", `no SOA for ${nameToText(origin)} in the answer`);
  return { serial: soaSerial(soa.rdata), soa };
}

function udpExchange(primary: Primary, ex: Exchange, timeoutMs: number): Promise<Message> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(isIPv6(primary.host) ? "udp6" : "udp4");
    const done = (err: Error | null, msg?: Message) => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(msg!);
    };
    const timer = setTimeout(
      () =>
        done(
          new XfrError(
            "EDGENS_ERR_XFR_TIMEOUT",
            `no SOA answer from ${primary.host}#${primary.port} in ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    sock.on("message", (raw, rinfo) => {
      // Ignore strays: only answers from the primary with our ID count.
      if (rinfo.port !== primary.port || raw.length < 2 || raw.readUInt16BE(0) !== ex.id) return;
      try {
        done(null, ex.accept(raw));
      } catch (e) {
        done(e as Error);
      }
    });
    sock.on("error", (e) => done(new XfrError("EDGENS_ERR_XFR_CONNECT", e.message)));
    sock.send(ex.bytes, primary.port, primary.host);
  });
}

/** Collects an AXFR-shaped record stream: SOA, zone records, the same SOA again. */
class AxfrCollector {
  readonly records: ResourceRecord[] = [];
  serial = -1;
  done = false;

  constructor(private readonly ex: Exchange) {}

  /** Add the first SOA (already checked by the caller). */
  start(soa: ResourceRecord): void {
    this.serial = soaSerial(soa.rdata);
    this.records.push(soa);
  }

  add(rr: ResourceRecord): void {
    if (this.done) throw new XfrError("EDGENS_ERR_XFR_MALFORMED", "records after the closing SOA");
    this.ex.checkRecord(rr);
    if (rr.type === RRType.SOA) {
      if (!this.ex.isApexSoa(rr))
        throw new XfrError("EDGENS_ERR_XFR_BAD_SOA", `SOA at ${nameToText(rr.owner)} in transfer`);
      const s = soaSerial(rr.rdata);
      if (s !== this.serial)
        throw new XfrError("EDGENS_ERR_XFR_BAD_SOA", `closing SOA serial ${s}, opening ${this.serial}`);
      this.done = true;
      return;
    }
    this.records.push(rr);
  }
}

function firstSoa(ex: Exchange, rr: ResourceRecord | undefined): ResourceRecord {
  if (!rr || !ex.isApexSoa(rr)) {
    throw new XfrError(
      "EDGENS_ERR_XFR_BAD_SOA",
      `transfer of ${nameToText(ex.origin)} does not start with its SOA`,
    );
  }
  return rr;
}

/** Full zone transfer (RFC 5936) over TCP. */
export async function axfr(primary: Primary, origin: Buffer, opts: XfrOptions = {}): Promise<AxfrResult> {
  const ex = new Exchange(origin, RRType.AXFR, [], opts.tsig);
  const col = new AxfrCollector(ex);
  await tcpExchange(primary, ex.bytes, limitsOf(opts), (raw, bytes) => {
    const msg = ex.accept(raw);
    for (const rr of msg.answer) {
      if (col.serial < 0) {
        ex.checkRecord(rr);
        col.start(firstSoa(ex, rr));
      } else col.add(rr);
    }
    opts.onProgress?.(col.records.length, bytes);
    return col.done;
  });
  ex.finish();
  return { serial: col.serial, records: col.records };
}

/**
 * Sorts an IXFR answer stream (RFC 1995 §4) into one of its three shapes: a lone SOA (we are current), an
 * AXFR-style full zone (second record is not our SOA), or deltas: SOA(new) [SOA(from) deletions SOA(to)
 * additions]... SOA(new). Each delta's `deleted`/`added` start with its SOA.
 */
class IxfrCollector {
  mode: IxfrMode = "start";
  newSerial = -1;
  readonly deltas: IxfrDelta[] = [];
  private count = 0;
  private phase: "del" | "add" = "add";
  private done = false;
  private readonly axfr: AxfrCollector;

  constructor(
    private readonly ex: Exchange,
    private readonly currentSerial: number,
  ) {
    this.axfr = new AxfrCollector(ex);
  }

  get records(): number {
    return this.count;
  }

  get full(): AxfrCollector {
    return this.axfr;
  }

  add(rr: ResourceRecord): void {
    this.ex.checkRecord(rr);
    this.count++;
    switch (this.mode) {
      case "start":
        if (this.newSerial < 0) {
          this.newSerial = soaSerial(firstSoa(this.ex, rr).rdata);
          this.axfr.start(rr);
        } else if (
          this.ex.isApexSoa(rr) &&
          soaSerial(rr.rdata) === this.currentSerial &&
          this.newSerial !== this.currentSerial
        ) {
          // Our serial's SOA as the second record: deltas follow. (SOA(n) SOA(n) is a SOA-only AXFR answer.)
          this.mode = "ixfr";
          this.addDeltaRecord(rr);
        } else {
          this.mode = "axfr";
          this.axfr.add(rr);
        }
        return;
      case "axfr":
        this.axfr.add(rr);
        return;
      case "ixfr":
        this.addDeltaRecord(rr);
        return;
      default:
        throw new XfrError("EDGENS_ERR_XFR_MALFORMED", "records after an up-to-date answer");
    }
  }

  /** Called after each message; true when the answer is complete. */
  endOfMessage(): boolean {
    // A lone SOA that is not newer than ours: we are current (RFC 1995 §4).
    if (
      this.mode === "start" &&
      this.count === 1 &&
      compareSerial(this.newSerial, this.currentSerial) !== "gt"
    ) {
      this.mode = "up-to-date";
    }
    if (this.mode === "up-to-date") return true;
    if (this.mode === "axfr") return this.axfr.done;
    return this.done;
  }

  private addDeltaRecord(rr: ResourceRecord): void {
    if (this.done) throw new XfrError("EDGENS_ERR_XFR_MALFORMED", "records after the closing SOA");
    const delta = this.deltas[this.deltas.length - 1];
    if (!this.ex.isApexSoa(rr)) {
      if (rr.type === RRType.SOA)
        throw new XfrError("EDGENS_ERR_XFR_BAD_SOA", `SOA at ${nameToText(rr.owner)} in IXFR`);
      (this.phase === "del" ? delta!.deleted : delta!.added).push(rr);
      return;
    }
    const s = soaSerial(rr.rdata);
    if (this.phase === "del") {
      delta!.toSerial = s;
      delta!.added.push(rr);
      this.phase = "add";
      return;
    }
    if (delta && delta.toSerial === this.newSerial && s === this.newSerial) {
      this.done = true;
      return;
    }
    // A new delta must start where the previous one ended.
    const expected = delta ? delta.toSerial : this.currentSerial;
    if (s !== expected)
      throw new XfrError("EDGENS_ERR_XFR_BAD_SOA", `IXFR delta starts at serial ${s}, expected ${expected}`);
    this.deltas.push({ fromSerial: s, toSerial: -1, deleted: [rr], added: [] });
    this.phase = "del";
  }
}

/**
 * Incremental transfer (RFC 1995) over TCP from `currentSerial`. The primary may answer with deltas, with the
 * whole zone (AXFR-style), or with only its SOA when we are current. Callers fall back to `axfr` on any error.
 */
export async function ixfr(
  primary: Primary,
  origin: Buffer,
  currentSerial: number,
  opts: IxfrOptions = {},
): Promise<IxfrResult> {
  // The authority section carries our SOA; only its serial matters to the primary.
  const cur = opts.currentSoa;
  const soa: ResourceRecord = cur
    ? { ...cur, rdata: withSerial(cur.rdata, currentSerial) }
    : { owner: origin, type: RRType.SOA, class: RRClass.IN, ttl: 0, rdata: placeholderSoa(currentSerial) };
  const ex = new Exchange(origin, RRType.IXFR, [soa], opts.tsig);
  const col = new IxfrCollector(ex, currentSerial);
  await tcpExchange(primary, ex.bytes, limitsOf(opts), (raw, bytes) => {
    for (const rr of ex.accept(raw).answer) col.add(rr);
    opts.onProgress?.(col.records, bytes);
    return col.endOfMessage();
  });
  ex.finish();
  if (col.mode === "up-to-date") return { kind: "up-to-date", serial: col.newSerial };
  if (col.mode === "axfr") return { kind: "axfr", serial: col.full.serial, records: col.full.records };
  return { kind: "ixfr", serial: col.newSerial, deltas: col.deltas };
}

function withSerial(rdata: Buffer, serial: number): Buffer {
  const out = Buffer.from(rdata);
  out.writeUInt32BE(serial >>> 0, out.length - 20);
  return out;
}

function placeholderSoa(serial: number): Buffer {
  // ". . serial 0 0 0 0": primaries read only the serial of the query's SOA.
  const b = Buffer.alloc(22);
  b.writeUInt32BE(serial >>> 0, 2);
  return b;
}

export { applyIxfr } from "./apply-ixfr.js";
