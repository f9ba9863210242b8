// A compiled snapshot: the zones of one generation plus precompiled wire responses for the exact names they
// hold. The responder reads one snapshot reference per query, and reload swaps that reference, so a query
// never sees two generations.
//
// `exactAnswers` (also the source of the future XDP answer maps):
//   key   = exactKey(qkey, qtype, dnssecOk): the lower-cased wire qname as a latin1 string (`nameKey`),
//           then 3 chars: qtype high octet, qtype low octet, DO (0/1). Class IN only.
//   value = PrecompiledAnswer.wire: the complete response without OPT for the question in the zone's case:
//           ID 0, flags QR/AA/RCODE (RD=CD=0), QDCOUNT 1, ANCOUNT/NSCOUNT/ARCOUNT of the records, question at
//           offset 12, then the records, compressed against the question. To answer a query: copy, patch the
//           ID, OR in the query's RD/CD bits, copy the query's question bytes over offset 12..questionEnd
//           (same length, only case may differ), then append OPT (ARCOUNT+1) when the query had EDNS.
//           Use it only when wire.length + OPT length fits the requester's limit; otherwise the per-query
//           path truncates.
// Entries exist for every authoritative name (incl. empty non-terminals and delegation points) × (its types,
// A, AAAA, and DS at cuts) × DO. ANY (transport dependent) and wildcard/NXDOMAIN answers are never precompiled.
import { MAX_MESSAGE, MessageWriter } from "../wire/message-writer.js";
import { parseQuery } from "../wire/query-parser.js";
import { RRClass, RRType } from "../wire/rrtype.js";
import type { ZoneData } from "../zone/zone.js";
import { writeInternetAnswer } from "./answer.js";

export interface PrecompiledAnswer {
  wire: Buffer;
  /** Offset just after the question (12 + qname length + 4). */
  questionEnd: number;
  qtype: number;
  dnssecOk: boolean;
  rcode: number;
}

export interface Snapshot {
  readonly zones: readonly ZoneData[];
  readonly generation: number;
  /** Zones by origin key. */
  readonly zoneByKey: ReadonlyMap<string, ZoneData>;
  readonly exactAnswers: ReadonlyMap<string, PrecompiledAnswer>;
  /**
   * Origin keys of zones configured here but without data to serve (a secondary zone before its first
   * transfer, or expired): names under them (and not under a deeper served zone) are answered SERVFAIL.
   */
  readonly unavailable: ReadonlySet<string>;
}

export interface CompileOptions {
  /** Build `exactAnswers` (default true). */
  precompile?: boolean;
  /**
   * Stop precompiling after this many entries (default 1,000,000, roughly 250,000 names); names beyond it are
   * answered by the lookup path, with the same bytes, a little slower.
   */
  maxPrecompiled?: number;
  /**
   * Stop precompiling once the entries are estimated to hold this many bytes of memory (default
   * DEFAULT_PRECOMPILE_BUDGET_BYTES). Like `maxPrecompiled`, names beyond it are answered by the lookup path with
   * the same bytes; for big zones it is what bounds the process's memory (see docs/TRANSFER.md "Performance").
   */
  precompileBudgetBytes?: number;
  /** Origin keys (`nameKey`) of zones to answer SERVFAIL for; see Snapshot.unavailable. */
  unavailable?: Iterable<string>;
}

export const DEFAULT_MAX_PRECOMPILED = 1_000_000;

/**
 * 64 MiB: about 160 000 entries (40 000 names with A and AAAA, DO=0/1), so every name of most zones. A
 * 200 000-record zone precompiled in full held ~416 bytes per entry (the answer object, its Buffer, the key and
 * the map slot); a 1 M-record secondary then stays under 1 GiB (docs/TRANSFER.md "Performance").
 */
export const DEFAULT_PRECOMPILE_BUDGET_BYTES = 64 * 1024 * 1024;

/** Estimated memory of one entry: its wire bytes and key plus the objects around them (measured, see above). */
export function precompiledEntryBytes(key: string, entry: PrecompiledAnswer): number {
  return entry.wire.length + key.length + 320;
}

export function exactKey(qkey: string, qtype: number, dnssecOk: boolean): string {
  return qkey + String.fromCharCode(qtype >> 8, qtype & 0xff, dnssecOk ? 1 : 0);
}

