// EDNS(0) (RFC 6891), truncation, NSID (RFC 5001), CHAOS identity, and the error exits of the lifecycle.
import { describe, expect, it } from "vitest";
import { createResponder } from "../../src/responder/responder.js";
import { newOutcome } from "../../src/responder/types.js";
import { ask, decodeResponse, fixtureSnapshot, makeQuery } from "../helpers/zone-fixture.js";

const responder = createResponder(fixtureSnapshot(), {
  identity: "edge-ams-1",
  nsid: Buffer.from("ams1"),
  maxUdpPayload: 1232,
});

describe("EDNS(0)", () => {
  it("echoes OPT with our payload size, version 0 and the DO bit", () => {
    const { d } = ask(responder, "www.example.", "A", { edns: { udpSize: 4096, do: true } });
    expect(d.opt).toEqual({ udpSize: 1232, extRcode: 0, version: 0, do: true, options: [] });
    const plain = ask(responder, "www.example.", "A", { edns: { udpSize: 4096 } }).d;
    expect(plain.opt?.do).toBe(false);
  });

  it("sends no OPT when the query had none", () => {
    expect(ask(responder, "www.example.", "A").d.opt).toBeNull();
  });

  it("answers BADVERS to version > 0: question and OPT only", () => {
    const { d, outcome } = ask(responder, "www.example.", "A", { edns: { version: 1 } });
    expect(d.rcode).toBe(16);
    expect(outcome.rcode).toBe(16);
    expect(d.question).toEqual(["www.example. IN A"]);
    expect([d.answer, d.ns, d.extra]).toEqual([[], [], []]);
    expect(d.opt).toMatchObject({ version: 0, extRcode: 1 });
  });

  it("ignores unknown options", () => {
    const options = Buffer.from([0xfd, 0xe9, 0, 2, 0xaa, 0xbb]);
    const { d } = ask(responder, "www.example.", "A", { edns: { options } });
    expect(d.answer).toEqual(["www.example. 300 IN A 192.0.2.80"]);
    expect(d.opt?.options).toEqual([]);
  });

  it("answers NSID when asked and configured, and only then", () => {
    const { d } = ask(responder, "www.example.", "A", { edns: { nsid: true } });
    expect(d.opt?.options).toEqual([{ code: 3, data: Buffer.from("ams1") }]);
    const quiet = createResponder(fixtureSnapshot(), { identity: "x", maxUdpPayload: 1232 });
    expect(ask(quiet, "www.example.", "A", { edns: { nsid: true } }).d.opt?.options).toEqual([]);
    // NSID also on the general (non-precompiled) path and on negative answers.
    expect(ask(responder, "nope.example.", "A", { edns: { nsid: true } }).d.opt?.options).toHaveLength(1);
  });
});

