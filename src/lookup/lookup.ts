// RFC 1034 §4.3.2 lookup over one zone tree, with the RFC 2308 (negative answers), RFC 4592 (wildcards) and
// RFC 6672 (DNAME) details. Produces a LookupResult; never touches wire bytes of the query.
//
// Chains (CNAME, DNAME) are followed only inside the same zone, as NSD and Knot do; a resolver restarts
// the query for a target elsewhere. A name seen twice ends the chain (loop), and so does MAX_CHAIN.
import {
  isSubdomainKey,
  labelOffsets,
  lowerAscii,
  MAX_NAME_LENGTH,
  nameKey,
  readName,
} from "../wire/name.js";
import { Rcode, RRType } from "../wire/rrtype.js";
import { RRset } from "../zone/rrset.js";
import type { ZoneData, ZoneNode } from "../zone/zone.js";
import { addReferralGlue, addTargetAddresses } from "./additional.js";
import { type Denial, denialFor, type Expansion } from "./denial.js";
import { type LookupResult, newResult } from "./result.js";

/** Upper bound on CNAME/DNAME steps in one answer; past it the resolver follows the rest itself. */
export const MAX_CHAIN = 12;

const YXDOMAIN = 6;

export interface LookupOptions {
  /** DO bit: add RRSIGs, DS and denial proofs when the zone is signed (`ZoneData.signed`). */
  dnssec: boolean;
  /** RFC 8482: answer ANY with a single RRset (the responder always asks for this, like NSD); false = all. */
  minimalAny: boolean;
}

interface Step {
  zone: ZoneData;
  qtype: number;
  opts: LookupOptions;
  result: LookupResult;
  seenAdditional: Set<string>;
  /** Denial proofs (NSEC or NSEC3), when DO=1 and the zone is signed. */
  proof: Denial | null;
}

/**
 * Push an RRset and, when DO=1, the RRSIGs at the same node that cover it; under `owner` (the query name, or
 * the name a wildcard expands to), or as they are when null.
 */
function pushSigned(step: Step, section: RRset[], node: ZoneNode, rrset: RRset, owner: Buffer | null): void {
  section.push(owner === null ? rrset : rrset.withOwner(owner));
  if (!step.opts.dnssec) return;
  const sig = node.sigs.get(rrset.type);
  if (sig) section.push(owner === null ? sig : sig.withOwner(owner));
}

function pushNegativeSoa(step: Step): void {
  step.result.authority.push(step.zone.negativeSoa);
  if (step.opts.dnssec && step.zone.negativeSoaSigs) step.result.authority.push(step.zone.negativeSoaSigs);
}

/**
 * NODATA (RFC 2308 §2.2): the SOA, and with DO=1 the denial records proving the type is absent at `node`
 * (for a wildcard match also that no closer name exists).
 */
function nodata(step: Step, node: ZoneNode, expansion: Expansion | null): null {
  if (step.proof) step.proof.nodata(node, expansion, () => pushNegativeSoa(step));
  else pushNegativeSoa(step);
  return null;
}

/** After a wildcard expansion: prove no closer match exists (RFC 4035 §3.1.3.3, RFC 5155 §7.2.6). */
function proveExpansion(step: Step, expansion: Expansion | null): void {
  if (expansion) step.proof?.wildcardAnswer(expansion);
}

/** First name inside RDATA (CNAME, DNAME targets). */
function rdataName(rdata: Buffer): Buffer | null {
  try {
    return readName(rdata, 0).name;
  } catch {
    return null;
  }
}

/**
 * Answer at an existing node, exact or (with `expansion`) a wildcard expanded to `owner`. Returns the next
 * name of a CNAME chain.
 */
function answerAt(step: Step, node: ZoneNode, owner: Buffer, expansion: Expansion | null): Buffer | null {
  const { qtype, result } = step;
  if (node.rrsets.size === 0) return nodata(step, node, expansion); // empty non-terminal (or wildcard)

  // QTYPE=CNAME at a CNAME owner falls through to the exact-type answer below: the CNAME, not followed.
  const cname = node.rrsets.get(RRType.CNAME);
  if (cname && qtype !== RRType.CNAME && qtype !== RRType.ANY && qtype !== RRType.RRSIG) {
    pushSigned(step, result.answer, node, cname, owner);
    proveExpansion(step, expansion);
    return rdataName(cname.rdataAt(0));
  }

  if (qtype === RRType.ANY) {
    // RFC 8482 §4.2 minimal: the first RRset in zone-file order, as NSD answers (on UDP and TCP).
    for (const rrset of node.rrsets.values()) {
      pushSigned(step, result.answer, node, rrset, owner);
      if (step.opts.minimalAny) break;
    }
    proveExpansion(step, expansion);
    return null;
  }

  if (qtype === RRType.RRSIG) {
    if (node.sigs.size === 0) return nodata(step, node, expansion);
    for (const sig of node.sigs.values()) result.answer.push(sig.withOwner(owner));
    proveExpansion(step, expansion);
    return null;
  }

  const rrset = node.rrsets.get(qtype);
  if (!rrset) return nodata(step, node, expansion);
  pushSigned(step, result.answer, node, rrset, owner);
  proveExpansion(step, expansion);
  addTargetAddresses(step.zone, result, rrset, step.opts.dnssec, step.seenAdditional);
  return null;
}

