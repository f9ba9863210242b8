// An IXFR applied to a built zone tree without re-checking and rebuilding the whole zone: only the names the
// deltas touch are checked (the same rules as checkZone, for those names) and rebuilt; every other node is
// shared with the old tree. Anything that could change the zone beyond the touched names (delegations, DNAME,
// DNSSEC data, a name that disappears), or any finding checkZone would report, returns null: the caller then
// runs the full checks and build, which report and normalize as usual.
import { isSubdomainKey, parentName } from "../wire/name.js";
import { canonicalRdata } from "../wire/rdata-text.js";
import { RRClass, RRType } from "../wire/rrtype.js";
import { LayeredMap } from "./layered-map.js";
import type { ResourceRecord } from "./record.js";
import { RRset } from "./rrset.js";
import { newNode, ownerKey, soaMinimum, type ZoneData, type ZoneNode } from "./zone.js";

/** Types whose change is never applied locally (cuts, redirections, DNSSEC chains). */
const GLOBAL_TYPES = new Set<number>([
  RRType.NS,
  RRType.DNAME,
  RRType.RRSIG,
  RRType.NSEC,
  RRType.NSEC3,
  RRType.NSEC3PARAM,
  RRType.DNSKEY,
  RRType.DS,
]);

/**
 * The tree of `records` (the whole new zone, as `applyIxfr` returned it), built from `zone` (the tree of the
 * previous version) by rebuilding the nodes of `touched` (owner keys the deltas name); null when the local
 * path does not apply (see the header).
 */
export function applyDeltaToZone(
  zone: ZoneData,
  records: readonly ResourceRecord[],
  touched: ReadonlySet<string>,
): ZoneData | null {
  if (zone.signed || zone.nsec3 !== null || zone.nsecChain.length > 0) return null;
  const originKey = zone.originKey;
  // The new records of every touched name, by type.
  const byOwner = new Map<string, Map<number, ResourceRecord[]>>();
  for (const k of touched) {
    if (!isSubdomainKey(k, originKey)) return null;
    byOwner.set(k, new Map());
  }
  for (const rr of records) {
    const types = byOwner.get(ownerKey(rr.owner));
    if (!types) continue;
    if (rr.class !== RRClass.IN) return null;
    const list = types.get(rr.type);
    if (list) list.push(rr);
    else types.set(rr.type, [rr]);
  }
  // Copy-on-write over the previous tree's map (a full copy costs seconds at 1 M names).
  const nodes = LayeredMap.over(zone.nodes);
  let apex = zone.apex;
  for (const [k, types] of byOwner) {
    const old = zone.nodes.get(k);
    // A name that loses all its data may become an empty non-terminal or vanish: the full build decides.
    if (types.size === 0) return null;
    if (old && (old.cut || old.occluded || old.sigs.size > 0)) return null;
    for (const t of old?.rrsets.keys() ?? []) {
      if (GLOBAL_TYPES.has(t) && k !== originKey) return null;
    }
    const isApex = k === originKey;
    for (const t of types.keys()) {
      if (GLOBAL_TYPES.has(t) && !(isApex && t === RRType.NS)) return null;
      if (t === RRType.SOA && !isApex) return null;
    }
    if (isApex && (types.get(RRType.SOA)?.length !== 1 || !types.has(RRType.NS))) return null;
    const cname = types.get(RRType.CNAME);
    if (cname && (cname.length > 1 || types.size > 1)) return null;
    // Below a cut or a DNAME the data is occluded (checkZone warns, buildZone marks it): full path.
    for (let p = parentName(k); p !== null && p.length > originKey.length; p = parentName(p)) {
      const anc = nodes.get(p);
      if (anc && (anc.cut || anc.rrsets.has(RRType.DNAME))) return null;
    }
    const first = types.values().next().value![0]!;
    const node: ZoneNode = newNode(old ? old.casedOwner : first.owner, k);
    for (const [t, rs] of types) {
      // One TTL and no duplicates per RRset, as checkZone demands (else it warns and normalizes).
      const ttl = rs[0]!.ttl;
      if (rs.length > 1) {
        const seen = new Set<string>();
        for (const r of rs) {
          if (r.ttl !== ttl) return null;
          const key = canonicalRdata(r.type, r.rdata).toString("latin1");
          if (seen.has(key)) return null;
          seen.add(key);
        }
      }
      node.rrsets.set(
        t,
        RRset.of(
          node,
          t,
          RRClass.IN,
          ttl,
          rs.map((r) => r.rdata),
        ),
      );
    }
    nodes.set(k, node);
    if (isApex) apex = node;
    // Empty non-terminals between a new name and the apex.
    if (!old) {
      for (let p = parentName(k); p !== null && p !== originKey && !nodes.has(p); p = parentName(p)) {
        nodes.set(p, newNode(null, p));
      }
    }
  }
  const soa = apex.rrsets.get(RRType.SOA)!;
  const negativeSoa = soa.withTtl(Math.min(soa.ttl, soaMinimum(soa.rdataAt(0))));
  return { ...zone, origin: apex.owner, apex, nodes, negativeSoa };
}
