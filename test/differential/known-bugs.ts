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

const lines = (v: string) => v.split("\n").filter(Boolean);

export const KNOWN_BUGS: KnownBug[] = [
  {
    id: "ds-in-unsigned-referral",
    owner: "src/lookup (referral)",
    summary:
      "With DO=1, edgens adds the DS RRset to the authority section of a referral from an unsigned zone. RFC 4035 " +
      "§3.1.4.1 asks for DS *and its RRSIGs* when the zone is signed; NSD and Knot add nothing for an unsigned " +
      "zone (no RRSIG, no NSEC). Expected: authority = the NS RRset only.",
    explains: (k, field, value, nsd) =>
      field === "authority" &&
      k.edns !== false &&
      k.edns.do === true &&
      lines(value).some((l) => / IN DS /.test(l)) &&
      lines(value)
        .filter((l) => !/ IN DS /.test(l))
        .join("\n") === nsd,
  },
];

/** The known bug that explains a difference, if any. */
export function knownBug(k: Case, field: Field, value: string, nsd: string): KnownBug | undefined {
  return KNOWN_BUGS.find((b) => b.explains(k, field, value, nsd));
}
