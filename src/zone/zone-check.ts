// Semantic checks of one zone's records, modelled on Knot's semantic checks (kzonecheck): structural errors
// that make a zone unservable are errors; suspicious data that a server can still serve are warnings.
// `normalizeRecords` then applies what the warnings announce: duplicates dropped, one TTL per RRset.
import { isSubdomainKey, keyToWire, nameKey, nameToText, parentName } from "../wire/name.js";
import { canonicalRdata } from "../wire/rdata-text.js";
import { RRClass, RRType, typeToText } from "../wire/rrtype.js";
import { DiagCode, type Diagnostic, hasErrors } from "./diagnostic.js";
import type { ResourceRecord } from "./record.js";
import {
  type BuildAudit,
  type BuildFinding,
  ownerKey,
  ZoneBuildError,
  type ZoneData,
  type ZoneNode,
} from "./zone.js";
import { buildZone, ZoneBuilder } from "./zone-image.js";

type Node = Map<number, ResourceRecord[]>;

/** RRset key: RRSIGs are grouped by the type they cover (their TTLs follow that RRset, RFC 4034 §3). */
function rrsetType(r: ResourceRecord): number {
  return r.type === RRType.RRSIG && r.rdata.length >= 2 ? 0x10000 + r.rdata.readUInt16BE(0) : r.type;
}

function addByName(names: Map<string, Node>, k: string, r: ResourceRecord): void {
  {
    let node = names.get(k);
    if (!node) {
      node = new Map();
      names.set(k, node);
    }
    const t = rrsetType(r);
    const list = node.get(t);
    if (list) list.push(r);
    else node.set(t, [r]);
  }
}

/** Names of the RDATA target of NS/CNAME-like single-name types. */
function rdataName(rdata: Buffer): Buffer {
  let i = 0;
  while (i < rdata.length && rdata[i] !== 0) i += rdata[i]! + 1;
  return rdata.subarray(0, i + 1);
}

// Messages shared by checkZone and the streaming check (CheckingZoneBuilder), which must say the same.
const notInClass = (cls: number) => `class ${cls === 3 ? "CH" : `CLASS${cls}`} record; only IN is served`;
const outOfZone = (owner: Buffer, zoneText: string) =>
  `owner ${nameToText(owner)} is outside the zone ${zoneText}`;
const ttlMismatch = (ttl: number, first: number, owner: string, type: number) =>
  `TTL ${ttl} differs from ${first} in the ${owner} ${typeToText(type)} RRset; using ${first}`;
const duplicate = (owner: string, type: number) => `duplicate ${owner} ${typeToText(type)} record dropped`;

