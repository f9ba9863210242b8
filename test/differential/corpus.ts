// The differential query corpus, in presentation terms: one row per query, each naming the rule it exercises.
// Zones: test/fixtures/zones/differential/ (example.test, its nested child zone sub.example.test, other.test).
import { join } from "node:path";
import type { EdnsOptions } from "../helpers/dns-client.js";
import type { ZoneSpec } from "../helpers/peers.js";

const ZONE_DIR = join(import.meta.dirname, "../fixtures/zones/differential");

export const DIFF_ZONES: ZoneSpec[] = [
  { origin: "example.test.", file: join(ZONE_DIR, "example.test.zone") },
  { origin: "sub.example.test.", file: join(ZONE_DIR, "sub.example.test.zone") },
  { origin: "other.test.", file: join(ZONE_DIR, "other.test.zone") },
];

/** The identity and NSID every server under test is configured with, so CH TXT and NSID compare equal. */
export const DIFF_IDENTITY = "edge-test";

export interface Case {
  /** Stable id, used by the allow-list. */
  id: string;
  /** "qname [class] qtype", e.g. "wWw.example.test. A" or "id.server. CH TXT". */
  q: string;
  transport: "udp" | "tcp";
  /** EDNS of the query; false = none. */
  edns: EdnsOptions | false;
  rd?: boolean;
  /** Header opcode (default QUERY). */
  opcode?: number;
  /** QDCOUNT=0, no question. */
  noQuestion?: boolean;
  /** The rule the case exercises. */
  rule: string;
}

const E = { udpSize: 1232 } satisfies EdnsOptions;

type Opts = Partial<Pick<Case, "transport" | "edns" | "rd" | "opcode" | "noQuestion">>;
const c = (id: string, q: string, rule: string, o: Opts = {}): Case => ({
  id,
  q,
  rule,
  transport: o.transport ?? "udp",
  edns: o.edns ?? E,
  ...(o.rd !== undefined ? { rd: o.rd } : {}),
  ...(o.opcode !== undefined ? { opcode: o.opcode } : {}),
  ...(o.noQuestion ? { noQuestion: true } : {}),
});

