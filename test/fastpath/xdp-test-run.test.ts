// The XDP program on packet fixtures through BPF_PROG_TEST_RUN: what it answers (XDP_TX with a correct,
// checksummed reply) and everything it must pass up to the sockets (XDP_PASS, with the reason counted).
import dnsPacket from "dns-packet";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { encodeAnswerKey, encodeAnswerValue } from "../../src/fastpath/answer-codec.js";
import type { CounterName, FastPathCounters } from "../../src/fastpath/counters.js";
import { FastPath } from "../../src/fastpath/fast-path.js";
import { parseNameText } from "../../src/wire/name.js";
import { isRoot, requirePrereq } from "../helpers/prereq.js";
import { addonBuilt, answer, aRecord, objectBuilt, txtRecord } from "./fixtures.js";
import {
  CLIENT_MAC,
  CLIENT4,
  CLIENT6,
  dnsQuery,
  type FrameSpec,
  frame,
  parseFrame,
  type QuerySpec,
  SERVER_MAC,
  SERVICE4,
  SERVICE6,
} from "./frames.js";

/** dns-packet decodes the rcode but its types do not declare it. */
const rcodeOf = (msg: dnsPacket.Packet) => (msg as { rcode?: string }).rcode;

/** RDATA of the first answer record as dns-packet decodes it. */
const dataOf = (msg: dnsPacket.Packet) => (msg.answers?.[0] as { data?: unknown } | undefined)?.data;

const ok = requirePrereq("XDP BPF_PROG_TEST_RUN", isRoot, addonBuilt, objectBuilt());