function precompileName(
  w: MessageWriter,
  zoneByKey: ReadonlyMap<string, ZoneData>,
  owner: Buffer,
  qtype: number,
  dnssecOk: boolean,
): PrecompiledAnswer | null {
  const msg = Buffer.alloc(12 + owner.length + 4);
  msg.writeUInt16BE(1, 4);
  owner.copy(msg, 12);
  msg.writeUInt16BE(qtype, 12 + owner.length);
  msg.writeUInt16BE(RRClass.IN, 14 + owner.length);
  const q = parseQuery(msg);
  if (q.status !== "ok") return null;
  const written = writeInternetAnswer(w, zoneByKey, msg, q, {
    dnssecOk,
    minimalAny: false,
    limit: MAX_MESSAGE,
  });
  if (!written.complete) return null;
  const len = w.finish(0, written.flags);
  return {
    wire: Buffer.from(w.buf.subarray(0, len)),
    questionEnd: q.questionEnd,
    qtype,
    dnssecOk,
    rcode: written.rcode,
  };
}

/** The precompilation work, one entry per step, so the async variant can yield between chunks. */
function* precompileAll(
  zoneByKey: ReadonlyMap<string, ZoneData>,
  exactAnswers: Map<string, PrecompiledAnswer>,
  max: number,
  budgetBytes: number,
): Generator<void> {
  const w = new MessageWriter(Buffer.allocUnsafe(MAX_MESSAGE));
  let bytes = 0;
  for (const zone of zoneByKey.values()) {
    for (const node of zone.nodes.values()) {
      if (node.occluded) continue;
      const types = new Set<number>([...node.rrsets.keys(), RRType.A, RRType.AAAA]);
      if (node.cut) types.add(RRType.DS);
      if (node.sigs.size > 0) types.add(RRType.RRSIG);
      for (const qtype of types) {
        for (const dnssecOk of [false, true]) {
          if (exactAnswers.size >= max || bytes >= budgetBytes) return;
          const key = exactKey(node.key, qtype, dnssecOk);
          if (exactAnswers.has(key)) continue;
          const entry = precompileName(w, zoneByKey, node.owner, qtype, dnssecOk);
          if (entry) {
            exactAnswers.set(key, entry);
            bytes += precompiledEntryBytes(key, entry);
          }
          yield;
        }
      }
    }
  }
}

function budgetOf(opts: CompileOptions): number {
  return opts.precompileBudgetBytes ?? DEFAULT_PRECOMPILE_BUDGET_BYTES;
}

function indexZones(zones: ZoneData[]): Map<string, ZoneData> {
  const zoneByKey = new Map<string, ZoneData>();
  for (const z of zones) zoneByKey.set(z.originKey, z);
  return zoneByKey;
}

/** Compile a snapshot in one go (blocks the event loop: ~15-25 µs per precompiled entry). */
export function compileSnapshot(zones: ZoneData[], generation: number, opts: CompileOptions = {}): Snapshot {
  const zoneByKey = indexZones(zones);
  const exactAnswers = new Map<string, PrecompiledAnswer>();
  if (opts.precompile ?? true) {
    for (const _ of precompileAll(
      zoneByKey,
      exactAnswers,
      opts.maxPrecompiled ?? DEFAULT_MAX_PRECOMPILED,
      budgetOf(opts),
    ));
  }
  const unavailable = new Set(opts.unavailable ?? []);
  return { zones: [...zoneByKey.values()], generation, zoneByKey, exactAnswers, unavailable };
}

/**
 * The same snapshot as `compileSnapshot`, built in chunks of `chunk` entries with the event loop free in
 * between, so a reload of big zones does not stall the queries the current snapshot is answering.
 */
export async function compileSnapshotAsync(
  zones: ZoneData[],
  generation: number,
  opts?: CompileOptions & { chunk?: number },
): Promise<Snapshot>;
/** With `cancelled`: checked between chunks; resolves null once it returns true (the work is dropped). */
export async function compileSnapshotAsync(
  zones: ZoneData[],
  generation: number,
  opts: CompileOptions & { chunk?: number; cancelled: () => boolean },
): Promise<Snapshot | null>;
export async function compileSnapshotAsync(
  zones: ZoneData[],
  generation: number,
  opts: CompileOptions & { chunk?: number; cancelled?: () => boolean } = {},
): Promise<Snapshot | null> {
  const zoneByKey = indexZones(zones);
  const exactAnswers = new Map<string, PrecompiledAnswer>();
  if (opts.precompile ?? true) {
    const chunk = Math.max(1, opts.chunk ?? 2000);
    let n = 0;
    for (const _ of precompileAll(
      zoneByKey,
      exactAnswers,
      opts.maxPrecompiled ?? DEFAULT_MAX_PRECOMPILED,
      budgetOf(opts),
    )) {
      if (++n % chunk === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (opts.cancelled?.()) return null;
      }
    }
  }
  const unavailable = new Set(opts.unavailable ?? []);
  return { zones: [...zoneByKey.values()], generation, zoneByKey, exactAnswers, unavailable };
}
