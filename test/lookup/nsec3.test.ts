// NSEC3 (RFC 5155): hashing and the proofs of §7.2, on the NSEC3-signed copy of the lookup fixture.
// NSEC3 records are shown as their owner only; test/responder/nsd-differential.test.ts compares full bytes.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { nsec3Hash } from "../../src/lookup/nsec3.js";
import { createResponder } from "../../src/responder/responder.js";
import { compileSnapshot } from "../../src/responder/snapshot.js";
import { nameKey, nameToText, parseNameText } from "../../src/wire/name.js";
import { base32HexToText } from "../../src/wire/rdata/text-fields.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import { buildZone } from "../../src/zone/zone-image.js";
import { ask, loadFixtureZone } from "../helpers/zone-fixture.js";

const nameKeyWire = (name: string) => Buffer.from(nameKey(parseNameText(name, null)), "latin1");

const zone = loadFixtureZone("nsec3.example.zone", "example.");
const responder = createResponder(compileSnapshot([zone], 1), { identity: "t", maxUdpPayload: 1232 });
const brief = (rr: string) => {
  const [owner, ttl, , type, covered] = rr.split(" ");
  if (type === "NSEC3") return `${owner} NSEC3`;
  return type === "RRSIG" ? `${owner} ${ttl} RRSIG ${covered}` : rr;
};
const n3 = (hash: string) => [`${hash}.example. NSEC3`, `${hash}.example. 300 RRSIG NSEC3`];
const SOA = [
  "example. 300 IN SOA ns1.example. hostmaster.example. 2024010101 7200 3600 1209600 300",
  "example. 300 RRSIG SOA",
];
// Hashes (salt aabbccdd, 2 iterations) of the names the proofs below need.
const APEX = "3sievvggn53864uiqcfm3vakf9pj20fs";

describe("NSEC3 hash (RFC 5155 §5)", () => {
  it("matches the RFC's Appendix A example", () => {
    const h = nsec3Hash(parseNameText("example.", null), Buffer.from("aabbccdd", "hex"), 12);
    expect(base32HexToText(h).toLowerCase()).toBe("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom");
  });

  it("hashes the apex of the fixture to its NSEC3 owner", () => {
    const h = nsec3Hash(parseNameText("example.", null), zone.nsec3!.salt, zone.nsec3!.iterations);
    expect(base32HexToText(h).toLowerCase()).toBe(APEX);
  });
});

describe("NSEC3 proofs with DO=1 (RFC 5155 §7.2)", () => {
  const cases = [
    {
      what: "NXDOMAIN: cover the next closer name, match the closest encloser, cover its wildcard",
      qname: "nope.example.",
      qtype: "A",
      rcode: 3,
      ns: [
        ...n3("9j97nt4iar473tl09h5nrrhcbic6m1ii"),
        ...n3(APEX),
        ...n3("kkej8ro6skck1qlr3lmsnl6mbo81ak4n"),
        ...SOA,
      ],
    },
    {
      what: "NODATA at an empty non-terminal: its own NSEC3",
      qname: "b.wild.example.",
      qtype: "A",
      rcode: 0,
      ns: [...n3("7thc37i4btvaukv4d8ltitg0pqn3vjgf"), ...SOA],
    },
    {
      what: "wildcard NODATA: no closer match, the encloser, the wildcard without the type",
      qname: "foo.wild.example.",
      qtype: "AAAA",
      rcode: 0,
      ns: [
        ...n3("bpcqvoak2toj8mmmrshbnbd3eiit0j2a"),
        ...SOA,
        ...n3("kkej8ro6skck1qlr3lmsnl6mbo81ak4n"),
        ...n3("3ft45q2hh29snd5fb4jej97b79oubnle"),
      ],
    },
    {
      what: "wildcard answer: the next closer name is covered",
      qname: "foo.wild.example.",
      qtype: "A",
      rcode: 0,
      answer: ["foo.wild.example. 3600 IN A 192.0.2.100", "foo.wild.example. 3600 RRSIG A"],
      ns: n3("bpcqvoak2toj8mmmrshbnbd3eiit0j2a"),
    },
    {
      what: "NSEC3 owner names are not names of the zone (§7.2.8)",
      qname: `${APEX}.example.`,
      qtype: "A",
      rcode: 3,
    },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const { d } = ask(responder, c.qname, c.qtype, { edns: { do: true } });
      expect(d.rcode).toBe(c.rcode);
      if (c.answer) expect(d.answer.map(brief)).toEqual(c.answer);
      if (c.ns) expect(d.ns.map(brief)).toEqual(c.ns);
    });
  }

  it("keeps the NSEC3 chain out of the name tree", () => {
    expect(zone.nsec3?.entries.length).toBeGreaterThan(40);
    expect([...zone.nodes.keys()].some((k) => k.length > 33 && k.charCodeAt(0) === 32)).toBe(false);
  });
});

describe("NSEC3 opt-out (RFC 5155 §7.2.7)", () => {
  // Simulate an opt-out span: drop the NSEC3 of the insecure delegation other.example. (the lookup orders
  // the chain by owner hash and never reads the "next hashed owner" field).
  const origin = parseNameText("example.", null);
  const text = readFileSync(
    fileURLToPath(new URL("../fixtures/zones/lookup/nsec3.example.zone", import.meta.url)),
    "latin1",
  );
  const hashOf = (name: string) =>
    base32HexToText(nsec3Hash(nameKeyWire(name), zone.nsec3!.salt, zone.nsec3!.iterations)).toLowerCase();
  const other = hashOf("other.example.");
  const records = parseMasterFile(text, { file: "nsec3", origin }).records.filter(
    (r) => !nameToText(r.owner).startsWith(`${other}.`),
  );
  const optOut = createResponder(compileSnapshot([buildZone(origin, records)], 1), {
    identity: "t",
    maxUdpPayload: 1232,
  });

  it("proves the closest provable encloser and covers the delegation", () => {
    const { d } = ask(optOut, "www.other.example.", "A", { edns: { do: true } });
    expect(d.aa).toBe(false);
    const owners = d.ns.filter((rr) => rr.split(" ")[3] === "NSEC3").map((rr) => rr.split(".")[0]!);
    expect(owners[0]).toBe(APEX);
    expect(owners).toHaveLength(2);
    expect(owners[1]! < other).toBe(true);
    expect(d.ns.slice(0, 1)).toEqual(["other.example. 3600 IN NS ns.other.example."]);
  });
});
