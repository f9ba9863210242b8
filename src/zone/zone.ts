// The zone tree: one immutable map from name key to node, holding every name with data and every empty
// non-terminal between such a name and the apex, so the lookup can tell "does not exist" from "exists, empty"
// (RFC 4592 §2.2.2). Delegation points and occluded names are marked once here, not per query.
import { isSubdomainKey, labelOffsets, nameKey, nameToText, parentName } from "../wire/name.js";
import { parseBase32Hex } from "../wire/rdata/text-fields.js";
import { RRClass, RRType } from "../wire/rrtype.js";
import type { ResourceRecord } from "./record.js";
import { TypeMap } from "./type-map.js";

export class ZoneBuildError extends Error {
  readonly code = "EDGENS_ERR_ZONE_BUILD";
}

/** All records of one owner, class and type. RRSIGs are kept per covered type (`ZoneNode.sigs`). */
export interface RRset {
  /** Wire owner name, original case (synthesized RRsets carry the query name instead). */
  owner: Buffer;
  type: number;
  class: number;
  ttl: number;
  /** Uncompressed wire RDATA of each record, duplicates removed, in zone-file order. */
  rdatas: Buffer[];
}

export interface ZoneNode {
  owner: Buffer;
  key: string;
  /** RRsets by type, RRSIG excluded. Empty for an empty non-terminal. */
  rrsets: TypeMap<RRset>;
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

export function newNode(owner: Buffer, key: string): ZoneNode {
  return { owner, key, rrsets: new TypeMap(), sigs: NO_SIGS, cut: false, occluded: false };
}

/** Add `rdata` unless the RRset holds the same bytes; false when it did. */
export function addRdata(rrset: RRset, rdata: Buffer): boolean {
  for (const r of rrset.rdatas) if (r.equals(rdata)) return false;
  rrset.rdatas.push(rdata);
  return true;
}

/** SOA MINIMUM is the last 4 octets of its RDATA. */
export function soaMinimum(rdata: Buffer): number {
  return rdata.readUInt32BE(rdata.length - 4);
}

/** What `buildZone` saw that `checkZone` would report: set to false at the first such record. */
export interface BuildAudit {
  /** No record of another class, no TTL mismatch and no duplicate inside an RRset. */
  clean: boolean;
}

/**
 * Build the zone tree of `origin` from checked records (TTLs per RRset already normalized; the first record's
 * TTL is used). Throws `ZoneBuildError` when a record lies outside the zone or the apex has no SOA.
 */
export function buildZone(origin: Buffer, records: readonly ResourceRecord[], audit?: BuildAudit): ZoneData {
  const originKey = nameKey(origin);
  const nodes = new Map<string, ZoneNode>();
  const apex = newNode(Buffer.from(origin), originKey);
  nodes.set(originKey, apex);
  let zoneClass: number = RRClass.IN;

  const nsec3 = new Map<string, { hash: Buffer; nsec3: RRset | null; sig: RRset | null }>();
  // A transfer hands the records of one owner over with one shared owner Buffer: one key and lookup for them.
  let lastOwner: Buffer | null = null;
  let key = "";
  for (const rr of records) {
    if (rr.owner !== lastOwner) {
      key = ownerKey(rr.owner);
      if (!isSubdomainKey(key, originKey)) {
        throw new ZoneBuildError(`record ${nameToText(rr.owner)} is outside zone ${nameToText(origin)}`);
      }
      lastOwner = rr.owner;
    }
    if (addNsec3Record(nsec3, rr, key, originKey)) continue;
    let node = nodes.get(key);
    if (!node) {
      node = newNode(rr.owner, key);
      nodes.set(key, node);
      // Empty non-terminals between the new name and the apex (none for a name right below it: most names).
      if (key.length - key.charCodeAt(0) - 1 !== originKey.length) {
        for (let p = parentName(key); p !== null && p !== originKey && !nodes.has(p); p = parentName(p)) {
          nodes.set(p, newNode(Buffer.from(p, "latin1"), p));
        }
      }
    }
    if (key === originKey && rr.type === RRType.SOA) zoneClass = rr.class;
    if (audit && rr.class !== RRClass.IN) audit.clean = false;
    const covered = rr.type === RRType.RRSIG && rr.rdata.length >= 2 ? rr.rdata.readUInt16BE(0) : -1;
    if (covered >= 0 && node.sigs === NO_SIGS) node.sigs = new TypeMap();
    const map = covered >= 0 ? node.sigs : node.rrsets;
    const mapKey = covered >= 0 ? covered : rr.type;
    const rrset = map.get(mapKey);
    // A literal holds one element; `[]` and a push would reserve 17 slots for every RRset.
    if (!rrset)
      map.set(mapKey, { owner: node.owner, type: rr.type, class: rr.class, ttl: rr.ttl, rdatas: [rr.rdata] });
    else if (!addRdata(rrset, rr.rdata) || rrset.ttl !== rr.ttl) {
      if (audit) audit.clean = false;
    }
  }

  const soa = apex.rrsets.get(RRType.SOA);
  if (!soa || soa.rdatas.length === 0) throw new ZoneBuildError("zone has no SOA at its apex");

  // Cuts and DNAMEs occlude everything below them (RFC 2181 §6, RFC 6672 §2.4).
  let occluders = 0;
  for (const node of nodes.values()) {
    if (node !== apex && node.rrsets.has(RRType.NS)) node.cut = true;
    if (node.cut || node.rrsets.has(RRType.DNAME)) occluders++;
  }
  for (const node of occluders > 0 ? nodes.values() : []) {
    if (node === apex) continue;
    for (let p = parentName(node.key); p !== null && isSubdomainKey(p, originKey); p = parentName(p)) {
      const anc = nodes.get(p);
      if (anc && (anc.cut || anc.rrsets.has(RRType.DNAME))) {
        node.occluded = true;
        break;
      }
    }
  }

  const negTtl = Math.min(soa.ttl, soaMinimum(soa.rdatas[0]!));
  const negativeSoa: RRset = { ...soa, ttl: negTtl };
  const soaSigs = apex.sigs.get(RRType.SOA);
  const negativeSoaSigs: RRset | null = soaSigs ? { ...soaSigs, ttl: negTtl } : null;
  const params = apex.rrsets.get(RRType.NSEC3PARAM)?.rdatas[0];
  const nsecChain = [...nodes.values()]
    .filter((n) => n.rrsets.has(RRType.NSEC) && !n.occluded)
    .sort((a, b) => canonicalCompare(a.key, b.key));
  return {
    origin: apex.owner,
    originKey,
    class: zoneClass,
    apex,
    nodes,
    signed: apex.rrsets.has(RRType.DNSKEY) && apex.sigs.has(RRType.DNSKEY),
    negativeSoa,
    negativeSoaSigs,
    nsecChain,
    nsec3: buildNsec3Chain(nsec3, params),
  };
}

type Nsec3Draft = Map<string, { hash: Buffer; nsec3: RRset | null; sig: RRset | null }>;

/** File NSEC3 records and their RRSIGs under the hash of their owner; false for every other record. */
function addNsec3Record(drafts: Nsec3Draft, rr: ResourceRecord, key: string, originKey: string): boolean {
  const covered = rr.type === RRType.RRSIG && rr.rdata.length >= 2 ? rr.rdata.readUInt16BE(0) : -1;
  if (rr.type !== RRType.NSEC3 && covered !== RRType.NSEC3) return false;
  const labelLen = key.charCodeAt(0);
  if (key.length - labelLen - 1 !== originKey.length) return false; // not directly below the apex
  let hash: Buffer;
  try {
    hash = parseBase32Hex(key.slice(1, 1 + labelLen));
  } catch {
    return false;
  }
  let draft = drafts.get(key);
  if (!draft) {
    draft = { hash, nsec3: null, sig: null };
    drafts.set(key, draft);
  }
  const field = covered === RRType.NSEC3 ? "sig" : "nsec3";
  const rrset = draft[field] ?? { owner: rr.owner, type: rr.type, class: rr.class, ttl: rr.ttl, rdatas: [] };
  draft[field] = rrset;
  addRdata(rrset, rr.rdata);
  return true;
}

function buildNsec3Chain(drafts: Nsec3Draft, params: Buffer | undefined): Nsec3Chain | null {
  const entries: Nsec3Entry[] = [];
  for (const d of drafts.values()) if (d.nsec3) entries.push({ hash: d.hash, nsec3: d.nsec3, sig: d.sig });
  if (entries.length === 0) return null;
  entries.sort((a, b) => Buffer.compare(a.hash, b.hash));
  // NSEC3PARAM and NSEC3 RDATA both start: algorithm(1) flags(1) iterations(2) salt length(1) salt.
  const p = params && params.length >= 5 ? params : entries[0]!.nsec3.rdatas[0]!;
  return {
    algorithm: p[0]!,
    iterations: p.readUInt16BE(2),
    salt: Buffer.from(p.subarray(5, 5 + p[4]!)),
    entries,
  };
}
