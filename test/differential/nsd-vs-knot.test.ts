// Stage 1 of the differential tests: the corpus against NSD and Knot side by side. Their differences are the
// measure of what is a legitimate implementation choice; the test fails only if a server does not answer, or
// if a difference appears that test/differential/allowed-differences.ts does not know about.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Peer } from "../helpers/peers.js";
import { startPeers } from "../helpers/peers.js";
import { hasCommand, requirePrereq } from "../helpers/prereq.js";
import { allowedBy } from "./allowed-differences.js";
import { CORPUS, DIFF_IDENTITY, DIFF_ZONES } from "./corpus.js";
import { compareResults, type Results, render, renderDiffs, runCorpus } from "./run-corpus.js";

const ok = requirePrereq(
  "NSD vs Knot differential",
  hasCommand("/usr/sbin/nsd"),
  hasCommand("/usr/sbin/knotd"),
);

// EDGENS_NSD_MINIMAL=0 shows NSD's stock behaviour (apex NS + glue in every positive answer); exploratory only.
const nsdMinimal = process.env.EDGENS_NSD_MINIMAL !== "0";

describe.skipIf(!ok)("differential: NSD vs Knot", () => {
  let nsd: Peer;
  let knot: Peer;
  let nsdResults: Results;
  let knotResults: Results;

  beforeAll(async () => {
    ({ nsd, knot } = await startPeers({
      zones: DIFF_ZONES,
      identity: DIFF_IDENTITY,
      minimalResponses: nsdMinimal,
    }));
    nsdResults = await runCorpus(nsd);
    knotResults = await runCorpus(knot);
  });

  afterAll(async () => {
    await nsd?.stop();
    await knot?.stop();
  });

  it("both answer every query in the corpus", () => {
    const silent = CORPUS.filter(
      (k) =>
        nsdResults.get(k.id)!.rcode.startsWith("NO-RESPONSE") ||
        knotResults.get(k.id)!.rcode.startsWith("NO-RESPONSE"),
    ).map((k) => `${k.id}: nsd=${nsdResults.get(k.id)!.rcode} knot=${knotResults.get(k.id)!.rcode}`);
    expect(silent).toEqual([]);
  });

  it("reports the differences between NSD and Knot", () => {
    const diffs = compareResults(nsdResults, knotResults);
    console.log(
      `NSD vs Knot: ${diffs.length} of ${CORPUS.length} cases differ\n${renderDiffs(diffs, "nsd", "knot")}`,
    );
    if (process.env.EDGENS_DIFF_VERBOSE) {
      for (const k of CORPUS) console.log(`# ${k.id} (${k.q}) [nsd]\n${render(nsdResults.get(k.id)!)}`);
    }
    expect(diffs.length).toBeLessThan(CORPUS.length);
  });

  it.skipIf(!nsdMinimal)("lists every NSD/Knot difference in the allow-list (Knot's answer accepted)", () => {
    const unlisted = compareResults(nsdResults, knotResults).flatMap((d) =>
      d.diffs
        .filter((f) => !allowedBy(d.id, f.field, f.b, { nsd: f.a, knot: f.b }))
        .map((f) => `${d.id}.${f.field}`),
    );
    expect(unlisted).toEqual([]);
  });
});
