// Service addresses through BPF_PROG_TEST_RUN: the slot array answers the first address of each slot without a
// hash lookup; addresses that share a slot are found in the hash (slot flagged MORE); an address that only
// shares a slot with a service address is not answered; changing the set takes effect at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FastPath } from "../../src/fastpath/fast-path.js";
import { serviceSlot } from "../../src/fastpath/layout.js";
import { parseIpv4 } from "../../src/wire/rdata/text-fields.js";
import { isRoot, requirePrereq } from "../helpers/prereq.js";
import { addonBuilt, answer, aRecord, objectBuilt } from "./fixtures.js";
import { dnsQuery, frame, SERVICE4, SERVICE6 } from "./frames.js";

const ok = requirePrereq("XDP service slots", isRoot, addonBuilt, objectBuilt());

const slotOf = (a: string) => serviceSlot(Buffer.concat([parseIpv4(a), Buffer.alloc(12)]));

/** The first `n` addresses of 10.53.0.0/16 whose slot is SERVICE4's. */
function sameSlot(n: number): string[] {
  const out: string[] = [];
  for (let i = 1; out.length < n && i < 65536; i++) {
    const a = `10.53.${i >> 8}.${i & 255}`;
    if (slotOf(a) === slotOf(SERVICE4)) out.push(a);
  }
  return out;
}

describe.skipIf(!ok)("service address slots", () => {
  let fp: FastPath;
  const [second, stranger] = sameSlot(2) as [string, string];
  const q = dnsQuery({ qname: "www.example.com." });
  const to = (dst: string) => fp.testRun(frame(q, { dst })).action;

  beforeAll(() => {
    fp = FastPath.open(undefined, { maxAnswers: 16 });
    fp.replaceAnswers([
      answer({ qname: "www.example.com.", qtype: "A", answers: [aRecord("www.example.com.", "192.0.2.1")] }),
    ]);
  });
  afterAll(() => fp?.close());

  it("answers every service address, also two in one slot, and nothing else in that slot", () => {
    expect(stranger).toBeDefined();
    fp.setServiceAddresses([SERVICE4, second, SERVICE6]);
    const before = fp.counters();
    expect(to(SERVICE4)).toBe("tx");
    expect(to(second)).toBe("tx"); // in the hash only: the slot holds SERVICE4
    expect(fp.testRun(frame(q, { family: 6, dst: SERVICE6 })).action).toBe("tx");
    expect(to(stranger)).toBe("pass");
    expect(to("192.0.2.54")).toBe("pass");
    const after = fp.counters();
    expect(after.answered - before.answered).toBe(3);
    expect(after.pass_not_service - before.pass_not_service).toBe(2);
  });

  it("follows changes of the set", () => {
    fp.setServiceAddresses([second]); // now second owns the slot, SERVICE4 is gone
    expect(to(second)).toBe("tx");
    expect(to(SERVICE4)).toBe("pass");
    fp.setServiceAddresses([]);
    expect(to(second)).toBe("pass");
    fp.setServiceAddresses([SERVICE4]);
    expect(to(SERVICE4)).toBe("tx");
    expect(to(second)).toBe("pass");
  });
});
