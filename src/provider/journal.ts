// The IXFR journal (RFC 1995) of one provided zone: the differences between successive versions, computed
// when a reload brings a new serial, kept in memory and bounded by count and bytes (oldest dropped first).
// A request from serial S is answered with one condensed delta S → current, or null when the journal does
// not reach back to S (the caller then answers AXFR-style).
import { compareSerial } from "../transfer/serial.js";
import { nameKey } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import type { ResourceRecord } from "../zone/record.js";
import type { RRset, ZoneData } from "../zone/zone.js";
import { zoneSoa } from "./zone-records.js";

export interface Delta {
  fromSerial: number;
  toSerial: number;
  fromSoa: ResourceRecord;
  toSoa: ResourceRecord;
  /** Records of the old version missing from the new one (SOA excluded). */
  deleted: ResourceRecord[];
  /** Records of the new version missing from the old one (SOA excluded). */
  added: ResourceRecord[];
}

export interface JournalLimits {
  /** Deltas kept per zone. */
  maxDeltas: number;
  /** Wire octets of all deltas of a zone (uncompressed estimate). */
  maxBytes: number;
}

export const DEFAULT_JOURNAL_LIMITS: JournalLimits = { maxDeltas: 100, maxBytes: 16 * 1024 * 1024 };

/** Identity of a record for diffs: owner (case-insensitive), type, class, TTL, exact RDATA. */
function recordKey(rr: ResourceRecord): string {
  return `${nameKey(rr.owner)}|${rr.type}|${rr.class}|${rr.ttl}|${rr.rdata.toString("latin1")}`;
}

function recordBytes(rr: ResourceRecord): number {
  return rr.owner.length + 10 + rr.rdata.length;
}

/**
 * The delta from `before` to `after` (the SOA travels in `fromSoa`/`toSoa`). A TTL change shows as a deletion
 * plus an addition, as in BIND's and Knot's journals. Walks both trees RRset by RRset: unchanged RRsets cost a
 * few Buffer comparisons, so a reload of a large zone with a small change stays cheap.
 */
export function diffZones(before: ZoneData, after: ZoneData): Delta {
  const deleted: ResourceRecord[] = [];
  const added: ResourceRecord[] = [];
  const apexKey = after.originKey;
  const all = () => true;
  for (const [key, nb] of after.nodes) {
    const na = before.nodes.get(key);
    // The apex SOA is not part of the delta's body: it travels as fromSoa/toSoa.
    const keep = key === apexKey ? (t: number) => t !== RRType.SOA : all;
    diffMaps(na?.rrsets, nb.rrsets, deleted, added, keep);
    diffMaps(na?.sigs, nb.sigs, deleted, added, all);
  }
  for (const [key, na] of before.nodes) {
    if (after.nodes.has(key)) continue;
    diffMaps(na.rrsets, undefined, deleted, added, all);
    diffMaps(na.sigs, undefined, deleted, added, all);
  }
  const chain = (d: ZoneData) => {
    const m = new Map<string, { nsec3: RRset; sig: RRset | null }>();
    for (const e of d.nsec3?.entries ?? []) m.set(nameKey(e.nsec3.owner), e);
    return m;
  };
  const ca = chain(before);
  const cb = chain(after);
  for (const [key, eb] of cb) {
    const ea = ca.get(key);
    diffRRset(ea?.nsec3, eb.nsec3, deleted, added);
    diffRRset(ea?.sig ?? undefined, eb.sig ?? undefined, deleted, added);
  }
  for (const [key, ea] of ca) {
    if (cb.has(key)) continue;
    diffRRset(ea.nsec3, undefined, deleted, added);
    diffRRset(ea.sig ?? undefined, undefined, deleted, added);
  }
  const fromSoa = zoneSoa(before);
  const toSoa = zoneSoa(after);
  return { fromSerial: soaSerialOf(fromSoa), toSerial: soaSerialOf(toSoa), fromSoa, toSoa, deleted, added };
}

function diffMaps(
  a: ReadonlyMap<number, RRset> | undefined,
  b: ReadonlyMap<number, RRset> | undefined,
  deleted: ResourceRecord[],
  added: ResourceRecord[],
  keep: (type: number) => boolean,
): void {
  if (b) {
    for (const [t, rb] of b) if (keep(t)) diffRRset(a?.get(t), rb, deleted, added);
  }
  if (a) {
    for (const [t, ra] of a) if (!b?.has(t) && keep(t)) diffRRset(ra, undefined, deleted, added);
  }
}