describe("UDP size limits and truncation", () => {
  it("without EDNS the limit is 512: a big RRset gives TC=1 with only the question", () => {
    const { d, wire, outcome } = ask(responder, "big.example.", "TXT", { transport: "udp" });
    expect(d.tc).toBe(true);
    expect(outcome.truncated).toBe(true);
    expect(wire.length).toBeLessThanOrEqual(512);
    expect(d.question).toEqual(["big.example. IN TXT"]);
    expect([d.answer, d.ns, d.extra]).toEqual([[], [], []]);
  });

  it("the truncated response keeps the OPT record", () => {
    const { d } = ask(responder, "big.example.", "TXT", { transport: "udp", edns: { udpSize: 512 } });
    expect(d.tc).toBe(true);
    expect(d.opt?.udpSize).toBe(1232);
  });

  it("honors the requester's size, clamped to [512, maxUdpPayload]", () => {
    expect(
      ask(responder, "big.example.", "TXT", { transport: "udp", edns: { udpSize: 1232 } }).d.answer,
    ).toHaveLength(3);
    // Below 512 counts as 512.
    expect(ask(responder, "big.example.", "TXT", { transport: "udp", edns: { udpSize: 100 } }).d.tc).toBe(
      true,
    );
    const small = createResponder(fixtureSnapshot(), { identity: "x", maxUdpPayload: 600 });
    const { d, wire } = ask(small, "big.example.", "TXT", { transport: "udp", edns: { udpSize: 4096 } });
    expect(d.tc).toBe(true);
    expect(wire.length).toBeLessThanOrEqual(600);
  });

  it("TCP allows 65535 octets", () => {
    const { d } = ask(responder, "big.example.", "TXT", { transport: "tcp" });
    expect(d.tc).toBe(false);
    expect(d.answer).toHaveLength(3);
  });

  it("drops optional additional records before truncating", () => {
    const { d, wire } = ask(responder, "mxmany.example.", "MX", { transport: "udp" });
    expect(d.tc).toBe(false);
    expect(d.answer).toHaveLength(10);
    expect(d.extra.length).toBeGreaterThan(0);
    expect(d.extra.length).toBeLessThan(20);
    expect(wire.length).toBeLessThanOrEqual(512);
    expect(ask(responder, "mxmany.example.", "MX", { transport: "tcp" }).d.extra).toHaveLength(20);
  });

  it("sets TC=1 when required in-domain glue does not fit", () => {
    const udp = ask(responder, "www.bigdeleg.example.", "A", { transport: "udp" });
    expect(udp.d.tc).toBe(true);
    expect(udp.d.aa).toBe(false);
    const big = ask(responder, "www.bigdeleg.example.", "A", { transport: "udp", edns: { udpSize: 1232 } });
    expect(big.d.tc).toBe(false);
    expect(big.d.ns).toHaveLength(8);
    expect(big.d.extra).toHaveLength(16);
  });
});

describe("CHAOS identity", () => {
  for (const name of ["id.server.", "hostname.bind.", "ID.Server."]) {
    it(`answers CH TXT ${name}`, () => {
      const { d } = ask(responder, name, "TXT", { qclass: 3 });
      expect(d.rcode).toBe(0);
      expect(d.aa).toBe(true);
      expect(d.question).toEqual([`${name} CH TXT`]);
      expect(d.answer).toEqual([`${name} 0 CH TXT "edge-ams-1"`]);
    });
  }

  it("refuses other CH questions", () => {
    expect(ask(responder, "version.bind.", "TXT", { qclass: 3 }).d.rcode).toBe(5);
    expect(ask(responder, "id.server.", "A", { qclass: 3 }).d.rcode).toBe(5);
    expect(ask(responder, "id.server.", "A", { qclass: 3 }).d.aa).toBe(false);
  });

  it("splits a long identity into 255-octet strings", () => {
    const long = createResponder(fixtureSnapshot(), { identity: "x".repeat(300), maxUdpPayload: 1232 });
    const { d } = ask(long, "id.server.", "TXT", { qclass: 3 });
    expect(d.answer).toEqual([`id.server. 0 CH TXT "${"x".repeat(255)}" "${"x".repeat(45)}"`]);
  });
});

describe("header handling", () => {
  it("copies ID, RD and CD; sets QR; never RA", () => {
    const { d } = ask(responder, "www.example.", "A", { id: 0xbeef, rd: true, cd: true });
    expect(d).toMatchObject({ id: 0xbeef, qr: true, rd: true, cd: true, aa: true });
    expect(ask(responder, "nope.example.", "A", { rd: true }).d.rd).toBe(true);
  });

  it("answers NOTIMP to other opcodes (NOTIFY, UPDATE, 15): header only with the opcode echoed, as NSD", () => {
    for (const opcode of [4, 5, 15]) {
      const { d } = ask(responder, "www.example.", "SOA", { opcode, rd: true });
      expect(d.rcode).toBe(4);
      expect(d.opcode).toBe(opcode);
      expect(d.rd).toBe(true);
      expect(d.question).toEqual([]);
      expect(d.answer).toEqual([]);
    }
  });

  it("drops responses (QR=1)", () => {
    const q = makeQuery("www.example.", "A");
    q[2]! |= 0x80;
    const outcome = newOutcome();
    expect(responder.respond(q, "udp", outcome)).toBeNull();
    expect(outcome.rcode).toBe(-1);
  });

  it("echoes the question case exactly and points answer owners at it (0x20)", () => {
    const { d, wire } = ask(responder, "wWw.ExAmPlE.", "A");
    expect(d.question).toEqual(["wWw.ExAmPlE. IN A"]);
    expect(d.answer).toEqual(["wWw.ExAmPlE. 300 IN A 192.0.2.80"]);
    const answerStart = 12 + 13 + 4;
    expect(wire.readUInt16BE(answerStart)).toBe(0xc00c);
  });

  it("fills in the outcome for metrics", () => {
    const outcome = newOutcome();
    responder.respond(makeQuery("nope.example.", "AAAA"), "udp", outcome);
    expect(outcome).toEqual({ qtype: 28, rcode: 3, truncated: false });
  });
});

