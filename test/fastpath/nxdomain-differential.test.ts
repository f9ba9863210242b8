// NXDOMAIN and NODATA in the kernel must be the socket path's, byte for byte, and everything else must pass:
// random names under zones without wildcards (mixed case, every EDNS variant, IPv4 and IPv6), names below
// empty non-terminals (NXDOMAIN), below delegations (referral: pass), below a served child zone (the child's
// SOA), below an unavailable zone (SERVFAIL: pass), existing names and ENTs with types they lack (NODATA),
// DS/RRSIG/ANY at existing names, delegation points (pass), labels the SOA names compress against (pass),
// signed zones with DO (proofs: pass), zones with DNAME (pass), and names in no zone (REFUSED). In zones with
// wildcards (RFC 4592) a missing name is NXDOMAIN only when its closest encloser owns no `*` child: names
// under a wildcard's parent pass (expansion), elsewhere NXDOMAIN — nested wildcards, names below a `*`, an
// apex wildcard, an empty non-terminal closest encloser with a `*` child. Removing an answer drops the name's
// NODATA entry (FastPath.removeAnswer).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fastAnswersFromPrecompiled } from "../../src/fastpath/answer-codec.js";
import { FastPath } from "../../src/fastpath/fast-path.js";
import { NAME_F_WILD } from "../../src/fastpath/layout.js";
import { compileNegativeTable, suffixHash } from "../../src/fastpath/negative.js";
import { createResponder, type SnapshotResponder } from "../../src/responder/responder.js";
import { compileSnapshot, type Snapshot } from "../../src/responder/snapshot.js";
import { newOutcome } from "../../src/responder/types.js";
import { parseNameText } from "../../src/wire/name.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import type { ZoneData } from "../../src/zone/zone.js";
import { buildZone } from "../../src/zone/zone-image.js";
import { isRoot, requirePrereq } from "../helpers/prereq.js";
import { fixtureZones } from "../helpers/zone-fixture.js";
import { addonBuilt, objectBuilt } from "./fixtures.js";
import { dnsQuery, type EdnsSpec, frame, parseFrame } from "./frames.js";

const ok = requirePrereq("XDP NXDOMAIN vs responder", isRoot, addonBuilt, objectBuilt());

function zone(origin: string, text: string): ZoneData {
  const o = parseNameText(origin, null);
  const parsed = parseMasterFile(text, { file: origin, origin: o });
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(JSON.stringify(errors));
  return buildZone(o, parsed.records);
}

const NX = `$TTL 3600
@ IN SOA ns1.nx.test. hostmaster.nx.test. 1 7200 3600 1209600 300
@ IN NS ns1
ns1 IN A 192.0.2.53
www IN A 192.0.2.80
a.b.ent IN A 192.0.2.81
deleg IN NS ns.deleg
ns.deleg IN A 192.0.2.82
deep.x.cutbelow IN NS ns.example.
CamelCase IN TXT "x"
`;
// MNAME outside the zone (compresses against "test."), RNAME inside, SOA TTL below MINIMUM.
const EXT = `$TTL 3600
@ 120 IN SOA ns.provider.test. dns.ext.test. 1 7200 3600 1209600 600
@ IN NS ns.provider.test.
host IN A 192.0.2.90
`;
const SUB = `$TTL 60
@ IN SOA ns1.sub.nx.test. hostmaster.nx.test. 5 7200 3600 1209600 30
@ IN NS ns1
ns1 IN A 192.0.2.91
`;
// Signed by NSD's rule (DNSKEY with an RRSIG): DO=1 needs proofs.
const SIGNED = `$TTL 3600
@ IN SOA ns1.signed.test. hostmaster.signed.test. 1 7200 3600 1209600 300
@ IN NS ns1
@ IN DNSKEY 256 3 13 7PiKL8F1DNDYAoAZEBzg/dNGYdE3HH2B+WjZS20JFb2/bUbaDi8kYmMfsFxyVeh5R8Sy7Nth738zr2r+pt8mbA==
@ IN RRSIG DNSKEY 13 2 3600 20500101000000 20250101000000 43667 signed.test. AAECAwQFBgcICQoLDA0ODw==
@ IN RRSIG SOA 13 2 3600 20500101000000 20250101000000 43667 signed.test. AAECAwQFBgcICQoLDA0ODw==
ns1 IN A 192.0.2.92
`;

