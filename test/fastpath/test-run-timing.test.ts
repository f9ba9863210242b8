// Cost of the fast path per packet as BPF_PROG_TEST_RUN times it: an answered query (IPv4 and IPv6, with
// EDNS) and a miss, against a program that only bounces frames (native/bpf/bounce.bpf.c). Prints the numbers
// for docs/FASTPATH.md; asserts only sanity, since timing on a shared 2-core machine is noisy.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fastAnswersFromPrecompiled } from "../../src/fastpath/answer-codec.js";
import { FastPath } from "../../src/fastpath/fast-path.js";
import { BOUNCE_OBJECT_PATH, loadNativeAddon, type RawBpfObject } from "../../src/fastpath/native-addon.js";
import { compileNegativeTable } from "../../src/fastpath/negative.js";
import { compileSnapshot } from "../../src/responder/snapshot.js";
import { parseNameText } from "../../src/wire/name.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import { buildZone } from "../../src/zone/zone-image.js";
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

  it("measures NXDOMAIN from the zone tables", () => {
    const origin = parseNameText("example.com.", null);
    const zone = buildZone(
      origin,
      parseMasterFile(
        "$TTL 300\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.53\n" +
          "www A 192.0.2.1\ndeleg NS ns.deleg\nns.deleg A 192.0.2.2\n",
        { file: "timing", origin },
      ).records,
    );
    const snapshot = compileSnapshot([zone], 1);
    const { answers } = fastAnswersFromPrecompiled(snapshot.exactAnswers.values());
    fp.replaceAnswers(answers, compileNegativeTable(snapshot));
    const nx = frame(dnsQuery({ qname: "nothing-here.example.com.", edns: { udpSize: 1232 } }));
    const nx6 = frame(dnsQuery({ qname: "nothing-here.example.com.", edns: { udpSize: 1232 } }), {
      family: 6,
    });
    // The same walk (3 lookups: com., example.com. = apex, deleg = a cut) ending in a pass: repeatable.
    const belowCut = frame(dnsQuery({ qname: "x.deleg.example.com." }));
    const deep = frame(dnsQuery({ qname: "a.b.c.d.e.nothing-here.example.com." }));
    expect(fp.testRun(nx).action).toBe("tx");
    expect(fp.testRun(belowCut).action).toBe("pass");
    const single: Record<string, number> = {
      nxdomainV4: median(() => fp.testRun(nx).durationNs),
      nxdomainV6: median(() => fp.testRun(nx6).durationNs),
      nxdomainV4Deep: median(() => fp.testRun(deep).durationNs),
    };
    const repeated = { walkToCutV4: best(() => fp.testRun(belowCut, REPEAT).durationNs) };
    // Rate limiting on (a limit never reached): one LRU lookup and update per answer.
    fp.configure({ rateLimit: { responsesPerSecond: 1_000_000_000, slip: 0 } });
    const www = frame(dnsQuery({ qname: "www.example.com.", edns: { udpSize: 1232 } }));
    single.answerV4Rrl = median(() => fp.testRun(www).durationNs);
    fp.configure({ rateLimit: null });
    single.answerV4 = median(() => fp.testRun(www).durationNs);
    console.log(`BPF_PROG_TEST_RUN NXDOMAIN ns/packet, median of single runs: ${JSON.stringify(single)}`);
    console.log(
      `BPF_PROG_TEST_RUN NXDOMAIN ns/packet, best of 3 x ${REPEAT} repeats: ${JSON.stringify(repeated)}`,
    );
    for (const v of [...Object.values(single), ...Object.values(repeated)]) expect(v).toBeGreaterThan(0);
  });
});
