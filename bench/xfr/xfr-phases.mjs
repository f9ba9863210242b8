#!/usr/bin/env node
// Zone transfer, phase by phase (issue 6): a private Knot 3.2 primary serves a generated zone (the same shape as
// xfr-bench.mjs: hosts with A, every 4th also AAAA); this process then runs what a secondary runs, one phase at
// a time, and prints the wall and CPU time of each and the memory held after it (after a full GC, so retained,
// not transient): AXFR into records → check + build the tree → snapshot → precompiled answers (the default
// memory budget) → persisted text (chunks, not written). Peak RSS of the whole run at the end. With a build
// that has zone/zone-records.js the records are dropped after the build and the text comes from the tree.
// With a build that has `axfrTo` (the AXFR streamed into a CheckingZoneBuilder, as a secondary does since then),
// the default `--path stream` times AXFR + check + build as one phase; `--path list` the two phases above (AXFR
// into records, then checkAndBuildZone); `--path both` the streamed phase, then (its tree dropped) the list ones.
//
// The streamed phase runs as a secondary does (`receiveFirst`: messages kept, parsed into the builder once the
// transfer is complete); `--per-message`: each message into the builder as it arrives.
// `--transfer-only`: stop after the transfer phases (a `--cpu-prof` profile then covers only them).
//
//   node --expose-gc [--cpu-prof] bench/xfr/xfr-phases.mjs [--records 200000] [--build DIR] [--path stream|list|both]
//                                                           [--per-message] [--transfer-only]
// (--build DIR: a build made with `tsc -p tsconfig.build.json --outDir DIR/dist`; default: ./dist.)
// Needs knotd. Loopback only, a random port; Knot runs in its own process group, killed on exit.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { xfrZoneText } from "./zone-shape.mjs";

const { values: args } = parseArgs({
  options: {
    records: { type: "string", default: "200000" },
    build: { type: "string" },
    path: { type: "string", default: "stream" },
    "transfer-only": { type: "boolean", default: false },
    "per-message": { type: "boolean", default: false },
  },
});
const RECORDS = Number(args.records);
const dist = args.build ? join(resolve(args.build), "dist") : resolve(import.meta.dirname, "../../dist");
if (!globalThis.gc) throw new Error("run with node --expose-gc (retained memory is measured after a GC)");

const tmp = mkdtempSync(join(tmpdir(), "edgens-xfrphases-"));
const port = 20000 + Math.floor(Math.random() * 40000);
writeFileSync(join(tmp, "zone"), xfrZoneText({ records: RECORDS }).text);
writeFileSync(
  join(tmp, "knot.conf"),
  `server:
  rundir: "${tmp}"
  listen: 127.0.0.1@${port}
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
database:
  storage: "${tmp}"
acl:
  - id: xfr
    address: 127.0.0.0/8
    action: transfer
zone:
  - domain: xfr.test.
    file: "${join(tmp, "zone")}"
    acl: [xfr]
`,
);
const knot = spawn("/usr/sbin/knotd", ["-c", join(tmp, "knot.conf")], { detached: true, stdio: "ignore" });
process.on("exit", () => {
  try {
    process.kill(-knot.pid, "SIGKILL");
  } catch {}
  rmSync(tmp, { recursive: true, force: true });
});
for (const s of ["SIGINT", "SIGTERM"]) process.on(s, () => process.exit(130));

const { axfr, axfrTo, fetchSoa } = await import(join(dist, "transfer/xfr-client.js"));
const { parseNameText } = await import(join(dist, "wire/name.js"));
const { checkAndBuildZone, CheckingZoneBuilder } = await import(join(dist, "zone/zone-check.js"));
const path = axfrTo ? args.path : "list";
if (!["stream", "list", "both"].includes(path)) throw new Error(`--path: stream, list or both, not ${path}`);
const { compileSnapshot, compileSnapshotAsync } = await import(join(dist, "responder/snapshot.js"));
const { zoneToMasterChunks } = await import(join(dist, "secondary/zone-store.js"));
const origin = parseNameText("xfr.test.", null);
const primary = { host: "127.0.0.1", port };
for (let i = 0; ; i++) {
  try {
    await fetchSoa(primary, origin, { messageTimeoutMs: 200 });
    break;
  } catch {
    if (i > 300) throw new Error("Knot did not serve the zone within a minute");
    await sleep(200);
  }
}

