// The fast path and the socket path must give the same bytes where both answer (MISSION §2): every
// precompiled answer of the responder's fixture zones goes into the XDP maps, and each query — mixed case,
// with and without EDNS/DO — is answered by both; the XDP reply's DNS payload must equal the responder's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fastAnswersFromPrecompiled } from "../../src/fastpath/answer-codec.js";
import { FastPath } from "../../src/fastpath/fast-path.js";
import { compileNegativeTable } from "../../src/fastpath/negative.js";
import { createResponder, type SnapshotResponder } from "../../src/responder/responder.js";
import { exactKey, type Snapshot } from "../../src/responder/snapshot.js";
import { newOutcome } from "../../src/responder/types.js";
import { isRoot, requirePrereq } from "../helpers/prereq.js";
import { fixtureSnapshot } from "../helpers/zone-fixture.js";
import { addonBuilt, objectBuilt } from "./fixtures.js";
import { dnsQuery, type EdnsSpec, frame, parseFrame } from "./frames.js";

const ok = requirePrereq("XDP vs responder", isRoot, addonBuilt, objectBuilt());

/** Alternate the case of ASCII letters: the 0x20 echo must come out the same on both paths. */
function mixCase(wire: Buffer): Buffer {
  const out = Buffer.from(wire);
  let flip = false;
  for (let i = 0; i < out.length; i++) {
    const c = out[i]!;
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) {
      out[i] = flip ? c & ~0x20 : c | 0x20;
      flip = !flip;
    }
  }
  return out;
}

describe.skipIf(!ok)("XDP answers equal the responder's, byte for byte", () => {
  let fp: FastPath;
  let snapshot: Snapshot;
  let responder: SnapshotResponder;

  beforeAll(() => {
    snapshot = fixtureSnapshot();
    responder = createResponder(snapshot, { identity: "xdp-test", maxUdpPayload: 1232 });
    fp = FastPath.open(undefined, { maxAnswers: 4096, config: { ednsUdpSize: 1232 } });
    fp.setServiceAddresses(["192.0.2.53"]);
  });
  afterAll(() => fp?.close());

  it("for every precompiled answer, with and without EDNS", () => {
    const { answers, skipped } = fastAnswersFromPrecompiled(snapshot.exactAnswers.values());
    expect(answers.length).toBeGreaterThan(10);
    fp.replaceAnswers(answers);
    const before = fp.counters();
    let compared = 0;
    const passed: string[] = [];
    for (const pa of snapshot.exactAnswers.values()) {
      const qname = mixCase(pa.wire.subarray(12, pa.questionEnd - 4));
      // A client cookie (dig and BIND send one) is ignored by both paths.
      const cookie = Buffer.from("000a0008a1b2c3d4e5f60718", "hex");
      const variants: (EdnsSpec | undefined)[] = pa.dnssecOk
        ? [
            { udpSize: 1232, do: true },
            { udpSize: 4096, do: true, options: cookie },
          ]
        : [undefined, { udpSize: 1232 }, { udpSize: 512 }, { udpSize: 1232, options: cookie }];
      for (const edns of variants) {
        // Plain, RD, and RD+AD+CD (dig sets AD by default; CD must be copied, AD must not leak through).
        for (const flags of [0, 0x0100, 0x0130]) {
          const query = dnsQuery({
            id: 0x4242,
            qnameWire: qname,
            qtype: pa.qtype,
            flags,
            edns,
          });
          const user = responder.respond(query, "udp", newOutcome());
          const xdp = fp.testRun(frame(query));
          if (xdp.action !== "tx") {
            passed.push(`${qname.toString("latin1")}/${pa.qtype}`);
            continue;
          }
          const out = parseFrame(xdp.output);
          expect(out.udpChecksumOk).toBe(true);
          expect(user, `${qname.toString("latin1")}/${pa.qtype}`).not.toBeNull();
          expect(
            out.dns.toString("hex"),
            `${qname.toString("latin1")}/${pa.qtype} ${JSON.stringify(edns)}`,
          ).toBe(user!.toString("hex"));
          compared++;
        }
      }
    }
    console.log(
      `compared ${compared} answers byte for byte; ${passed.length} passed up; ${skipped} not loaded`,
    );
    expect(compared).toBeGreaterThan(20);
    // The only reason to pass here: the answer does not fit the requester's buffer (the responder truncates).
    const after = fp.counters();
    expect(after.answered - before.answered).toBe(compared);
    expect(after.pass_too_big - before.pass_too_big).toBe(passed.length);
  });

  it("NODATA from the zone tables for every listed name's missing types", () => {
    const { answers } = fastAnswersFromPrecompiled(snapshot.exactAnswers.values());
    const table = compileNegativeTable(snapshot);
    fp.replaceAnswers(answers, table);
    const nxZones = new Set(table.zones.filter((z) => !z.off).map((z) => z.id));
    const before = fp.counters();
    let compared = 0;
    let nodata = 0;
    for (const c of table.nodata ?? []) {
      const qname = mixCase(c.qname);
      for (const qtype of [13, 15, 16, 33, 257]) {
        if (c.types.includes(qtype)) continue;
        const precompiled = snapshot.exactAnswers.has(exactKey(c.qname.toString("latin1"), qtype, false));
        for (const edns of [undefined, { udpSize: 1232 }, { udpSize: 1232, do: true }] as (
          | EdnsSpec
          | undefined
        )[]) {
          const query = dnsQuery({ id: 0x4243, qnameWire: qname, qtype, flags: 0x0100, edns });
          const user = responder.respond(query, "udp", newOutcome());
          const n0 = fp.counters().answered_nodata;
          const xdp = fp.testRun(frame(query));
          const what = `${qname.toString("latin1")}/${qtype} ${JSON.stringify(edns)}`;
          if (xdp.action !== "tx") {
            expect(nxZones.has(c.zone) && !precompiled, `${what} passed`).toBe(false);
            continue;
          }
          expect(parseFrame(xdp.output).dns.toString("hex"), what).toBe(user!.toString("hex"));
          compared++;
          if (fp.counters().answered_nodata - n0 === 1) nodata++;
          else expect(precompiled, `${what} answered from neither table`).toBe(true);
        }
      }
    }
    console.log(`NODATA: compared ${compared} answers byte for byte, ${nodata} from the zone tables`);
    expect(nodata).toBeGreaterThan(20);
    expect(fp.counters().answered_nodata - before.answered_nodata).toBe(nodata);
  });
});