// Wildcards below the apex: nested (*.host.wild below host.wild, a sibling of *.wild), a name below a `*`
// (x.*.wild), an ENT closest encloser (c.b.ent) with a `*` child, a wildcard CNAME.
const WN = `$TTL 3600
@ IN SOA ns1.wn.test. hostmaster.wn.test. 1 7200 3600 1209600 300
@ IN NS ns1
ns1 IN A 192.0.2.53
www IN A 192.0.2.80
*.wild IN A 192.0.2.83
host.wild IN A 192.0.2.84
*.host.wild IN TXT "nested"
x.*.wild IN A 192.0.2.85
*.c.b.ent IN MX 10 www.wn.test.
*.cw IN CNAME www
deleg IN NS ns.deleg
ns.deleg IN A 192.0.2.86
*.deleg IN A 192.0.2.87
`;
// A wildcard at the apex: every missing name right below it is an expansion.
const WC = `$TTL 3600
@ IN SOA ns1.wc.test. hostmaster.wc.test. 1 7200 3600 1209600 300
@ IN NS ns1
ns1 IN A 192.0.2.53
* IN TXT "any"
www IN A 192.0.2.80
`;

/** Alternate the case of ASCII letters. */
function mixCase(text: string, seed: number): string {
  let flip = seed % 2 === 0;
  return text.replace(/[a-z]/gi, (c) => {
    flip = !flip;
    return flip ? c.toUpperCase() : c.toLowerCase();
  });
}

function randomLabel(rand: () => number): string {
  const n = 1 + Math.floor(rand() * 20);
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-";
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}

function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const VARIANTS: (EdnsSpec | undefined)[] = [
  undefined,
  { udpSize: 1232 },
  { udpSize: 512 },
  { udpSize: 4096, do: true },
  { udpSize: 1232, options: Buffer.from("000a0008a1b2c3d4e5f60718", "hex") },
];

