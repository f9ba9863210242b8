// How a zone differs from the version an earlier snapshot precompiled, and which of that snapshot's answers
// are still exact for the new version (the reads each answer recorded: src/responder/answer-deps.ts).
//
// The names that differ come from the copy-on-write tree a local IXFR builds (src/zone/zone-delta.ts): the new
// version's name map is a LayeredMap whose small top layer holds every name the IXFR wrote over the base
// map, which the old version shares (or, after several IXFRs, also a layer over the same base). Any other
// pair of versions (AXFR, full build, a merged layer, a signed zone) counts as rebuilt: all its answers are
// computed again. Nodes are never written once built, so a name holding the same node object holds the same
// data.
//
// The negative SOA (RFC 2308 §3) is in every NODATA/NXDOMAIN answer and its serial changes with every IXFR.
// When only its TTL and numeric fields changed (MNAME and RNAME the same), those answers are taken over as they
// are and their SOA TTL and numbers are written when served (snapshot.ts `servedWire`): the names compress the
// same way, so the bytes equal a fresh computation, and no answer is copied per serial.
import { parentName } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import { LayeredMap } from "../zone/layered-map.js";
import type { RRset, ZoneData, ZoneNode } from "../zone/zone.js";
import { ALL_TYPES, type AnswerDeps, recordable, TYPE_SET } from "./answer-deps.js";

/** SOA RDATA ends with serial, refresh, retry, expire, minimum: 5 × 4 octets. */
export const SOA_NUMBERS = 20;

export interface ZoneChange {
  /** Keys of the names (apex excluded) whose node differs or is new. */
  readonly names: ReadonlySet<string>;
  /** Apex RR types whose RRset differs; also TYPE_SET when the set of types differs. */
  readonly apexTypes: ReadonlySet<number>;
  /**
   * The negative SOA: unchanged; only its TTL and numbers (serial, refresh, retry, expire, minimum) changed,
   * which `servedWire` writes into a negative answer when it is served; or changed otherwise (null).
   */
  readonly soa: "same" | "numbers" | null;
}

function sameRRset(a: RRset | undefined, b: RRset | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  if (a.type !== b.type || a.class !== b.class || a.ttl !== b.ttl || !a.owner.equals(b.owner)) return false;
  return a.sameRdatas(b);
}

/** The names whose node differs between two versions of a name map, or null when they share no base. */
function changedNames(
  old: ReadonlyMap<string, ZoneNode>,
  next: ReadonlyMap<string, ZoneNode>,
): Set<string> | null {
  const out = new Set<string>();
  if (old === next) return out;
  if (!(next instanceof LayeredMap)) return null;
  const n = next.layers();
  const candidates: Iterable<string>[] = [n.top.keys()];
  if (old !== n.base) {
    if (!(old instanceof LayeredMap)) return null;
    const o = old.layers();
    if (o.base !== n.base) return null;
    candidates.push(o.top.keys());
  }
  for (const keys of candidates) for (const k of keys) if (old.get(k) !== next.get(k)) out.add(k);
  return out;
}

function apexChange(old: ZoneNode, next: ZoneNode): Set<number> | null {
  const types = new Set<number>();
  if (old === next) return types;
  if (old.key !== next.key || old.cut !== next.cut || old.occluded !== next.occluded) return null;
  if (!old.owner.equals(next.owner)) return null;
  if (old.sigs !== next.sigs && (old.sigs.size > 0 || next.sigs.size > 0)) types.add(ALL_TYPES);
  for (const t of old.rrsets.keys()) if (!sameRRset(old.rrsets.get(t), next.rrsets.get(t))) types.add(t);
  for (const t of next.rrsets.keys()) {
    if (!old.rrsets.has(t)) types.add(t).add(TYPE_SET);
  }
  for (const t of old.rrsets.keys()) if (!next.rrsets.has(t)) types.add(TYPE_SET);
  return types;
}

