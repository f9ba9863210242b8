// Consensus test over a generated corpus (generated-corpus.ts): for every field of every answer, edgens must
// agree with NSD or with Knot. Where the two references disagree both are legitimate (see
// allowed-differences.ts); where they agree and edgens does not, the test prints all three answers.
// Two exemptions: differences a known bug explains (known-bugs.ts, reported separately), and differences only in
// the letter case of names in the sections when the question echo matches exactly — name compression is
// case-insensitive in all three servers, so the case of e.g. an additional record's owner or a DNAME-synthesized
// target is an artefact of which earlier name a pointer reused, and RFC 4343 makes it insignificant. The
// hand-written corpus (case-* rows) still checks answer owner case strictly.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIELDS, type Normalized } from "../helpers/compare.js";
import { type Peer, startPeers } from "../helpers/peers.js";
import { hasCommand, requirePrereq } from "../helpers/prereq.js";
import { DIFF_IDENTITY, DIFF_ZONES } from "./corpus.js";
import { startInProcess } from "./edgens-in-process.js";
import type { EdgensServer } from "./edgens-process.js";
import { generatedCorpus } from "./generated-corpus.js";
import { knownBug } from "./known-bugs.js";
import { type Results, runCorpus } from "./run-corpus.js";

const ok = requirePrereq(
  "generated differential corpus",
  hasCommand("/usr/sbin/nsd"),
  hasCommand("/usr/sbin/knotd"),
);
const CASES = generatedCorpus(Number(process.env.EDGENS_GEN_CASES ?? 400));

/** Same RRs, differing only in the letter case of names (sorted order may differ with case, so re-sort). */
function caseOnly(a: string, b: string): boolean {
  const fold = (v: string) => v.toLowerCase().split("\n").sort().join("\n");
  return fold(a) === fold(b);
}

function text(n: Normalized, f: keyof Normalized): string {
  const v = n[f];
  return Array.isArray(v) ? v.join("\n") : v;
}

describe.skipIf(!ok)("differential: generated corpus, edgens agrees with NSD or Knot", () => {
  let nsd: Peer | undefined;
  let knot: Peer | undefined;
  const servers: EdgensServer[] = [];
  const results: Record<string, Results> = {};

  beforeAll(async () => {
    ({ nsd, knot } = await startPeers({ zones: DIFF_ZONES, identity: DIFF_IDENTITY }));
    results.nsd = await runCorpus(nsd, CASES);
    results.knot = await runCorpus(knot, CASES);
    for (const precompile of [true, false]) {
      const s = await startInProcess({ zones: DIFF_ZONES, identity: DIFF_IDENTITY, precompile });
      servers.push(s);
      results[precompile ? "precompiled" : "lookup"] = await runCorpus(s, CASES);
    }
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await nsd?.stop();
    await knot?.stop();
  });

  for (const variant of ["precompiled", "lookup"] as const) {
    it(`edgens (${variant}) matches a reference on every field of ${CASES.length} queries`, () => {
      const problems: string[] = [];
      for (const k of CASES) {
        const e = results[variant]!.get(k.id)!;
        const n = results.nsd!.get(k.id)!;
        const kn = results.knot!.get(k.id)!;
        for (const f of FIELDS) {
          const ev = text(e, f);
          if (ev === text(n, f) || ev === text(kn, f)) continue;
          if (knownBug(k, f, ev, text(n, f))) continue;
          const sameQuestion = text(e, "question") === text(n, "question");
          if (sameQuestion && (caseOnly(ev, text(n, f)) || caseOnly(ev, text(kn, f)))) continue;
          problems.push(
            `${k.id} ${k.q} ${k.transport} edns=${JSON.stringify(k.edns)} ${f}:\n  edgens: ${ev}\n  nsd:    ${text(n, f)}\n  knot:   ${text(kn, f)}`,
          );
        }
      }
      expect(problems, problems.slice(0, 20).join("\n")).toEqual([]);
    });
  }
});