describe("malformed queries", () => {
  const valid = makeQuery("www.example.", "A");
  const formerr = (msg: Buffer) => {
    const outcome = newOutcome();
    const out = responder.respond(msg, "udp", outcome);
    expect(out).not.toBeNull();
    const d = decodeResponse(out!);
    expect(d.rcode).toBe(1);
    expect(d.id).toBe(msg.readUInt16BE(0));
    expect(d.question).toEqual([]);
    expect(outcome.rcode).toBe(1);
  };
  const withHeader = (qd: number, an: number, ns: number, ar: number, body: Buffer) => {
    const h = Buffer.alloc(12);
    h.writeUInt16BE(0x4242, 0);
    h.writeUInt16BE(qd, 4);
    h.writeUInt16BE(an, 6);
    h.writeUInt16BE(ns, 8);
    h.writeUInt16BE(ar, 10);
    return Buffer.concat([h, body]);
  };
  const question = valid.subarray(12);
  const opt = (owner = Buffer.from([0]), rdata = Buffer.alloc(0), rdlen = rdata.length) => {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(41, 0);
    fixed.writeUInt16BE(1232, 2);
    fixed.writeUInt16BE(rdlen, 8);
    return Buffer.concat([owner, fixed, rdata]);
  };

  it("drops a truncated header", () => {
    for (let n = 0; n < 12; n++)
      expect(responder.respond(valid.subarray(0, n), "udp", newOutcome())).toBeNull();
  });
  it("QDCOUNT 0 or 2", () => {
    formerr(withHeader(0, 0, 0, 0, Buffer.alloc(0)));
    formerr(withHeader(2, 0, 0, 0, Buffer.concat([question, question])));
  });
  it("label longer than 63 (label type bits)", () => {
    formerr(
      withHeader(
        1,
        0,
        0,
        0,
        Buffer.concat([Buffer.from([64]), Buffer.alloc(64, 0x61), Buffer.from([0, 0, 1, 0, 1])]),
      ),
    );
    formerr(withHeader(1, 0, 0, 0, Buffer.from([0x41, 0x61, 0, 0, 1, 0, 1])));
  });
  it("name longer than 255 octets", () => {
    const labels = Buffer.concat(
      Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([60]), Buffer.alloc(60, 0x61)])),
    );
    formerr(withHeader(1, 0, 0, 0, Buffer.concat([labels, Buffer.from([0, 0, 1, 0, 1])])));
  });
  it("compression pointers in the question, backward or forward", () => {
    formerr(withHeader(1, 0, 0, 0, Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])));
    formerr(withHeader(1, 0, 0, 0, Buffer.from([3, 0x77, 0x77, 0x77, 0xc0, 0x40, 0, 1, 0, 1])));
  });
  it("question cut short", () => {
    formerr(valid.subarray(0, valid.length - 1));
    formerr(valid.subarray(0, 15));
  });
  it("bad OPT: wrong length, not root-owned, two OPTs, option overrun, OPT in authority", () => {
    formerr(withHeader(1, 0, 0, 1, Buffer.concat([question, opt(undefined, Buffer.alloc(0), 4)])));
    formerr(withHeader(1, 0, 0, 1, Buffer.concat([question, opt(Buffer.from([1, 0x61, 0]))])));
    formerr(withHeader(1, 0, 0, 2, Buffer.concat([question, opt(), opt()])));
    formerr(withHeader(1, 0, 0, 1, Buffer.concat([question, opt(undefined, Buffer.from([0, 3, 0, 9, 1]))])));
    formerr(withHeader(1, 0, 1, 0, Buffer.concat([question, opt()])));
  });
  it("answer records in a query", () => {
    formerr(withHeader(1, 1, 0, 0, Buffer.concat([question, opt()])));
  });
  it("a valid OPT after the question is accepted", () => {
    const out = responder.respond(
      withHeader(1, 0, 0, 1, Buffer.concat([question, opt()])),
      "udp",
      newOutcome(),
    );
    expect(decodeResponse(out!).answer).toEqual(["www.example. 300 IN A 192.0.2.80"]);
  });
});

