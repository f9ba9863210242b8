// The zone as the lookup reads it: one immutable map from name key to node, holding every name with data and
// every empty non-terminal between such a name and the apex, so the lookup can tell "does not exist" from
// "exists, empty" (RFC 4592 §2.2.2). Delegation points and occluded names are marked once, not per query.
// A built zone keeps its names in a flat image and makes their nodes on lookup (src/zone/zone-image.ts); the
// nodes an IXFR writes are made here (`newNode`) and layered over it (src/zone/zone-delta.ts).
import { labelOffsets, nameKey } from "../wire/name.js";
import type { NameTable } from "./name-table.js";
import { hasUpperCase, RRset } from "./rrset.js";
import { TypeMap } from "./type-map.js";

export { RRset };

export class ZoneBuildError extends Error {
  readonly code = "EDGENS_ERR_ZONE_BUILD";
}

export interface ZoneNode {
  /** Wire owner name, original case; a new Buffer per read when `casedOwner` is null (cold paths only). */
  readonly owner: Buffer;
  /** The owner when its case differs from `key` (an upper-case letter), else null: most names keep no Buffer. */
  readonly casedOwner: Buffer | null;
  key: string;
  /** RRsets by type, RRSIG excluded. Empty for an empty non-terminal. */
  readonly rrsets: TypeMap<RRset>;
  /** RRSIG RRsets by the type they cover (`NO_SIGS`, shared and never written, when there are none). */
  sigs: TypeMap<RRset>;
  /** Non-apex node with NS: a zone cut (the NS and any glue below are not authoritative). */
  cut: boolean;
  /** Strictly below a cut or a DNAME: reachable only as glue, never by lookup. */
  occluded: boolean;
}

export interface ZoneData {
  origin: Buffer;
  originKey: string;
  class: number;
  apex: ZoneNode;
  /** Every name with data plus every empty non-terminal up to the apex. */
  nodes: ReadonlyMap<string, ZoneNode>;
  /**
   * DNSSEC-signed: the apex DNSKEY RRset carries an RRSIG (NSD 4's rule). Only then do answers to DO=1 queries
   * get RRSIGs, DS in referrals and denial proofs; an unsigned zone answers DO=1 like DO=0.
   */
  signed: boolean;
  /** The apex SOA with TTL = min(SOA TTL, SOA MINIMUM), for negative answers (RFC 2308 §3). */
  negativeSoa: RRset;
  /** RRSIGs of the apex SOA with the same TTL as `negativeSoa`, or null when unsigned. */
  negativeSoaSigs: RRset | null;
  /** Nodes that own an NSEC RRset, in canonical order (RFC 4034 §6.1): the chain denial proofs search. */
  nsecChain: readonly ZoneNode[];
  /**
   * The NSEC3 chain (RFC 5155), kept out of `nodes`: hashed owner names are not names of the zone's tree
   * (§7.2.8). Null when the zone has no NSEC3 records.
   */
  nsec3: Nsec3Chain | null;
}

export interface Nsec3Entry {
  /** The raw hash of the owner's first label. */
  hash: Buffer;
  nsec3: RRset;
  sig: RRset | null;
}

export interface Nsec3Chain {
  /** Hash parameters from the apex NSEC3PARAM (else the first NSEC3 record). */
  algorithm: number;
  iterations: number;
  salt: Buffer;
  /** Ordered by hash. */
  entries: readonly Nsec3Entry[];
}

/** RFC 4034 §6.1 canonical order of two name keys (lower-cased wire): labels compared from the right. */
export function canonicalCompare(a: string, b: string): number {
  const la = labelOffsets(a);
  const lb = labelOffsets(b);
  let i = la.length - 1;
  let j = lb.length - 1;
  for (; i >= 0 && j >= 0; i--, j--) {
    const sa = la[i]!;
    const sb = lb[j]!;
    const lenA = a.charCodeAt(sa);
    const lenB = b.charCodeAt(sb);
    const n = Math.min(lenA, lenB);
    for (let k = 1; k <= n; k++) {
      const d = a.charCodeAt(sa + k) - b.charCodeAt(sb + k);
      if (d !== 0) return d;
    }
    if (lenA !== lenB) return lenA - lenB;
  }
  return i - j; // the name with fewer labels sorts first
}