function referral(step: Step, cut: ZoneNode): null {
  const { result } = step;
  if (result.answer.length === 0) result.aa = false;
  result.authority.push(cut.rrsets.get(RRType.NS)!);
  if (step.opts.dnssec) {
    const ds = cut.rrsets.get(RRType.DS);
    if (ds) pushSigned(step, result.authority, cut, ds, null);
    else step.proof?.insecureDelegation(cut); // prove there is no DS (RFC 4035 §3.1.4)
  }
  addReferralGlue(step.zone, cut, result, step.opts.dnssec, step.seenAdditional);
  return null;
}

/**
 * DNAME substitution (RFC 6672 §2.2): the DNAME, a synthesized CNAME, then the new name. For QTYPE=CNAME the
 * synthesized CNAME is itself the answer and is not chased (RFC 1034 §4.3.2 step 3a, RFC 6672 §3.2), so the
 * target's existence does not set the rcode (NSD and Knot answer NOERROR).
 */
function synthesizeDname(step: Step, node: ZoneNode, name: Buffer, ownerDepth: number): Buffer | null {
  const { result } = step;
  const dname = node.rrsets.get(RRType.DNAME)!;
  pushSigned(step, result.answer, node, dname, null);
  const target = rdataName(dname.rdataAt(0));
  if (!target) return null;
  // The kept labels in lower case, as NSD and Knot write them (either case is correct, RFC 4343).
  const prefix = lowerAscii(name.subarray(0, ownerDepth));
  if (prefix.length + target.length > MAX_NAME_LENGTH) {
    result.rcode = YXDOMAIN;
    return null;
  }
  const next = Buffer.concat([prefix, target]);
  result.answer.push(RRset.of(name, RRType.CNAME, dname.class, dname.ttl, [next]));
  return step.qtype === RRType.CNAME ? null : next;
}

/** Resolve one name of the chain; returns the next name to follow, or null when the answer is complete. */
function resolveName(step: Step, name: Buffer, key: string): Buffer | null {
  const { zone, qtype } = step;
  const offsets = labelOffsets(key);
  const depth = offsets.length - labelOffsets(zone.originKey).length;
  let encloser = zone.apex;
  if (depth > 0 && encloser.rrsets.has(RRType.DNAME))
    return synthesizeDname(step, encloser, name, offsets[depth]!);
  // Walk down from the apex: the first cut or DNAME above the name wins (RFC 1034 §4.3.2 step 3b, RFC 6672).
  for (let i = depth - 1; i >= 0; i--) {
    const at = offsets[i]!;
    const node = zone.nodes.get(i === 0 ? key : key.slice(at));
    if (!node) return wildcardOrNxdomain(step, name, key, encloser);
    // DS lives on the parent side of the cut (RFC 4035 §3.1.4.1).
    if (node.cut && !(i === 0 && qtype === RRType.DS)) return referral(step, node);
    if (i > 0 && node.rrsets.has(RRType.DNAME)) return synthesizeDname(step, node, name, at);
    encloser = node;
  }
  return answerAt(step, encloser, name, null);
}

/** RFC 4592 §3.3.1: only the wildcard directly below the closest encloser can match. */
function wildcardOrNxdomain(step: Step, name: Buffer, key: string, closestEncloser: ZoneNode): Buffer | null {
  const wildcardKey = `\x01*${closestEncloser.key}`;
  const wildcard = step.zone.nodes.get(wildcardKey);
  if (wildcard) return answerAt(step, wildcard, name, { key, closestEncloser });
  step.result.rcode = Rcode.NXDOMAIN;
  if (step.proof) step.proof.nxdomain(key, closestEncloser, () => pushNegativeSoa(step));
  else pushNegativeSoa(step);
  return null;
}

/** Look `qname` up in `zone` (which must contain it). */
export function lookup(zone: ZoneData, qname: Buffer, qtype: number, opts: LookupOptions): LookupResult {
  const result = newResult();
  // DO=1 changes nothing in an unsigned zone (no RRSIGs, no DS in referrals, no proofs), as in NSD and Knot.
  if (opts.dnssec && !zone.signed) opts = { ...opts, dnssec: false };
  const proof = opts.dnssec ? denialFor(zone, result.authority) : null;
  const step: Step = { zone, qtype, opts, result, seenAdditional: new Set(), proof };
  const seen = new Set<string>();
  let name: Buffer | null = qname;
  for (let hop = 0; name !== null && hop < MAX_CHAIN; hop++) {
    const key = nameKey(name);
    if (seen.has(key) || !isSubdomainKey(key, zone.originKey)) break;
    seen.add(key);
    name = resolveName(step, name, key);
  }
  return result;
}
