// Additional-section processing (RFC 1034 §4.3.2 step 6, RFC 9471): addresses of the names that NS, MX and SRV
// records point to, taken from the same zone only.
import { isSubdomainKey, nameKey, readName } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import type { RRset, ZoneData, ZoneNode } from "../zone/zone.js";
import type { LookupResult } from "./result.js";

/** Offset of the target name inside the RDATA of the types that get additional processing, else -1. */
function targetOffset(type: number): number {
  switch (type) {
    case RRType.NS:
      return 0;
    case RRType.MX:
      return 2;
    case RRType.SRV:
      return 6;
    default:
      return -1;
  }
}

function targetKeys(rrset: RRset): string[] {
  const off = targetOffset(rrset.type);
  if (off < 0) return [];
  const keys: string[] = [];
  for (let pos = rrset.start; pos < rrset.end; pos = rrset.nextRdata(pos)) {
    if (rrset.rdataLength(pos) <= off) continue;
    try {
      keys.push(nameKey(readName(rrset.rdataView(pos), off).name));
    } catch {
      // Malformed RDATA cannot come from a checked zone; skip rather than fail the query.
    }
  }
  return keys;
}

/** A first for every target, then AAAA, as NSD orders them; RRSIGs (DO=1) right after what they cover. */
function pushAddresses(
  zone: ZoneData,
  result: LookupResult,
  keys: string[],
  place: (key: string, node: ZoneNode) => { required: boolean; signed: boolean } | null,
  dnssec: boolean,
  seen: Set<string>,
): void {
  for (const type of [RRType.A, RRType.AAAA]) {
    for (const key of keys) {
      if (!isSubdomainKey(key, zone.originKey)) continue;
      const node = zone.nodes.get(key);
      const rrset = node?.rrsets.get(type);
      if (!node || !rrset) continue;
      const where = place(key, node);
      if (!where) continue;
      const id = `${key}/${type}`;
      if (seen.has(id)) continue;
      seen.add(id);
      result.additional.push({ rrset, required: where.required });
      const sig = where.signed && dnssec ? node.sigs.get(type) : undefined;
      if (sig) result.additional.push({ rrset: sig, required: false });
    }
  }
}

/** Optional A/AAAA (with RRSIGs when DO=1) for in-zone, authoritative targets of NS/MX/SRV answer RRsets. */
export function addTargetAddresses(
  zone: ZoneData,
  result: LookupResult,
  rrset: RRset,
  dnssec: boolean,
  seen: Set<string>,
): void {
  const keys = targetKeys(rrset);
  if (keys.length === 0) return;
  const optional = { required: false, signed: true };
  pushAddresses(zone, result, keys, (_, node) => (node.occluded || node.cut ? null : optional), dnssec, seen);
}

/**
 * Glue for a referral to `cut`, in NS order: addresses of NS targets below the cut are required (in-domain
 * glue); targets elsewhere in the zone, including below other cuts (sibling glue, as NSD sends it), optional.
 */
export function addReferralGlue(
  zone: ZoneData,
  cut: ZoneNode,
  result: LookupResult,
  dnssec: boolean,
  seen: Set<string>,
): void {
  const ns = cut.rrsets.get(RRType.NS);
  if (!ns) return;
  pushAddresses(
    zone,
    result,
    targetKeys(ns),
    (key, node) => ({ required: isSubdomainKey(key, cut.key), signed: !node.occluded && !node.cut }),
    dnssec,
    seen,
  );
}