const MiB = (n) => (n / 1048576).toFixed(0);
let t = performance.now();
let cpu = process.cpuUsage();
function phase(name) {
  const wall = performance.now() - t;
  const c = process.cpuUsage(cpu);
  globalThis.gc();
  const m = process.memoryUsage();
  console.log(
    `${name.padEnd(32)} wall ${wall.toFixed(0).padStart(6)} ms  cpu ${((c.user + c.system) / 1000).toFixed(0).padStart(6)} ms  ` +
      `heap ${MiB(m.heapUsed).padStart(4)} MiB  buffers ${MiB(m.arrayBuffers).padStart(4)} MiB  rss ${MiB(m.rss).padStart(4)} MiB`,
  );
  t = performance.now();
  cpu = process.cpuUsage();
}
console.log(
  `records ${RECORDS}; load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" / ")}; build ${dist}; path ${path}`,
);
phase("ready");
let r = null;
let checked = null;
if (path !== "list") {
  // Module-level `let`s (not block consts): a suspended top-level await keeps block locals alive.
  let builder = new CheckingZoneBuilder(origin, "xfr");
  // The last message's arrival: how long the primary's connection stayed open.
  const t0 = performance.now();
  let lastMessage = t0;
  const s = await axfrTo(primary, origin, builder, {
    receiveFirst: !args["per-message"],
    onProgress: () => {
      lastMessage = performance.now();
    },
  });
  checked = builder.finish();
  builder = null;
  const how = args["per-message"] ? "per message" : "received first";
  const open = (lastMessage - t0).toFixed(0);
  phase(
    `axfr + check + build, ${how} (${s.records} records, ${checked.diagnostics.length} findings, connection open ${open} ms)`,
  );
}
if (path !== "stream") {
  checked = null;
  if (path === "both") phase("streamed tree dropped");
  r = await axfr(primary, origin, {});
  phase(`axfr (${r.records.length} records)`);
  checked = checkAndBuildZone(origin, r.records, "xfr");
  phase(`check + build (${checked.diagnostics.length} findings)`);
}
if (args["transfer-only"]) {
  console.log(`peak RSS ${MiB(process.resourceUsage().maxRSS * 1024)} MiB`);
  process.exit(0);
}
// Builds with zone/zone-records.js keep only the tree, as a secondary does since then: the records go.
const data = checked.data;
const zoneRecords = await import(join(dist, "zone/zone-records.js")).catch(() => null);
if (zoneRecords && r) {
  r = null;
  checked = null;
  phase("records dropped, tree kept");
}
const lookupOnly = compileSnapshot([data], 1, { precompile: false });
phase("snapshot, no precompiled answers");
const snap = await compileSnapshotAsync([data], 2, { chunk: 250 });
phase(`precompiled (${snap.exactAnswers.size} answers)`);
let chars = 0;
const text = zoneRecords ? zoneRecords.recordsOfZone(data) : r.records;
for (const chunk of zoneToMasterChunks(origin, text, ["xfr-phases"])) chars += chunk.length;
phase(`zone text${zoneRecords ? " from the tree" : ""} (${(chars / 1048576).toFixed(1)} M chars)`);
console.log(`peak RSS ${MiB(process.resourceUsage().maxRSS * 1024)} MiB`);
globalThis.keep = [r, checked, data, lookupOnly, snap];
process.exit(0); // the Knot child would keep the loop alive; the exit handler stops it
