// Authenticated denial with NSEC (RFC 4035 §3.1.3): the NSEC RRsets (and their RRSIGs) that prove a name or
// type does not exist, found in the zone's canonical-order chain.
import { RRType } from "../wire/rrtype.js";
import { canonicalCompare, type RRset, type ZoneData, type ZoneNode } from "../zone/zone.js";
import type { Denial, Expansion } from "./denial.js";

/** The NSEC owner that matches or covers `key`: the last node of the chain not after it in canonical order. */
export function coveringNsecNode(zone: ZoneData, key: string): ZoneNode | null {
  const chain = zone.nsecChain;
  let lo = 0;
  let hi = chain.length - 1;
  let found: ZoneNode | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const node = chain[mid]!;
    if (canonicalCompare(node.key, key) <= 0) {
      found = node;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  // Names before the apex cannot be in the zone; the chain wraps around to its last node.
  return found ?? chain[chain.length - 1] ?? null;
}

export class NsecDenial implements Denial {
  private readonly seen = new Set<string>();

  constructor(
    private readonly zone: ZoneData,
    private readonly into: RRset[],
  ) {}

  // RFC 4035 §3.1.3.2: the name does not exist, nor does the wildcard that could have matched.
  nxdomain(key: string, closestEncloser: ZoneNode, soa: () => void): void {
    this.cover(key);
    this.cover(`\x01*${closestEncloser.key}`);
    soa();
  }

  // §3.1.3.1 / §3.1.3.4: [no exact match,] SOA, no such type at the node (or wildcard).
  nodata(node: ZoneNode, expansion: Expansion | null, soa: () => void): void {
    if (expansion) this.cover(expansion.key);
    soa();
    this.at(node);
  }

  // §3.1.3.3
  wildcardAnswer(expansion: Expansion): void {
    this.cover(expansion.key);
  }

  // §3.1.4: the NSEC at the cut, without the DS bit.
  insecureDelegation(cut: ZoneNode): void {
    this.at(cut);
  }

  /** The NSEC at `node` itself, or for an empty non-terminal the one whose span contains it. */
  private at(node: ZoneNode): void {
    if (node.rrsets.has(RRType.NSEC)) this.push(node);
    else this.cover(node.key);
  }

  private cover(key: string): void {
    const node = coveringNsecNode(this.zone, key);
    if (node) this.push(node);
  }

  private push(node: ZoneNode): void {
    if (this.seen.has(node.key)) return;
    this.seen.add(node.key);
    this.into.push(node.rrsets.get(RRType.NSEC)!);
    const sig = node.sigs.get(RRType.NSEC);
    if (sig) this.into.push(sig);
  }
}