// RFC 6891 §6.1.1: an OPT in the request means an OPT in the response, error responses included, as long as the
// query's OPT could be found and was valid (NSD and Knot do so for FORMERR on QDCOUNT=0). Opcodes other than
// QUERY get NSD's bare-header NOTIMP: their records are not parsed, so there is no OPT to echo.
describe("OPT in error responses", () => {
  const valid = makeQuery("www.example.", "A");
  const question = valid.subarray(12);
  const header = (qd: number, an: number, ns: number, ar: number, opcode = 0) => {
    const h = Buffer.alloc(12);
    h.writeUInt16BE(0x5151, 0);
    h.writeUInt16BE((opcode << 11) | 0x0100, 2);
    h.writeUInt16BE(qd, 4);
    h.writeUInt16BE(an, 6);
    h.writeUInt16BE(ns, 8);
    h.writeUInt16BE(ar, 10);
    return h;
  };
  /** An OPT record: root owner, payload 1232, the DO bit, options as raw RDATA. */
  const opt = (
    o: { do?: boolean; nsid?: boolean; version?: number; rdata?: Buffer; owner?: Buffer } = {},
  ) => {
    const rdata = o.rdata ?? (o.nsid ? Buffer.from([0, 3, 0, 0]) : Buffer.alloc(0));
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(41, 0);
    fixed.writeUInt16BE(1232, 2);
    fixed[5] = o.version ?? 0;
    fixed[6] = o.do ? 0x80 : 0;
    fixed.writeUInt16BE(rdata.length, 8);
    return Buffer.concat([o.owner ?? Buffer.from([0]), fixed, rdata]);
  };
  const aRecord = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);

  interface ErrCase {
    name: string;
    msg: Buffer;
    transport?: "udp" | "tcp";
    rcode: number;
    /** Expected OPT: null = none; otherwise its DO bit and whether NSID comes back. */
    opt: { do: boolean; nsid: boolean } | null;
    question?: string[];
  }
  const NO_DO = { do: false, nsid: false };
  const cases: ErrCase[] = [
    // FORMERR with a valid OPT: echoed (the differential case `no-question`)
    { name: "QDCOUNT=0 + OPT", msg: Buffer.concat([header(0, 0, 0, 1), opt()]), rcode: 1, opt: NO_DO },
    {
      name: "QDCOUNT=0 + OPT with DO and NSID",
      msg: Buffer.concat([header(0, 0, 0, 1), opt({ do: true, nsid: true })]),
      rcode: 1,
      opt: { do: true, nsid: true },
    },
    {
      name: "QDCOUNT=2 + OPT",
      msg: Buffer.concat([header(2, 0, 0, 1), question, question, opt()]),
      rcode: 1,
      opt: NO_DO,
    },
    {
      name: "QDCOUNT=0 + OPT, over TCP",
      msg: Buffer.concat([header(0, 0, 0, 1), opt({ do: true })]),
      transport: "tcp",
      rcode: 1,
      opt: { do: true, nsid: false },
    },
    {
      name: "ANCOUNT=1 + OPT",
      msg: Buffer.concat([header(1, 1, 0, 1), question, aRecord, opt({ do: true })]),
      rcode: 1,
      opt: { do: true, nsid: false },
    },
    // FORMERR without a usable OPT: bare header
    { name: "QDCOUNT=0, no OPT", msg: header(0, 0, 0, 0), rcode: 1, opt: null },
    {
      name: "QDCOUNT=2, no OPT",
      msg: Buffer.concat([header(2, 0, 0, 0), question, question]),
      rcode: 1,
      opt: null,
    },
    {
      name: "QDCOUNT=0 + two OPTs",
      msg: Buffer.concat([header(0, 0, 0, 2), opt(), opt()]),
      rcode: 1,
      opt: null,
    },
    {
      name: "QDCOUNT=0 + OPT whose option overruns",
      msg: Buffer.concat([header(0, 0, 0, 1), opt({ rdata: Buffer.from([0, 3, 0, 9, 1]) })]),
      rcode: 1,
      opt: null,
    },
    {
      name: "QDCOUNT=2, second question cut short + OPT",
      msg: Buffer.concat([header(2, 0, 0, 1), question, question.subarray(0, 5)]),
      rcode: 1,
      opt: null,
    },
    {
      name: "two OPTs",
      msg: Buffer.concat([header(1, 0, 0, 2), question, opt(), opt()]),
      rcode: 1,
      opt: null,
    },
    {
      name: "OPT not owned by the root",
      msg: Buffer.concat([header(1, 0, 0, 1), question, opt({ owner: Buffer.from([1, 0x61, 0]) })]),
      rcode: 1,
      opt: null,
    },
    {
      name: "OPT in authority",
      msg: Buffer.concat([header(1, 0, 1, 0), question, opt()]),
      rcode: 1,
      opt: null,
    },
    { name: "OPT in answer", msg: Buffer.concat([header(1, 1, 0, 0), question, opt()]), rcode: 1, opt: null },
    {
      name: "compression pointer in the question + OPT",
      msg: Buffer.concat([header(1, 0, 0, 1), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1]), opt()]),
      rcode: 1,
      opt: null,
    },
    // NOTIMP for other opcodes: header only, as NSD (differential cases `opcode-status`, `opcode-update`)
    ...[2, 4, 5, 15].map(
      (opcode): ErrCase => ({
        name: `opcode ${opcode} + OPT`,
        msg: Buffer.concat([header(1, 0, 0, 1, opcode), question, opt({ do: true })]),
        rcode: 4,
        opt: null,
      }),
    ),
    {
      name: "opcode 5, QDCOUNT=0 + OPT",
      msg: Buffer.concat([header(0, 0, 0, 1, 5), opt()]),
      rcode: 4,
      opt: null,
    },
    // Other errors keep the OPT
    {
      name: "AXFR over UDP + OPT (NOTIMP, as NSD)",
      msg: makeQuery("example.", "AXFR", { edns: { do: true, nsid: true } }),
      rcode: 4,
      opt: { do: true, nsid: true },
      question: ["example. IN AXFR"],
    },
    {
      name: "class HS + OPT (REFUSED)",
      msg: makeQuery("www.example.", "A", { qclass: 4, edns: {} }),
      rcode: 5,
      opt: NO_DO,
    },
    {
      name: "outside our zones + OPT (REFUSED)",
      msg: makeQuery("www.example.org.", "A", { edns: { do: true } }),
      rcode: 5,
      opt: { do: true, nsid: false },
      question: ["www.example.org. IN A"],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const outcome = newOutcome();
      const out = responder.respond(c.msg, c.transport ?? "udp", outcome);
      expect(out).not.toBeNull();
      const d = decodeResponse(out!);
      expect(outcome.rcode).toBe(c.rcode);
      expect({ id: d.id, rcode: d.rcode, rd: d.rd, question: d.question, answer: d.answer }).toEqual({
        id: c.msg.readUInt16BE(0),
        rcode: c.rcode,
        rd: (c.msg[2]! & 1) === 1,
        question: c.question ?? [],
        answer: [],
      });
      expect(d.opt).toEqual(
        c.opt === null
          ? null
          : {
              udpSize: 1232,
              extRcode: 0,
              version: 0,
              do: c.opt.do,
              options: c.opt.nsid ? [{ code: 3, data: Buffer.from("ams1") }] : [],
            },
      );
    });
  }
});
