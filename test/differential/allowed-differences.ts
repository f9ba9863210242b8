// Where edgens may answer differently from NSD, the primary reference, and why. Every entry names one corpus case
// and one normalized field (test/helpers/compare.ts) and says what edgens may answer instead:
//   "knot"    — Knot DNS's answer (NSD and Knot legitimately differ here; the reason says how),
//   "any"     — anything (the value is product-specific, e.g. a version string),
//   predicate — a check of the field's text (one line per RR for sections).
// Anything else that differs from NSD fails test/differential/edgens-vs-reference.test.ts.
// test/differential/nsd-vs-knot.test.ts checks that every NSD-vs-Knot difference is listed here (Knot must be
// accepted), so the list stays the complete record of legitimate implementation choices. README.md explains.
import type { Field } from "../helpers/compare.js";

/** A predicate gets edgens' field text and the references' texts for the same field. */
export type Accept = "knot" | "any" | ((value: string, ref: { nsd: string; knot: string }) => boolean);

export interface AllowedDifference {
  case: string;
  field: Field;
  accept: Accept;
  reason: string;
}

/** True when every line of a section is one RRset owned by `owner` (RFC 8482: one RRset may answer ANY). */
function oneRRsetAt(owner: string): (v: string) => boolean {
  return (v) => {
    const lines = v.split("\n").filter(Boolean);
    if (lines.length === 0) return false;
    const heads = new Set(
      lines.map((l) =>
        l
          .split(" ")
          .filter((_, i) => i !== 1 && i < 4)
          .join(" "),
      ),
    );
    return heads.size === 1 && lines[0]!.toLowerCase().startsWith(`${owner} `);
  };
}

/** Every RRset at www.example.test. (a complete ANY answer), in any order. */
const WWW_ALL_RRSETS = [
  "www.example.test. 3600 IN A 192.0.2.10",
  "www.example.test. 3600 IN AAAA 2001:db8::10",
  'www.example.test. 300 IN TXT "short ttl"',
];

function sameLines(want: string[]): (v: string) => boolean {
  const sorted = [...want].sort().join("\n");
  return (v) => v.split("\n").sort().join("\n") === sorted;
}

const EDE_REASON =
  "Extended DNS Errors are optional (RFC 8914 §3 'MAY'). NSD 4.6 and Knot 3.2 add EDE 20 (Not Authoritative) " +
  "to REFUSED answers for names outside their zones; an answer without the option is equally correct.";

/** The same EDNS text without any EDE option. */
const withoutEde = (v: string) => !/ede=/.test(v) && /^v0( |$)/.test(v);

const CH_AA_REASON =
  "RFC 4892 does not say whether identity answers in class CH are authoritative: NSD and Knot clear AA, BIND " +
  "sets it (it serves a built-in CH zone). Either is correct.";

