// What one precompiled answer was computed from, recorded while the precompiler computes it, so that after an
// IXFR only the answers that read a changed name are computed again (src/responder/zone-change.ts).
//
// The recording is exact, not a rule about DNS: the lookup (src/lookup/) and the message writer see a zone only
// through `nodes.get/has`, `apex` and `negativeSoa` (plus fields a local IXFR cannot change: origin, signed,
// the DNSSEC chains). The precompiler hands them a view of the zone that logs every name asked for (present
// or not), every apex RR type asked for and whether the negative SOA was used; the answer is a deterministic
// function of what was read, so it is the same as long as every name read holds the same node object, the
// apex types read are equal and the negative SOA is equal (or patched in place, see zone-change.ts).
// Only zones a local IXFR can apply to are recorded (unsigned, no NSEC/NSEC3 chain); answers of other zones
// carry no record and are always computed again when their zone changes.
import { isSubdomainKey } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import type { TypeMap } from "../zone/type-map.js";
import type { RRset, ZoneData, ZoneNode } from "../zone/zone.js";

/** Apex type code for "the set of types" (size read); ALL_TYPES: every RRset (iteration, signatures). */
export const TYPE_SET = -2;
export const ALL_TYPES = -1;

export interface AnswerDeps {
  /**
   * Name keys read besides the query name and its ancestors (those are always assumed read): CNAME targets,
   * wildcards, NS/MX/SRV targets, names that did not exist. Never the apex (see `apexTypes`).
   */
  readonly names: readonly string[];
  /** RR types of the apex read (TYPE_SET, ALL_TYPES as above), ascending, no duplicates. */
  readonly apexTypes: readonly number[];
  /** The zone's negative SOA is in the answer (NODATA, NXDOMAIN at the end of a chain). */
  readonly negativeSoa: boolean;
}

// The two shapes most answers have, shared instead of one object per answer (a zone of 1 M names holds
// ~165 000 answers): the walk from the apex reads the apex's DNAME, nothing else outside the query name.
const LOCAL: AnswerDeps = Object.freeze({ names: [], apexTypes: [RRType.DNAME], negativeSoa: false });
const LOCAL_NEGATIVE: AnswerDeps = Object.freeze({ names: [], apexTypes: [RRType.DNAME], negativeSoa: true });

/** Whether a local IXFR can ever apply to `zone` (src/zone/zone-delta.ts): only then are reads recorded. */
export function recordable(zone: ZoneData): boolean {
  return !zone.signed && zone.nsec3 === null && zone.nsecChain.length === 0;
}

/** The apex's RRsets as the recording view shows them: every read is logged, nothing can be written. */
class RecordingTypes implements ReadonlyMap<number, RRset> {
  constructor(
    private readonly inner: ReadonlyMap<number, RRset>,
    private readonly rec: DepRecorder,
  ) {}
  get(type: number): RRset | undefined {
    this.rec.apexType(type);
    return this.inner.get(type);
  }
  has(type: number): boolean {
    this.rec.apexType(type);
    return this.inner.has(type);
  }
  get size(): number {
    this.rec.apexType(TYPE_SET);
    return this.inner.size;
  }
  entries(): MapIterator<[number, RRset]> {
    this.rec.apexType(ALL_TYPES);
    return this.inner.entries();
  }
  keys(): MapIterator<number> {
    this.rec.apexType(ALL_TYPES);
    return this.inner.keys();
  }
  values(): MapIterator<RRset> {
    this.rec.apexType(ALL_TYPES);
    return this.inner.values();
  }
  [Symbol.iterator](): MapIterator<[number, RRset]> {
    return this.entries();
  }
  forEach(fn: (value: RRset, key: number, map: ReadonlyMap<number, RRset>) => void, thisArg?: unknown): void {
    this.rec.apexType(ALL_TYPES);
    for (const [k, v] of this.inner) fn.call(thisArg, v, k, this);
  }
}

