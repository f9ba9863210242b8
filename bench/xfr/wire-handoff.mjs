#!/usr/bin/env node
// How a whole zone reaches a cluster worker (issue 6), per step, in one process: a generated zone of the
// xfr-bench shape (hosts with A, every 4th also AAAA) → text parse + buildZone (what each worker did before) →
// wire copy encoded and written → wire copy read, decoded, built (what each worker does now) → the text copy's
// formatting (what the host still does, in the background). Wall time per step; a private temp dir, removed at the end.
//   node bench/xfr/wire-handoff.mjs [DIST] [RECORDS]   (DIST: a `tsc -p tsconfig.build.json` output, default ./dist)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { xfrZoneText } from "./zone-shape.mjs";

const D = resolve(process.argv[2] ?? resolve(import.meta.dirname, "../../dist"));
const { buildZone } = await import(`${D}/zone/zone-image.js`).catch(() => import(`${D}/zone/zone.js`));
const { parseNameText } = await import(`${D}/wire/name.js`);
const { loadZoneFile } = await import(`${D}/zone/load-zone-file.js`);
const W = await import(`${D}/secondary/zone-wire-file.js`);
const { zoneToMasterChunks } = await import(`${D}/secondary/zone-store.js`);
const { recordsOfZone } = await import(`${D}/zone/zone-records.js`);
const tmp = mkdtempSync(join(tmpdir(), "edgens-wirehandoff-"));
const N = Number(process.argv[3] ?? 1000000);
writeFileSync(`${tmp}/zone`, xfrZoneText({ records: N }).text);
const origin = parseNameText("xfr.test.", null);
const t = () => performance.now();
let a = t();
const z = loadZoneFile(`${tmp}/zone`, origin);
const tree = buildZone(z.origin, z.records);
console.log(
  "text parse + buildZone (as a worker did before)",
  Math.round(t() - a),
  "ms",
  z.records.length,
  "records",
);
a = t();
await W.writeZoneWire(`${tmp}/zone.wire`, tree, 1);
console.log("wire encode + atomic write", Math.round(t() - a), "ms");
a = t();
const l = W.loadZoneWire(`${tmp}/zone.wire`, origin);
console.log("wire read + decode + buildZone", Math.round(t() - a), "ms", l.records);
a = t();
let n = 0;
for (const c of zoneToMasterChunks(origin, recordsOfZone(tree), [])) n += c.length;
console.log("text format", Math.round(t() - a), "ms", n, "chars");
console.log(
  "load",
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" "),
);
rmSync(tmp, { recursive: true, force: true });
