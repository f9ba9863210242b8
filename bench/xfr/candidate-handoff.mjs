#!/usr/bin/env node
// What a cluster worker spends on a whole zone (issue 6), per way it gets it, in one process: a generated zone of
// the xfr-bench shape → (a) the wire copy read, checked and built (loadZoneWire: the path after the host wrote
// it) → (b) the transfer's messages (compressed, ~16 KiB each as edgens' provider writes them) built with
// replayAxfr (the candidate path: src/server/secondary-table.ts). Wall time per step, alternating (a) and (b)
// `--runs` times, with the load average; a private temp dir, removed at the end.
//   node bench/xfr/candidate-handoff.mjs [DIST] [RECORDS] [RUNS]   (DIST: a `tsc -p tsconfig.build.json` output)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { xfrZoneText } from "./zone-shape.mjs";

const D = resolve(process.argv[2] ?? resolve(import.meta.dirname, "../../dist"));
const N = Number(process.argv[3] ?? 1000000);
const RUNS = Number(process.argv[4] ?? 3);
const { buildZone } = await import(`${D}/zone/zone-image.js`).catch(() => import(`${D}/zone/zone.js`));
const { parseNameText } = await import(`${D}/wire/name.js`);
const { loadZoneFile } = await import(`${D}/zone/load-zone-file.js`);
const { writeZoneWire, loadZoneWire } = await import(`${D}/secondary/zone-wire-file.js`);
const { replayAxfr } = await import(`${D}/secondary/axfr-replay.js`);
const { xfrMessages } = await import(`${D}/provider/xfr-messages.js`);
const { recordsOfZone } = await import(`${D}/zone/zone-records.js`);

const tmp = mkdtempSync(join(tmpdir(), "edgens-candhandoff-"));
try {
  writeFileSync(`${tmp}/zone`, xfrZoneText({ records: N }).text);
  const origin = parseNameText("xfr.test.", null);
  const z = loadZoneFile(`${tmp}/zone`, origin);
  const tree = buildZone(z.origin, z.records);
  writeZoneWire(`${tmp}/zone.wire`, tree, 1);
  const records = [...recordsOfZone(tree)];
  const question = Buffer.concat([origin, Buffer.from([0, 252, 0, 1])]);
  const messages = [...xfrMessages(1, question, [...records, records[0]], null)];
  const bytes = messages.reduce((n, m) => n + m.length, 0);
  console.log(`${records.length} records; ${messages.length} messages, ${bytes} bytes`);
  const ms = async (f) => {
    const t0 = performance.now();
    await f();
    return Math.round(performance.now() - t0);
  };
  const wire = [];
  const replay = [];
  for (let i = 0; i < RUNS; i++) {
    wire.push(await ms(() => loadZoneWire(`${tmp}/zone.wire`, origin)));
    // replayAxfr is asynchronous (10 ms slices); with nothing else on the event loop the pauses cost ~nothing.
    replay.push(await ms(() => replayAxfr(origin, messages)));
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  console.log(`wire copy read + check + build (ms): ${wire.join(" / ")}, median ${med(wire)}`);
  console.log(`messages replayed + built (ms):      ${replay.join(" / ")}, median ${med(replay)}`);
  console.log(
    "load",
    loadavg()
      .map((x) => x.toFixed(2))
      .join(" "),
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
