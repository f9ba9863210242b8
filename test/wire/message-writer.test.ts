import dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { MessageWriter, Section } from "../../src/wire/message-writer.js";
import { parseNameText } from "../../src/wire/name.js";
import { rdataFromText } from "../../src/wire/rdata-text.js";
import { RRType, typeFromText } from "../../src/wire/rrtype.js";
import { RRset } from "../../src/zone/rrset.js";
import { decodeResponse } from "../helpers/zone-fixture.js";

const n = (text: string) => parseNameText(text, null);

function rrset(owner: string, type: string, ...rdatas: string[]): RRset {
  const t = typeFromText(type)!;
  return RRset.of(
    n(owner),
    t,
    1,
    300,
    rdatas.map((r) => rdataFromText(t, r.split(" "), null)),
  );
}

function writer(limit = 4096): MessageWriter {
  const w = new MessageWriter(Buffer.alloc(65535), limit);
  w.reset(limit);
  return w;
}

function finish(w: MessageWriter): Buffer {
  return Buffer.from(w.buf.subarray(0, w.finish(7, 0x8400)));
}

describe("MessageWriter", () => {
  it("points an owner equal to the question name at offset 12", () => {
    const w = writer();
    w.writeQuestion(n("WwW.Example."), 1, 1);
    w.writeRRset(rrset("www.example.", "A", "192.0.2.1"), Section.answer);
    const msg = finish(w);
    expect(msg.readUInt16BE(12 + 13 + 4)).toBe(0xc00c);
    expect(decodeResponse(msg).answer).toEqual(["WwW.Example. 300 IN A 192.0.2.1"]);
  });

  it("compresses suffixes and the names inside NS, CNAME, SOA, MX and PTR RDATA", () => {
    const w = writer();
    w.writeQuestion(n("example."), RRType.SOA, 1);
    const sets = [
      rrset("example.", "SOA", "ns1.example. host.example. 1 2 3 4 5"),
      rrset("example.", "NS", "ns1.example."),
      rrset("a.example.", "CNAME", "ns1.example."),
      rrset("example.", "MX", "10 mail.example."),
      rrset("1.2.example.", "PTR", "example."),
    ];
    for (const s of sets) expect(w.writeRRset(s, Section.answer)).toBe(true);
    const msg = finish(w);
    const uncompressed = 12 + 9 + 4 + sets.reduce((a, s) => a + s.owner.length + 10 + s.rdataAt(0).length, 0);
    expect(msg.length).toBeLessThan(uncompressed - 40);
    expect(decodeResponse(msg).answer).toEqual([
      "example. 300 IN SOA ns1.example. host.example. 1 2 3 4 5",
      "example. 300 IN NS ns1.example.",
      "a.example. 300 IN CNAME ns1.example.",
      "example. 300 IN MX 10 mail.example.",
      "1.2.example. 300 IN PTR example.",
    ]);
    expect(dnsPacket.decode(msg).answers).toHaveLength(5);
  });

  it("never compresses names inside DNAME or SRV RDATA (RFC 3597 §4), nor points into them", () => {
    const w = writer();
    w.writeQuestion(n("example."), 1, 1);
    w.writeRRset(rrset("d.example.", "DNAME", "target.example."), Section.answer);
    w.writeRRset(rrset("_s._tcp.example.", "SRV", "0 0 1 target.example."), Section.answer);
    w.writeRRset(rrset("target.example.", "A", "192.0.2.1"), Section.answer);
    const msg = finish(w);
    // Both RDATA names are written out in full.
    expect(msg.indexOf(n("target.example."))).toBeGreaterThan(0);
    expect(msg.lastIndexOf(n("target.example."))).toBeGreaterThan(msg.indexOf(n("target.example.")));
    const d = decodeResponse(msg);
    expect(d.answer).toEqual([
      "d.example. 300 IN DNAME target.example.",
      "_s._tcp.example. 300 IN SRV 0 0 1 target.example.",
      "target.example. 300 IN A 192.0.2.1",
    ]);
    // The owner "target.example." is literal "target" + pointer to the question's "example.".
    const ownerAt = msg.length - (2 + 10 + 4) - 7;
    expect(msg.subarray(ownerAt, ownerAt + 7)).toEqual(Buffer.from("\x06target", "latin1"));
  });

  it("writes an RRset whole or not at all, and forgets names of a rolled-back RRset", () => {
    const w = writer(80);
    w.writeQuestion(n("example."), 1, 1);
    const big = rrset("big.example.", "TXT", "x".repeat(40), "y".repeat(40));
    const before = w.pos;
    expect(w.writeRRset(big, Section.answer)).toBe(false);
    expect(w.pos).toBe(before);
    expect(w.an).toBe(0);
    // "big.example." must not be compressed against the rolled-back bytes.
    expect(w.writeRRset(rrset("big.example.", "A", "192.0.2.1"), Section.answer)).toBe(true);
    const msg = finish(w);
    expect(decodeResponse(msg).answer).toEqual(["big.example. 300 IN A 192.0.2.1"]);
  });

  it("only registers compression targets below offset 0x4000", () => {
    const w = writer(65535);
    w.writeQuestion(n("example."), 1, 1);
    const filler = rrset(
      "f.example.",
      "TXT",
      ...Array.from({ length: 80 }, (_, i) => `${i} ${"z".repeat(200)}`),
    );
    expect(w.writeRRset(filler, Section.answer)).toBe(true);
    expect(w.pos).toBeGreaterThan(0x4000);
    w.writeRRset(rrset("late.example.", "A", "192.0.2.1"), Section.answer);
    w.writeRRset(rrset("x.late.example.", "A", "192.0.2.2"), Section.answer);
    const msg = finish(w);
    const d = decodeResponse(msg);
    expect(d.answer.slice(-2)).toEqual([
      "late.example. 300 IN A 192.0.2.1",
      "x.late.example. 300 IN A 192.0.2.2",
    ]);
    expect(dnsPacket.decode(msg).answers).toHaveLength(82);
  });

  it("copies a received question verbatim", () => {
    const w = writer();
    const query = Buffer.concat([Buffer.alloc(12), n("A.b.C."), Buffer.from([0, 1, 0, 1])]);
    w.copyQuestion(query, 12, query.length);
    w.writeRRset(rrset("a.B.c.", "A", "192.0.2.1"), Section.answer);
    const msg = finish(w);
    expect(msg.subarray(12, query.length)).toEqual(query.subarray(12));
    expect(decodeResponse(msg).answer).toEqual(["A.b.C. 300 IN A 192.0.2.1"]);
  });
});
