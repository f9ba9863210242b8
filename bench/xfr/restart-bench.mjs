#!/usr/bin/env node
// Restart of a secondary from its persisted copy (issue 6): time from spawning `edgens serve --secondary …` to
// the first answer from that copy (UDP SOA of the zone with the expected serial), with the primary's address
// dead (nothing listens: no transfer possible). The state dir is prepared by the build under test, in the form
// it writes after a transfer and IXFRs:
//   --layout wire: the wire copy + a journal of --ixfrs entries of --change records each (the restart copy of
//                  this version; a state dir with only a text copy is what older builds wrote);
//   --layout text: the text copy + a version-1 state file (what builds before the journal wrote, and loaded).
// Zone of the xfr-bench shape (hosts with A, every 4th also AAAA). Private temp dir, removed at the end; the
// server runs in its own process group and only that group is signalled.
//
//   node bench/xfr/restart-bench.mjs [--build DIR] [--records 1000000] [--layout wire|text] [--ixfrs 10]
//                                    [--change 100] [--runs 3] [--workers 1] [--log-level warn]
// DIR: a checkout with `tsc -p tsconfig.build.json` done (default: this one). Loopback only, random ports.
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { xfrZoneText } from "./zone-shape.mjs";

const { values: args } = parseArgs({
  options: {
    build: { type: "string", default: resolve(import.meta.dirname, "../..") },
    records: { type: "string", default: "1000000" },
    layout: { type: "string", default: "wire" },
    ixfrs: { type: "string", default: "10" },
    change: { type: "string", default: "100" },
    runs: { type: "string", default: "3" },
    workers: { type: "string", default: "1" },
    "log-level": { type: "string", default: "warn" },
  },
});
if (!["wire", "text"].includes(args.layout)) throw new Error(`--layout: wire or text, not ${args.layout}`);
const D = join(resolve(args.build), "dist");
const N = Number(args.records);
const IXFRS = Number(args.ixfrs);
const CHANGE = Number(args.change);
const { parseNameText, nameKey } = await import(`${D}/wire/name.js`);
const { parseMasterFile } = await import(`${D}/zone/master-parser.js`);
const { checkAndBuildZone } = await import(`${D}/zone/zone-check.js`);
const { recordsOfZone, recordsAtNames } = await import(`${D}/zone/zone-records.js`);
const { applyDeltaToZone } = await import(`${D}/zone/zone-delta.js`);
const { ZoneStore } = await import(`${D}/secondary/zone-store.js`);
const { parseMessage } = await import(`${D}/transfer/message.js`);

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ORIGIN = "xfr.test.";
const origin = parseNameText(ORIGIN, null);
const zoneText = (serial) => xfrZoneText({ origin: ORIGIN, records: N, serial }).text;