export function checkZone(origin: Buffer, records: ResourceRecord[], file: string): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const at = (r: ResourceRecord | undefined) => ({
    file: r?.source?.file ?? file,
    line: r?.source?.line ?? 1,
    column: r?.source?.column ?? 1,
  });
  const error = (code: string, message: string, r?: ResourceRecord) =>
    diags.push({ severity: "error", ...at(r), code, message });
  const warn = (code: string, message: string, r?: ResourceRecord) =>
    diags.push({ severity: "warning", ...at(r), code, message });

  const originKey = nameKey(origin);
  const zoneText = nameToText(origin);
  const names = new Map<string, Node>();
  for (const r of records) {
    if (r.class !== RRClass.IN) error(DiagCode.NOT_IN_CLASS, notInClass(r.class), r);
    const k = ownerKey(r.owner);
    if (!isSubdomainKey(k, originKey)) error(DiagCode.OUT_OF_ZONE, outOfZone(r.owner, zoneText), r);
    else addByName(names, k, r);
  }
  const apex = names.get(originKey);

  // SOA: exactly one, at the apex.
  const apexSoa = apex?.get(RRType.SOA) ?? [];
  if (apexSoa.length === 0) error(DiagCode.NO_SOA, `no SOA record at the zone apex ${zoneText}`);
  for (const extra of apexSoa.slice(1))
    error(DiagCode.MULTIPLE_SOA, "more than one SOA record at the apex", extra);
  if (!apex?.has(RRType.NS)) error(DiagCode.NO_NS, `no NS records at the zone apex ${zoneText}`, apexSoa[0]);

  // Delegation points (NS below the apex) and DNAMEs: everything below them is out of this zone's authority.
  const cuts = new Set<string>();
  const dnames = new Set<string>();
  for (const [k, node] of names) {
    if (k !== originKey && node.has(RRType.NS)) cuts.add(k);
    if (node.has(RRType.DNAME)) dnames.add(k);
  }
  const nsTargets = new Set<string>();
  for (const node of names.values()) {
    for (const ns of node.get(RRType.NS) ?? []) nsTargets.add(nameKey(rdataName(ns.rdata)));
  }
  /** The closest name of `set` above `k` (or at `k` when `atToo`; the apex counts when `apexToo`), or null. */
  const cutAbove = (k: string, set: Set<string>, atToo: boolean, apexToo = false): string | null => {
    let cur: string | null = atToo ? k : parentName(k);
    while (cur !== null && (cur.length > originKey.length || (apexToo && cur.length === originKey.length))) {
      if (set.has(cur)) return cur;
      cur = parentName(cur);
    }
    return null;
  };

  for (const [k, node] of names) {
    // The owner's text only when a diagnostic needs it (big zones have none).
    let ownerText: string | null = null;
    const firstRecord = (): ResourceRecord => node.values().next().value![0]!;
    const ownerOf = (): string => (ownerText ??= nameToText(firstRecord().owner));
    if (k !== originKey) {
      for (const soa of node.get(RRType.SOA) ?? []) {
        error(DiagCode.MULTIPLE_SOA, `SOA record at ${ownerOf()}, which is not the zone apex`, soa);
      }
    }

    // CNAME: alone at its name except DNSSEC records (RFC 2181 §10.1, RFC 4035 §2.5), and only one.
    const cnames = node.get(RRType.CNAME);
    if (cnames) {
      if (cnames.length > 1) error(DiagCode.MULTIPLE_CNAME, `more than one CNAME at ${ownerOf()}`, cnames[1]);
      for (const [t, rs] of node) {
        const base = t >= 0x10000 ? RRType.RRSIG : t;
        if (base === RRType.CNAME || base === RRType.RRSIG || base === RRType.NSEC) continue;
        error(
          DiagCode.CNAME_AND_OTHER,
          `CNAME at ${ownerOf()} beside other data (${typeToText(base)})`,
          rs[0],
        );
      }
    }
    const dn = node.get(RRType.DNAME);
    if (dn && dn.length > 1) error(DiagCode.MULTIPLE_DNAME, `more than one DNAME at ${ownerOf()}`, dn[1]);

    // Data below a DNAME is unreachable (RFC 6672 §2.3); Knot reports it as an error.
    const dnameAbove = dnames.size > 0 ? cutAbove(k, dnames, false, true) : null;
    if (dnameAbove !== null) {
      error(
        DiagCode.DNAME_CHILDREN,
        `${ownerOf()} lies below the DNAME at ${nameToText(dnameAbove)} and cannot be reached`,
        firstRecord(),
      );
    }

    // Below a delegation only glue (addresses of NS targets) belongs; at the cut only NS, DS and DNSSEC data.
    const cut = cuts.size > 0 ? cutAbove(k, cuts, true) : null;
    if (cut !== null) {
      for (const [t, rs] of node) {
        const base = t >= 0x10000 ? RRType.RRSIG : t;
        const isGlue = (base === RRType.A || base === RRType.AAAA) && nsTargets.has(k);
        const allowedAtCut = k === cut && (base === RRType.NS || base === RRType.DS || base === RRType.NSEC);
        const sigAtCut =
          k === cut && base === RRType.RRSIG && (t === 0x10000 + RRType.DS || t === 0x10000 + 47);
        if (isGlue || allowedAtCut || sigAtCut) continue;
        warn(
          DiagCode.OCCLUDED,
          `${typeToText(base)} at ${ownerOf()} is occluded by the delegation at ${nameToText(cut)} and ignored`,
          rs[0],
        );
      }
    }

    // Glue: an NS target inside the zone needs an address in the zone (else resolvers cannot reach it).
    for (const ns of node.get(RRType.NS) ?? []) {
      const target = nameKey(rdataName(ns.rdata));
      if (!isSubdomainKey(target, originKey)) continue;
      const tnode = names.get(target);
      if (!tnode?.has(RRType.A) && !tnode?.has(RRType.AAAA)) {
        warn(DiagCode.MISSING_GLUE, `missing glue: no A/AAAA for NS target ${nameToText(target)}`, ns);
      }
    }

    // Per RRset: one TTL (RFC 2181 §5.2) and no duplicate records (RFC 2181 §5).
    for (const rs of node.values()) {
      const ttl = rs[0]!.ttl;
      const mismatch = rs.find((r) => r.ttl !== ttl);
      if (mismatch) {
        warn(DiagCode.TTL_MISMATCH, ttlMismatch(mismatch.ttl, ttl, ownerOf(), mismatch.type), mismatch);
      }
      if (rs.length < 2) continue;
      const seen = new Set<string>();
      for (const r of rs) {
        const key = `${r.class}/${canonicalRdata(r.type, r.rdata).toString("latin1")}`;
        if (seen.has(key)) warn(DiagCode.DUPLICATE, duplicate(ownerOf(), r.type), r);
        seen.add(key);
      }
    }
  }
  return diags.sort((x, y) =>
    x.file === y.file ? x.line - y.line || x.column - y.column : x.file < y.file ? -1 : 1,
  );
}

