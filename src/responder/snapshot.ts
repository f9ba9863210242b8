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
//           A negative answer (`soaTtlAt` set) holds the negative SOA of the zone version it was computed
//           for: its TTL and numbers are written from `Snapshot.negativeSoas` when served (`servedWire`,
//           `writeNegativeSoa`), so an IXFR that moved only those takes it over without a copy.
//           Use it only when wire.length + OPT length fits the requester's limit; otherwise the per-query
//           path truncates.
// Entries exist for every authoritative name (incl. empty non-terminals and delegation points) × (its types,
// A, AAAA, and DS at cuts) × DO. ANY (transport dependent) and wildcard/NXDOMAIN answers are never precompiled.
//
// Incremental precompile (`CompileOptions.reuse`): each entry records what it read (answer-deps.ts); a snapshot
// of zones that changed by a local IXFR takes over the earlier snapshot's entries that read nothing the IXFR
// changed (zone-change.ts) and computes the rest. It walks the names in the same order with the same limits
// as a full precompile, so it holds the same keys with the same bytes (test/responder/incremental-precompile).
import { findZone } from "../lookup/find-zone.js";
import { MAX_MESSAGE, MessageWriter } from "../wire/message-writer.js";
import { parseQuery } from "../wire/query-parser.js";
import { RRClass, RRType } from "../wire/rrtype.js";
import type { ZoneData } from "../zone/zone.js";
import { writeInternetAnswer } from "./answer.js";
import { type AnswerDeps, DepRecorder } from "./answer-deps.js";
import {
  nameChanged,
  negativeSoaTtlAt,
  SOA_NUMBERS,
  unaffected,
  type ZoneChange,
  zoneChanges,
} from "./zone-change.js";

export interface PrecompiledAnswer {
  wire: Buffer;
  /** Offset just after the question (12 + qname length + 4). */
  questionEnd: number;
  qtype: number;
  dnssecOk: boolean;
  rcode: number;
  /** What the answer was computed from (answer-deps.ts); undefined: unknown, never reused. */
  deps?: AnswerDeps;
  /**
   * A negative answer whose SOA is alone in authority (zone-change.ts `negativeSoaTtlAt`): the origin key of
   * the zone whose negative SOA it holds, and where the SOA's TTL is. It is served with that zone's current SOA
   * TTL and numbers (`servedWire`), so an IXFR that only moved those takes it over without a copy.
   */
  soaZone?: string;
  soaTtlAt?: number;
}

/** A zone's negative SOA as negative answers carry it: its TTL and its RDATA's last SOA_NUMBERS octets. */
export interface NegativeSoaBytes {
  ttl: number;
  numbers: Buffer;
}

export interface Snapshot {
  readonly zones: readonly ZoneData[];
  readonly generation: number;
  /** Zones by origin key. */
  readonly zoneByKey: ReadonlyMap<string, ZoneData>;
  readonly exactAnswers: ReadonlyMap<string, PrecompiledAnswer>;
  /** Per origin key, the zone's negative SOA TTL and numbers, written into negative answers as they are served. */
  readonly negativeSoas: ReadonlyMap<string, NegativeSoaBytes>;
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
  /**
   * A snapshot precompiled earlier, with the same limits, from the same zones (same origins) at earlier
   * versions: its entries that cannot differ are taken over instead of computed again (see the header).
   * Ignored when the set of zones differs.
   */
  reuse?: ReuseBase;
  /** Called once the precompile is done, with how each entry was obtained. */
  onStats?: (stats: PrecompileStats) => void;
}

export interface PrecompileStats {
  /** Entries computed. */
  compiled: number;
  /** Entries taken over from `reuse` as they were. */
  reused: number;
  /** Negative entries taken over whose SOA TTL/numbers changed (written when served, servedWire). */
  patched: number;
  /** Zones whose entries were all computed again (rebuilt, not a local IXFR), and zones changed locally. */
  rebuilt: number;
  changed: number;
}

