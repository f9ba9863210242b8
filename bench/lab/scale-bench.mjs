#!/usr/bin/env node
// Lab scale benchmark (docs/BENCHMARKS.md "Lab failover and scale"): bring up a chain of N sites (1 node each)
// for every N given, and report the bring-up time by phase (namespaces, FRR, edgens serve, ExaBGP + agents,
// convergence), the memory of every process in the lab's namespaces (RSS and PSS summed, by kind), the CPU
// time those processes used during bring-up, MemAvailable before/after, and the teardown time. Each lab is
// torn down before the next one (and on every exit path).
//
// Usage (root; the CLI built with the package layout, e.g. by bench/lab/build-cli.sh):
//   node bench/lab/scale-bench.mjs [--sites 3,5,10] [--dist DIR/dist] [--bfd] [--json FILE]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { builtCli, DEFAULT_DIST, labGuard, load } from "./lab-bench.mjs";

const { values } = parseArgs({
  options: {
    sites: { type: "string", default: "3,5,10" },
    dist: { type: "string", default: DEFAULT_DIST },
    bfd: { type: "boolean", default: false },
    json: { type: "string" },
    "up-timeout": { type: "string", default: "180" },
  },
});
const { cli, mod } = builtCli(values.dist);
const { labUp } = await mod("lab/lab-up.js");
const { labDown } = await mod("lab/lab-down.js");
const { listNetns, netnsPids } = await mod("lab/netns.js");
const { netnsPrefix } = await mod("lab/lab-state.js");
const { chainTopology } = await mod("lab/topology.js");

const stateRoot = mkdtempSync(join(tmpdir(), "edgens-scalebench-"));
const guard = labGuard(labDown, stateRoot);
const teardown = () => guard.teardown();
const memAvailableMiB = () =>
  Number(/MemAvailable:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))[1]) / 1024;
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

function kindOf(pid) {
  let argv = [];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return null;
  }
  if (argv.includes("serve")) return "edgens serve";
  if (argv.includes("health-agent")) return "health agent";
  if (argv.some((a) => a.includes("healthcheck"))) return "healthcheck.py";
  if (argv.some((a) => a.endsWith("exabgp"))) return "exabgp";
  const base = (argv[0] ?? "").split("/").at(-1);
  if (["zebra", "bgpd", "bfdd", "staticd", "watchfrr"].includes(base)) return `frr ${base}`;
  return base || "?";
}

function procStats(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    let pss = rss;
    try {
      pss = Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1] ?? rss);
    } catch {}
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpu = (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime + stime
    return { rssKiB: rss, pssKiB: pss, cpuS: cpu };
  } catch {
    return null;
  }
}

async function labProcesses(name) {
  const out = [];
  for (const ns of await listNetns(netnsPrefix(name))) {
    for (const pid of await netnsPids(ns)) {
      const k = kindOf(pid);
      const s = procStats(pid);
      if (k && s) out.push({ pid, kind: k, ...s });
    }
  }
  return out;
}

const runs = [];
console.log(`# lab scale bench ${new Date().toISOString()}; CLI ${cli}; load ${load()}; bfd ${values.bfd}`);
try {
  for (const n of values.sites.split(",").map(Number)) {
    const name = `sc${n}p${process.pid % 10000}`;
    const memBefore = memAvailableMiB();
    const loadBefore = load();
    const phases = [];
    guard.current = name;
    const t0 = performance.now();
    let timer;
    try {
      await Promise.race([
        labUp({
          name,
          topology: chainTopology(n, 1),
          stateRoot,
          bfd: values.bfd,
          nodeBin: process.execPath,
          cli,
          convergeTimeoutMs: 120_000,
          log: (l) => phases.push(l),
        }),
        new Promise((_, rej) => {
          timer = setTimeout(
            () => rej(new Error(`up over ${values["up-timeout"]} s`)),
            Number(values["up-timeout"]) * 1000,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    const upS = (performance.now() - t0) / 1000;
    // Let the agents and ExaBGP finish their start-up allocations before sampling memory.
    await new Promise((r) => setTimeout(r, 2000));
    const procs = await labProcesses(name);
    const memAfter = memAvailableMiB();
    const byKind = {};
    for (const p of procs) {
      byKind[p.kind] ??= { count: 0, rssMiB: 0, pssMiB: 0, cpuS: 0 };
      const k = byKind[p.kind];
      k.count++;
      k.rssMiB += p.rssKiB / 1024;
      k.pssMiB += p.pssKiB / 1024;
      k.cpuS += p.cpuS;
    }
    const td = performance.now();
    await teardown();
    const downS = (performance.now() - td) / 1000;
    const run = {
      sites: n,
      upS,
      downS,
      phases,
      processes: procs.length,
      rssMiB: procs.reduce((a, p) => a + p.rssKiB, 0) / 1024,
      pssMiB: procs.reduce((a, p) => a + p.pssKiB, 0) / 1024,
      cpuS: procs.reduce((a, p) => a + p.cpuS, 0),
      memAvailableDropMiB: memBefore - memAfter,
      byKind,
      loadBefore,
      loadAfter: load(),
    };
    runs.push(run);
    console.log(
      `\n## ${n} sites: up ${upS.toFixed(1)} s, down ${downS.toFixed(1)} s; ${run.processes} processes, RSS ${run.rssMiB.toFixed(0)} MiB, PSS ${run.pssMiB.toFixed(0)} MiB, MemAvailable −${run.memAvailableDropMiB.toFixed(0)} MiB, CPU ${run.cpuS.toFixed(1)} s; load ${loadBefore} → ${run.loadAfter}`,
    );
    for (const l of phases) console.log(`   ${l}`);
    for (const [k, v] of Object.entries(byKind).sort((a, b) => b[1].pssMiB - a[1].pssMiB))
      console.log(
        `   ${k.padEnd(14)} ×${String(v.count).padStart(3)}  RSS ${v.rssMiB.toFixed(0).padStart(5)} MiB  PSS ${v.pssMiB.toFixed(0).padStart(5)} MiB  CPU ${v.cpuS.toFixed(1)} s`,
      );
    await new Promise((r) => setTimeout(r, 2000));
  }
} finally {
  await teardown();
  rmSync(stateRoot, { recursive: true, force: true });
}
console.log(
  "\n| sites | bring-up s | converge phase s | processes | RSS MiB | PSS MiB | MemAvailable drop MiB | CPU s (bring-up) | teardown s | load before |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of runs) {
  const conv = r.phases.find((l) => l.startsWith("converged"))?.match(/\(([\d.]+) s\)/)?.[1] ?? "-";
  const started = r.phases.find((l) => l.includes("ExaBGP"))?.match(/\(([\d.]+) s\)/)?.[1] ?? "-";
  console.log(
    `| ${r.sites} | ${r.upS.toFixed(1)} | ${started} → ${conv} | ${r.processes} | ${r.rssMiB.toFixed(0)} | ${r.pssMiB.toFixed(0)} | ${r.memAvailableDropMiB.toFixed(0)} | ${r.cpuS.toFixed(1)} | ${r.downS.toFixed(1)} | ${r.loadBefore} |`,
  );
}
if (values.json) writeFileSync(values.json, `${JSON.stringify(runs, null, 2)}\n`);