describe.skipIf(!ok)("XDP fast path on packet fixtures (BPF_PROG_TEST_RUN)", () => {
  let fp: FastPath;
  let before: FastPathCounters;

  const standardAnswers = () => [
    answer({ qname: "www.example.com.", qtype: "A", answers: [aRecord("www.example.com.", "192.0.2.1")] }),
    answer({
      qname: "www.example.com.",
      qtype: "A",
      dnssecOk: true,
      answers: [aRecord("www.example.com.", "192.0.2.2")],
    }),
    answer({
      qname: "example.com.",
      qtype: "TXT",
      answers: [txtRecord("example.com.", ["x".repeat(200), "y".repeat(200), "z".repeat(200)])],
    }),
  ];

  beforeAll(() => {
    fp = FastPath.open(undefined, { maxAnswers: 1024, config: { port: 53, ednsUdpSize: 1232 } });
    fp.setServiceAddresses([SERVICE4, SERVICE6]);
  });
  afterAll(() => fp?.close());
  beforeEach(() => {
    fp.configure({ enabled: true, ednsUdpSize: 1232 });
    fp.replaceAnswers(standardAnswers());
    before = fp.counters();
  });

  function run(q: QuerySpec, f: FrameSpec = {}) {
    const input = frame(dnsQuery(q), f);
    const res = fp.testRun(input);
    return { input, ...res };
  }

  function delta(name: CounterName): number {
    return fp.counters()[name] - before[name];
  }

  function expectPass(q: QuerySpec, reason: CounterName, f: FrameSpec = {}) {
    const r = run(q, f);
    expect(r.action).toBe("pass");
    expect(r.output.equals(r.input)).toBe(true);
    expect(delta(reason)).toBe(1);
    expect(delta("answered")).toBe(0);
  }

  function expectAnswer(q: QuerySpec, f: FrameSpec = {}) {
    const r = run(q, f);
    expect(r.action).toBe("tx");
    expect(delta("answered")).toBe(1);
    const out = parseFrame(r.output);
    expect(out.ipChecksumOk).toBe(true);
    expect(out.udpChecksumOk).toBe(true);
    expect(out.extra).toBe(0);
    expect(out.dstMac.equals(CLIENT_MAC)).toBe(true);
    expect(out.srcMac.equals(SERVER_MAC)).toBe(true);
    expect(out.srcPort).toBe(f.dstPort ?? 53);
    expect(out.dstPort).toBe(f.srcPort ?? 40000);
    expect(out.ttl).toBe(64);
    const msg = dnsPacket.decode(out.dns);
    return { frame: out, msg, dns: out.dns };
  }

  it("answers an IPv4 query without EDNS, echoing ID, RD and the question's case", () => {
    const { frame: out, msg, dns } = expectAnswer({ id: 0xbeef, qname: "WwW.ExAmple.COM.", flags: 0x0100 });
    expect(out.family).toBe(4);
    expect([...out.src].join(".")).toBe(SERVICE4);
    expect([...out.dst].join(".")).toBe(CLIENT4);
    expect(msg.id).toBe(0xbeef);
    expect(msg.flag_qr).toBe(true);
    expect(msg.flag_aa).toBe(true);
    expect(msg.flag_rd).toBe(true);
    expect(rcodeOf(msg)).toBe("NOERROR");
    expect(msg.questions).toEqual([{ name: "WwW.ExAmple.COM", type: "A", class: "IN" }]);
    expect(msg.answers?.map((a) => [a.name.toLowerCase(), a.type, (a as { data: string }).data])).toEqual([
      ["www.example.com", "A", "192.0.2.1"],
    ]);
    expect(msg.additionals).toEqual([]);
    // Question bytes exactly as sent.
    expect(dns.subarray(12, 12 + 17).equals(Buffer.from(parseNameText("WwW.ExAmple.COM.", null)))).toBe(true);
  });

  it("answers an IPv6 query with EDNS: OPT with our size, DO clear, mandatory UDP checksum", () => {
    const { frame: out, msg } = expectAnswer(
      { qname: "www.example.com.", flags: 0, edns: { udpSize: 4096 } },
      { family: 6, src: CLIENT6, dst: SERVICE6 },
    );
    expect(out.family).toBe(6);
    expect(msg.flag_rd).toBe(false);
    const opt = msg.additionals?.find((a) => a.type === "OPT") as dnsPacket.OptAnswer | undefined;
    expect(opt?.udpPayloadSize).toBe(1232);
    expect(opt?.flags ?? 0).toBe(0);
    expect(dataOf(msg)).toBe("192.0.2.1");
  });

  it("serves the DO=1 answer and echoes DO only to queries with DO=1", () => {
    const withDo = expectAnswer({ edns: { udpSize: 1232, do: true }, flags: 0x0010 });
    expect(dataOf(withDo.msg)).toBe("192.0.2.2");
    const opt = withDo.msg.additionals?.find((a) => a.type === "OPT") as dnsPacket.OptAnswer;
    expect(opt.flags! & 0x8000).toBe(0x8000);
    expect(withDo.msg.flag_cd).toBe(true);
  });

  it("keeps one 802.1Q tag", () => {
    const { frame: out } = expectAnswer({}, { vlan: 42 });
    expect(out.vlan).toBe(42);
  });

  it("drops Ethernet padding from the reply", () => {
    expectAnswer({}, { padding: 10 });
  });

  it("gets the UDP checksum right for odd and even qname, body and OPT offsets", () => {
    const names = ["a.", "ab.", "abc.example.", "abcd.example.", "Mixed-Case.Example.ORG."];
    const texts = ["", "o", "ev", "odd", "even"];
    const answers = names.map((n) => answer({ qname: n, qtype: "TXT", answers: [txtRecord(n, "t")] }));
    fp.replaceAnswers(answers);
    for (const n of names) {
      for (const edns of [undefined, { udpSize: 1232 }]) {
        const r = fp.testRun(frame(dnsQuery({ qname: n.toUpperCase(), qtype: 16, edns }), {}));
        expect(r.action).toBe("tx");
        const out = parseFrame(r.output);
        expect(out.udpChecksumOk).toBe(true);
        expect(out.ipChecksumOk).toBe(true);
      }
    }
    for (const t of texts) {
      fp.replaceAnswers([
        answer({ qname: "abc.example.", qtype: "TXT", answers: [txtRecord("abc.example.", t)] }),
      ]);
      for (const family of [4, 6] as const) {
        for (const edns of [undefined, { udpSize: 1232, do: false }]) {
          const r = fp.testRun(frame(dnsQuery({ qname: "ABC.example.", qtype: 16, edns }), { family }));
          expect(r.action).toBe("tx");
          const out = parseFrame(r.output);
          expect(out.udpChecksumOk).toBe(true);
          expect(dnsPacket.decode(out.dns).answers?.length).toBe(1);
        }
      }
    }
  });

  it("lower-cases ASCII only: octets above 0x7f match exactly", () => {
    // "\xC1bc\xDA.example." — 0xC1/0xDA look like 'A'/'Z' in their low 7 bits.
    const name = Buffer.concat([Buffer.from([4, 0xc1, 0x62, 0x63, 0xda]), parseNameText("example.", null)]);
    const a = answer({ qname: "x.example.", qtype: "A" });
    fp.addAnswer({ ...a, qname: name, body: Buffer.alloc(0), ancount: 0 });
    expectAnswer({ qnameWire: Buffer.from(name) });
    before = fp.counters();
    const upper = Buffer.from(name);
    upper[2] = 0x42; // 'B' in place of 'b' is the same name
    expectAnswer({ qnameWire: upper });
    before = fp.counters();
    const high = Buffer.from(name);
    high[1] = 0xe1; // 0xC1 | 0x20 is another name
    expectPass({ qnameWire: high }, "pass_miss");
  });

  it("passes names, types and DO variants it has no answer for", () => {
    expectPass({ qname: "nope.example.com." }, "pass_miss");
    before = fp.counters();
    expectPass({ qtype: 28 }, "pass_miss");
    fp.replaceAnswers([answer({ qname: "only-do.example.", qtype: "A", dnssecOk: true })]);
    before = fp.counters();
    expectPass({ qname: "only-do.example.", edns: { udpSize: 1232 } }, "pass_miss");
  });

  it("passes other ports and addresses", () => {
    expectPass({}, "pass_not_service", { dstPort: 5353 });
    before = fp.counters();
    expectPass({}, "pass_not_service", { dst: "192.0.2.54" });
    before = fp.counters();
    expectPass({}, "pass_not_service", { family: 6, dst: "2001:db8:53::54" });
  });

  it.each([
    ["QR=1", { flags: 0x8100 }, "pass_not_query"],
    ["opcode NOTIFY", { flags: 4 << 11 }, "pass_not_query"],
    ["opcode UPDATE", { flags: 5 << 11 }, "pass_not_query"],
    ["TC=1", { flags: 0x0300 }, "pass_not_query"],
    ["QDCOUNT 2", { counts: { qd: 2 } }, "pass_counts"],
    ["QDCOUNT 0", { counts: { qd: 0 } }, "pass_counts"],
    ["ANCOUNT 1", { counts: { an: 1 } }, "pass_counts"],
    ["ARCOUNT 2", { edns: { udpSize: 1232 }, counts: { ar: 2 } }, "pass_counts"],
    [
      "label longer than 63",
      { qnameWire: Buffer.concat([Buffer.from([64]), Buffer.alloc(64, 0x61), Buffer.from([0])]) },
      "pass_qname",
    ],
    [
      "compression pointer in the question",
      { qnameWire: Buffer.from([3, 0x77, 0x77, 0x77, 0xc0, 0x0c]) },
      "pass_qname",
    ],
    ["class CH", { qclass: 3 }, "pass_qclass"],
    ["EDNS version 1", { edns: { udpSize: 1232, version: 1 } }, "pass_edns"],
    ["EDNS NSID option", { edns: { udpSize: 1232, options: Buffer.from("00030000", "hex") } }, "pass_edns"],
    [
      "EDNS client subnet option",
      { edns: { udpSize: 1232, options: Buffer.from("0008000700011800c00002", "hex") } },
      "pass_edns",
    ],
    [
      "NSID after a cookie",
      { edns: { udpSize: 1232, options: Buffer.from(`000a0008${"ab".repeat(8)}00030000`, "hex") } },
      "pass_edns",
    ],
    [
      "an EDNS option running past the OPT",
      { edns: { udpSize: 1232, options: Buffer.from("000a0010a1b2c3d4e5f60718", "hex") } },
      "pass_edns",
    ],
    [
      "a truncated EDNS option header",
      { edns: { udpSize: 1232, options: Buffer.from("000a00", "hex") } },
      "pass_edns",
    ],
    [
      "more than 8 EDNS options",
      { edns: { udpSize: 1232, options: Buffer.from("000c0000".repeat(9), "hex") } },
      "pass_edns",
    ],
    [
      "additional record that is not OPT",
      { counts: { ar: 1 }, trailing: Buffer.from("0000100001000000000000", "hex") },
      "pass_edns",
    ],
    ["trailing byte after the question", { trailing: Buffer.from([0]) }, "pass_malformed"],
    ["trailing byte after the OPT", { edns: { udpSize: 1232 }, trailing: Buffer.from([0]) }, "pass_edns"],
  ] as [string, QuerySpec, CounterName][])("passes %s", (_what, q, reason) => {
    expectPass(q, reason);
  });

  it("checks the query's checksums like the stack: bad ones pass, IPv4 without UDP checksum is answered", () => {
    expectPass({}, "pass_malformed", { udpChecksum: "bad" });
    before = fp.counters();
    expectPass({ edns: { udpSize: 1232 } }, "pass_malformed", { family: 6, udpChecksum: "bad" });
    before = fp.counters();
    expectPass({}, "pass_malformed", { family: 6, udpChecksum: "zero" });
    before = fp.counters();
    expectPass({}, "pass_malformed", { badIpChecksum: true });
    before = fp.counters();
    const { frame: out } = expectAnswer(
      { qname: "WWW.example.com.", edns: { udpSize: 1232 } },
      { udpChecksum: "zero" },
    );
    expect(out.udpChecksumOk).toBe(true);
  });

  it("answers queries with cookies and padding as the socket path does: options ignored, none sent back", () => {
    const cookie = Buffer.from("000a0008a1b2c3d4e5f60718", "hex");
    const padding = Buffer.concat([Buffer.from("000c0025", "hex"), Buffer.alloc(0x25)]);
    for (const [qname, options] of [
      ["www.example.com.", cookie],
      ["WWW.example.com.", Buffer.concat([cookie, padding])],
      ["www.example.com.", Buffer.concat([padding, cookie])],
    ] as [string, Buffer][]) {
      for (const family of [4, 6] as const) {
        before = fp.counters();
        const { msg } = expectAnswer({ qname, edns: { udpSize: 1232, options } }, { family });
        const opt = msg.additionals?.find((a) => a.type === "OPT") as dnsPacket.OptAnswer;
        expect(opt.options ?? []).toEqual([]);
      }
    }
    // A wrong checksum over the options is still caught.
    before = fp.counters();
    expectPass({ edns: { udpSize: 1232, options: cookie } }, "pass_malformed", { udpChecksum: "bad" });
    // Switched off: options go to the sockets.
    fp.configure({ ignoreEdnsOptions: false });
    before = fp.counters();
    expectPass({ edns: { udpSize: 1232, options: cookie } }, "pass_edns");
    fp.configure({ ignoreEdnsOptions: true });
  });

  it("passes a name longer than 255 octets", () => {
    const label = Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)]);
    const wire = Buffer.concat([label, label, label, label, Buffer.from([0])]); // 257 octets
    expectPass({ qnameWire: wire }, "pass_qname");
  });

  it("passes truncated packets at every cut", () => {
    const full = dnsQuery({ qname: "www.example.com.", edns: { udpSize: 1232 } });
    for (let cut = 0; cut < full.length; cut++) {
      before = fp.counters();
      const r = fp.testRun(frame(full.subarray(0, cut)));
      expect(r.action, `cut at ${cut}`).toBe("pass");
      expect(delta("answered")).toBe(0);
    }
    // IP length longer than the frame.
    const f = frame(full);
    const r = fp.testRun(f.subarray(0, f.length - 3));
    expect(r.action).toBe("pass");
  });

  it("passes non-IP, non-UDP, IPv4 options and fragments", () => {
    const f = frame(dnsQuery({}));
    const arp = Buffer.from(f);
    arp.writeUInt16BE(0x0806, 12);
    expect(fp.testRun(arp).action).toBe("pass");
    const tcp = Buffer.from(f);
    tcp[14 + 9] = 6;
    expect(fp.testRun(tcp).action).toBe("pass");
    const frag = Buffer.from(f);
    frag.writeUInt16BE(0x2000, 14 + 6); // MF
    expect(fp.testRun(frag).action).toBe("pass");
    const v6ext = frame(dnsQuery({}), { family: 6 });
    v6ext[14 + 6] = 0; // hop-by-hop header
    expect(fp.testRun(v6ext).action).toBe("pass");
    expect(delta("pass_not_ip")).toBe(1);
    expect(delta("pass_not_udp")).toBe(3);
    expect(delta("answered")).toBe(0);
  });

  it("respects 512 octets without EDNS and the requester's EDNS buffer", () => {
    // The ~600-octet TXT answer: too big for plain DNS, fine for 1232.
    expectPass({ qname: "example.com.", qtype: 16 }, "pass_too_big");
    before = fp.counters();
    expectPass({ qname: "example.com.", qtype: 16, edns: { udpSize: 600 } }, "pass_too_big");
    before = fp.counters();
    // Sizes below 512 count as 512 (RFC 6891), still too small here.
    expectPass({ qname: "example.com.", qtype: 16, edns: { udpSize: 100 } }, "pass_too_big");
    before = fp.counters();
    const { msg } = expectAnswer({ qname: "Example.COM.", qtype: 16, edns: { udpSize: 4096 } });
    expect((dataOf(msg) as Buffer[]).map((b) => b.length)).toEqual([200, 200, 200]);
    // Our own size caps the requester's.
    fp.configure({ ednsUdpSize: 600 });
    before = fp.counters();
    expectPass({ qname: "example.com.", qtype: 16, edns: { udpSize: 4096 } }, "pass_too_big");
  });

  it("passes EDNS queries when the answer may not carry an OPT", () => {
    fp.replaceAnswers([answer({ qname: "plain.example.", qtype: "A", withOpt: false })]);
    before = fp.counters();
    expectPass({ qname: "plain.example.", edns: { udpSize: 1232 } }, "pass_no_opt");
    before = fp.counters();
    expectAnswer({ qname: "plain.example." });
  });

  it("never answers on a hash collision (same key, different stored name)", () => {
    const forged = encodeAnswerValue(answer({ qname: "evil.example.", qtype: "A" }));
    // Key of www.example.com/A, value holding another name of the same length.
    const other = answer({
      qname: "wwx.example.com.",
      qtype: "A",
      answers: [aRecord("wwx.example.com.", "203.0.113.66")],
    });
    fp.putRawAnswer(
      encodeAnswerKey(parseNameText("www.example.com.", null), 1, false),
      encodeAnswerValue(other),
    );
    expectPass({ qname: "www.example.com." }, "pass_collision");
    before = fp.counters();
    // Stored name of another length.
    fp.putRawAnswer(encodeAnswerKey(parseNameText("www.example.com.", null), 1, false), forged);
    expectPass({ qname: "www.example.com." }, "pass_collision");
  });

  it("swaps answer generations atomically and passes everything when disabled", () => {
    fp.replaceAnswers([
      answer({ qname: "new.example.", qtype: "A", answers: [aRecord("new.example.", "192.0.2.9")] }),
    ]);
    expect(fp.answers().map((a) => Buffer.from(a.qname).toString("latin1"))).toEqual([
      "\x03new\x07example\x00",
    ]);
    before = fp.counters();
    expectPass({ qname: "www.example.com." }, "pass_miss");
    before = fp.counters();
    expectAnswer({ qname: "NEW.example." });
    fp.configure({ enabled: false });
    before = fp.counters();
    expectPass({ qname: "new.example." }, "pass_disabled");
  });

  it("adds and removes single answers in the live generation", () => {
    fp.addAnswer(
      answer({ qname: "added.example.", qtype: "A", answers: [aRecord("added.example.", "192.0.2.7")] }),
    );
    expectAnswer({ qname: "added.example." });
    expect(fp.removeAnswer(parseNameText("ADDED.example.", null), 1, false)).toBe(true);
    expect(fp.removeAnswer(parseNameText("added.example.", null), 1, false)).toBe(false);
    before = fp.counters();
    expectPass({ qname: "added.example." }, "pass_miss");
  });

  it("answers NXDOMAIN-style and referral answers with the compiled rcode and sections", () => {
    fp.addAnswer(
      answer({
        qname: "gone.example.",
        qtype: "A",
        rcode: 3,
        authorities: [
          {
            name: "example.",
            type: "SOA",
            ttl: 300,
            class: "IN",
            data: {
              mname: "ns.example.",
              rname: "host.example.",
              serial: 1,
              refresh: 2,
              retry: 3,
              expire: 4,
              minimum: 5,
            },
          },
        ],
      }),
    );
    const { msg } = expectAnswer({ qname: "gone.example.", edns: { udpSize: 1232 } });
    expect(rcodeOf(msg)).toBe("NXDOMAIN");
    expect(msg.authorities?.[0]?.type).toBe("SOA");
    expect(msg.additionals?.map((a) => a.type)).toEqual(["OPT"]);
  });
});