/** Records of `rrset` with copies of the RDATA: a view would keep a whole chunk of an old tree alive. */
function records(rrset: RRset, rdatas: Iterable<Buffer> = rrset.rdataList()): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  const owner = rrset.owner;
  for (const rdata of rdatas)
    out.push({
      owner,
      type: rrset.type,
      class: rrset.class,
      ttl: rrset.ttl,
      rdata: Buffer.from(rdata),
    });
  return out;
}

function diffRRset(
  a: RRset | undefined,
  b: RRset | undefined,
  deleted: ResourceRecord[],
  added: ResourceRecord[],
): void {
  if (!a) {
    if (b) added.push(...records(b));
    return;
  }
  if (!b) {
    deleted.push(...records(a));
    return;
  }
  if (a.ttl !== b.ttl || a.class !== b.class) {
    deleted.push(...records(a));
    added.push(...records(b));
    return;
  }
  if (a.sameRdatas(b)) return;
  const left = new Map(a.rdataList().map((r) => [r.toString("latin1"), r]));
  const fresh: Buffer[] = [];
  for (const r of b.rdataList()) if (!left.delete(r.toString("latin1"))) fresh.push(r);
  deleted.push(...records(a, left.values()));
  added.push(...records(b, fresh));
}

/** SERIAL is the first of the five 32-bit fields that end SOA RDATA. */
export function soaSerialOf(soa: ResourceRecord): number {
  return soa.rdata.readUInt32BE(soa.rdata.length - 20);
}

function deltaBytes(d: Delta): number {
  let n = recordBytes(d.fromSoa) + recordBytes(d.toSoa);
  for (const rr of d.deleted) n += recordBytes(rr);
  for (const rr of d.added) n += recordBytes(rr);
  return n;
}

export class Journal {
  private deltas: { delta: Delta; bytes: number }[] = [];
  private bytes = 0;

  constructor(private readonly limits: JournalLimits = DEFAULT_JOURNAL_LIMITS) {}

  get size(): number {
    return this.deltas.length;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  /** Oldest serial an IXFR can start from, or null when empty. */
  get oldestSerial(): number | null {
    return this.deltas[0]?.delta.fromSerial ?? null;
  }

  /** Append a delta; a delta that does not continue the last one restarts the journal. */
  add(delta: Delta): void {
    const last = this.deltas[this.deltas.length - 1];
    if (last && last.delta.toSerial !== delta.fromSerial) this.clear();
    const bytes = deltaBytes(delta);
    if (bytes > this.limits.maxBytes || this.limits.maxDeltas === 0) {
      this.clear(); // a change too large to keep: the next IXFR from before it gets a full zone
      return;
    }
    this.deltas.push({ delta, bytes });
    this.bytes += bytes;
    while (this.deltas.length > this.limits.maxDeltas || this.bytes > this.limits.maxBytes) {
      this.bytes -= this.deltas.shift()!.bytes;
    }
  }

  clear(): void {
    this.deltas = [];
    this.bytes = 0;
  }

  /**
   * One condensed delta from `serial` to the newest version (RFC 1995 §4 allows condensing), or null when the
   * journal does not hold that serial. Records added and later deleted (or the reverse) cancel out.
   */
  condensedFrom(serial: number): Delta | null {
    const start = this.deltas.findIndex((d) => compareSerial(d.delta.fromSerial, serial) === "eq");
    if (start < 0) return null;
    const chain = this.deltas.slice(start).map((d) => d.delta);
    if (chain.length === 1) return chain[0]!;
    const deleted = new Map<string, ResourceRecord>();
    const added = new Map<string, ResourceRecord>();
    for (const d of chain) {
      for (const rr of d.deleted) {
        const k = recordKey(rr);
        if (!added.delete(k)) deleted.set(k, rr);
      }
      for (const rr of d.added) {
        const k = recordKey(rr);
        if (!deleted.delete(k)) added.set(k, rr);
      }
    }
    const first = chain[0]!;
    const last = chain[chain.length - 1]!;
    return {
      fromSerial: first.fromSerial,
      toSerial: last.toSerial,
      fromSoa: first.fromSoa,
      toSoa: last.toSoa,
      deleted: [...deleted.values()],
      added: [...added.values()],
    };
  }
}