/**
 * `nameKey(owner)` without the copy when the name has no upper-case letter (most names): big zones build one
 * key per record.
 */
export function ownerKey(owner: Buffer): string {
  for (let i = 0; i < owner.length; i++) {
    const c = owner[i]!;
    if (c >= 0x41 && c <= 0x5a) return nameKey(owner);
  }
  return owner.toString("latin1");
}

/** The `sigs` of every node without RRSIGs (most of a big unsigned zone): one shared map, never written. */
export const NO_SIGS: TypeMap<RRset> = new TypeMap();

/**
 * A node of a built tree: a class so that `owner` can be a getter (no Buffer per lower-case name). It is its
 * own `rrsets` map: a million-name zone then holds a million objects fewer, which the garbage collector copies
 * and marks while the tree is built.
 */
class TreeNode extends TypeMap<RRset> implements ZoneNode {
  sigs = NO_SIGS;
  cut = false;
  occluded = false;

  constructor(
    readonly key: string,
    readonly casedOwner: Buffer | null,
  ) {
    super();
  }

  get rrsets(): TypeMap<RRset> {
    return this;
  }

  get owner(): Buffer {
    return this.casedOwner ?? Buffer.from(this.key, "latin1");
  }
}

/**
 * The node of `key`, whose wire name is `owner` (kept only when its case differs from the key's) or, when
 * null, the key's bytes.
 */
export function newNode(owner: Buffer | null, key: string): ZoneNode {
  // A copy: `owner` may be a view into a whole message or wire-copy file, which the tree must not keep alive.
  return new TreeNode(key, owner !== null && hasUpperCase(owner) ? Buffer.from(owner) : null);
}

/** The node of `key` whose cased owner is `casedOwner` as given (no copy: a zone image's own bytes). */
export function nodeOf(key: string, casedOwner: Buffer | null): ZoneNode {
  return new TreeNode(key, casedOwner);
}

/** SOA MINIMUM is the last 4 octets of its RDATA. */
export function soaMinimum(rdata: Buffer): number {
  return rdata.readUInt32BE(rdata.length - 4);
}

/** What `buildZone` saw that `checkZone` would report: set to false at the first such record. */
export interface BuildAudit {
  /** No record of another class, no TTL mismatch and no duplicate inside an RRset. */
  clean: boolean;
  /**
   * When present, each such record is also listed here: the tree drops duplicates and keeps one TTL per RRset,
   * so a check run on the tree alone (a streamed transfer has no record list) learns of them from this.
   */
  findings?: BuildFinding[];
}

/** A record the tree does not show as it came: an exact duplicate, or a TTL other than its RRset's first. */
export interface BuildFinding {
  kind: "duplicate" | "ttl";
  owner: Buffer;
  type: number;
  ttl: number;
  /** The TTL the RRset keeps (its first record's). */
  rrsetTtl: number;
}

export type Nsec3Draft = NameTable<{ hash: Buffer; nsec3: RRset | null; sig: RRset | null }>;

/** The NSEC3 chain of the drafts filed by owner hash, ordered by hash; null when there are none. */
export function buildNsec3Chain(drafts: Nsec3Draft, params: Buffer | undefined): Nsec3Chain | null {
  const entries: Nsec3Entry[] = [];
  for (const d of drafts.values()) if (d.nsec3) entries.push({ hash: d.hash, nsec3: d.nsec3, sig: d.sig });
  if (entries.length === 0) return null;
  entries.sort((a, b) => Buffer.compare(a.hash, b.hash));
  // NSEC3PARAM and NSEC3 RDATA both start: algorithm(1) flags(1) iterations(2) salt length(1) salt.
  const p = params && params.length >= 5 ? params : entries[0]!.nsec3.rdataAt(0);
  return {
    algorithm: p[0]!,
    iterations: p.readUInt16BE(2),
    salt: Buffer.from(p.subarray(5, 5 + p[4]!)),
    entries,
  };
}
