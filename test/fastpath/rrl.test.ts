// Kernel response rate limiting through BPF_PROG_TEST_RUN: one bucket per source prefix (/24, /56), a second's
// worth of responses, then drops with every slip-th response sent truncated (TC=1, question only).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FastPath } from "../../src/fastpath/fast-path.js";
import { isRoot, requirePrereq } from "../helpers/prereq.js";
import { addonBuilt, answer, aRecord, objectBuilt } from "./fixtures.js";
import { dnsQuery, frame, parseFrame, SERVICE4, SERVICE6 } from "./frames.js";

const ok = requirePrereq("XDP rate limiting", isRoot, addonBuilt, objectBuilt());

describe.skipIf(!ok)("kernel RRL", () => {
  let fp: FastPath;
  beforeAll(() => {
    fp = FastPath.open(undefined, { maxAnswers: 16 });
    fp.setServiceAddresses([SERVICE4, SERVICE6]);
    fp.replaceAnswers([
      answer({ qname: "www.example.com.", qtype: "A", answers: [aRecord("www.example.com.", "192.0.2.1")] }),
    ]);
  });
  afterAll(() => fp?.close());

  const q = (edns = false) =>
    dnsQuery({ qname: "www.example.com.", id: 7, edns: edns ? { udpSize: 1232 } : undefined });

  it("is off by default", () => {
    for (let i = 0; i < 50; i++) expect(fp.testRun(frame(q(), { src: "198.51.100.1" })).action).toBe("tx");
    expect(fp.counters().rrl_dropped).toBe(0);
  });

  it("answers a second's worth per /24, then drops and slips every slip-th as TC=1", () => {
    fp.configure({ rateLimit: { responsesPerSecond: 4, slip: 3 } });
    const before = fp.counters();
    const actions: string[] = [];
    const full: boolean[] = [];
    for (let i = 0; i < 40; i++) {
      // Different hosts of one /24 share the bucket.
      const r = fp.testRun(frame(q(i % 2 === 0), { src: `203.0.113.${1 + (i % 5)}` }));
      actions.push(r.action);
      if (r.action === "tx") {
        const out = parseFrame(r.output);
        expect(out.udpChecksumOk).toBe(true);
        const flags = out.dns.readUInt16BE(2);
        full.push((flags & 0x0200) === 0);
        if (flags & 0x0200) {
          // Truncated: the question, no records, our OPT when the query had one.
          expect(out.dns.readUInt16BE(6)).toBe(0);
          expect(out.dns.readUInt16BE(8)).toBe(0);
          expect(out.dns.readUInt16BE(10)).toBe(i % 2 === 0 ? 1 : 0);
          expect(out.dns.length).toBe(12 + 17 + 4 + (i % 2 === 0 ? 11 : 0));
        }
      }
    }
    // The runs take microseconds (a token per 250 ms): 4 full answers, then 36 over the limit: 12 slipped
    // (TC=1), 24 dropped.
    expect(full.filter((f) => f).length).toBe(4);
    expect(actions.slice(0, 4)).toEqual(Array(4).fill("tx"));
    const after = fp.counters();
    expect(after.rrl_slipped - before.rrl_slipped).toBe(12);
    expect(after.rrl_dropped - before.rrl_dropped).toBe(24);
    expect(actions.filter((a) => a === "drop").length).toBe(24);
    // Another /24 and an IPv6 /56 have their own buckets.
    expect(fp.testRun(frame(q(), { src: "203.0.114.1" })).action).toBe("tx");
    for (let i = 0; i < 4; i++)
      expect(fp.testRun(frame(q(), { family: 6, src: `2001:db8:c:${i}::7` })).action).toBe("tx");
    // Same /56 (2001:db8:c:0..ff), fifth response: over the limit (slip 3: dropped, the 1st over).
    expect(fp.testRun(frame(q(), { family: 6, src: "2001:db8:c:ff::8" })).action).toBe("drop");
    expect(fp.testRun(frame(q(), { family: 6, src: "2001:db8:c:100::8" })).action).toBe("tx");
  });

  it("slip 0 drops everything over the limit; off again restores answers", () => {
    fp.configure({ rateLimit: { responsesPerSecond: 2, slip: 0 } });
    const src = "192.0.2.200";
    const acts = Array.from({ length: 8 }, () => fp.testRun(frame(q(), { src })).action);
    expect(acts).toEqual(["tx", "tx", "drop", "drop", "drop", "drop", "drop", "drop"]);
    fp.configure({ rateLimit: null });
    expect(fp.testRun(frame(q(), { src })).action).toBe("tx");
    expect(() => fp.configure({ rateLimit: { responsesPerSecond: 0, slip: 1 } })).toThrow(/rateLimit/);
  });
});