const tmp = mkdtempSync(join(tmpdir(), "edgens-h2-restart-"));
// Prepared once; each run starts from a fresh copy (a run may rewrite it: a migration, the text copy at stop).
const stateDir = join(tmp, "proto");
mkdirSync(stateDir);
let serial = 1;
const t0 = performance.now();
const parsed = parseMasterFile(zoneText(serial), { file: "zone", origin });
let data = checkAndBuildZone(origin, parsed.records, "zone").data;
const store = new ZoneStore(stateDir, origin);
if (args.layout === "text") {
  await store.saveZone(recordsOfZone(data), serial);
  await store.saveState(serial, Date.now());
} else {
  let a = performance.now();
  await store.saveWire(data, serial);
  const wireMs = performance.now() - a;
  const appendMs = [];
  // IXFRs as the secondary journals them: CHANGE hosts get a new address each, entry by entry.
  let end = 12;
  for (let k = 0; k < IXFRS; k++) {
    const keys = new Set([data.originKey]);
    const records = [];
    const soa = data.apex.rrsets.get(6);
    const soaRdata = Buffer.from(soa.rdataAt(0));
    soaRdata.writeUInt32BE(serial + 1, soaRdata.length - 20);
    for (const r of recordsAtNames(data, [data.originKey]))
      records.push(r.type === 6 ? { ...r, rdata: soaRdata } : r);
    for (let j = 0; j < CHANGE; j++) {
      const i = (k * CHANGE + j) * 7;
      const owner = parseNameText(`h${i}`, origin);
      keys.add(nameKey(owner));
      records.push({ owner, type: 1, class: 1, ttl: 3600, rdata: Buffer.from([172, 16, k & 255, j & 255]) });
    }
    data = applyDeltaToZone(data, records, keys);
    a = performance.now();
    end = await store.appendJournal(end, { fromSerial: serial, toSerial: serial + 1, records });
    appendMs.push(performance.now() - a);
    serial++;
  }
  await store.saveState(serial, Date.now(), {
    wireSerial: 1,
    journalEnd: end,
    journalEntries: IXFRS,
    textSerial: null,
  });
  // In this process: what a start spends on the restart copy itself (the rest of start → answered is the server).
  a = performance.now();
  const back = await store.loadWire();
  const loadMs = performance.now() - a;
  if (back.serial !== serial) throw new Error(`wire + journal reach ${back.serial}, not ${serial}`);
  // The replay alone, on a tree read again (entries replayed per second is what bounds the journal).
  const { loadZoneWire } = await import(`${D}/secondary/zone-wire-file.js`);
  const { readJournal, replayJournal } = await import(`${D}/secondary/zone-journal.js`);
  const w = loadZoneWire(store.wirePath, origin);
  const j = await readJournal(store.journalPath);
  a = performance.now();
  const r = replayJournal(w.data, w.serial, j);
  const replayMs = performance.now() - a;
  if (r.serial !== serial) throw new Error(`replay reaches ${r.serial}, not ${serial}`);
  console.log(
    `wire copy written (fsync) ${Math.round(wireMs)} ms; journal append (${CHANGE} records, fsync) median ${appendMs.length > 0 ? med(appendMs).toFixed(1) : "-"} ms; wire read + build + ${IXFRS}-entry replay ${Math.round(loadMs)} ms, of which the replay ${replayMs.toFixed(1)} ms`,
  );
}
const files = (ext, dir = stateDir) => {
  try {
    return statSync(join(dir, `xfr.test.${ext}`)).size;
  } catch {
    return 0;
  }
};
console.log(
  `state dir (${args.layout}) prepared in ${Math.round(performance.now() - t0)} ms: serial ${serial}, wire ${files("wire")} B, journal ${files("journal")} B, text ${files("zone")} B`,
);

/** SOA serial of the zone at 127.0.0.1:port, null without an answer (200 ms). */
function soaSerial(port) {
  return new Promise((res) => {
    const s = dgram.createSocket("udp4");
    const q = Buffer.concat([
      Buffer.from([0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
      origin,
      Buffer.from([0, 6, 0, 1]),
    ]);
    const done = (v) => {
      clearTimeout(timer);
      s.close();
      res(v);
    };
    const timer = setTimeout(() => done(null), 200);
    s.on("message", (m) => {
      try {
        const soa = parseMessage(m).answer.find((r) => r.type === 6);
        done(soa ? soa.rdata.readUInt32BE(soa.rdata.length - 20) : null);
      } catch {
        done(null);
      }
    });
    s.on("error", () => done(null));
    s.send(q, port, "127.0.0.1");
  });
}

const times = [];
for (let run = 0; run < Number(args.runs); run++) {
  const runDir = join(tmp, `run${run}`);
  cpSync(stateDir, runDir, { recursive: true });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const dead = port + 1; // nothing listens there: no transfer
  const start = performance.now();
  const child = spawn(
    process.execPath,
    [
      join(D, "cli/main.js"),
      "serve",
      "--listen",
      `127.0.0.1:${port}`,
      "--secondary",
      `${ORIGIN}=127.0.0.1:${dead}`,
      "--state-dir",
      runDir,
      "--workers",
      args.workers,
      "--log-level",
      args["log-level"],
    ],
    { detached: true, stdio: ["ignore", args["log-level"] === "warn" ? "ignore" : "inherit", "inherit"] },
  );
  let ms = null;
  const deadline = start + 120_000;
  while (performance.now() < deadline && child.exitCode === null) {
    if ((await soaSerial(port)) === serial) {
      ms = performance.now() - start;
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const stop = performance.now();
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {}
  await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
  const stopMs = performance.now() - stop;
  times.push(ms);
  // A clean stop writes the text copy when it is behind (versions with the journal): was it finished?
  console.log(
    `run ${run + 1}: spawn → serial ${serial} answered ${ms === null ? "TIMEOUT" : `${Math.round(ms)} ms`}; SIGTERM → exit ${Math.round(stopMs)} ms (code ${child.exitCode}), text copy then ${files("zone", runDir)} B`,
  );
}
if (times.length > 0)
  console.log(
    `restart (${args.layout}, ${N} records, workers ${args.workers}): median ${Math.round(med(times))} ms over ${times.length} runs; load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
rmSync(tmp, { recursive: true, force: true });
