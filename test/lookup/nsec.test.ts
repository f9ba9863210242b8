// DNSSEC with NSEC (RFC 4035 §3.1): RRSIGs with DO=1 and the denial proofs, table-driven on the signed copy of
// the lookup fixture (ldns-signzone). RRSIGs are shortened to "owner ttl IN RRSIG <covered type>" for reading;
// test/responder/nsd-differential.test.ts compares the full bytes with NSD.
import { describe, expect, it } from "vitest";
import { coveringNsecNode } from "../../src/lookup/nsec.js";
import { createResponder } from "../../src/responder/responder.js";
import { compileSnapshot } from "../../src/responder/snapshot.js";
import { nameKey, nameToText, parseNameText } from "../../src/wire/name.js";
import { canonicalCompare } from "../../src/zone/zone.js";
import { ask, loadFixtureZone } from "../helpers/zone-fixture.js";

const signed = loadFixtureZone("signed.example.zone", "example.");
const responder = createResponder(compileSnapshot([signed], 1), { identity: "t", maxUdpPayload: 1232 });

const brief = (rr: string) => rr.replace(/^(\S+ \d+ IN RRSIG \S+) .*$/, "$1");
const nsec = (owner: string, next: string, types: string) => [
  `${owner} 300 IN NSEC ${next} ${types}`,
  `${owner} 300 IN RRSIG NSEC`,
];
const SOA = [
  "example. 300 IN SOA ns1.example. hostmaster.example. 2024010101 7200 3600 1209600 300",
  "example. 300 IN RRSIG SOA",
];

interface Case {
  qname: string;
  qtype: string;
  rcode?: number;
  aa?: boolean;
  answer?: string[];
  ns?: string[];
  extra?: string[];
}

const cases: Record<string, Case[]> = {
  "positive answers carry their RRSIGs": [
    {
      qname: "www.example.",
      qtype: "A",
      answer: ["www.example. 300 IN A 192.0.2.80", "www.example. 300 IN RRSIG A"],
    },
    {
      qname: "alias.example.",
      qtype: "A",
      answer: [
        "alias.example. 3600 IN CNAME www.example.",
        "alias.example. 3600 IN RRSIG CNAME",
        "www.example. 300 IN A 192.0.2.80",
        "www.example. 300 IN RRSIG A",
      ],
    },
  ],
  "NODATA: the NSEC at the name": [
    {
      qname: "www.example.",
      qtype: "MX",
      ns: [...SOA, ...nsec("www.example.", "example.", "A AAAA RRSIG NSEC")],
    },
    // An empty non-terminal has no NSEC: the one that spans it proves it has no data.
    {
      qname: "b.wild.example.",
      qtype: "A",
      ns: [...SOA, ...nsec("*.wild.example.", "a.b.wild.example.", "A MX RRSIG NSEC")],
    },
    // DS absent at a cut: the NSEC at the cut (no DS bit).
    {
      qname: "other.example.",
      qtype: "DS",
      ns: [...SOA, ...nsec("other.example.", "outside.example.", "NS RRSIG NSEC")],
    },
  ],
  "NXDOMAIN: no such name, no wildcard": [
    {
      qname: "nope.example.",
      qtype: "A",
      rcode: 3,
      ns: [
        ...nsec("mxmany.example.", "ns1.example.", "MX RRSIG NSEC"),
        ...nsec("example.", "_sip._udp.example.", "A NS SOA MX TXT RRSIG NSEC DNSKEY"),
        ...SOA,
      ],
    },
    // One NSEC can prove both.
    {
      qname: "x.sub.wild.example.",
      qtype: "A",
      rcode: 3,
      ns: [...nsec("sub.wild.example.", "www.example.", "TXT RRSIG NSEC"), ...SOA],
    },
  ],
  "wildcards: prove there was no closer match": [
    {
      qname: "foo.wild.example.",
      qtype: "A",
      answer: ["foo.wild.example. 3600 IN A 192.0.2.100", "foo.wild.example. 3600 IN RRSIG A"],
      ns: nsec("a.b.wild.example.", "sub.wild.example.", "A RRSIG NSEC"),
    },
    {
      qname: "foo.wild.example.",
      qtype: "AAAA",
      ns: [
        ...nsec("a.b.wild.example.", "sub.wild.example.", "A RRSIG NSEC"),
        ...SOA,
        ...nsec("*.wild.example.", "a.b.wild.example.", "A MX RRSIG NSEC"),
      ],
    },
    {
      qname: "foo.cn.example.",
      qtype: "A",
      answer: [
        "foo.cn.example. 3600 IN CNAME www.example.",
        "foo.cn.example. 3600 IN RRSIG CNAME",
        "www.example. 300 IN A 192.0.2.80",
        "www.example. 300 IN RRSIG A",
      ],
      ns: nsec("*.cn.example.", "dangling.example.", "CNAME RRSIG NSEC"),
    },
  ],
  "referrals: DS and its RRSIG, or the NSEC proving there is none": [
    {
      qname: "www.sub.example.",
      qtype: "A",
      aa: false,
      ns: [
        "sub.example. 3600 IN NS ns.other.example.",
        "sub.example. 3600 IN NS ns1.sub.example.",
        "sub.example. 3600 IN DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
        "sub.example. 3600 IN RRSIG DS",
      ],
      extra: ["ns.other.example. 3600 IN A 192.0.2.210", "ns1.sub.example. 3600 IN A 192.0.2.200"],
    },
    {
      qname: "www.other.example.",
      qtype: "A",
      aa: false,
      ns: [
        "other.example. 3600 IN NS ns.other.example.",
        ...nsec("other.example.", "outside.example.", "NS RRSIG NSEC"),
      ],
      extra: ["ns.other.example. 3600 IN A 192.0.2.210"],
    },
  ],
};