/** Apply what checkZone warns about: drop duplicate records, give every RRset the TTL of its first record. */
export function normalizeRecords(records: readonly ResourceRecord[]): ResourceRecord[] {
  const firstTtl = new Map<string, number>();
  const seen = new Set<string>();
  const out: ResourceRecord[] = [];
  for (const r of records) {
    const set = `${nameKey(r.owner)}/${r.class}/${rrsetType(r)}`;
    const rec = `${set}/${canonicalRdata(r.type, r.rdata).toString("latin1")}`;
    if (seen.has(rec)) continue;
    seen.add(rec);
    const ttl = firstTtl.get(set);
    if (ttl === undefined) {
      firstTtl.set(set, r.ttl);
      out.push(r);
    } else out.push(ttl === r.ttl ? r : { ...r, ttl });
  }
  return out;
}

export interface CheckedZone {
  diagnostics: Diagnostic[];
  /** The records the tree holds: the input, normalized when a warning asked for it. */
  records: readonly ResourceRecord[];
  /** The zone tree; null when a diagnostic is an error. */
  data: ZoneData | null;
}

/**
 * `checkZone`, `normalizeRecords` and `buildZone` with the same results, in one pass for the common case: the
 * tree is built first and audited for everything `checkZone` reports (see `treeIsClean`); only a zone with a
 * finding goes through `checkZone` (for its diagnostics, with positions) and a second build. A million-record
 * transfer is checked in the time of the build alone, and the per-name maps `checkZone` builds are never made.
 */
export function checkAndBuildZone(
  origin: Buffer,
  records: readonly ResourceRecord[],
  file: string,
): CheckedZone {
  const audit: BuildAudit = { clean: true };
  let data: ZoneData | null = null;
  try {
    data = buildZone(origin, records, audit);
  } catch {
    // Out-of-zone data or no SOA: checkZone says which, with positions.
  }
  if (data && audit.clean && treeIsClean(data)) return { diagnostics: [], records, data };
  const diagnostics = checkZone(origin, records as ResourceRecord[], file);
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics, records, data: null };
  const fix = diagnostics.some((d) => d.code === DiagCode.DUPLICATE || d.code === DiagCode.TTL_MISMATCH);
  const normalized = fix ? normalizeRecords(records) : records;
  // The first build read the same records when nothing needed normalizing.
  return { diagnostics, records: normalized, data: fix || !data ? buildZone(origin, normalized) : data };
}