describe.skipIf(!ok)("XDP NXDOMAIN equals the responder's, byte for byte", () => {
  let fp: FastPath;
  let snapshot: Snapshot;
  let responder: SnapshotResponder;

  beforeAll(() => {
    const zones = [
      ...fixtureZones(), // example. (wildcards, DNAME: never answered) and child.example.
      zone("nx.test.", NX),
      zone("ext.test.", EXT),
      zone("sub.nx.test.", SUB),
      zone("signed.test.", SIGNED),
      zone("wn.test.", WN),
      zone("wc.test.", WC),
    ];
    snapshot = compileSnapshot(zones, 1, {
      unavailable: [parseNameText("gone.nx.test.", null).toString("latin1")],
    });
    responder = createResponder(snapshot, { identity: "xdp-test", maxUdpPayload: 1232 });
    fp = FastPath.open(undefined, { maxAnswers: 4096, config: { ednsUdpSize: 1232 } });
    fp.setServiceAddresses(["192.0.2.53", "2001:db8:53::53"]);
    const { answers } = fastAnswersFromPrecompiled(snapshot.exactAnswers.values());
    fp.replaceAnswers(answers, compileNegativeTable(snapshot));
  });
  afterAll(() => fp?.close());

  it("compiles the zone tables", () => {
    const t = compileNegativeTable(snapshot);
    const byApex = new Map(t.zones.map((z) => [z.apex.toString("latin1"), z]));
    const key = (s: string) => parseNameText(s, null).toString("latin1");
    expect(byApex.get(key("example."))!.off).toBe("DNAME");
    expect(byApex.get(key("gone.nx.test."))!.off).toBe("zone unavailable");
    for (const z of [
      "child.example.",
      "nx.test.",
      "ext.test.",
      "sub.nx.test.",
      "signed.test.",
      "wn.test.",
      "wc.test.",
    ])
      expect(byApex.get(key(z))!.off, z).toBeUndefined();
    // NAME_F_WILD marks exactly the owners of a `*` child (ENT cw, the apex wc.test. too), occluded ones too.
    const wildHashes = t.names.filter((n) => n.flags & NAME_F_WILD).map((n) => n.hash);
    expect(new Set(wildHashes)).toEqual(
      new Set(
        [
          "wild.wn.test.",
          "host.wild.wn.test.",
          "c.b.ent.wn.test.",
          "cw.wn.test.",
          "wc.test.",
          "deleg.wn.test.",
        ].map((n) => suffixHash(parseNameText(n, null))),
      ),
    );
    // nx.test.: owner, MNAME (ns1 + pointer), RNAME (hostmaster + pointer); forbidden labels ns1, hostmaster.
    expect(byApex.get(key("nx.test."))!.ptrOff.length).toBe(3);
    expect(byApex.get(key("nx.test."))!.forbid.map((f) => f.toString("latin1").slice(1))).toEqual([
      "ns1",
      "hostmaster",
    ]);
    expect(byApex.get(key("ext.test."))!.forbid.map((f) => f.toString("latin1").slice(1))).toEqual(["dns"]);
    expect(suffixHash(parseNameText("www.nx.test.", null))).not.toBe(
      suffixHash(parseNameText("nx.test.", null)),
    );
  });

  it("answers exactly the provable NXDOMAINs and passes the rest", () => {
    const rand = prng(0x5eed);
    // [name, qtype, expected: "nx" / "nodata" answered by XDP when the variant allows | "pass"]
    const cases: [string, number, "nx" | "nodata" | "pass"][] = [];
    for (let i = 0; i < 40; i++) {
      for (const apex of ["nx.test.", "ext.test.", "sub.nx.test.", "child.example.", "signed.test."]) {
        cases.push([`${randomLabel(rand)}.${apex}`, [1, 28, 15, 16, 255, 43][i % 6]!, "nx"]);
      }
      cases.push([`${randomLabel(rand)}.${randomLabel(rand)}.nx.test.`, 1, "nx"]);
      cases.push([`${randomLabel(rand)}.www.nx.test.`, 1, "nx"]); // below an existing name
      cases.push([`${randomLabel(rand)}.ent.nx.test.`, 1, "nx"]); // below an empty non-terminal
      cases.push([`${randomLabel(rand)}.b.ent.nx.test.`, 1, "nx"]);
      cases.push([`${randomLabel(rand)}.x.cutbelow.nx.test.`, 1, "nx"]); // ENT above a cut
      cases.push([`${randomLabel(rand)}.deleg.nx.test.`, 1, "pass"]); // referral
      cases.push([`${randomLabel(rand)}.deep.x.cutbelow.nx.test.`, 1, "pass"]);
      cases.push([`${randomLabel(rand)}.gone.nx.test.`, 1, "pass"]); // SERVFAIL
      cases.push([`${randomLabel(rand)}.wild.example.`, 1, "pass"]); // wildcards
      cases.push([`${randomLabel(rand)}.nowhere.example.`, 1, "pass"]);
      cases.push([`${randomLabel(rand)}.unserved.test.`, 1, "pass"]); // REFUSED
      // Wildcards: the closest encloser decides.
      cases.push([`w${randomLabel(rand)}.wn.test.`, 1, "nx"]); // apex without `*`
      cases.push([`${randomLabel(rand)}.www.wn.test.`, 28, "nx"]);
      cases.push([`${randomLabel(rand)}.wild.wn.test.`, 1, "pass"]); // expansion of *.wild
      cases.push([`${randomLabel(rand)}.wild.wn.test.`, 15, "pass"]); // expansion, NODATA
      cases.push([`${randomLabel(rand)}.${randomLabel(rand)}.wild.wn.test.`, 1, "pass"]);
      cases.push([`${randomLabel(rand)}.host.wild.wn.test.`, 16, "pass"]); // nested *.host.wild
      cases.push([`${randomLabel(rand)}.*.wild.wn.test.`, 1, "nx"]); // below a `*`: its own encloser
      cases.push([`${randomLabel(rand)}.x.*.wild.wn.test.`, 1, "nx"]);
      cases.push([`${randomLabel(rand)}.c.b.ent.wn.test.`, 15, "pass"]); // ENT encloser with a `*`
      cases.push([`${randomLabel(rand)}.b.ent.wn.test.`, 15, "nx"]); // ENT encloser without
      cases.push([`${randomLabel(rand)}.ent.wn.test.`, 1, "nx"]);
      cases.push([`${randomLabel(rand)}.cw.wn.test.`, 1, "pass"]); // wildcard CNAME
      cases.push([`${randomLabel(rand)}.deleg.wn.test.`, 1, "pass"]); // referral
      cases.push([`w${randomLabel(rand)}.wc.test.`, 1, "pass"]); // apex wildcard
      cases.push([`${randomLabel(rand)}.${randomLabel(rand)}.wc.test.`, 16, "pass"]);
      cases.push([`${randomLabel(rand)}.www.wc.test.`, 1, "nx"]);
      cases.push([`${randomLabel(rand)}.*.wc.test.`, 1, "nx"]);
    }
    cases.push(
      ["www.nx.test.", 15, "nodata"],
      ["ent.nx.test.", 1, "pass"], // ENT: NODATA (precompiled A: answered from the answer map)
      ["ent.nx.test.", 15, "nodata"], // ENT
      ["b.ent.nx.test.", 16, "nodata"],
      ["x.cutbelow.nx.test.", 16, "nodata"], // ENT above a cut
      ["camelcase.nx.test.", 15, "nodata"],
      ["CamelCase.nx.test.", 99, "nodata"],
      ["nx.test.", 16, "nodata"], // apex
      ["host.ext.test.", 15, "nodata"],
      ["www.child.example.", 16, "nodata"],
      ["sub.nx.test.", 16, "nodata"], // apex of the served sub-zone: its SOA
      ["signed.test.", 16, "nodata"], // DO=1: pass (proofs)
      ["www.nx.test.", 43, "pass"], // DS
      ["www.nx.test.", 46, "pass"], // RRSIG
      ["www.nx.test.", 47, "pass"], // NSEC
      ["www.nx.test.", 255, "pass"], // ANY
      ["ns1.nx.test.", 16, "pass"], // MNAME's label below the apex
      ["deleg.nx.test.", 16, "pass"], // delegation point: referral
      ["ns.deleg.nx.test.", 16, "pass"], // glue below a cut
      ["deep.x.cutbelow.nx.test.", 16, "pass"],
      ["gone.nx.test.", 16, "pass"], // unavailable zone
      ["www.example.", 16, "pass"], // zone with wildcards
      ["x.ns1.nx.test.", 1, "pass"], // MNAME's label: compression differs
      ["x.hostmaster.nx.test.", 1, "pass"], // RNAME's label
      ["hostmaster.nx.test.", 1, "pass"],
      ["NS1.x.nx.test.", 1, "nx"], // ns1 deeper down is harmless
      ["dns.ext.test.", 1, "pass"],
      ["x.provider.ext.test.", 1, "nx"],
      ["y.nx.test.", 252, "pass"], // AXFR
      ["y.nx.test.", 251, "pass"], // IXFR
      ["y.nx.test.", 0, "pass"],
      [`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(53)}.nx.test.`, 1, "nx"],
      [`${"a.".repeat(123)}nx.test.`, 1, "nx"],
      // Wildcard owners queried literally exist like any other name.
      ["*.wild.wn.test.", 15, "nodata"],
      ["*.wild.wn.test.", 1, "pass"], // its A: answer map
      ["*.host.wild.wn.test.", 15, "nodata"], // (A, AAAA: precompiled NODATA)
      ["host.wild.wn.test.", 16, "nodata"],
      ["wild.wn.test.", 16, "nodata"], // ENT owning a `*`
      ["c.b.ent.wn.test.", 16, "nodata"],
      ["x.*.wild.wn.test.", 16, "nodata"],
      ["*.c.b.ent.wn.test.", 16, "nodata"],
      ["*.cw.wn.test.", 15, "pass"], // CNAME owner
      ["*.wn.test.", 1, "nx"], // a literal `*` that does not exist
      ["*.wc.test.", 15, "nodata"],
      ["*.wc.test.", 16, "pass"], // its TXT: answer map
      ["www.wc.test.", 16, "nodata"],
      ["wc.test.", 16, "nodata"],
      ["*.deleg.wn.test.", 1, "pass"], // occluded by the cut: referral
    );

    const before = fp.counters();
    let compared = 0;
    let answeredNx = 0;
    let expectedNx = 0;
    let answeredNodata = 0;
    let expectedNodata = 0;
    const wrongPass: string[] = [];
    cases.forEach(([name, qtype, expect_], i) => {
      const qnameWire = parseNameText(mixCase(name, i), null);
      for (const edns of VARIANTS) {
        for (const family of [4, 6] as const) {
          const query = dnsQuery({
            id: 0x1000 + i,
            qnameWire,
            qtype,
            flags: i % 3 === 0 ? 0x0130 : 0x0100,
            edns,
          });
          const user = responder.respond(query, "udp", newOutcome());
          const nodataBefore = fp.counters().answered_nodata;
          const xdp = fp.testRun(frame(query, { family }));
          const nodata = fp.counters().answered_nodata - nodataBefore;
          const signedDo = name.endsWith("signed.test.") && edns?.do === true;
          const shouldAnswer = expect_ !== "pass" && !signedDo;
          if (shouldAnswer && expect_ === "nx") expectedNx++;
          if (shouldAnswer && expect_ === "nodata") expectedNodata++;
          if (xdp.action !== "tx") {
            expect(xdp.action, name).toBe("pass");
            if (shouldAnswer) wrongPass.push(`${name}/${qtype}/${JSON.stringify(edns)}`);
            continue;
          }
          const out = parseFrame(xdp.output);
          expect(out.udpChecksumOk).toBe(true);
          expect(user).not.toBeNull();
          expect(out.dns.toString("hex"), `${name}/${qtype} ${JSON.stringify(edns)} v${family}`).toBe(
            user!.toString("hex"),
          );
          compared++;
          if (nodata === 1) {
            // NODATA from the zone tables: NOERROR, no answer, one authority record (the SOA).
            expect(user!.readUInt16BE(2) & 0x800f, name).toBe(0x8000);
            expect([user!.readUInt16BE(6), user!.readUInt16BE(8)], name).toEqual([0, 1]);
            expect(
              expect_ === "nodata" && shouldAnswer,
              `${name}/${qtype} answered NODATA unexpectedly`,
            ).toBe(true);
            answeredNodata++;
            continue;
          }
          // Other answers come from the answer map (precompiled NODATA at an ENT, for one).
          if ((user![3]! & 0xf) !== 3) continue;
          answeredNx++;
          expect(shouldAnswer && expect_ === "nx", `${name} answered unexpectedly`).toBe(true);
        }
      }
    });
    console.log(
      `NXDOMAIN/NODATA: compared ${compared} answers byte for byte; ${expectedNx} NXDOMAIN and ` +
        `${expectedNodata} NODATA expected`,
    );
    expect(wrongPass).toEqual([]);
    expect(answeredNx).toBe(expectedNx);
    expect(answeredNodata).toBe(expectedNodata);
    const after = fp.counters();
    expect(after.answered_nxdomain - before.answered_nxdomain).toBe(answeredNx);
    expect(after.answered_nodata - before.answered_nodata).toBe(answeredNodata);
  });

  it("answers nothing from the zone tables when switched off or after a table-less reload", () => {
    const q = dnsQuery({ qnameWire: parseNameText("nothere.nx.test.", null), qtype: 1 });
    expect(fp.testRun(frame(q)).action).toBe("tx");
    fp.configure({ nxdomain: false });
    expect(fp.testRun(frame(q)).action).toBe("pass");
    fp.configure({ nxdomain: true });
    const { answers } = fastAnswersFromPrecompiled(snapshot.exactAnswers.values());
    fp.replaceAnswers(answers);
    expect(fp.testRun(frame(q)).action).toBe("pass");
    fp.replaceAnswers(answers, compileNegativeTable(snapshot));
    expect(fp.testRun(frame(q)).action).toBe("tx");
  });

  it("stops answering NODATA for a name once one of its answers is removed", () => {
    const www = parseNameText("www.nx.test.", null);
    const mx = (edns?: EdnsSpec) => fp.testRun(frame(dnsQuery({ qnameWire: www, qtype: 15, edns })));
    const a = () => fp.testRun(frame(dnsQuery({ qnameWire: www, qtype: 1 })));
    let before = fp.counters();
    expect(mx().action).toBe("tx");
    expect(mx({ udpSize: 1232, do: true }).action).toBe("tx");
    expect(fp.counters().answered_nodata - before.answered_nodata).toBe(2);
    expect(a().action).toBe("tx");
    // Without the A answer a miss no longer means "no such type": the sockets answer every type of the name.
    expect(fp.removeAnswer(www, 1, false)).toBe(true);
    before = fp.counters();
    expect(a().action).toBe("pass");
    expect(mx().action).toBe("pass");
    expect(mx({ udpSize: 1232, do: true }).action).toBe("pass");
    const after = fp.counters();
    expect(after.pass_miss - before.pass_miss).toBe(3);
    expect(after.answered_nodata - before.answered_nodata).toBe(0);
    // Other names keep theirs; a full reload restores www.
    expect(
      fp.testRun(frame(dnsQuery({ qnameWire: parseNameText("host.ext.test.", null), qtype: 15 }))).action,
    ).toBe("tx");
    const { answers } = fastAnswersFromPrecompiled(snapshot.exactAnswers.values());
    fp.replaceAnswers(answers, compileNegativeTable(snapshot));
    expect(mx().action).toBe("tx");
  });

  it("verifies the apex name behind a hash hit (a forged apex entry never answers)", () => {
    const t = compileNegativeTable(snapshot);
    const nx = t.zones.find((z) => z.apex.equals(parseNameText("nx.test.", null)))!;
    // The names map still leads nx.test. to this zone, but its stored apex now says ny.test.
    const forged = {
      ...t,
      zones: t.zones.map((z) => (z === nx ? { ...z, apex: parseNameText("ny.test.", null) } : z)),
    };
    const { answers } = fastAnswersFromPrecompiled(snapshot.exactAnswers.values());
    fp.replaceAnswers(answers, forged);
    const before = fp.counters();
    const q = dnsQuery({ qnameWire: parseNameText("nothere.nx.test.", null), qtype: 1 });
    expect(fp.testRun(frame(q)).action).toBe("pass");
    expect(fp.counters().pass_collision - before.pass_collision).toBe(1);
    fp.replaceAnswers(answers, t);
    expect(fp.testRun(frame(q)).action).toBe("tx");
  });
});