export const CORPUS: Case[] = [
  // Exact matches (RFC 1034 §4.3.2 step 3a)
  c("apex-soa", "example.test. SOA", "exact match at the apex"),
  c("apex-ns", "example.test. NS", "apex NS with in-zone glue in additional"),
  c("apex-a", "example.test. A", "exact match at the apex"),
  c("exact-a", "www.example.test. A", "exact match"),
  c("exact-aaaa", "www.example.test. AAAA", "exact match"),
  c("exact-txt-ttl", "www.example.test. TXT", "per-RRset TTL"),
  c("exact-hinfo", "host.example.test. HINFO", "HINFO rdata"),
  c("exact-caa", "host.example.test. CAA", "CAA rdata"),
  c("exact-rd", "www.example.test. A", "RD copied from the query, RA clear", { rd: true }),
  // Case (RFC 4343)
  c("case-qname", "wWw.ExAmPlE.TeSt. A", "case-insensitive match, question case preserved"),
  c("case-owner", "mixed.example.test. A", "zone owner spelled MiXeD"),
  c("case-cname", "ALIAS.example.test. A", "mixed-case qname through a CNAME"),
  // NODATA / NXDOMAIN (RFC 2308)
  c("nodata", "www.example.test. MX", "NODATA: SOA in authority"),
  c("nodata-apex", "example.test. SRV", "NODATA at the apex"),
  c("nodata-unknown-type", "www.example.test. TYPE65280", "NODATA for an unknown type"),
  c("nxdomain", "nope.example.test. A", "NXDOMAIN: SOA in authority"),
  c("nxdomain-deep", "a.b.c.nope.example.test. AAAA", "NXDOMAIN several labels below"),
  c("ent-nodata", "y.ent.example.test. A", "empty non-terminal is NODATA, not NXDOMAIN"),
  c("ent-nxdomain-below", "zz.y.ent.example.test. A", "NXDOMAIN below an empty non-terminal"),
  // CNAME (RFC 1034 §3.6.2, §4.3.2 step 3a; RFC 6604)
  c("cname", "alias.example.test. A", "CNAME followed in-zone"),
  c("cname-chain", "chain1.example.test. A", "CNAME chain of three in-zone"),
  c("cname-qtype-cname", "alias.example.test. CNAME", "QTYPE=CNAME is not followed"),
  c("cname-qtype-any-target", "alias.example.test. AAAA", "CNAME followed for another type"),
  c("cname-xzone", "xzone.example.test. A", "CNAME into another served zone"),
  c("cname-ext", "ext.example.test. A", "CNAME out of all served zones"),
  c("cname-loop", "loop1.example.test. A", "CNAME loop terminates"),
  c("cname-dangling", "dangling.example.test. A", "CNAME to a non-existent in-zone name (RFC 6604 rcode)"),
  c("cname-to-cut", "tocut.example.test. A", "CNAME to a name below a delegation"),
  // DNAME (RFC 6672)
  c("dname-in-zone", "www.redir.example.test. A", "DNAME + synthesized CNAME + in-zone target"),
  c("dname-xzone", "www.legacy.example.test. A", "DNAME into another served zone"),
  c("dname-nx-target", "nope.redir.example.test. A", "DNAME to a non-existent target"),
  c("dname-owner", "redir.example.test. DNAME", "the DNAME owner itself"),
  c(
    "dname-qtype-cname",
    "nope.redir.example.test. CNAME",
    "QTYPE=CNAME: the synthesized CNAME is the answer",
  ),
  c("dname-case", "wWw.ReDiR.example.test. A", "mixed-case qname through a DNAME (synthesized CNAME owner)"),
  c("dname-owner-a", "redir.example.test. A", "DNAME does not apply to its owner: NODATA"),
  // Wildcards (RFC 4592)
  c("wild-a", "foo.wild.example.test. A", "wildcard synthesis"),
  c("wild-multi-label", "a.b.wild.example.test. A", "wildcard synthesis several labels below"),
  c("wild-txt", "foo.wild.example.test. TXT", "wildcard synthesis, another type"),
  c("wild-nodata", "foo.wild.example.test. MX", "wildcard matches the name but not the type: NODATA"),
  c("wild-literal", "*.wild.example.test. A", "the wildcard owner queried literally"),
  c("wild-existing", "sub.wild.example.test. A", "an existing name is not synthesized"),
  c("wild-existing-nodata", "sub.wild.example.test. TXT", "existing name blocks the wildcard: NODATA"),
  c("wild-blocked", "x.sub.wild.example.test. A", "closest encloser sub.wild has no wildcard: NXDOMAIN"),
  c("wild-w2", "q.w2.example.test. A", "wildcard beside an empty non-terminal"),
  c("wild-ent-nodata", "ent.w2.example.test. A", "empty non-terminal blocks the wildcard: NODATA"),
  c("wild-below-ent", "y.ent.w2.example.test. A", "closest encloser is the ENT: NXDOMAIN"),
  c("wild-cname", "foo.wcname.example.test. A", "wildcard CNAME, target followed"),
  // Delegations (RFC 1034 §4.3.2 step 3b), DS at the cut (RFC 4035 §3.1.4.1)
  c("referral", "www.child.example.test. A", "referral: NS in authority, glue in additional, AA clear"),
  c("referral-at-cut", "child.example.test. A", "query at the cut is a referral"),
  c("referral-ns", "child.example.test. NS", "NS at the cut is a referral, not an answer"),
  c("referral-glue-name", "ns.child.example.test. A", "glue is not authoritative: referral"),
  c("referral-deep", "a.b.c.child.example.test. MX", "referral from deep below the cut"),
  c("referral-inzone-ns", "foo.nsinzone.example.test. A", "referral to an in-zone, non-glue name server"),
  c("ds-at-cut", "child.example.test. DS", "DS is answered by the parent, AA set"),
  c("referral-do", "www.child.example.test. A", "referral with DO=1 from an unsigned zone: no DS", {
    edns: { udpSize: 1232, do: true },
  }),
  // Nested zones served by the same server
  c("nested-a", "www.sub.example.test. A", "most specific served zone answers"),
  c("nested-soa", "sub.example.test. SOA", "apex of the nested zone"),
  c("nested-ns", "sub.example.test. NS", "apex NS of the nested zone"),
  c("nested-ds", "sub.example.test. DS", "DS of a nested zone comes from the parent"),
  c("nested-nxdomain", "nope.sub.example.test. A", "NXDOMAIN with the nested zone's SOA"),
  // Additional section processing (RFC 1035 §3.3.9, RFC 2782)
  c("mx-additional", "example.test. MX", "MX targets' A/AAAA in additional"),
  c("srv-additional", "_sip._udp.example.test. SRV", "SRV targets' A/AAAA in additional"),
  c("ns-additional-other", "other.test. NS", "NS of the second zone"),
  // ANY (RFC 8482)
  c("any-udp", "example.test. ANY", "ANY over UDP"),
  c("any-tcp", "www.example.test. ANY", "ANY over TCP", { transport: "tcp" }),
  c("any-nxdomain", "nope.example.test. ANY", "ANY for a name that does not exist"),
  // Outside every zone
  c("refused-outside", "www.nowhere.invalid. A", "not authoritative: REFUSED"),
  c("refused-parent", "test. SOA", "parent of served zones: REFUSED"),
  c("refused-root", ". NS", "root: REFUSED"),
  // EDNS (RFC 6891, RFC 5001) and truncation (RFC 1035 §4.2.1)
  c("no-edns", "www.example.test. A", "no OPT in the query: none in the response", { edns: false }),
  c("edns-nsid", "www.example.test. A", "NSID requested", { edns: { udpSize: 1232, nsid: true } }),
  c("edns-do", "www.example.test. A", "DO bit on an unsigned zone", { edns: { udpSize: 1232, do: true } }),
  c("edns-badvers", "www.example.test. A", "EDNS version 1: BADVERS", {
    edns: { udpSize: 1232, version: 1 },
  }),
  c("tc-no-edns", "big.example.test. TXT", "over 512 octets without EDNS: TC", { edns: false }),
  c("tc-edns-512", "big.example.test. TXT", "over the advertised 512: TC", { edns: { udpSize: 512 } }),
  c("big-edns-4096", "big.example.test. TXT", "fits the advertised 4096", { edns: { udpSize: 4096 } }),
  c("big-tcp", "big.example.test. TXT", "TCP is never truncated", { edns: false, transport: "tcp" }),
  c("tcp-referral", "www.child.example.test. A", "referral over TCP", { transport: "tcp" }),
  // CHAOS identity (RFC 4892)
  c("ch-id-server", "id.server. CH TXT", "server identity"),
  c("ch-hostname-bind", "hostname.bind. CH TXT", "server identity, BIND spelling"),
  c("ch-version-bind", "version.bind. CH TXT", "software version"),
  c("ch-unknown", "foo.bar. CH TXT", "unknown CHAOS name"),
  // Zone transfer over UDP is not allowed (RFC 5936 §4.2)
  c("axfr-udp", "example.test. AXFR", "AXFR over UDP"),
  // Header and class oddities (RFC 1035 §4.1.1, RFC 6895)
  c("opcode-status", "www.example.test. A", "opcode STATUS (2): NOTIMP", { opcode: 2 }),
  c("opcode-update", "example.test. SOA", "opcode UPDATE (5) without update support", { opcode: 5 }),
  c("no-question", "example.test. SOA", "QDCOUNT=0: FORMERR", { noQuestion: true }),
  c("qclass-hs", "www.example.test. HS A", "class HS: no zone there: REFUSED"),
  c("qclass-any", "www.example.test. ANY A", "QCLASS=ANY (*)"),
];

/** Split a case's "qname [class] qtype" into parts. */
export function parseQ(q: string): { qname: string; qclass: string; qtype: string } {
  const parts = q.trim().split(/\s+/);
  if (parts.length === 2) return { qname: parts[0]!, qclass: "IN", qtype: parts[1]! };
  if (parts.length === 3) return { qname: parts[0]!, qclass: parts[1]!, qtype: parts[2]! };
  throw new Error(`bad corpus question '${q}'`);
}
