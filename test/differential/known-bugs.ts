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
export const KNOWN_BUGS: KnownBug[] = [
  {
    id: "dname-qtype-cname-follows-target",
    owner: "src/lookup (DNAME synthesis)",
    summary:
      "QTYPE=CNAME below a DNAME whose synthesized target does not exist: edgens answers NXDOMAIN with the SOA; " +
      "NSD and Knot answer NOERROR with DNAME + synthesized CNAME and an empty authority. The synthesized CNAME " +
      "is itself the answer to a CNAME query (RFC 1034 §4.3.2 step 3a: no restart when QTYPE=CNAME; RFC 6672 " +
      "§3.2), so the target's existence must not set the rcode.",
    explains: (k, field, value, nsd) => {
      const [qname, qtype] = k.q.split(" ");
      if (qtype?.toUpperCase() !== "CNAME" || !/\.(redir|legacy)\.example\.test\.$/i.test(qname ?? ""))
        return false;
      if (field === "rcode") return value === "NXDOMAIN" && nsd === "NOERROR";
      return field === "authority" && nsd === "" && / IN SOA /.test(value);
    },
  },
  {
    id: "formerr-drops-opt",
    owner: "src/responder (FORMERR path)",
    summary:
      "A query with QDCOUNT=0 and a valid OPT gets FORMERR without an OPT record; NSD and Knot include one. " +
      "RFC 6891 §7: a responder MUST include an OPT in the response to a request that carried one (only a " +
      "broken OPT itself justifies leaving it out).",
    explains: (k, field, value, nsd) =>
      k.noQuestion === true && field === "edns" && value === "none" && nsd !== "none",
  },
];

/** The known bug that explains a difference, if any. */
export function knownBug(k: Case, field: Field, value: string, nsd: string): KnownBug | undefined {
  return KNOWN_BUGS.find((b) => b.explains(k, field, value, nsd));
}
