// edgens deviations the differential tests found and that are NOT legitimate choices: each is a bug for the owner
// of the module named. The tests pass over a difference a known bug explains, and fail once a bug no longer
// reproduces, so that its entry is removed together with the fix. Legitimate differences belong in
// allowed-differences.ts instead.
import type { Field } from "../helpers/compare.js";
import type { Case } from "./corpus.js";

export interface KnownBug {
  id: string;
  /** Module that must change. */
  owner: string;
  summary: string;
  /** True when this bug explains edgens' `value` for `field` where NSD answered `nsd`. */
  explains(k: Case, field: Field, value: string, nsd: string): boolean;
}

// History: "ds-in-unsigned-referral" (DO=1 referral from an unsigned zone carried the DS RRset, RFC 4035
// §3.1.4.1 applies to signed zones only) was found by generated-corpus.test.ts on 2026-11-23 and fixed in
// src/lookup the same day; the case `referral-do` in corpus.ts pins it.
// "dname-qtype-cname-follows-target" (QTYPE=CNAME below a DNAME with a missing synthesized target answered
// NXDOMAIN + SOA; the synthesized CNAME is the answer and is not chased, RFC 6672 §3.2) was fixed in src/lookup
// on 2026-11-23; the corpus case `dname-qtype-cname` and test/lookup/lookup-table.test.ts pin it.
// "formerr-drops-opt" (FORMERR for QDCOUNT=0 with a valid OPT had no OPT, RFC 6891 §6.1.1) was fixed in
// src/wire/query-parser.ts and src/responder on 2026-11-23; the corpus case `no-question` and
// test/responder/edns.test.ts ("OPT in error responses") pin it.
export const KNOWN_BUGS: KnownBug[] = [];

/** The known bug that explains a difference, if any. */
export function knownBug(k: Case, field: Field, value: string, nsd: string): KnownBug | undefined {
  return KNOWN_BUGS.find((b) => b.explains(k, field, value, nsd));
}
