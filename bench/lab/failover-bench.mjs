#!/usr/bin/env node
// Failover benchmark on the `edgens lab` (docs/LAB.md, docs/BENCHMARKS.md "Lab failover and scale"): every fail
// mode REPS times on a 3-site chain, each followed by a restore, and as the reference ExaBGP's own healthcheck.py
// as the nodes' API process (its defaults, and its most aggressive TCP-check setting from LAB-NOTES) for `kill`.
// Prints median/max failover time and lost queries per mode, and the healthcheck.py / edgens ratios.
//
// Usage (root; FRR, ExaBGP, kdig; the CLI built with the package layout, e.g. by bench/lab/build-cli.sh):
//   node bench/lab/failover-bench.mjs [--reps N] [--dist DIR/dist] [--only edgens,bfd,hc-default,hc-aggressive]
//                                     [--hold-timer] [--json FILE]
// --hold-timer adds `freeze` without BFD (9 s hold timer; ~10 s per run). Every lab is torn down on every exit
// path (finally, SIGINT/SIGTERM); each phase is bounded by --phase-timeout seconds (default 300).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { builtCli, DEFAULT_DIST, labGuard, load } from "./lab-bench.mjs";

const { values } = parseArgs({
  options: {
    reps: { type: "string", default: "3" },
    dist: { type: "string", default: DEFAULT_DIST },
    only: { type: "string", default: "edgens,bfd,hc-default,hc-aggressive" },
    "hold-timer": { type: "boolean", default: false },
    json: { type: "string" },
    "phase-timeout": { type: "string", default: "300" },
    "from-json": { type: "string" },
  },
});
const reps = Number(values.reps);
const { cli, mod } = builtCli(values.dist);
const { labUp } = await mod("lab/lab-up.js");
const { labDown } = await mod("lab/lab-down.js");
const { labFail, labRestore } = await mod("lab/lab-fail.js");
const { chainTopology } = await mod("lab/topology.js");

/** healthcheck.py's most aggressive setting measured in LAB-NOTES: 0.2 s interval, 0.1 s fast, fall 1, TCP. */
const HC_AGGRESSIVE = "healthcheck:--interval 0.2 --fast-interval 0.1 --fall 1 --timeout 1";
// Modes rotate over the sites as test/lab/measure-failover.sh does (no node collects flaps too fast).
const EDGENS_MODES = [
  ["kill", "s1/n1"],
  ["hang", "s2/n1"],
  ["wrong-answers", "s3/n1"],
  ["agent-kill", "s1/n1"],
  ["exabgp-kill", "s2/n1"],
  ["drain", "s3/n1"],
];
const phases = [
  { id: "edgens", agent: "edgens", bfd: false, modes: EDGENS_MODES },
  {
    id: "bfd",
    agent: "edgens",
    bfd: true,
    modes: [["freeze", "s1/n1", "freeze --bfd"]],
  },
  { id: "hold", agent: "edgens", bfd: false, modes: [["freeze", "s1/n1", "freeze (hold timer)"]] },
  {
    id: "hc-default",
    agent: "healthcheck",
    bfd: false,
    modes: [["kill", "s1/n1", "kill, healthcheck.py defaults"]],
  },
  {
    id: "hc-aggressive",
    agent: HC_AGGRESSIVE,
    bfd: false,
    modes: [["kill", "s1/n1", "kill, healthcheck.py aggressive"]],
  },
].filter((p) => values.only.split(",").includes(p.id) || (p.id === "hold" && values["hold-timer"]));

// --from-json FILE: print the table of an earlier run's --json output, run nothing.
const fromJson = values["from-json"] ? JSON.parse(readFileSync(values["from-json"], "utf8")) : null;
const results = fromJson?.results ?? []; // { label, rep, node, client, settled, ms, lost, wrong, others, … }
const started = fromJson ? new Date(fromJson.started) : new Date();
if (!fromJson) await runAll();

