// The records of a built zone tree, produced on demand: a secondary keeps only the tree (a second copy of a
// 1 M-record zone as ResourceRecord[] costs ~260 MiB), and writes its copy, applies IXFR fallbacks and parses
// catalogs from this view instead, and the provider sends AXFR answers from it. What comes out is what the tree
// holds: checked and normalized records (one TTL per RRset, no duplicates), grouped by owner and type.
import { RRType } from "../wire/rrtype.js";
import type { ResourceRecord } from "./record.js";
import { ownerKey, type RRset, type ZoneData, type ZoneNode } from "./zone.js";

/** The apex SOA as one record (a copy of the RDATA: callers keep it beyond the tree, e.g. in journals). */
export function zoneSoa(data: ZoneData): ResourceRecord {
  const soa = data.apex.rrsets.get(RRType.SOA)!;
  return {
    owner: soa.owner,
    type: soa.type,
    class: soa.class,
    ttl: soa.ttl,
    rdata: Buffer.from(soa.rdataAt(0)),
  };
}

/**
 * Every record of `data`, the apex SOA first (the order an AXFR sends them in), except those of the names in
 * `skip` (owner keys). Re-iterable: each iteration walks the tree again.
 */
export function recordsOfZone(data: ZoneData, skip?: ReadonlySet<string>): Iterable<ResourceRecord> {
  return {
    *[Symbol.iterator]() {
      if (!skip?.has(data.apex.key)) yield zoneSoa(data);
      yield* zoneBody(data, skip);
    },
  };
}

/** Every record except the apex SOA (and those of the names in `skip`): each node's RRsets and RRSIGs (glue
 * and occluded data included, exactly as the tree keeps them), then the NSEC3 chain. */
export function* zoneBody(data: ZoneData, skip?: ReadonlySet<string>): Generator<ResourceRecord> {
  for (const node of data.nodes.values()) {
    if (skip?.has(node.key)) continue;
    for (const rs of node.rrsets.values()) {
      if (node === data.apex && rs.type === RRType.SOA) continue;
      yield* rrsetRecords(rs);
    }
    for (const rs of node.sigs.values()) yield* rrsetRecords(rs);
  }
  for (const e of data.nsec3?.entries ?? []) {
    if (skip?.has(ownerKey(e.nsec3.owner))) continue;
    yield* rrsetRecords(e.nsec3);
    if (e.sig) yield* rrsetRecords(e.sig);
  }
}

/** The records of the nodes named by `keys` (owner keys), in that order; names without a node give none. */
export function recordsAtNames(data: ZoneData, keys: Iterable<string>): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  for (const k of keys) {
    const node: ZoneNode | undefined = data.nodes.get(k);
    if (!node) continue;
    for (const rs of node.rrsets.values()) for (const rr of rrsetRecords(rs)) out.push(rr);
    for (const rs of node.sigs.values()) for (const rr of rrsetRecords(rs)) out.push(rr);
  }
  return out;
}

/** How many records `recordsOfZone` yields, without making them. */
export function countRecords(data: ZoneData): number {
  let n = 0;
  const add = (rs: RRset) => {
    n += rs.rdataCount;
  };
  // No iterator per node: a restart copy counts a million-name zone before its first byte.
  for (const node of data.nodes.values()) {
    node.rrsets.forEachValue(add);
    node.sigs.forEachValue(add);
  }
  for (const e of data.nsec3?.entries ?? []) n += e.nsec3.rdataCount + (e.sig?.rdataCount ?? 0);
  return n;
}

/** The records of `rs`; each `rdata` is a view into the RRset's chunk (never write to it). */
function* rrsetRecords(rs: RRset): Generator<ResourceRecord> {
  const owner = rs.owner; // one Buffer for the RRset's records (the tree may keep none)
  for (let pos = rs.start; pos < rs.end; pos = rs.nextRdata(pos)) {
    yield { owner, type: rs.type, class: rs.class, ttl: rs.ttl, rdata: rs.rdataView(pos) };
  }
}