/** What an incremental precompile needs of an earlier precompiled snapshot (a Snapshot is one). */
export interface ReuseBase {
  readonly exactAnswers: ReadonlyMap<string, PrecompiledAnswer>;
  /** The zones it was compiled from; null for a zone known to be rebuilt since (nothing of it is taken over). */
  readonly zoneByKey: ReadonlyMap<string, ZoneData | null>;
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
  rec: DepRecorder,
  owner: Buffer,
  qkey: string,
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
  rec.reset();
  const written = writeInternetAnswer(w, zoneByKey, msg, q, {
    dnssecOk,
    minimalAny: false,
    limit: MAX_MESSAGE,
  });
  if (!written.complete) return null;
  const len = w.finish(0, written.flags);
  const wire = Buffer.from(w.buf.subarray(0, len));
  const deps = rec.take(qkey);
  // Only answers whose reads were recorded are ever taken over; the SOA is then the answering zone's.
  const at = deps?.negativeSoa ? negativeSoaTtlAt(wire, q.questionEnd) : null;
  const zone = at === null ? null : findZone(zoneByKey, qkey, qtype);
  // Every field in one literal, in one order: one hidden class for the responder's lookups.
  return {
    wire,
    questionEnd: q.questionEnd,
    qtype,
    dnssecOk,
    rcode: written.rcode,
    deps,
    soaZone: zone ? zone.originKey : undefined,
    soaTtlAt: zone && at !== null ? at : undefined,
  };
}

/** The negative SOA bytes of each zone (see NegativeSoaBytes). */
function negativeSoasOf(zoneByKey: ReadonlyMap<string, ZoneData>): Map<string, NegativeSoaBytes> {
  const out = new Map<string, NegativeSoaBytes>();
  for (const [k, z] of zoneByKey) {
    const rd = z.negativeSoa.rdataAt(0);
    if (rd.length >= SOA_NUMBERS)
      out.set(k, { ttl: z.negativeSoa.ttl, numbers: rd.subarray(rd.length - SOA_NUMBERS) });
  }
  return out;
}

/** The current negative SOA bytes of the zone whose SOA `entry` holds; null for other answers. */
function soaOf(snapshot: Snapshot, entry: PrecompiledAnswer): NegativeSoaBytes | null {
  return entry.soaTtlAt === undefined ? null : (snapshot.negativeSoas.get(entry.soaZone!) ?? null);
}

/** Write `soa` into `out`, a copy of `entry.wire` at offset 0. */
function putSoa(entry: PrecompiledAnswer, soa: NegativeSoaBytes, out: Buffer): void {
  out.writeUInt32BE(soa.ttl, entry.soaTtlAt!);
  soa.numbers.copy(out, entry.wire.length - SOA_NUMBERS);
}

/**
 * Write `snapshot`'s negative SOA TTL and numbers into `out`, a copy of `entry.wire` at offset 0 (the
 * responder's answer). Nothing for other answers.
 */
export function writeNegativeSoa(snapshot: Snapshot, entry: PrecompiledAnswer, out: Buffer): void {
  const soa = soaOf(snapshot, entry);
  if (soa) putSoa(entry, soa, out);
}

/** The bytes `entry` is served with in `snapshot`: its wire, or a copy with the zone's current negative SOA. */
export function servedWire(snapshot: Snapshot, entry: PrecompiledAnswer): Buffer {
  const soa = soaOf(snapshot, entry);
  const wire = entry.wire;
  if (!soa) return wire;
  if (
    wire.readUInt32BE(entry.soaTtlAt!) === soa.ttl &&
    soa.numbers.equals(wire.subarray(wire.length - SOA_NUMBERS))
  )
    return wire;
  const out = Buffer.from(wire);
  putSoa(entry, soa, out);
  return out;
}

/** The precompiled answers as served (see servedWire): what the XDP answer map is filled from. */
export function* servedAnswers(snapshot: Snapshot): Generator<PrecompiledAnswer> {
  for (const e of snapshot.exactAnswers.values()) {
    const wire = servedWire(snapshot, e);
    yield wire === e.wire ? e : { ...e, wire };
  }
}

/** An earlier snapshot's entries and how each zone changed since (precompileAll's `reuse`). */
interface Reuse {
  old: ReadonlyMap<string, PrecompiledAnswer>;
  /** Per origin key: absent = the same zone, null = rebuilt. */
  changes: ReadonlyMap<string, ZoneChange | null>;
  stats: PrecompileStats;
}

/** What every entry of one name (DS aside: another zone may answer it) shares when deciding to take it over. */
interface NameVerdict {
  /** How the zone answering the name changed: undefined = not at all, null = rebuilt. */
  change: ZoneChange | null | undefined;
  /** The name or an ancestor changed: nothing of it is taken over. */
  changed: boolean;
}