async function runAll() {
  const stateRoot = mkdtempSync(join(tmpdir(), "edgens-failbench-"));
  const name = `fb${process.pid % 100000}`;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const guard = labGuard(labDown, stateRoot);
  const teardown = () => guard.teardown();

  console.log(`# failover bench ${started.toISOString()}: reps ${reps}, CLI ${cli}, load ${load()}`);
  console.log(`# node ${process.version}, ${execFileSync("uname", ["-r"]).toString().trim()}`);

  try {
    for (const ph of phases) {
      const t0 = performance.now();
      guard.current = name;
      const upStart = performance.now();
      const phaseTimer = setTimeout(() => {
        console.error(`phase ${ph.id}: over ${values["phase-timeout"]} s, tearing down`);
        void teardown().finally(() => process.exit(124));
      }, Number(values["phase-timeout"]) * 1000);
      try {
        await labUp({
          name,
          topology: chainTopology(3, 1),
          stateRoot,
          bfd: ph.bfd,
          agent: ph.agent,
          nodeBin: process.execPath,
          cli,
          convergeTimeoutMs: 90_000,
        });
        console.log(
          `## phase ${ph.id}: agent ${ph.agent}${ph.bfd ? ", --bfd" : ""}; up in ${((performance.now() - upStart) / 1000).toFixed(1)} s, load ${load()}`,
        );
        const { readLabState } = await mod("lab/lab-state.js");
        const state = readLabState(stateRoot, name);
        for (let rep = 1; rep <= reps; rep++) {
          for (const [mode, node, label = mode] of ph.modes) {
            let r;
            let b;
            try {
              r = await labFail(state, node, mode);
              await sleep(1000);
              b = await labRestore(state, node);
            } catch (e) {
              console.log(`  rep ${rep} ${label} on ${node}: ERROR ${e.message}`);
              if (state.nodes[node]?.failure) await labRestore(state, node).catch(() => {});
              continue;
            }
            const row = {
              label,
              mode,
              agent: ph.agent,
              rep,
              node,
              client: r.client,
              settled: r.settled,
              moved: mode !== "agent-kill",
              ms: r.summary?.settledMs ?? null,
              lost: r.summary?.lost ?? null,
              wrong: r.summary?.wrong ?? null,
              others: r.summary?.otherAnswers ?? null,
              after: r.summary?.after ?? null,
              restoreMs: b.summary?.settledMs ?? null,
              restoreLost: b.summary?.lost ?? null,
            };
            results.push(row);
            console.log(
              `  rep ${rep} ${label} on ${node} (client ${row.client}): ${row.settled ? "settled" : "NOT settled"} ${
                row.ms === null ? "-" : `${row.ms.toFixed(0)} ms`
              } → ${row.after}, lost ${row.lost}, wrong ${row.wrong}, others ${row.others}; restore ${
                row.restoreMs === null ? "-" : `${row.restoreMs.toFixed(0)} ms`
              } lost ${row.restoreLost}`,
            );
            await sleep(1000);
          }
        }
      } finally {
        clearTimeout(phaseTimer);
        await teardown();
      }
      console.log(`## phase ${ph.id} done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    await teardown();
    rmSync(stateRoot, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const max = (xs) => (xs.length ? Math.max(...xs) : null);
const fmt = (x, d = 0) => (x === null || x === undefined ? "-" : x.toFixed(d));
const labels = [...new Set(results.map((r) => r.label))];
const byLabel = (l) => results.filter((r) => r.label === l);
/** The non-null values of one field over some rows. */
const present = (rs, key) => rs.map((r) => r[key]).filter((x) => x !== null);
const edgensKill = median(present(byLabel("kill"), "ms"));
const edgensKillLost = median(present(byLabel("kill"), "lost"));
console.log(
  `\n# ${fromJson?.reps ?? reps} runs per mode; load at end ${fromJson?.loadEnd ?? load()}; ${fromJson?.ended ?? new Date().toISOString()}`,
);
console.log(
  "| mode | runs settled | failover ms median / max | lost median / max | wrong median | answered by others median | back after restore ms median | vs edgens kill (time / lost) |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const l of labels) {
  const rs = byLabel(l);
  const [ms, lost, wrong, others, back] = ["ms", "lost", "wrong", "others", "restoreMs"].map((k) =>
    present(rs, k),
  );
  const ratio =
    l.includes("healthcheck") && edgensKill
      ? `${(median(ms) / edgensKill).toFixed(1)}× / ${edgensKillLost ? `${(median(lost) / edgensKillLost).toFixed(1)}×` : "-"}`
      : "";
  // agent-kill should not move traffic: its time is when answers from the node itself were stable again.
  const moveLabel = rs[0].moved
    ? `${fmt(median(ms))} / ${fmt(max(ms))}`
    : `stays; stable again at the node after ${fmt(median(ms))} / ${fmt(max(ms))} (${ms.length} of ${rs.length} within the 3 s watch)`;
  console.log(
    `| ${l} | ${rs.filter((r) => r.settled).length}/${rs.length} | ${moveLabel} | ${fmt(median(lost))} / ${fmt(
      max(lost),
    )} | ${fmt(median(wrong))} | ${fmt(median(others))} | ${fmt(median(back))} | ${ratio} |`,
  );
}
if (values.json)
  writeFileSync(
    values.json,
    `${JSON.stringify({ started, ended: new Date().toISOString(), loadEnd: load(), reps, results }, null, 2)}\n`,
  );
