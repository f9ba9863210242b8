// Authenticated denial of existence (DNSSEC): which NSEC or NSEC3 records prove a negative or wildcard answer.
// The lookup reports what happened; the zone's denial method decides which records prove it, and where the
// SOA goes among them (orders as NSD sends them).
import type { RRset, ZoneData, ZoneNode } from "../zone/zone.js";
import { NsecDenial } from "./nsec.js";
import { Nsec3Denial } from "./nsec3.js";

/** A wildcard match: the query name's key and the closest encloser whose `*` child matched. */
export interface Expansion {
  key: string;
  closestEncloser: ZoneNode;
}

export interface Denial {
  /** The name does not exist (and no wildcard matched); `soa` pushes the negative SOA. */
  nxdomain(key: string, closestEncloser: ZoneNode, soa: () => void): void;
  /** The name (or the wildcard that matched it) exists without the type asked for. */
  nodata(node: ZoneNode, expansion: Expansion | null, soa: () => void): void;
  /** A positive answer synthesized from a wildcard: prove there was no closer match. */
  wildcardAnswer(expansion: Expansion): void;
  /** A referral to a delegation without DS. */
  insecureDelegation(cut: ZoneNode): void;
}

/** The denial method of `zone` when DO=1 (NSEC3 wins if both chains exist), or null for an unsigned zone. */
export function denialFor(zone: ZoneData, authority: RRset[]): Denial | null {
  if (zone.nsec3) return new Nsec3Denial(zone, zone.nsec3, authority);
  if (zone.nsecChain.length > 0) return new NsecDenial(zone, authority);
  return null;
}
