// RFC 1034 §4.3.2 lookup, table-driven in presentation format (CoreDNS style), run end to end through the
// responder over "tcp" (no size limits here; EDNS and truncation have their own tests).
import { describe, expect, it } from "vitest";
import { createResponder } from "../../src/responder/responder.js";
import { ask, fixtureSnapshot, type QueryOptions } from "../helpers/zone-fixture.js";

interface Case {
  qname: string;
  qtype: string;
  rcode?: number;
  aa?: boolean;
  answer?: string[];
  ns?: string[];
  extra?: string[];
  opts?: QueryOptions & { transport?: "udp" | "tcp" };
}

const SOA = "example. 300 IN SOA ns1.example. hostmaster.example. 2024010101 7200 3600 1209600 300";
const CHILD_SOA =
  "child.example. 600 IN SOA ns1.child.example. hostmaster.child.example. 7 7200 3600 1209600 600";
const WWW_A = "www.example. 300 IN A 192.0.2.80";
const WWW_SIG =
  "www.example. 300 IN RRSIG A 13 2 300 20300101000000 20200101000000 12345 example. AAECAwQFBgcICQoLDA0ODw==";
const SUB_NS = ["sub.example. 3600 IN NS ns1.sub.example.", "sub.example. 3600 IN NS ns.other.example."];
const SUB_DS =
  "sub.example. 3600 IN DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";
const SUB_GLUE = ["ns1.sub.example. 3600 IN A 192.0.2.200", "ns.other.example. 3600 IN A 192.0.2.210"];

// A name of 252 octets below dn.example.: DNAME substitution makes it 256 octets long (YXDOMAIN).
const LONG = `${"a".repeat(47)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.dn.example.`;