describe("DNSSEC (NSEC) answers with DO=1", () => {
  for (const [group, list] of Object.entries(cases)) {
    describe(group, () => {
      for (const c of list) {
        it(`${c.qname} ${c.qtype}`, () => {
          const { d } = ask(responder, c.qname, c.qtype, { edns: { do: true } });
          expect({
            rcode: d.rcode,
            aa: d.aa,
            answer: d.answer.map(brief),
            ns: d.ns.map(brief),
            extra: d.extra.map(brief),
          }).toEqual({
            rcode: c.rcode ?? 0,
            aa: c.aa ?? true,
            answer: c.answer ?? [],
            ns: c.ns ?? [],
            extra: c.extra ?? [],
          });
        });
      }
    });
  }

  it("adds no proofs without DO", () => {
    expect(ask(responder, "nope.example.", "A").d.ns).toHaveLength(1);
  });
});

describe("canonical order (RFC 4034 §6.1)", () => {
  it("sorts the RFC's example names", () => {
    const names = [
      "example.",
      "a.example.",
      "yljkjljk.a.example.",
      "Z.a.example.",
      "zABC.a.EXAMPLE.",
      "z.example.",
      "\\001.z.example.",
      "*.z.example.",
      "\\200.z.example.",
    ];
    const keys = names.map((n) => nameKey(parseNameText(n, null)));
    const shuffled = [...keys].reverse();
    expect(shuffled.sort(canonicalCompare)).toEqual(keys);
  });

  it("finds the NSEC that covers a name, wrapping to the last one", () => {
    const cover = (n: string) => nameToText(coveringNsecNode(signed, nameKey(parseNameText(n, null)))!.key);
    expect(cover("nope.example.")).toBe("mxmany.example.");
    expect(cover("www.example.")).toBe("www.example.");
    expect(cover("zzz.example.")).toBe("www.example.");
    expect(cover("a.example.")).toBe("_sip._udp.example.");
  });
});
