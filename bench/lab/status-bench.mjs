#!/usr/bin/env node
// `edgens lab status` wall time, two or more CLI builds against one lab (docs/LAB.md "Status"): brings up a
// chain of N sites with the last build, then runs `lab status --json` with each build in turn, RUNS rounds
// interleaved (so load changes hit every build alike), checks that every build reports the same lab, prints
// median / min / max wall time and the median CPU time (its children included) per build with the load
// average, and tears the lab down on every exit path.
//
// Usage (root; FRR, ExaBGP; each CLI built with bench/lab/build-cli.sh DIR):
//   node bench/lab/status-bench.mjs --dist BEFORE/dist,AFTER/dist [--runs 15] [--sites 3] [--bfd]
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { builtCli, labGuard, load } from "./lab-bench.mjs";

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    dist: { type: "string" },
    runs: { type: "string", default: "15" },
    sites: { type: "string", default: "3" },
    bfd: { type: "boolean", default: false },
  },
});
if (!values.dist) {
  console.error("--dist BEFORE/dist,AFTER/dist is required");
  process.exit(2);
}
const builds = values.dist.split(",").map((d) => ({ dist: d, ...builtCli(d), ms: [], cpu: [] }));
const last = builds.at(-1);
const { labUp } = await last.mod("lab/lab-up.js");
const { labDown } = await last.mod("lab/lab-down.js");
const { chainTopology } = await last.mod("lab/topology.js");

const stateRoot = mkdtempSync(join(tmpdir(), "edgens-statusbench-"));
const name = `st${process.pid % 100000}`;
const guard = labGuard(labDown, stateRoot);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** What must not differ between builds: every field but the clients' round-trip times. */
const comparable = (st) =>
  JSON.stringify({
    ...st,
    clients: st.clients.map((c) => ({ ...c, answers: c.answers.map(({ rttMs, ...a }) => a) })),
  });

try {
  guard.current = name;
  await labUp({
    name,
    topology: chainTopology(Number(values.sites), 1),
    stateRoot,
    bfd: values.bfd,
    nodeBin: process.execPath,
    cli: last.cli,
    convergeTimeoutMs: 90_000,
  });
  const loadBefore = load();
  let reference = null;
  for (let r = 0; r < Number(values.runs); r++) {
    for (const b of builds) {
      // GNU time: wall and CPU seconds of the command and every child it waited for (vtysh, ip, helpers).
      const timeFile = join(stateRoot, "time.txt");
      const t0 = performance.now();
      const { stdout } = await run(
        "/usr/bin/time",
        ["-f", "%U %S", "-o", timeFile, process.execPath, b.cli, "lab", "status", "--json"].concat([
          "--name",
          name,
          "--state-dir",
          stateRoot,
        ]),
        { timeout: 60_000, maxBuffer: 16 << 20 },
      ).catch((e) => {
        throw new Error(`lab status with ${b.dist}: ${e.message}`);
      });
      b.ms.push(performance.now() - t0);
      const [user, sys] = readFileSync(timeFile, "utf8").trim().split("\n").at(-1).split(" ").map(Number);
      b.cpu.push(user + sys);
      const st = JSON.parse(stdout);
      const c = comparable(st);
      reference ??= c;
      if (c !== reference) {
        const odd = st.clients.flatMap((x) =>
          x.answers.filter((a) => a.status !== "ok").map((a) => `${x.client} ${a.server} ${a.status}`),
        );
        console.log(
          `  round ${r + 1}: ${b.dist} reports a different lab${odd.length ? `: ${odd.join(", ")}` : ""}`,
        );
      }
    }
  }
  console.log(
    `# lab status, ${values.sites} sites${values.bfd ? " --bfd" : ""}, ${values.runs} rounds; load ${loadBefore} → ${load()}; ${new Date().toISOString()}`,
  );
  for (const b of builds) {
    console.log(
      `${b.dist}: median ${median(b.ms).toFixed(0)} ms, min ${Math.min(...b.ms).toFixed(0)}, max ${Math.max(...b.ms).toFixed(0)}; CPU (user + sys, with children) median ${median(b.cpu).toFixed(2)} s`,
    );
  }
  if (builds.length === 2)
    console.log(
      `ratio (first / second, medians): ${(median(builds[0].ms) / median(builds[1].ms)).toFixed(2)}`,
    );
} finally {
  await guard.teardown();
  rmSync(stateRoot, { recursive: true, force: true });
}
