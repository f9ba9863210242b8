// Authenticated denial with NSEC3 (RFC 5155 §7.2): hash the names, then send the NSEC3 records that match or
// cover them: the closest encloser proof for NXDOMAIN, the matching NSEC3 for NODATA, the "next closer" cover
// for wildcard answers.
import { createHash } from "node:crypto";
import { isSubdomainKey, labelOffsets, parentName } from "../wire/name.js";
import type { Nsec3Chain, Nsec3Entry, RRset, ZoneData, ZoneNode } from "../zone/zone.js";
import type { Denial, Expansion } from "./denial.js";

const SHA1 = 1;

/** RFC 5155 §5: IH(salt, name, k), name in canonical (lower-case) wire form. */
export function nsec3Hash(name: Uint8Array, salt: Uint8Array, iterations: number): Buffer {
  let h = createHash("sha1").update(name).update(salt).digest();
  for (let i = 0; i < iterations; i++) h = createHash("sha1").update(h).update(salt).digest();
  return h;
}

/** The entry whose hash equals `hash` (match), or else the one whose span covers it (the last not after it). */
export function findNsec3(chain: Nsec3Chain, hash: Buffer): { entry: Nsec3Entry; match: boolean } | null {
  const list = chain.entries;
  let lo = 0;
  let hi = list.length - 1;
  let found: Nsec3Entry | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = Buffer.compare(list[mid]!.hash, hash);
    if (c === 0) return { entry: list[mid]!, match: true };
    if (c < 0) {
      found = list[mid]!;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  const entry = found ?? list[list.length - 1];
  return entry ? { entry, match: false } : null;
}

/** The name one label longer than `encloserKey` on the way to `key` (RFC 5155 §1.3 "next closer name"). */
function nextCloser(key: string, encloserKey: string): string {
  const offsets = labelOffsets(key);
  const depth = offsets.length - labelOffsets(encloserKey).length;
  return depth <= 0 ? key : key.slice(offsets[depth - 1]!);
}

export class Nsec3Denial implements Denial {
  private readonly seen = new Set<Nsec3Entry>();

  constructor(
    private readonly zone: ZoneData,
    private readonly chain: Nsec3Chain,
    private readonly into: RRset[],
  ) {}

  // §7.2.2: closest encloser proof (cover the next closer name, match the encloser) and no wildcard; the
  // records in NSD's order.
  nxdomain(key: string, closestEncloser: ZoneNode, soa: () => void): void {
    this.find(nextCloser(key, closestEncloser.key), false);
    this.find(closestEncloser.key, true);
    this.find(`\x01*${closestEncloser.key}`, false);
    soa();
  }

  // §7.2.3 / §7.2.4 (DS, opt-out) / §7.2.5 (wildcard NODATA). NSD puts the SOA after the NSEC3s for an empty
  // non-terminal and before them otherwise; a wildcard's "next closer" cover always comes first.
  nodata(node: ZoneNode, expansion: Expansion | null, soa: () => void): void {
    if (expansion) this.wildcardAnswer(expansion);
    const empty = node.rrsets.size === 0;
    if (!empty) soa();
    if (expansion) this.find(expansion.closestEncloser.key, true);
    if (!this.find(node.key, true)) this.closestProvableEncloser(node.key);
    if (empty) soa();
  }

  // §7.2.6: the next closer name does not exist.
  wildcardAnswer(expansion: Expansion): void {
    this.find(nextCloser(expansion.key, expansion.closestEncloser.key), false);
  }

  // §7.2.7: the NSEC3 matching the cut, or (opt-out) the closest provable encloser proof.
  insecureDelegation(cut: ZoneNode): void {
    if (!this.find(cut.key, true)) this.closestProvableEncloser(cut.key);
  }

  /** §7.2.1 for names whose encloser is not known to have an NSEC3 (opt-out spans). */
  private closestProvableEncloser(key: string): void {
    let next: string | null = null;
    for (let name: string | null = key; name !== null && isSubdomainKey(name, this.zone.originKey); ) {
      const hit = this.lookup(name);
      if (hit?.match) {
        this.push(hit.entry);
        if (next !== null) this.find(next, false);
        return;
      }
      next = name;
      name = parentName(name);
    }
  }

  private lookup(key: string): { entry: Nsec3Entry; match: boolean } | null {
    if (this.chain.algorithm !== SHA1) return null;
    return findNsec3(
      this.chain,
      nsec3Hash(Buffer.from(key, "latin1"), this.chain.salt, this.chain.iterations),
    );
  }

  /** Push the NSEC3 that matches (`wantMatch`) or covers `key`; returns whether one was found. */
  private find(key: string, wantMatch: boolean): boolean {
    const hit = this.lookup(key);
    if (!hit || hit.match !== wantMatch) return false;
    this.push(hit.entry);
    return true;
  }

  private push(entry: Nsec3Entry): void {
    if (this.seen.has(entry)) return;
    this.seen.add(entry);
    this.into.push(entry.nsec3);
    if (entry.sig) this.into.push(entry.sig);
  }
}
