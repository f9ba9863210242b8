// The zone tree: one immutable map from name key to node, holding every name with data and every empty
// non-terminal between such a name and the apex, so the lookup can tell "does not exist" from "exists, empty"
// (RFC 4592 §2.2.2). Delegation points and occluded names are marked once here, not per query.
import { isSubdomainKey, keyToWire, labelOffsets, nameKey, nameToText, parentName } from "../wire/name.js";
import { parseBase32Hex } from "../wire/rdata/text-fields.js";
import { RRClass, RRType } from "../wire/rrtype.js";
import { NameTable } from "./name-table.js";
import type { ResourceRecord } from "./record.js";
import { hasUpperCase, RdataArena, RRset } from "./rrset.js";
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

/** The largest name count `expectRecords` sizes the name table for (its table: 64 MiB). */
const MAX_NAMES_HINT = 4_000_000;

type Nsec3Draft = NameTable<{ hash: Buffer; nsec3: RRset | null; sig: RRset | null }>;

/**
 * Builds a zone tree record by record, so a transfer can be built while it streams in (nothing but the tree is
 * kept). `add`/`addRecord` take records in any order; `finish` returns the tree. Records are taken as checked
 * (TTLs per RRset already normalized: the first record's TTL is used). Throws `ZoneBuildError` when a record
 * lies outside the zone (at `add`) or the apex has no SOA (at `finish`).
 */
export class ZoneBuilder {
  readonly originKey: string;
  private readonly nodes = new NameTable<ZoneNode>();
  private readonly apex: ZoneNode;
  private readonly nsec3: Nsec3Draft = new NameTable();
  /** Where the RDATA of every RRset this builder makes is packed (src/zone/rrset.ts). */
  private readonly arena = new RdataArena();
  private zoneClass: number = RRClass.IN;
  /** The node of the last owner: a transfer sends each owner's records together (one lookup for them). */
  private lastKey = "";
  private lastNode: ZoneNode;
  /** RRsets whose TTL mismatch is already listed in the audit (checkZone reports one per RRset). */
  private ttlReported: Set<RRset> | null = null;
  /** Records held (duplicates not counted). */
  recordCount = 0;
  /**
   * Nodes `treeIsClean` must look at (src/zone/zone-check.ts): those given an SOA, NS, CNAME or DNAME RRset, or
   * an RRset of more than one record of a type other than A/AAAA (names in RDATA may differ only in case).
   * Every other node of a tree built from clean records is clean. A node may be listed more than once.
   */
  readonly watched: ZoneNode[] = [];
  private finished = false;

  constructor(
    readonly origin: Buffer,
    private readonly audit?: BuildAudit,
  ) {
    this.originKey = nameKey(origin);
    this.apex = newNode(origin, this.originKey);
    this.nodes.set(this.originKey, this.apex);
    this.lastKey = this.originKey;
    this.lastNode = this.apex;
  }

  add(rr: ResourceRecord): void {
    this.addRecord(ownerKey(rr.owner), rr.owner, rr.type, rr.class, rr.ttl, rr.rdata);
  }

  /**
   * A hint that about `records` records will come (a transfer knows once it is received): the name table
   * is sized for that many names at once. A zone with several records per name gets a table larger than it
   * needs (8 octets per slot: 16 MiB for a million records). Capped: a primary sending millions of records of
   * one name must not make us allocate a table for millions of names.
   */
  expectRecords(records: number): void {
    this.nodes.reserve(Math.min(records, MAX_NAMES_HINT));
  }

