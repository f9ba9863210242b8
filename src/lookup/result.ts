// The response plan the lookup produces: sections of RRsets plus flags, independent of wire encoding, so the
// precompiler and the per-query path feed the same message writer.
import type { RRset } from "../zone/zone.js";

export interface LookupResult {
  rcode: number;
  /** Authoritative answer; false only for a referral that has nothing in the answer section. */
  aa: boolean;
  answer: RRset[];
  authority: RRset[];
  /** Additional section in order; see AdditionalEntry.required. */
  additional: AdditionalEntry[];
}

export interface AdditionalEntry {
  rrset: RRset;
  /**
   * In-domain glue of a referral (RFC 9471): set TC=1 rather than leave it out. Other entries (sibling glue,
   * NS/MX/SRV target addresses, their RRSIGs) are optional and dropped first when the message is too big.
   */
  required: boolean;
}

export function newResult(): LookupResult {
  return { rcode: 0, aa: true, answer: [], authority: [], additional: [] };
}