/** The zone's names as the recording view shows them; the apex comes back as the recording apex. */
class RecordingNodes implements ReadonlyMap<string, ZoneNode> {
  constructor(
    private readonly zone: ZoneData,
    private readonly apex: ZoneNode,
    private readonly rec: DepRecorder,
  ) {}
  get(key: string): ZoneNode | undefined {
    if (key === this.zone.originKey) return this.apex;
    this.rec.name(key);
    return this.zone.nodes.get(key);
  }
  has(key: string): boolean {
    if (key === this.zone.originKey) return true;
    this.rec.name(key);
    return this.zone.nodes.has(key);
  }
  get size(): number {
    this.rec.everything();
    return this.zone.nodes.size;
  }
  entries(): MapIterator<[string, ZoneNode]> {
    this.rec.everything();
    return this.zone.nodes.entries();
  }
  keys(): MapIterator<string> {
    this.rec.everything();
    return this.zone.nodes.keys();
  }
  values(): MapIterator<ZoneNode> {
    this.rec.everything();
    return this.zone.nodes.values();
  }
  [Symbol.iterator](): MapIterator<[string, ZoneNode]> {
    return this.entries();
  }
  forEach(
    fn: (value: ZoneNode, key: string, map: ReadonlyMap<string, ZoneNode>) => void,
    thisArg?: unknown,
  ): void {
    this.rec.everything();
    for (const [k, v] of this.zone.nodes) fn.call(thisArg, v, k, this);
  }
}

/**
 * Records the reads of one answer at a time. `views` maps each zone to what the precompiler passes to the
 * answer writer instead (recordable zones get a recording view, others are passed as they are).
 */
export class DepRecorder {
  private seen = false;
  private unknown = false;
  private negative = false;
  private names: string[] = [];
  private types: number[] = [];

  /** The zones keyed as given, recordable ones replaced by their recording views. */
  views(zoneByKey: ReadonlyMap<string, ZoneData>): Map<string, ZoneData> {
    const out = new Map<string, ZoneData>();
    for (const [k, z] of zoneByKey) out.set(k, recordable(z) ? this.view(z) : z);
    return out;
  }

  private view(zone: ZoneData): ZoneData {
    const rec = this;
    const apex = zone.apex;
    const apexView: ZoneNode = {
      owner: apex.owner,
      casedOwner: apex.casedOwner,
      key: apex.key,
      cut: apex.cut,
      occluded: apex.occluded,
      // Only read through ReadonlyMap methods by the lookup; the cast gives the view the TypeMap type.
      rrsets: new RecordingTypes(apex.rrsets, rec) as unknown as TypeMap<RRset>,
      get sigs() {
        rec.apexType(ALL_TYPES);
        return apex.sigs;
      },
    };
    const nodes = new RecordingNodes(zone, apexView, rec);
    return {
      ...zone,
      nodes,
      get apex() {
        rec.seen = true;
        return apexView;
      },
      get negativeSoa() {
        rec.negative = true;
        return zone.negativeSoa;
      },
      get negativeSoaSigs() {
        rec.everything();
        return zone.negativeSoaSigs;
      },
    };
  }

  /** Start recording the reads of one answer. */
  reset(): void {
    this.seen = false;
    this.unknown = false;
    this.negative = false;
    this.names.length = 0;
    this.types.length = 0;
  }

  name(key: string): void {
    this.seen = true;
    this.names.push(key);
  }

  apexType(type: number): void {
    this.seen = true;
    this.types.push(type);
  }

  /** A read the record cannot express (a whole-zone iteration): the answer is never reused. */
  everything(): void {
    this.unknown = true;
  }

  /** The reads since `reset`, for the answer to `qkey`; undefined when nothing recordable was read. */
  take(qkey: string): AnswerDeps | undefined {
    if (!this.seen || this.unknown) return undefined;
    // The query name and its ancestors are implied (zone-change.ts checks them for every answer).
    const names: string[] = [];
    for (const n of this.names) if (!isSubdomainKey(qkey, n) && !names.includes(n)) names.push(n);
    let onlyDname = this.types.length > 0;
    for (const t of this.types) onlyDname &&= t === RRType.DNAME;
    if (names.length === 0 && onlyDname) return this.negative ? LOCAL_NEGATIVE : LOCAL;
    const types = [...new Set(this.types)].sort((a, b) => a - b);
    return { names, apexTypes: types, negativeSoa: this.negative };
  }
}