export const ALLOWED_DIFFERENCES: AllowedDifference[] = [
  {
    case: "cname-xzone",
    field: "answer",
    accept: "knot",
    reason:
      "Following a CNAME into another zone the server also serves is optional (RFC 1034 §4.3.2 step 3a restarts " +
      "'if the data is in this zone'; resolvers re-query the target anyway). NSD follows it, Knot stops.",
  },
  {
    case: "dname-xzone",
    field: "answer",
    accept: "knot",
    reason:
      "Same as cname-xzone for the CNAME synthesized from a DNAME (RFC 6672 §3.2): NSD follows, Knot stops.",
  },
  {
    case: "mx-additional",
    field: "additional",
    accept: "knot",
    reason:
      "Additional section processing is a 'should' (RFC 1035 §3.3.9, RFC 2181 §5.4.1 ranks it lowest). NSD " +
      "with minimal-responses omits MX target addresses; Knot adds in-zone ones.",
  },
  {
    case: "srv-additional",
    field: "additional",
    accept: "knot",
    reason: "As mx-additional, for SRV targets (RFC 2782 'Usage rules' makes it optional).",
  },
  {
    case: "any-udp",
    field: "answer",
    accept: oneRRsetAt("example.test."),
    reason:
      "RFC 8482 §4.2 lets an authoritative server answer ANY with one RRset of its choice: NSD picks SOA, Knot " +
      "picks A at the apex. Any single RRset at the name is correct.",
  },
  {
    case: "any-tcp",
    field: "answer",
    accept: (v) => oneRRsetAt("www.example.test.")(v) || sameLines(WWW_ALL_RRSETS)(v),
    reason:
      "RFC 8482 §4.1/§4.2: over TCP a server may return one RRset (NSD, Knot) or every RRset at the name.",
  },
  {
    case: "ch-version-bind",
    field: "answer",
    accept: "any",
    reason:
      "The version string is the product's own (NSD 4.6.1 vs Knot DNS 3.2.6); REFUSED-style hiding is checked by rcode.",
  },
  {
    case: "dname-case",
    field: "answer",
    accept: (v, ref) => v !== ref.nsd && v.toLowerCase() === ref.nsd.toLowerCase(),
    reason:
      "Letter case only (RFC 4343). RFC 6672 §2.2 builds the target by replacing the DNAME owner suffix of the " +
      "QNAME, so edgens keeps the query's case in the kept labels (wWw.target…); NSD and Knot lower-case them.",
  },
  {
    case: "ch-version-bind",
    field: "rcode",
    accept: (v) => v === "REFUSED",
    reason:
      'Hiding the software version is a deployment choice (NSD hide-version: yes, Knot version: "" both answer ' +
      "REFUSED); edgens does not reveal it.",
  },
  { case: "ch-id-server", field: "flags", accept: (v) => v === "qr aa", reason: CH_AA_REASON },
  { case: "ch-hostname-bind", field: "flags", accept: (v) => v === "qr aa", reason: CH_AA_REASON },
  { case: "refused-outside", field: "edns", accept: withoutEde, reason: EDE_REASON },
  { case: "refused-parent", field: "edns", accept: withoutEde, reason: EDE_REASON },
  { case: "refused-root", field: "edns", accept: withoutEde, reason: EDE_REASON },
  {
    case: "ch-unknown",
    field: "edns",
    accept: withoutEde,
    reason: `${EDE_REASON} For an unknown CH name NSD adds EDE 21 (Not Supported) and Knot adds nothing.`,
  },
  {
    case: "axfr-udp",
    field: "rcode",
    accept: (v) => v === "REFUSED",
    reason:
      "RFC 5936 §4.2 leaves AXFR over UDP undefined and prescribes no rcode. NSD and Knot answer NOTIMP; edgens " +
      "answers REFUSED, the rcode it uses for every transfer it will not serve (policy, RFC 5936 §5.1). " +
      "Both make a client fall back or give up.",
  },
  ...(["question", "edns"] as const).map(
    (field): AllowedDifference => ({
      case: "opcode-status",
      field,
      accept: "knot",
      reason:
        "RFC 1035 does not require the question in a NOTIMP answer: NSD sends the bare header, Knot echoes the " +
        "question and the OPT (RFC 6891 §7 asks for an OPT in every answer to a query that had one).",
    }),
  ),
  ...(["rcode", "question", "edns"] as const).map(
    (field): AllowedDifference => ({
      case: "opcode-update",
      field,
      accept: "knot",
      reason:
        "A server without dynamic update may say NOTIMP (NSD, bare header) or NOTAUTH (Knot, question and OPT " +
        "echoed; RFC 2136 §3.1.1 lists NOTAUTH for a zone it will not update).",
    }),
  ),
  {
    case: "no-question",
    field: "rcode",
    accept: "knot",
    reason:
      "A QUERY with QDCOUNT=0 asks nothing (RFC 9619: QDCOUNT is 1 for QUERY). Knot answers FORMERR, NSD NOERROR; " +
      "FORMERR is the better answer.",
  },
  ...(["question", "edns"] as const).map(
    (field): AllowedDifference => ({
      case: "qclass-hs",
      field,
      accept: "knot",
      reason:
        "REFUSED for a class the server has no zones in: NSD drops the question and adds EDE 21, Knot echoes the " +
        "question without EDE. Both are valid (EDE is optional, RFC 8914).",
    }),
  ),
  {
    case: "qclass-any",
    field: "flags",
    accept: "knot",
    reason:
      "QCLASS=ANY: RFC 6895 §3.2 leaves AA to the server's certainty that it has every class for the name; NSD " +
      "clears AA, Knot (serving only IN) sets it.",
  },
];

/** The entry that allows `value` for (case, field), or undefined. */
export function allowedBy(
  caseId: string,
  field: Field,
  value: string,
  ref: { nsd: string; knot: string },
): AllowedDifference | undefined {
  return ALLOWED_DIFFERENCES.find((a) => {
    if (a.case !== caseId || a.field !== field) return false;
    if (a.accept === "any") return true;
    if (a.accept === "knot") return value === ref.knot;
    return a.accept(value, ref);
  });
}
