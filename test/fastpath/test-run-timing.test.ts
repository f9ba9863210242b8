// Cost of the fast path per packet as BPF_PROG_TEST_RUN times it: an answered query (IPv4 and IPv6, with
// EDNS) and a miss, against a program that only bounces frames (native/bpf/bounce.bpf.c). Prints the numbers
// for docs/FASTPATH.md; asserts only sanity, since timing on a shared 2-core machine is noisy.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FastPath } from "../../src/fastpath/fast-path.js";
import { BOUNCE_OBJECT_PATH, loadNativeAddon, type RawBpfObject } from "../../src/fastpath/native-addon.js";
import { isRoot, requirePrereq } from "../helpers/prereq.js";
import { addonBuilt, answer, aRecord, objectBuilt, txtRecord } from "./fixtures.js";
import { dnsQuery, frame, SERVICE4, SERVICE6 } from "./frames.js";

const ok = requirePrereq("XDP timing", isRoot, addonBuilt, objectBuilt(), objectBuilt(BOUNCE_OBJECT_PATH));
const REPEAT = 200_000;

describe.skipIf(!ok)("BPF_PROG_TEST_RUN timing", () => {
  let fp: FastPath;
  let bounce: RawBpfObject;

  beforeAll(() => {
    fp = FastPath.open();
    fp.setServiceAddresses([SERVICE4, SERVICE6]);
    fp.replaceAnswers([
      answer({ qname: "www.example.com.", qtype: "A", answers: [aRecord("www.example.com.", "192.0.2.1")] }),
      answer({
        qname: "big.example.com.",
        qtype: "TXT",
        answers: [txtRecord("big.example.com.", ["x".repeat(250), "y".repeat(250)])],
      }),
    ]);
    const load = loadNativeAddon();
    if (!load.available) throw new Error(load.reason);
    bounce = new load.addon.BpfObject();
    expect(bounce.open(BOUNCE_OBJECT_PATH)).toBe(0);
    expect(bounce.load()).toBe(0);
  });
  afterAll(() => {
    fp?.close();
    bounce?.close();
  });

  /** Best of 3 runs of REPEAT repetitions on the same buffer, ns per packet. */
  function best(run: () => number): number {
    return Math.min(run(), run(), run());
  }

  /**
   * Median of single runs. A repeated run reuses the rewritten buffer (after the first XDP_TX it holds a
   * response, which the program passes), so answered queries are timed one by one: each figure then includes
   * the kernel's per-call timer overhead, which is why the bounce is measured the same way beside it.
   */
  function median(run: () => number, n = 3001): number {
    const t = Array.from({ length: n }, run).sort((x, y) => x - y);
    return t[n >> 1]!;
  }

  it("measures answered queries against a bare XDP_TX bounce", () => {
    const q4 = frame(dnsQuery({ qname: "www.example.com.", edns: { udpSize: 1232 } }));
    const q6 = frame(dnsQuery({ qname: "www.example.com.", edns: { udpSize: 1232 } }), { family: 6 });
    const miss = frame(dnsQuery({ qname: "nothing-here.example.com." }));
    // Does all the work of an answer (parse, hash, lookup, name check, size check) but the rewrite: repeatable.
    const tooBig = frame(dnsQuery({ qname: "big.example.com.", qtype: 16 }));
    const out = Buffer.alloc(4096);
    const bounceRun = (repeat: number) => () => {
      const r = bounce.testRun("bounce_xdp", q4, out, repeat);
      if (typeof r === "number") throw new Error(`test run: ${r}`);
      return r[2];
    };
    const single = {
      bounce: median(bounceRun(1)),
      answerV4: median(() => fp.testRun(q4).durationNs),
      answerV6: median(() => fp.testRun(q6).durationNs),
      missV4: median(() => fp.testRun(miss).durationNs),
      tooBigV4: median(() => fp.testRun(tooBig).durationNs),
    };
    const repeated = {
      bounce: best(bounceRun(REPEAT)),
      missV4: best(() => fp.testRun(miss, REPEAT).durationNs),
      tooBigV4: best(() => fp.testRun(tooBig, REPEAT).durationNs),
    };
    expect(fp.testRun(q4).action).toBe("tx");
    expect(fp.testRun(miss).action).toBe("pass");
    expect(fp.testRun(tooBig).action).toBe("pass");
    expect(fp.counters().pass_too_big).toBeGreaterThan(0);
    console.log(`BPF_PROG_TEST_RUN ns/packet, median of single runs: ${JSON.stringify(single)}`);
    console.log(`BPF_PROG_TEST_RUN ns/packet, best of 3 x ${REPEAT} repeats: ${JSON.stringify(repeated)}`);
    for (const v of [...Object.values(single), ...Object.values(repeated)]) expect(v).toBeGreaterThan(0);
  });
});