function soaChange(old: RRset, next: RRset): ZoneChange["soa"] {
  if (sameRRset(old, next)) return "same";
  if (old.class !== next.class || !old.owner.equals(next.owner)) return null;
  if (old.rdataCount !== 1 || next.rdataCount !== 1) return null;
  const a = old.rdataAt(0);
  const b = next.rdataAt(0);
  if (a.length !== b.length || a.length < SOA_NUMBERS) return null;
  if (!a.subarray(0, a.length - SOA_NUMBERS).equals(b.subarray(0, b.length - SOA_NUMBERS))) return null;
  return "numbers";
}

/** How `next` differs from `old` (same origin), or null when it counts as rebuilt (see the header). */
export function zoneChange(old: ZoneData, next: ZoneData): ZoneChange | null {
  if (!recordable(old) || !recordable(next) || old.originKey !== next.originKey || old.class !== next.class) {
    return null;
  }
  if (!old.origin.equals(next.origin)) return null;
  if (old.nodes.get(old.originKey) !== old.apex || next.nodes.get(next.originKey) !== next.apex) return null;
  const names = changedNames(old.nodes, next.nodes);
  const apexTypes = apexChange(old.apex, next.apex);
  if (!names || !apexTypes) return null;
  names.delete(next.originKey);
  return { names, apexTypes, soa: soaChange(old.negativeSoa, next.negativeSoa) };
}

/**
 * Per origin key, how each zone of `next` differs from the same zone in `old` (null there: a zone known to be
 * rebuilt): absent = the same object, null = rebuilt. Null overall when the two sets of zones differ (which
 * zone answers a name could differ).
 */
export function zoneChanges(
  old: ReadonlyMap<string, ZoneData | null>,
  next: ReadonlyMap<string, ZoneData>,
): Map<string, ZoneChange | null> | null {
  if (old.size !== next.size) return null;
  const out = new Map<string, ZoneChange | null>();
  for (const [k, z] of next) {
    if (!old.has(k)) return null;
    const o = old.get(k)!;
    if (o !== z) out.set(k, o === null ? null : zoneChange(o, z));
  }
  return out;
}

/** Whether `change` changed `qkey` or one of its ancestors below the apex (every lookup of `qkey` reads them). */
export function nameChanged(qkey: string, originKey: string, change: ZoneChange): boolean {
  if (change.names.size === 0) return false;
  for (let k: string | null = qkey; k !== null && k.length > originKey.length; k = parentName(k)) {
    if (change.names.has(k)) return true;
  }
  return false;
}

/** Whether an answer whose name `nameChanged` clears, and that read `deps`, read nothing `change` changed. */
export function unaffected(deps: AnswerDeps, change: ZoneChange): boolean {
  for (const n of deps.names) if (change.names.has(n)) return false;
  if (change.apexTypes.size > 0) {
    for (const t of deps.apexTypes) {
      if (t === ALL_TYPES || change.apexTypes.has(t) || change.apexTypes.has(ALL_TYPES)) return false;
    }
  }
  return true;
}

function skipName(wire: Buffer, off: number): number {
  for (;;) {
    const len = wire[off];
    if (len === undefined) return -1;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2;
    if (len > 63) return -1;
    off += len + 1;
  }
}

/**
 * Where `wire` holds its negative SOA's TTL, when it is a negative answer of an unsigned zone (answer RRs, then
 * the SOA alone in authority, nothing in additional: its numbers are then `wire`'s last SOA_NUMBERS octets);
 * null for any other shape. Such an answer stays exact across a `"numbers"` change of the SOA once those
 * octets are rewritten (`servedWire`, src/responder/snapshot.ts).
 */
export function negativeSoaTtlAt(wire: Buffer, questionEnd: number): number | null {
  if (wire.length < 12 || wire.readUInt16BE(8) !== 1 || wire.readUInt16BE(10) !== 0) return null;
  let off = questionEnd;
  for (let n = wire.readUInt16BE(6); n > 0; n--) {
    off = skipName(wire, off);
    if (off < 0 || off + 10 > wire.length) return null;
    off += 10 + wire.readUInt16BE(off + 8);
  }
  off = skipName(wire, off);
  if (off < 0 || off + 10 > wire.length || wire.readUInt16BE(off) !== RRType.SOA) return null;
  const end = off + 10 + wire.readUInt16BE(off + 8);
  if (end !== wire.length || end - off - 10 < SOA_NUMBERS) return null;
  return off + 4;
}