/** A zone checked and built from records fed one at a time (see CheckingZoneBuilder). */
export interface BuiltZone {
  diagnostics: Diagnostic[];
  /** The zone tree; null when a diagnostic is an error. */
  data: ZoneData | null;
  /** How many records the tree holds (duplicates dropped). */
  recordCount: number;
}

/**
 * `checkAndBuildZone` for records that arrive one at a time (a transfer as it streams in): each record goes
 * into the tree at once and no record list is kept. A clean tree (build audit + `treeIsClean`) is served as
 * built. Otherwise `checkZone` runs on the tree's records, together with what only this builder saw and the
 * tree no longer shows (other class, out of zone, exact duplicates, TTL mismatches): the same zones are
 * rejected with the same diagnostic codes. Positions are `file:1:1` (a transfer has no lines).
 */
export class CheckingZoneBuilder {
  private readonly audit: BuildAudit = { clean: true, findings: [] };
  private readonly builder: ZoneBuilder;
  /** Class and out-of-zone errors, in arrival order (checkZone reports them first too). */
  private readonly early: Diagnostic[] = [];
  private readonly zoneText: string;
  private lastKey: string;
  private lastInZone = true;

  constructor(
    readonly origin: Buffer,
    private readonly file: string,
  ) {
    this.builder = new ZoneBuilder(origin, this.audit);
    this.lastKey = this.builder.originKey;
    this.zoneText = nameToText(origin);
  }

  add(rr: ResourceRecord): void {
    this.addRecord(ownerKey(rr.owner), rr.owner, rr.type, rr.class, rr.ttl, rr.rdata);
  }

  /** See ZoneBuilder.expectRecords. */
  expectRecords(records: number): void {
    this.builder.expectRecords(records);
  }

  /** `add` without a record object; `key` is `ownerKey(owner)`; the RDATA is `rdata[from, to)`. */
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
    if (cls !== RRClass.IN) this.early.push(this.diag("error", DiagCode.NOT_IN_CLASS, notInClass(cls)));
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.lastInZone = isSubdomainKey(key, this.builder.originKey);
    }
    if (!this.lastInZone) {
      this.audit.clean = false;
      this.early.push(
        this.diag("error", DiagCode.OUT_OF_ZONE, outOfZone(owner ?? keyToWire(key), this.zoneText)),
      );
      return;
    }
    this.builder.addRecord(key, owner, type, cls, ttl, rdata, from, to);
  }

  /** Check and return the tree (once). */
  finish(): BuiltZone {
    let data: ZoneData | null = null;
    try {
      data = this.builder.finish();
    } catch (e) {
      if (!(e instanceof ZoneBuildError)) throw e; // no SOA: checkZone says so below
    }
    const recordCount = this.builder.recordCount;
    if (data && this.audit.clean && treeIsClean(data, this.builder.watched))
      return { diagnostics: [], data, recordCount };
    const held = [...this.builder.heldRecords()];
    // The tree gives an RRset one class: class errors come from `early`, record by record.
    const found = checkZone(this.origin, held, this.file).filter((d) => d.code !== DiagCode.NOT_IN_CLASS);
    const diagnostics = [...this.early, ...found, ...this.audit.findings!.map((f) => this.findingDiag(f))];
    if (hasErrors(diagnostics)) return { diagnostics, data: null, recordCount };
    // Exact duplicates and TTLs are normalized by the tree already; duplicates that differ only in the case
    // of a name inside the RDATA are still there.
    if (!data || found.some((d) => d.code === DiagCode.DUPLICATE)) {
      const normalized = normalizeRecords(held);
      return { diagnostics, data: buildZone(this.origin, normalized), recordCount: normalized.length };
    }
    return { diagnostics, data, recordCount };
  }

  private findingDiag(f: BuildFinding): Diagnostic {
    const owner = nameToText(f.owner);
    return f.kind === "duplicate"
      ? this.diag("warning", DiagCode.DUPLICATE, duplicate(owner, f.type))
      : this.diag("warning", DiagCode.TTL_MISMATCH, ttlMismatch(f.ttl, f.rrsetTtl, owner, f.type));
  }

  private diag(severity: Diagnostic["severity"], code: string, message: string): Diagnostic {
    return { severity, file: this.file, line: 1, column: 1, code, message };
  }
}