  /**
   * `add` without a record object; `key` is `ownerKey(owner)`, and `owner` may be null when it is the key's
   * bytes. The RDATA is `rdata[from, to)`, by default all of it: a transfer passes the whole message, so that
   * no record needs a Buffer of its own. The RDATA is copied; `owner` only when `newNode` keeps it.
   */
  addRecord(
    key: string,
    owner: Buffer | null,
    type: number,
    cls: number,
    ttl: number,
    rdata: Buffer,
    from = 0,
    to = rdata.length,
  ): void {
    if (key !== this.lastKey && !isSubdomainKey(key, this.originKey)) {
      const name = nameToText(owner ?? keyToWire(key));
      throw new ZoneBuildError(`record ${name} is outside zone ${nameToText(this.origin)}`);
    }
    const covered = type === RRType.RRSIG && to - from >= 2 ? (rdata[from]! << 8) | rdata[from + 1]! : -1;
    // Hashed owners get no node (RFC 5155 §7.2.8): checked before the node is made.
    if (
      (type === RRType.NSEC3 || covered === RRType.NSEC3) &&
      this.addNsec3(key, owner, type, cls, ttl, rdata.subarray(from, to))
    )
      return;
    const node = key === this.lastKey ? this.lastNode : this.nodeFor(key, owner);
    if (key === this.originKey && type === RRType.SOA) this.zoneClass = cls;
    if (this.audit && cls !== RRClass.IN) this.audit.clean = false;
    if (covered >= 0 && node.sigs === NO_SIGS) node.sigs = new TypeMap();
    const map = covered >= 0 ? node.sigs : node.rrsets;
    const mapKey = covered >= 0 ? covered : type;
    const rrset = map.get(mapKey);
    if (!rrset) {
      map.set(mapKey, this.arena.open(node, type, cls, ttl, rdata, from, to));
      this.recordCount++;
      if (type === RRType.NS || type === RRType.CNAME || type === RRType.SOA || type === RRType.DNAME)
        this.watched.push(node);
    } else {
      this.addTo(rrset, owner, type, cls, ttl, rdata, from, to);
      if (rrset.rdataCount === 2 && type !== RRType.A && type !== RRType.AAAA) this.watched.push(node);
    }
  }

  /** The node of `key` (created with the empty non-terminals above it), remembered as the last owner's. */
  private nodeFor(key: string, owner: Buffer | null): ZoneNode {
    let node = this.nodes.get(key);
    if (!node) {
      node = newNode(owner, key);
      this.nodes.set(key, node);
      // Empty non-terminals between the new name and the apex (none for a name right below it: most names).
      if (key.length - key.charCodeAt(0) - 1 !== this.originKey.length) {
        for (
          let p = parentName(key);
          p !== null && p !== this.originKey && !this.nodes.has(p);
          p = parentName(p)
        ) {
          this.nodes.set(p, newNode(null, p));
        }
      }
    }
    this.lastKey = key;
    this.lastNode = node;
    return node;
  }

  private addTo(
    rrset: RRset,
    owner: Buffer | null,
    type: number,
    cls: number,
    ttl: number,
    rdata: Buffer,
    from = 0,
    to = rdata.length,
  ): void {
    const added = this.arena.add(rrset, rdata, from, to);
    if (added) this.recordCount++;
    const audit = this.audit;
    if (!audit || (added && rrset.ttl === ttl)) return;
    audit.clean = false;
    const findings = audit.findings;
    if (!findings) return;
    // Records of another class are an error of their own (checkZone keys duplicates by class too).
    if (!added && cls === rrset.class)
      findings.push({ kind: "duplicate", owner: owner ?? rrset.owner, type, ttl, rrsetTtl: rrset.ttl });
    if (rrset.ttl !== ttl) {
      this.ttlReported ??= new Set();
      if (!this.ttlReported.has(rrset)) {
        this.ttlReported.add(rrset);
        findings.push({ kind: "ttl", owner: owner ?? rrset.owner, type, ttl, rrsetTtl: rrset.ttl });
      }
    }
  }

