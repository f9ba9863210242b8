// Transfer-in client: SOA query, AXFR (RFC 5936) and IXFR (RFC 1995) from a primary, optionally TSIG-signed.
// Each call returns the complete result or throws a typed error; a partial transfer is never returned.
// `axfrTo`/`ixfrTo` hand the records to a sink as each message arrives (a zone builder builds the tree while the
// primary is still sending); `axfr`/`ixfr` collect them into a list. A sink whose transfer then fails holds
// part of a zone: the caller drops it.
import { randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";
import { TimeSlicer } from "../util/time-slice.js";
import { isSubdomainKey, keyToWire, nameKey, nameToText, readName } from "../wire/name.js";
import { RRClass, RRType } from "../wire/rrtype.js";
import type { ResourceRecord } from "../zone/record.js";
import { XfrError } from "./errors.js";
import { buildQuery, type Message, ownRdata, parseMessage, RecordBatch } from "./message.js";
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
  /**
   * `axfrTo` only: keep the messages as they arrive (each checked: ID, question, TSIG, RCODE, framing) and parse
   * them into the sink once the transfer is complete. The socket is drained at once (a primary such as Knot drops
   * a reader that stalls for 500 ms, and a heap growing during the transfer makes GC pauses land inside it), and
   * parsing and building run without sharing the CPU with the primary message by message: measured faster than
   * building as it streams in. Default false: each message into the sink as it arrives.
   */
  receiveFirst?: boolean;
  /**
   * With `receiveFirst`: called once a whole zone (AXFR, or an IXFR answered AXFR-style) has arrived and every
   * message passed its checks, before any is parsed into the sink, with the raw messages in order (a cluster
   * hands them to its workers, which build their own trees meanwhile); parsing waits for a returned promise
   * (the hand-off's writes need this process's event loop). Not called for IXFR deltas.
   */
  onReceived?: (messages: readonly Buffer[]) => void | Promise<void>;
  /**
   * With `receiveFirst`: the received messages go into the sink in slices of this many ms (default SLICE_MS),
   * the event loop running between them, so the process keeps answering queries through a big zone's build.
   */
  sliceMs?: number;
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

/**
 * Where a streamed transfer's records go, in the order received: the SOA first (once; the closing SOA is not
 * passed), every record already checked to be class IN and inside the zone. `key` is `ownerKey(owner)`;
 * records of one owner in a message share `owner` and `key`. `ZoneBuilder` and `CheckingZoneBuilder` are sinks.
 */
export interface RecordSink {
  /**
   * One record. `owner` is null when it is the key's bytes (no upper-case letter: most names). The RDATA is
   * `rdata[from, to)`, which may lie in a whole message: a sink that keeps it copies it.
   */
  addRecord(
    key: string,
    owner: Buffer | null,
    type: number,
    cls: number,
    ttl: number,
    rdata: Buffer,
    from: number,
    to: number,
  ): void;
  /** Optional: about this many records follow (a whole transfer received before it is parsed). */
  expectRecords?(records: number): void;
}

/** A sink that keeps the records as a list (what `axfr` returns). */
export class RecordList implements RecordSink {
  readonly records: ResourceRecord[] = [];

  addRecord(
    key: string,
    owner: Buffer | null,
    type: number,
    cls: number,
    ttl: number,
    rdata: Buffer,
    from: number,
    to: number,
  ): void {
    this.records.push({
      owner: owner ?? keyToWire(key),
      type,
      class: cls,
      ttl,
      rdata: ownRdata(rdata, from, to),
    });
  }
}

export interface AxfrStreamResult {
  serial: number;
  /** How many records went to the sink. */
  records: number;
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

/** `ixfrTo`'s result: an AXFR-style answer went to the sink. */
export type IxfrStreamResult =
  | { kind: "up-to-date"; serial: number }
  | ({ kind: "axfr" } & AxfrStreamResult)
  | { kind: "ixfr"; serial: number; deltas: IxfrDelta[] };

type IxfrMode = "start" | "axfr" | "ixfr" | "up-to-date";

const EMPTY = Buffer.alloc(0);

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
  readonly originKey: string;
  private lastKey = "";

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

  /** Parse and check one answer message: ID, QR, question, TSIG, RCODE. With `batch`, the answer goes there. */
  accept(raw: Buffer, batch?: RecordBatch): Message {
    const msg = parseMessage(raw, batch);
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
  /** `owner`: null when it is the key's bytes (see RecordBatch.owners). */
  checkRecord(key: string, owner: Buffer | null, cls: number): void {
    // Records of one owner come together: check each owner once.
    if (key !== this.lastKey && !isSubdomainKey(key, this.originKey)) {
      throw new XfrError(
        "EDGENS_ERR_XFR_OUT_OF_ZONE",
        `${nameToText(owner ?? keyToWire(key))} is outside ${nameToText(this.origin)}`,
      );
    }
    this.lastKey = key;
    if (cls !== RRClass.IN)
      throw new XfrError("EDGENS_ERR_XFR_MALFORMED", `record of class ${cls} in transfer`);
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

/** Checks an AXFR-shaped record stream (SOA, zone records, the same SOA again) and feeds it to a sink. */
class AxfrCollector {
  serial = -1;
  done = false;
  /** Records given to the sink. */
  count = 0;

  constructor(
    private readonly ex: Exchange,
    private readonly sink: RecordSink,
  ) {}

  /** Add the first SOA (already checked by the caller). */
  start(key: string, soa: ResourceRecord): void {
    this.serial = soaSerial(soa.rdata);
    this.sink.addRecord(key, soa.owner, soa.type, soa.class, soa.ttl, soa.rdata, 0, soa.rdata.length);
    this.count++;
  }

  /** Entry `i` of `b`. */
  add(b: RecordBatch, i: number): void {
    if (this.done) throw new XfrError("EDGENS_ERR_XFR_MALFORMED", "records after the closing SOA");
    this.ex.checkRecord(b.keys[i]!, b.owners[i] ?? null, b.classes[i]!);
    const type = b.types[i]!;
    if (type === RRType.SOA) {
      if (b.keys[i] !== this.ex.originKey)
        throw new XfrError("EDGENS_ERR_XFR_BAD_SOA", `SOA at ${nameToText(b.owner(i))} in transfer`);
      const s = soaSerial(b.rdata(i));
      if (s !== this.serial)
        throw new XfrError("EDGENS_ERR_XFR_BAD_SOA", `closing SOA serial ${s}, opening ${this.serial}`);
      this.done = true;
      return;
    }
    const { keys, owners, classes, ttls } = b;
    this.sink.addRecord(
      keys[i]!,
      owners[i] ?? null,
      type,
      classes[i]!,
      ttls[i]!,
      b.rdataSources[i]!,
      b.rdataStarts[i]!,
      b.rdataEnds[i]!,
    );
    this.count++;
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

/** Full zone transfer (RFC 5936) over TCP, collected into a list. */
export async function axfr(primary: Primary, origin: Buffer, opts: XfrOptions = {}): Promise<AxfrResult> {
  const list = new RecordList();
  const r = await axfrTo(primary, origin, list, opts);
  return { serial: r.serial, records: list.records };
}

/**
 * Full zone transfer (RFC 5936) over TCP, each message's records handed to `sink` once the message passed its
 * checks (TSIG included). Resolves when the closing SOA arrived and the transfer verified; on any error the
 * sink holds part of the zone and must be dropped.
 */
export async function axfrTo(
  primary: Primary,
  origin: Buffer,
  sink: RecordSink,
  opts: XfrOptions = {},
): Promise<AxfrStreamResult> {
  const ex = new Exchange(origin, RRType.AXFR, [], opts.tsig);
  const col = new AxfrCollector(ex, sink);
  const batch = new RecordBatch();
  const feed = (b: RecordBatch) => {
    for (let i = 0; i < b.length; i++) {
      if (col.serial < 0) {
        ex.checkRecord(b.keys[i]!, b.owners[i] ?? null, b.classes[i]!);
        col.start(b.keys[i]!, firstSoa(ex, b.record(i)));
      } else col.add(b, i);
    }
  };
  if (!opts.receiveFirst) {
    await tcpExchange(primary, ex.bytes, limitsOf(opts), (raw, bytes) => {
      ex.accept(raw, batch);
      feed(batch);
      opts.onProgress?.(col.count, bytes);
      return col.done;
    });
    ex.finish();
    return { serial: col.serial, records: col.count };
  }
  // Receive first: only the opening SOA and the next apex SOA (the end) are looked at per record.
  const messages: Buffer[] = [];
  const scan = new RecordBatch(true);
  let seen = 0;
  let ended = false;
  await tcpExchange(primary, ex.bytes, limitsOf(opts), (raw, bytes) => {
    ex.accept(raw, scan);
    for (let i = 0; i < scan.length && !ended; i++, seen++) {
      const apexSoa = scan.types[i] === RRType.SOA && scan.keys[i] === ex.originKey;
      if (seen === 0 && !apexSoa) firstSoa(ex, undefined);
      if (seen > 0 && apexSoa) ended = true;
    }
    messages.push(raw);
    opts.onProgress?.(seen, bytes);
    return ended;
  });
  ex.finish();
  await opts.onReceived?.(messages);
  sink.expectRecords?.(seen);
  // Every message verified: now the per-record checks of a streamed transfer, and the sink, in slices.
  const slicer = new TimeSlicer(opts.sliceMs);
  for (let m = 0; m < messages.length; m++) {
    parseMessage(messages[m]!, batch);
    // Let each message go once parsed: the Buffers they hold count as external memory, which drives V8's GC.
    messages[m] = EMPTY;
    feed(batch);
    if (slicer.due) await slicer.pause();
  }
  if (!col.done) throw new XfrError("EDGENS_ERR_XFR_BAD_SOA", "transfer ended without its closing SOA");
  return { serial: col.serial, records: col.count };
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
  /** The opening SOA, held until the second record tells the answer's shape. */
  private first: { key: string; rr: ResourceRecord } | null = null;

  constructor(
    private readonly ex: Exchange,
    private readonly currentSerial: number,
    sink: RecordSink,
  ) {
    this.axfr = new AxfrCollector(ex, sink);
  }

  get records(): number {
    return this.count;
  }

  get full(): AxfrCollector {
    return this.axfr;
  }

  /** Entry `i` of `b`: an AXFR-style answer streams to the sink; deltas are kept as records. */
  add(b: RecordBatch, i: number): void {
    this.ex.checkRecord(b.keys[i]!, b.owners[i] ?? null, b.classes[i]!);
    this.count++;
    switch (this.mode) {
      case "start": {
        const rr = b.record(i);
        if (this.newSerial < 0) {
          this.newSerial = soaSerial(firstSoa(this.ex, rr).rdata);
          this.first = { key: b.keys[i]!, rr };
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
          this.axfr.start(this.first!.key, this.first!.rr);
          this.first = null;
          this.axfr.add(b, i);
        }
        return;
      }
      case "axfr":
        this.axfr.add(b, i);
        return;
      case "ixfr":
        this.addDeltaRecord(b.record(i));
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
  const list = new RecordList();
  const r = await ixfrTo(primary, origin, currentSerial, list, opts);
  return r.kind === "axfr" ? { kind: "axfr", serial: r.serial, records: list.records } : r;
}

/**
 * `ixfr`, with an AXFR-style answer handed to `sink` as it arrives (the shape is known from the second record
 * on; deltas are returned as records). On any error the sink may hold part of a zone and must be dropped.
 */
export async function ixfrTo(
  primary: Primary,
  origin: Buffer,
  currentSerial: number,
  sink: RecordSink,
  opts: IxfrOptions = {},
): Promise<IxfrStreamResult> {
  // The authority section carries our SOA; only its serial matters to the primary.
  const cur = opts.currentSoa;
  const soa: ResourceRecord = cur
    ? { ...cur, rdata: withSerial(cur.rdata, currentSerial) }
    : { owner: origin, type: RRType.SOA, class: RRClass.IN, ttl: 0, rdata: placeholderSoa(currentSerial) };
  const ex = new Exchange(origin, RRType.IXFR, [soa], opts.tsig);
  const col = new IxfrCollector(ex, currentSerial, sink);
  const batch = new RecordBatch();
  // With `receiveFirst`, once the answer shows itself AXFR-style (the first message tells), the rest is kept
  // raw and only scanned for the closing apex SOA, as `axfrTo` does: a primary that drops slow readers (Knot's
  // 500 ms tcp-io-timeout) never waits for our build.
  const held: Buffer[] = [];
  const scan = new RecordBatch(true);
  let ended = false;
  let heldRecords = 0;
  /** With `onReceived`: every message of the answer (those parsed before the shape was known too). */
  const all: Buffer[] = [];
  await tcpExchange(primary, ex.bytes, limitsOf(opts), (raw, bytes) => {
    if (opts.onReceived) all.push(raw);
    if (opts.receiveFirst && col.mode === "axfr") {
      ex.accept(raw, scan);
      for (let i = 0; i < scan.length && !ended; i++)
        ended = scan.types[i] === RRType.SOA && scan.keys[i] === ex.originKey;
      held.push(raw);
      heldRecords += scan.length;
      opts.onProgress?.(col.records + heldRecords, bytes);
      return ended;
    }
    ex.accept(raw, batch);
    for (let i = 0; i < batch.length; i++) col.add(batch, i);
    opts.onProgress?.(col.records, bytes);
    return col.endOfMessage();
  });
  ex.finish();
  if (opts.receiveFirst && col.mode === "axfr") await opts.onReceived?.(all);
  all.length = 0;
  if (heldRecords > 0) sink.expectRecords?.(col.records + heldRecords);
  const slicer = new TimeSlicer(opts.sliceMs);
  for (let m = 0; m < held.length; m++) {
    parseMessage(held[m]!, batch);
    held[m] = EMPTY;
    for (let i = 0; i < batch.length; i++) col.add(batch, i);
    if (slicer.due) await slicer.pause();
  }
  if (held.length > 0 && !col.endOfMessage())
    throw new XfrError("EDGENS_ERR_XFR_BAD_SOA", "transfer ended without its closing SOA");
  if (col.mode === "up-to-date") return { kind: "up-to-date", serial: col.newSerial };
  if (col.mode === "axfr") return { kind: "axfr", serial: col.full.serial, records: col.full.count };
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
