// End to end over a veth pair: the program attached in native mode answers dig/kdig from another namespace
// (IPv4 and IPv6, with and without EDNS), passes what it cannot answer, and is gone after detach.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fastAnswersFromPrecompiled } from "../../src/fastpath/answer-codec.js";
import { FastPath } from "../../src/fastpath/fast-path.js";
import { compileNegativeTable } from "../../src/fastpath/negative.js";
import { compileSnapshot } from "../../src/responder/snapshot.js";
import { parseNameText } from "../../src/wire/name.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import { buildZone } from "../../src/zone/zone-image.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";
import { addonBuilt, answer, aRecord, objectBuilt } from "./fixtures.js";
import { createVethLab, type VethLab } from "./veth-lab.js";

const ok = requirePrereq(
  "XDP over veth",
  isRoot,
  addonBuilt,
  objectBuilt(),
  hasCommand("ip"),
  hasCommand("ethtool"),
  hasCommand("dig"),
  hasCommand("kdig"),
);

describe.skipIf(!ok)("XDP fast path over a veth pair (native mode)", () => {
  let lab: VethLab;
  let fp: FastPath;

  beforeAll(() => {
    lab = createVethLab();
    fp = FastPath.open(undefined, { maxAnswers: 64 });
    fp.setServiceAddresses([lab.server4, lab.server6]);
    fp.replaceAnswers(base());
  });

  const base = () => [
    answer({ qname: "www.example.com.", qtype: "A", answers: [aRecord("www.example.com.", "192.0.2.1")] }),
    answer({
      qname: "www.example.com.",
      qtype: "AAAA",
      answers: [{ name: "www.example.com.", type: "AAAA", ttl: 300, class: "IN", data: "2001:db8::1" }],
    }),
  ];
  afterAll(() => {
    fp?.close();
    lab?.close();
  });

  it("attaches in native mode", () => {
    const att = fp.attach(lab.serverIf, "native", lab.server);
    expect(att.mode).toBe("native");
    expect(lab.exec(lab.server, "ip", ["-d", "link", "show", lab.serverIf])).toMatch(/prog\/xdp id \d+/);
    expect(fp.isAttached()).toBe(true);
    // The bpf_link owns the hook: netlink cannot take our program off behind our back.
    const off = lab.run(lab.server, "ip", ["link", "set", "dev", lab.serverIf, "xdp", "off"]);
    expect(off.status).not.toBe(0);
    expect(fp.isAttached()).toBe(true);
  });

  it("answers dig over IPv4 with EDNS and a cookie, echoing the question's case", () => {
    const out = lab.exec(lab.client, "dig", [
      "+norec",
      "+tries=1",
      "+time=2",
      `@${lab.server4}`,
      "WwW.ExAmple.COM",
      "A",
    ]);
    expect(out).toMatch(/status: NOERROR/);
    expect(out).toMatch(/flags: qr aa;/);
    expect(out).toMatch(/;WwW\.ExAmple\.COM\.\s+IN\s+A/);
    // The fixture's answer owner is uncompressed lower case (a compressed one would echo the query's case).
    expect(out).toMatch(/www\.example\.com\.\s+300\s+IN\s+A\s+192\.0\.2\.1/i);
    expect(out).toMatch(/EDNS: version: 0, flags:; udp: 1232/);
  });

  it("answers kdig over IPv6 without EDNS", () => {
    const out = lab.exec(lab.client, "kdig", [
      "+noedns",
      "+retry=0",
      "+timeout=2",
      `@${lab.server6}`,
      "www.example.com",
      "AAAA",
    ]);
    expect(out).toMatch(/status: NOERROR/);
    expect(out).toMatch(/www\.example\.com\.\s+300\s+IN\s+AAAA\s+2001:db8::1/);
    expect(out).not.toMatch(/EDNS/);
  });

  it("passes what it has no answer for (no socket listens here, so the query times out)", () => {
    const before = fp.counters();
    const r = lab.run(lab.client, "kdig", [
      "+retry=0",
      "+timeout=1",
      `@${lab.server4}`,
      "missing.example.com",
      "A",
    ]);
    expect(r.out).not.toMatch(/status: NOERROR/);
    const after = fp.counters();
    expect(after.pass_miss - before.pass_miss).toBe(1);
    expect(after.answered).toBe(before.answered);
    expect(after.answered).toBe(2);
  });

  it("answers NXDOMAIN and NODATA from the zone tables (the SOA owner echoes the question's case)", () => {
    const origin = parseNameText("nx.example.net.", null);
    const zone = buildZone(
      origin,
      parseMasterFile(
        "$TTL 300\n@ SOA ns1 hostmaster 7 7200 3600 1209600 60\n@ NS ns1\nns1 A 192.0.2.53\nwww A 192.0.2.80\n",
        {
          file: "veth",
          origin,
        },
      ).records,
    );
    const snapshot = compileSnapshot([zone], 1);
    // NODATA needs every type of the name in the answer map: the zone's own precompiled answers go in too.
    const zoneAnswers = fastAnswersFromPrecompiled(snapshot.exactAnswers.values()).answers;
    fp.replaceAnswers([...base(), ...zoneAnswers], compileNegativeTable(snapshot));
    const before = fp.counters();
    const out = lab.exec(lab.client, "dig", [
      "+norec",
      "+tries=1",
      "+time=2",
      `@${lab.server4}`,
      "Q7x.Nx.Example.NET",
      "TXT",
    ]);
    expect(out).toMatch(/status: NXDOMAIN/);
    expect(out).toMatch(/flags: qr aa;/);
    expect(out).toMatch(
      /Nx\.Example\.NET\.\s+60\s+IN\s+SOA\s+ns1\.Nx\.Example\.NET\. hostmaster\.Nx\.Example\.NET\. 7 /,
    );
    const out6 = lab.exec(lab.client, "kdig", [
      "+noedns",
      "+retry=0",
      "+timeout=2",
      `@${lab.server6}`,
      "a.b.nx.example.net",
      "A",
    ]);
    expect(out6).toMatch(/status: NXDOMAIN/);
    expect(fp.counters().answered_nxdomain - before.answered_nxdomain).toBe(2);
    // NODATA: an existing name and the apex, for types they lack (no socket listens: only XDP can answer).
    const nd = lab.exec(lab.client, "dig", [
      "+norec",
      "+tries=1",
      "+time=2",
      `@${lab.server4}`,
      "WwW.nx.example.net",
      "TXT",
    ]);
    expect(nd).toMatch(/status: NOERROR/);
    expect(nd).toMatch(/ANSWER: 0, AUTHORITY: 1/);
    expect(nd).toMatch(
      /nx\.example\.net\.\s+60\s+IN\s+SOA\s+ns1\.nx\.example\.net\. hostmaster\.nx\.example\.net\. 7 /,
    );
    const nd6 = lab.exec(lab.client, "kdig", [
      "+retry=0",
      "+timeout=2",
      `@${lab.server6}`,
      "nx.example.net",
      "MX",
    ]);
    expect(nd6).toMatch(/status: NOERROR/);
    expect(fp.counters().answered_nodata - before.answered_nodata).toBe(2);
    fp.replaceAnswers(base());
  });

  it("stops answering after detach", () => {
    fp.detach();
    expect(fp.attachment).toBeNull();
    expect(lab.exec(lab.server, "ip", ["-d", "link", "show", lab.serverIf])).not.toMatch(/prog\/xdp/);
    expect(fp.isAttached()).toBe(false);
    const before = fp.counters().seen;
    const r = lab.run(lab.client, "kdig", [
      "+retry=0",
      "+timeout=1",
      `@${lab.server4}`,
      "www.example.com",
      "A",
    ]);
    expect(r.out).not.toMatch(/status: NOERROR/);
    expect(fp.counters().seen).toBe(before);
  });

  it("answers in generic mode too", () => {
    expect(fp.attach(lab.serverIf, "generic", lab.server).mode).toBe("generic");
    expect(fp.isAttached()).toBe(true);
    const out = lab.exec(lab.client, "kdig", [
      "+retry=0",
      "+timeout=2",
      `@${lab.server6}`,
      "wWw.example.com",
      "AAAA",
    ]);
    expect(out).toMatch(/www\.example\.com\.\s+300\s+IN\s+AAAA\s+2001:db8::1/i);
    fp.detach();
    expect(fp.isAttached()).toBe(false);
  });
});