  /** File NSEC3 records and their RRSIGs under the hash of their owner; false when the owner is no hash. */
  private addNsec3(
    key: string,
    owner: Buffer | null,
    type: number,
    cls: number,
    ttl: number,
    rdata: Buffer,
  ): boolean {
    const labelLen = key.charCodeAt(0);
    if (key.length - labelLen - 1 !== this.originKey.length) return false; // not directly below the apex
    let hash: Buffer;
    try {
      hash = parseBase32Hex(key.slice(1, 1 + labelLen));
    } catch {
      return false;
    }
    let draft = this.nsec3.get(key);
    if (!draft) {
      draft = { hash, nsec3: null, sig: null };
      this.nsec3.set(key, draft);
    }
    const field = type === RRType.RRSIG ? "sig" : "nsec3";
    const rrset = draft[field];
    if (!rrset) {
      // A copy, as in newNode.
      draft[field] = this.arena.open(owner ? Buffer.from(owner) : keyToWire(key), type, cls, ttl, rdata);
      this.recordCount++;
    } else this.addTo(rrset, owner, type, cls, ttl, rdata);
    return true;
  }

  /**
   * Every record held so far, as the tree holds them (one TTL per RRset, exact duplicates dropped), in node
   * order, NSEC3 records last; usable before `finish` and when it throws (for `checkZone`).
   */
  *heldRecords(): Generator<ResourceRecord> {
    const all = (rs: RRset) => {
      const owner = rs.owner;
      return rs.rdataList().map((rdata) => ({ owner, type: rs.type, class: rs.class, ttl: rs.ttl, rdata }));
    };
    for (const node of this.nodes.values()) {
      for (const rs of node.rrsets.values()) yield* all(rs);
      for (const rs of node.sigs.values()) yield* all(rs);
    }
    for (const d of this.nsec3.values()) {
      if (d.nsec3) yield* all(d.nsec3);
      if (d.sig) yield* all(d.sig);
    }
  }

  /** The tree. Throws `ZoneBuildError` when the apex has no SOA. Once only: the tree takes the builder's maps. */
  finish(): ZoneData {
    if (this.finished) throw new Error("ZoneBuilder.finish called twice");
    this.finished = true;
    const { nodes, apex, originKey } = this;
    const soa = apex.rrsets.get(RRType.SOA);
    if (!soa || soa.rdataCount === 0) throw new ZoneBuildError("zone has no SOA at its apex");

    // Cuts and DNAMEs occlude everything below them (RFC 2181 §6, RFC 6672 §2.4).
    let occluders = 0;
    // One pass over the names (a million in a big zone) also finds the NSEC owners.
    const nsecOwners: ZoneNode[] = [];
    for (const node of nodes.values()) {
      const rrsets = node.rrsets;
      if (node !== apex && rrsets.has(RRType.NS)) node.cut = true;
      if (node.cut || rrsets.has(RRType.DNAME)) occluders++;
      if (rrsets.has(RRType.NSEC)) nsecOwners.push(node);
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

    const negTtl = Math.min(soa.ttl, soaMinimum(soa.rdataAt(0)));
    const negativeSoa = soa.withTtl(negTtl);
    const negativeSoaSigs = apex.sigs.get(RRType.SOA)?.withTtl(negTtl) ?? null;
    const params = apex.rrsets.get(RRType.NSEC3PARAM)?.rdataAt(0);
    const nsecChain = nsecOwners.filter((n) => !n.occluded).sort((a, b) => canonicalCompare(a.key, b.key));
    return {
      origin: apex.owner,
      originKey,
      class: this.zoneClass,
      apex,
      nodes,
      signed: apex.rrsets.has(RRType.DNSKEY) && apex.sigs.has(RRType.DNSKEY),
      negativeSoa,
      negativeSoaSigs,
      nsecChain,
      nsec3: buildNsec3Chain(this.nsec3, params),
    };
  }
}

/**
 * Build the zone tree of `origin` from checked records (TTLs per RRset already normalized; the first record's
 * TTL is used). Throws `ZoneBuildError` when a record lies outside the zone or the apex has no SOA.
 */
export function buildZone(origin: Buffer, records: readonly ResourceRecord[], audit?: BuildAudit): ZoneData {
  const b = new ZoneBuilder(origin, audit);
  for (const rr of records) b.add(rr);
  return b.finish();
}

function buildNsec3Chain(drafts: Nsec3Draft, params: Buffer | undefined): Nsec3Chain | null {
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