const cases: Record<string, Case[]> = {
  "exact match": [
    { qname: "www.example.", qtype: "A", answer: [WWW_A] },
    { qname: "www.example.", qtype: "AAAA", answer: ["www.example. 300 IN AAAA 2001:db8::80"] },
    { qname: "example.", qtype: "TXT", answer: ['example. 3600 IN TXT "v=spf1 -all"'] },
    { qname: "www.example.", qtype: "RRSIG", answer: [WWW_SIG] },
  ],
  "additional section for NS, MX, SRV targets": [
    {
      qname: "example.",
      qtype: "NS",
      answer: ["example. 3600 IN NS ns1.example.", "example. 3600 IN NS ns2.example."],
      extra: [
        // A for every target first, then AAAA (NSD's order)
        "ns1.example. 3600 IN A 192.0.2.53",
        "ns2.example. 3600 IN A 192.0.2.54",
        "ns1.example. 3600 IN AAAA 2001:db8::53",
      ],
    },
    {
      qname: "example.",
      qtype: "MX",
      answer: ["example. 3600 IN MX 10 mail.example."],
      extra: ["mail.example. 3600 IN A 192.0.2.25", "mail.example. 3600 IN AAAA 2001:db8::25"],
    },
    {
      qname: "_sip._udp.example.",
      qtype: "SRV",
      answer: ["_sip._udp.example. 3600 IN SRV 10 60 5060 sip.example."],
      extra: ["sip.example. 3600 IN A 192.0.2.60"],
    },
  ],
  "negative answers (RFC 2308): SOA TTL = min(TTL, MINIMUM)": [
    { qname: "www.example.", qtype: "MX", ns: [SOA] },
    { qname: "nope.example.", qtype: "A", rcode: 3, ns: [SOA] },
    { qname: "deep.nope.example.", qtype: "A", rcode: 3, ns: [SOA] },
    // This zone is unsigned (its DNSKEY has no RRSIG; the RRSIGs it holds are decoys): DO=1 adds nothing.
    { qname: "www.example.", qtype: "MX", ns: [SOA], opts: { edns: { do: true } } },
    { qname: "nope.example.", qtype: "A", rcode: 3, ns: [SOA], opts: { edns: { do: true } } },
  ],
  "CNAME (followed inside the zone only, loops stop)": [
    { qname: "alias.example.", qtype: "A", answer: ["alias.example. 3600 IN CNAME www.example.", WWW_A] },
    { qname: "alias.example.", qtype: "CNAME", answer: ["alias.example. 3600 IN CNAME www.example."] },
    {
      qname: "alias.example.",
      qtype: "MX",
      answer: ["alias.example. 3600 IN CNAME www.example."],
      ns: [SOA],
    },
    {
      qname: "chain1.example.",
      qtype: "A",
      answer: [
        "chain1.example. 3600 IN CNAME chain2.example.",
        "chain2.example. 3600 IN CNAME www.example.",
        WWW_A,
      ],
    },
    { qname: "outside.example.", qtype: "A", answer: ["outside.example. 3600 IN CNAME www.example.net."] },
    {
      qname: "loop1.example.",
      qtype: "A",
      answer: ["loop1.example. 3600 IN CNAME loop2.example.", "loop2.example. 3600 IN CNAME loop1.example."],
    },
    {
      qname: "dangling.example.",
      qtype: "A",
      rcode: 3, // RFC 6604: the RCODE is that of the last name in the chain
      answer: ["dangling.example. 3600 IN CNAME nothere.example."],
      ns: [SOA],
    },
    {
      qname: "alias.example.",
      qtype: "A",
      answer: ["alias.example. 3600 IN CNAME www.example.", WWW_A],
      opts: { edns: { do: true } },
    },
    // QTYPE=CNAME (RFC 1034 §4.3.2 step 3a): the CNAME is the answer, never followed, whatever its target.
    {
      qname: "dangling.example.",
      qtype: "CNAME",
      answer: ["dangling.example. 3600 IN CNAME nothere.example."],
    },
    { qname: "chain1.example.", qtype: "CNAME", answer: ["chain1.example. 3600 IN CNAME chain2.example."] },
    { qname: "loop1.example.", qtype: "CNAME", answer: ["loop1.example. 3600 IN CNAME loop2.example."] },
    {
      qname: "todeleg.example.",
      qtype: "CNAME",
      answer: ["todeleg.example. 3600 IN CNAME host.sub.example."],
    },
    { qname: "foo.cn.example.", qtype: "CNAME", answer: ["foo.cn.example. 3600 IN CNAME www.example."] },
    {
      qname: "todeleg.example.",
      qtype: "A",
      aa: true,
      answer: ["todeleg.example. 3600 IN CNAME host.sub.example."],
      ns: SUB_NS,
      extra: SUB_GLUE,
    },
  ],
  "DNAME (RFC 6672)": [
    {
      qname: "www.dn.example.",
      qtype: "A",
      answer: [
        "dn.example. 3600 IN DNAME target.example.",
        "www.dn.example. 3600 IN CNAME www.target.example.",
        "www.target.example. 3600 IN A 192.0.2.90",
      ],
    },
    {
      qname: "a.dn.example.",
      qtype: "A",
      rcode: 3,
      answer: ["dn.example. 3600 IN DNAME target.example.", "a.dn.example. 3600 IN CNAME a.target.example."],
      ns: [SOA],
    },
    { qname: "dn.example.", qtype: "DNAME", answer: ["dn.example. 3600 IN DNAME target.example."] },
    { qname: "dn.example.", qtype: "A", ns: [SOA] },
    {
      qname: "x.dnout.example.",
      qtype: "A",
      answer: ["dnout.example. 3600 IN DNAME example.net.", "x.dnout.example. 3600 IN CNAME x.example.net."],
    },
    { qname: LONG, qtype: "A", rcode: 6, answer: ["dn.example. 3600 IN DNAME target.example."] },
    // QTYPE=CNAME below a DNAME: the synthesized CNAME is the answer and is not chased (RFC 6672 §3.2), so a
    // missing target is not NXDOMAIN and an existing one adds nothing (as NSD and Knot).
    {
      qname: "a.dn.example.",
      qtype: "CNAME",
      answer: ["dn.example. 3600 IN DNAME target.example.", "a.dn.example. 3600 IN CNAME a.target.example."],
    },
    {
      qname: "www.dn.example.",
      qtype: "CNAME",
      answer: [
        "dn.example. 3600 IN DNAME target.example.",
        "www.dn.example. 3600 IN CNAME www.target.example.",
      ],
    },
    {
      qname: "a.dn.example.",
      qtype: "CNAME",
      answer: ["dn.example. 3600 IN DNAME target.example.", "a.dn.example. 3600 IN CNAME a.target.example."],
      opts: { transport: "udp", edns: { do: true } },
    },
    {
      qname: "x.dnout.example.",
      qtype: "CNAME",
      answer: ["dnout.example. 3600 IN DNAME example.net.", "x.dnout.example. 3600 IN CNAME x.example.net."],
    },
    { qname: LONG, qtype: "CNAME", rcode: 6, answer: ["dn.example. 3600 IN DNAME target.example."] },
  ],
  "wildcards (RFC 4592)": [
    { qname: "foo.wild.example.", qtype: "A", answer: ["foo.wild.example. 3600 IN A 192.0.2.100"] },
    { qname: "a.b.c.wild.example.", qtype: "A", answer: ["a.b.c.wild.example. 3600 IN A 192.0.2.100"] },
    {
      qname: "foo.wild.example.",
      qtype: "MX",
      answer: ["foo.wild.example. 3600 IN MX 10 mail.example."],
      extra: ["mail.example. 3600 IN A 192.0.2.25", "mail.example. 3600 IN AAAA 2001:db8::25"],
    },
    { qname: "foo.wild.example.", qtype: "AAAA", ns: [SOA] },
    { qname: "*.wild.example.", qtype: "A", answer: ["*.wild.example. 3600 IN A 192.0.2.100"] },
    // An existing name is never matched by the wildcard ...
    { qname: "sub.wild.example.", qtype: "A", ns: [SOA] },
    // ... nor is anything below it: the closest encloser is sub.wild., which has no wildcard child.
    { qname: "x.sub.wild.example.", qtype: "A", rcode: 3, ns: [SOA] },
    // b.wild. is an empty non-terminal (a.b.wild. exists): it exists, so it blocks *.wild. too.
    { qname: "b.wild.example.", qtype: "A", ns: [SOA] },
    { qname: "x.b.wild.example.", qtype: "A", rcode: 3, ns: [SOA] },
    // *.x.ent.: the wildcard's parent and grandparent are empty non-terminals.
    { qname: "foo.x.ent.example.", qtype: "A", answer: ["foo.x.ent.example. 3600 IN A 192.0.2.102"] },
    { qname: "a.foo.x.ent.example.", qtype: "A", answer: ["a.foo.x.ent.example. 3600 IN A 192.0.2.102"] },
    { qname: "x.ent.example.", qtype: "A", ns: [SOA] },
    { qname: "ent.example.", qtype: "A", ns: [SOA] },
    { qname: "foo.ent.example.", qtype: "A", rcode: 3, ns: [SOA] },
    // *.wc2. is itself an empty non-terminal (sub.*.wc2. exists): it matches, with no data (NODATA).
    { qname: "foo.wc2.example.", qtype: "A", ns: [SOA] },
    {
      qname: "foo.cn.example.",
      qtype: "A",
      answer: ["foo.cn.example. 3600 IN CNAME www.example.", WWW_A],
    },
  ],
  "delegations: referral with glue (AA=0), DS from the parent side (AA=1)": [
    { qname: "www.sub.example.", qtype: "A", aa: false, ns: SUB_NS, extra: SUB_GLUE },
    { qname: "sub.example.", qtype: "A", aa: false, ns: SUB_NS, extra: SUB_GLUE },
    { qname: "sub.example.", qtype: "NS", aa: false, ns: SUB_NS, extra: SUB_GLUE },
    { qname: "ns1.sub.example.", qtype: "A", aa: false, ns: SUB_NS, extra: SUB_GLUE },
    {
      qname: "www.sub.example.",
      qtype: "A",
      aa: false,
      ns: SUB_NS, // no DS in a referral from an unsigned zone, even with DO=1 (as NSD and Knot)
      extra: SUB_GLUE,
      opts: { edns: { do: true } },
    },
    { qname: "sub.example.", qtype: "DS", answer: [SUB_DS] },
    { qname: "sub.example.", qtype: "DS", answer: [SUB_DS], opts: { edns: { do: true } } },
  ],
  "nested zones: the most specific zone answers, DS from the parent": [
    {
      qname: "child.example.",
      qtype: "DS",
      answer: [
        "child.example. 3600 IN DS 54321 13 2 FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210",
      ],
    },
    {
      qname: "child.example.",
      qtype: "SOA",
      answer: [
        "child.example. 3600 IN SOA ns1.child.example. hostmaster.child.example. 7 7200 3600 1209600 600",
      ],
    },
    { qname: "www.child.example.", qtype: "A", answer: ["www.child.example. 3600 IN A 192.0.2.221"] },
    { qname: "nope.child.example.", qtype: "A", rcode: 3, ns: [CHILD_SOA] },
  ],
  "outside our zones, classes, ANY": [
    { qname: "www.example.org.", qtype: "A", rcode: 5, aa: false },
    { qname: ".", qtype: "NS", rcode: 5, aa: false },
    { qname: "www.example.", qtype: "AXFR", rcode: 5, aa: false },
    { qname: "www.example.", qtype: "AXFR", rcode: 4, aa: false, opts: { transport: "udp" } },
    // Class ANY is answered from the IN data with AA=0, other classes are refused, as NSD does.
    { qname: "www.example.", qtype: "A", aa: false, answer: [WWW_A], opts: { qclass: 255 } },
    { qname: "www.example.", qtype: "A", rcode: 5, aa: false, opts: { qclass: 4 } },
    { qname: "www.example.", qtype: "A", rcode: 5, aa: false, opts: { qclass: 254 } },
    // RFC 8482: one RRset, the first in zone-file order, on UDP and TCP alike (as NSD).
    { qname: "www.example.", qtype: "ANY", answer: [WWW_A], opts: { transport: "udp" } },
    { qname: "www.example.", qtype: "ANY", answer: [WWW_A] },
    { qname: "m1.example.", qtype: "ANY", answer: ["m1.example. 3600 IN AAAA 2001:db8::1:1"] },
    {
      qname: "example.",
      qtype: "ANY",
      answer: ["example. 3600 IN SOA ns1.example. hostmaster.example. 2024010101 7200 3600 1209600 300"],
    },
    { qname: "www.example.", qtype: "ANY", answer: [WWW_A], opts: { edns: { do: true } } },
    { qname: "alias.example.", qtype: "ANY", answer: ["alias.example. 3600 IN CNAME www.example."] },
    { qname: "sub.example.", qtype: "ANY", aa: false, ns: SUB_NS, extra: SUB_GLUE },
    { qname: "nope.example.", qtype: "ANY", rcode: 3, ns: [SOA] },
  ],
};

describe("lookup (RFC 1034 §4.3.2)", () => {
  const responder = createResponder(fixtureSnapshot(), { identity: "test", maxUdpPayload: 1232 });
  for (const [group, list] of Object.entries(cases)) {
    describe(group, () => {
      for (const c of list) {
        const title = `${c.qname.length > 40 ? `${c.qname.slice(0, 20)}…` : c.qname} ${c.qtype}${c.opts?.edns?.do ? " +do" : ""}${c.opts?.transport === "udp" ? " udp" : ""}`;
        it(title, () => {
          const { d } = ask(responder, c.qname, c.qtype, c.opts);
          expect({ rcode: d.rcode, aa: d.aa, answer: d.answer, ns: d.ns, extra: d.extra }).toEqual({
            rcode: c.rcode ?? 0,
            aa: c.aa ?? c.rcode !== 5,
            answer: c.answer ?? [],
            ns: c.ns ?? [],
            extra: c.extra ?? [],
          });
        });
      }
    });
  }
});