function verdict(
  zoneByKey: ReadonlyMap<string, ZoneData>,
  reuse: Reuse,
  qkey: string,
  qtype: number,
): NameVerdict {
  // Which zone answers the name depends only on the set of origins, which is the same.
  const zone = zoneByKey.size === 1 ? zoneByKey.values().next().value! : findZone(zoneByKey, qkey, qtype);
  if (!zone) return { change: null, changed: true };
  const change = reuse.changes.get(zone.originKey);
  return {
    change,
    changed: change === null || (change !== undefined && nameChanged(qkey, zone.originKey, change)),
  };
}

/**
 * Whether `old` is still exact for the new zones; a negative answer whose SOA only moved its TTL and numbers
 * is, as it is served with the current ones (servedWire). Counts it in the stats.
 */
function reusable(v: NameVerdict, reuse: Reuse, old: PrecompiledAnswer): boolean {
  const change = v.change;
  if (change !== undefined) {
    if (v.changed || change === null || !old.deps || !unaffected(old.deps, change)) return false;
    if (old.deps.negativeSoa && change.soa !== "same") {
      if (change.soa === null || old.soaTtlAt === undefined) return false;
      reuse.stats.patched++;
      return true;
    }
  }
  reuse.stats.reused++;
  return true;
}

/** Whether `key` (an exactKey) is the key of (`qkey`, `qtype`, `dnssecOk`), compared without hashing it. */
function isKeyOf(key: string, qkey: string, qtype: number, dnssecOk: boolean): boolean {
  const n = qkey.length;
  return (
    key.length === n + 3 &&
    key.charCodeAt(n) === qtype >> 8 &&
    key.charCodeAt(n + 1) === (qtype & 0xff) &&
    key.charCodeAt(n + 2) === (dnssecOk ? 1 : 0) &&
    key.startsWith(qkey)
  );
}

/** Whether `key` (an exactKey) is a key of the name `qkey`. */
function isNameOf(key: string, qkey: string): boolean {
  return key.length === qkey.length + 3 && key.startsWith(qkey);
}

/**
 * Entries taken over per step of precompileAll: taking one over costs ~1/8 of computing one (3–4 µs against
 * 13–15 µs per entry at load 6–7, bench/xfr/precompile-delta.mjs), so a slice lasts about as long either way.
 */
const REUSED_PER_STEP = 8;

/**
 * The precompilation work, one computed entry (or REUSED_PER_STEP entries taken over) per step, so the async
 * variant can yield between chunks.
 */
function* precompileAll(
  zoneByKey: ReadonlyMap<string, ZoneData>,
  exactAnswers: Map<string, PrecompiledAnswer>,
  max: number,
  budgetBytes: number,
  reuse: Reuse | null,
): Generator<void> {
  const w = new MessageWriter(Buffer.allocUnsafe(MAX_MESSAGE));
  const rec = new DepRecorder();
  const views = rec.views(zoneByKey);
  let taken = 0;
  let bytes = 0;
  const multiZone = zoneByKey.size > 1;
  // The earlier entries in their order, which is the walk's order for every name a local IXFR left in place:
  // following it, an entry is found by comparing its key instead of hashing a new key string (a hash lookup
  // per entry cost more than everything else an entry taken over needs). Anything out of step is looked up.
  const cursor = reuse?.old.entries();
  let cur = cursor?.next();
  for (const zone of zoneByKey.values()) {
    for (const node of zone.nodes.values()) {
      if (node.occluded) continue;
      const types = new Set<number>([...node.rrsets.keys(), RRType.A, RRType.AAAA]);
      if (node.cut) types.add(RRType.DS);
      if (node.sigs.size > 0) types.add(RRType.RRSIG);
      let v: NameVerdict | null = null;
      let vDs: NameVerdict | null = null;
      for (const qtype of types) {
        for (const dnssecOk of [false, true]) {
          if (exactAnswers.size >= max || bytes >= budgetBytes) return;
          let key: string;
          let old: PrecompiledAnswer | undefined;
          if (cur && !cur.done && isKeyOf(cur.value[0], node.key, qtype, dnssecOk)) {
            key = cur.value[0];
            old = cur.value[1];
            cur = cursor!.next();
          } else {
            key = exactKey(node.key, qtype, dnssecOk);
            old = reuse?.old.get(key);
          }
          // Names are unique within a zone: only several zones can ask for one key twice.
          if (multiZone && exactAnswers.has(key)) continue;
          if (old) {
            if (qtype === RRType.DS) vDs ??= verdict(zoneByKey, reuse!, node.key, qtype);
            else v ??= verdict(zoneByKey, reuse!, node.key, qtype);
          }
          if (old && reusable(qtype === RRType.DS ? vDs! : v!, reuse!, old)) {
            exactAnswers.set(key, old);
            bytes += precompiledEntryBytes(key, old);
            if (++taken % REUSED_PER_STEP === 0) yield;
            continue;
          }
          const entry = precompileName(w, views, rec, node.owner, node.key, qtype, dnssecOk);
          if (reuse) reuse.stats.compiled++;
          if (entry) {
            exactAnswers.set(key, entry);
            bytes += precompiledEntryBytes(key, entry);
          }
          yield;
        }
      }
      // Earlier entries of this name the walk did not ask for (types it no longer has, another order).
      while (cur && !cur.done && isNameOf(cur.value[0], node.key)) cur = cursor!.next();
    }
  }
}