/** RRSIG types allowed beside a CNAME, and the only data allowed at a delegation point besides NS. */
const CNAME_COMPANIONS = new Set<number>([RRType.CNAME, RRType.RRSIG, RRType.NSEC]);
const AT_CUT = new Set<number>([RRType.NS, RRType.DS, RRType.NSEC]);

/**
 * True when `checkZone` has nothing to report on the records `data` was built from, given a clean build audit
 * (one class, no TTL mismatch, no exact duplicate). False means "look closer", not "invalid": anything rare
 * (DNAME, NSEC3 chains, names below a cut that are not glue) is left to `checkZone`. `watched`: the nodes of
 * `ZoneBuilder.watched` when `data` came from that builder, so a zone without cuts is not walked whole.
 */
export function treeIsClean(data: ZoneData, watched?: readonly ZoneNode[]): boolean {
  if (data.class !== RRClass.IN || data.nsec3 !== null) return false;
  const apexSoa = data.apex.rrsets.get(RRType.SOA);
  if (apexSoa?.rdataCount !== 1 || !data.apex.rrsets.has(RRType.NS)) return false;
  const nsTargets = new Set<string>();
  let occluded = false;
  // With `watched` (ZoneBuilder.watched) only those nodes can fail the checks of this loop; below a cut, all.
  for (const node of watched ?? data.nodes.values()) {
    occluded ||= node.occluded || (watched !== undefined && node.cut);
    for (const [t, rrset] of node.rrsets) {
      if (t === RRType.DNAME || (t === RRType.SOA && node !== data.apex)) return false;
      // Duplicates that differ only in the case of a name inside the RDATA.
      if (rrset.rdataCount > 1) {
        const first = rrset.rdataAt(0);
        if (canonicalRdata(t, first) !== first) {
          const seen = new Set<string>();
          rrset.forEachRdata((r) => seen.add(canonicalRdata(t, r).toString("latin1")));
          if (seen.size !== rrset.rdataCount) return false;
        }
      }
      if (t === RRType.NS) rrset.forEachRdata((r) => nsTargets.add(nameKey(rdataName(r))));
    }
    const cname = node.rrsets.get(RRType.CNAME);
    if (cname) {
      if (cname.rdataCount > 1) return false;
      for (const t of node.rrsets.keys()) if (!CNAME_COMPANIONS.has(t)) return false;
    }
    if (node.cut) {
      for (const t of node.rrsets.keys()) if (!AT_CUT.has(t)) return false;
      for (const t of node.sigs.keys()) if (!AT_CUT.has(t) || t === RRType.NS) return false;
    }
  }
  for (const target of nsTargets) {
    if (!isSubdomainKey(target, data.originKey)) continue;
    const node = data.nodes.get(target);
    if (!node?.rrsets.has(RRType.A) && !node?.rrsets.has(RRType.AAAA)) return false;
  }
  // Below a cut only glue: addresses of NS targets (DNAME, the other occluder, returned above).
  if (occluded) {
    for (const node of data.nodes.values()) {
      if (!node.occluded || node.cut) continue;
      if (node.sigs.size > 0) return false;
      for (const t of node.rrsets.keys()) {
        if ((t !== RRType.A && t !== RRType.AAAA) || !nsTargets.has(node.key)) return false;
      }
    }
  }
  return true;
}