function budgetOf(opts: CompileOptions): number {
  return opts.precompileBudgetBytes ?? DEFAULT_PRECOMPILE_BUDGET_BYTES;
}

/** The Reuse of `opts.reuse` for these zones, or null when there is none or the zones are another set. */
function reuseOf(zoneByKey: ReadonlyMap<string, ZoneData>, opts: CompileOptions): Reuse | null {
  const stats: PrecompileStats = { compiled: 0, reused: 0, patched: 0, rebuilt: 0, changed: 0 };
  const changes = opts.reuse ? zoneChanges(opts.reuse.zoneByKey, zoneByKey) : null;
  if (!changes) return null;
  for (const c of changes.values()) {
    if (c) stats.changed++;
    else stats.rebuilt++;
  }
  return { old: opts.reuse!.exactAnswers, changes, stats };
}

function report(
  opts: CompileOptions,
  reuse: Reuse | null,
  exactAnswers: Map<string, PrecompiledAnswer>,
): void {
  if (!opts.onStats) return;
  opts.onStats(
    reuse?.stats ?? {
      compiled: exactAnswers.size,
      reused: 0,
      patched: 0,
      rebuilt: 0,
      changed: 0,
    },
  );
}

function indexZones(zones: readonly ZoneData[]): Map<string, ZoneData> {
  const zoneByKey = new Map<string, ZoneData>();
  for (const z of zones) zoneByKey.set(z.originKey, z);
  return zoneByKey;
}

/**
 * `base` narrowed to what it can still give `zones`: zones rebuilt since are forgotten (their old trees can be
 * freed; none of their entries would be taken over anyway). Null when the set of zones differs.
 */
export function reuseBaseFor(base: ReuseBase, zones: readonly ZoneData[]): ReuseBase | null {
  const changes = zoneChanges(base.zoneByKey, indexZones(zones));
  if (!changes) return null;
  const zoneByKey = new Map(base.zoneByKey);
  for (const [k, c] of changes) if (c === null) zoneByKey.set(k, null);
  // Every zone rebuilt (an AXFR of the only zone): nothing to take over, let the old answers go now.
  for (const z of zoneByKey.values()) if (z !== null) return { exactAnswers: base.exactAnswers, zoneByKey };
  return null;
}

/** Compile a snapshot in one go (blocks the event loop: ~15-25 µs per precompiled entry). */
export function compileSnapshot(zones: ZoneData[], generation: number, opts: CompileOptions = {}): Snapshot {
  const zoneByKey = indexZones(zones);
  const exactAnswers = new Map<string, PrecompiledAnswer>();
  if (opts.precompile ?? true) {
    const reuse = reuseOf(zoneByKey, opts);
    for (const _ of precompileAll(
      zoneByKey,
      exactAnswers,
      opts.maxPrecompiled ?? DEFAULT_MAX_PRECOMPILED,
      budgetOf(opts),
      reuse,
    ));
    report(opts, reuse, exactAnswers);
  }
  const unavailable = new Set(opts.unavailable ?? []);
  const negativeSoas = negativeSoasOf(zoneByKey);
  return { zones: [...zoneByKey.values()], generation, zoneByKey, exactAnswers, negativeSoas, unavailable };
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
    const reuse = reuseOf(zoneByKey, opts);
    for (const _ of precompileAll(
      zoneByKey,
      exactAnswers,
      opts.maxPrecompiled ?? DEFAULT_MAX_PRECOMPILED,
      budgetOf(opts),
      reuse,
    )) {
      if (++n % chunk === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (opts.cancelled?.()) return null;
      }
    }
    report(opts, reuse, exactAnswers);
  }
  const unavailable = new Set(opts.unavailable ?? []);
  const negativeSoas = negativeSoasOf(zoneByKey);
  return { zones: [...zoneByKey.values()], generation, zoneByKey, exactAnswers, negativeSoas, unavailable };
}
