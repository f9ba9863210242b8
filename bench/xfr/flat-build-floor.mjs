#!/usr/bin/env node
// How fast could a whole zone be indexed without a JavaScript object per name (issue 6: the "flat image" step)?
// A generated zone of the xfr-bench shape → the messages a primary sends (edgens' provider writes them) →
// alternately (a) `replayAxfr`, what a cluster worker does with them today (the zone tree: a node, a key string
// and an RRset object per name), and (b) a floor for a flat image: each owner name decompressed and lower-cased
// into a scratch buffer, hashed, and looked up in an open-addressing Int32Array table whose entries point into
// one names arena; each record appended to typed arrays (name, type, TTL, RDATA offset and length, and a chain
// through the records of its name) with its RDATA copied into one arena. (b) does none of the zone checks and
// marks no cuts: it is the least a flat build must do, not a design. Then lookups: 200 000 names in random
// order, in the tree's name map and in the flat index (hash the key, probe, compare, walk the name's records
// for the type and make the RRset-like object a lookup would read), ns per lookup. RDATA is copied as sent (the names inside NS/SOA/CNAME/MX
// RDATA would need decompressing too: 3 records of this zone). Then the image written to a file and read back. Wall time per run, and the heap + array buffers
// still counted after a full GC (array buffers are freed lazily: an upper bound), with the flat arrays' own size.
//   node --expose-gc bench/xfr/flat-build-floor.mjs [DIST] [RECORDS] [RUNS]   (DIST: a `tsc -p tsconfig.build.json` output)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { xfrZoneText } from "./zone-shape.mjs";

const D = resolve(process.argv[2] ?? resolve(import.meta.dirname, "../../dist"));
const RECORDS = Number(process.argv[3] ?? 1_000_000);
const RUNS = Number(process.argv[4] ?? 3);
if (typeof globalThis.gc !== "function") throw new Error("run with node --expose-gc");
const { buildZone } = await import(`${D}/zone/zone-image.js`).catch(() => import(`${D}/zone/zone.js`));
const { parseNameText } = await import(`${D}/wire/name.js`);
const { loadZoneFile } = await import(`${D}/zone/load-zone-file.js`);
const { replayAxfr } = await import(`${D}/secondary/axfr-replay.js`);
const { xfrMessages } = await import(`${D}/provider/xfr-messages.js`);
const { recordsOfZone } = await import(`${D}/zone/zone-records.js`);

/** The flat floor: see the header. Returns what it built, so that it stays reachable until measured. */
function flatIndex(messages) {
  let slots = new Int32Array(1 << 16); // name index + 1 per slot (0 = empty); hashes beside
  let hashes = new Int32Array(1 << 16);
  let mask = slots.length - 1;
  let names = Buffer.allocUnsafe(1 << 20);
  let namesEnd = 0;
  let nameAt = new Int32Array(1 << 14); // name index → offset in `names` (its length is the first octet)
  let nameCount = 0;
  let rdata = Buffer.allocUnsafe(1 << 20);
  let rdataEnd = 0;
  let rec = new Int32Array(5 << 14); // per record: name, type, ttl, rdata offset, rdata length
  // Each name's records as a chain (the records of a name arrive together, but need not): the last record's
  // index + 1 per name, and per record the previous one of its name.
  let head = new Int32Array(1 << 14);
  let prev = new Int32Array(1 << 14);
  let count = 0;
  const scratch = Buffer.allocUnsafe(256);
  const grow = (a, n) => {
    const b = new a.constructor(Math.max(a.length * 2, n));
    b.set(a);
    return b;
  };
  const growBuf = (b, n) => {
    const c = Buffer.allocUnsafe(Math.max(b.length * 2, n));
    b.copy(c);
    return c;
  };
  for (const m of messages) {
    const qd = m.readUInt16BE(4);
    const an = m.readUInt16BE(6);
    let o = 12;
    for (let q = 0; q < qd; q++) {
      while (m[o] !== 0) o += m[o] >= 0xc0 ? 1 : m[o] + 1;
      o += m[o] === 0 ? 5 : 6;
    }
    for (let r = 0; r < an; r++) {
      // Owner: decompress and lower-case into `scratch` (length-prefixed), hashing as it goes.
      let p = o;
      let end = -1;
      let n = 1;
      let h = 0x811c9dc5;
      for (;;) {
        const len = m[p];
        if (len >= 0xc0) {
          if (end < 0) end = p + 2;
          p = ((len & 0x3f) << 8) | m[p + 1];
          continue;
        }
        scratch[n++] = len;
        h = Math.imul(h ^ len, 0x01000193);
        if (len === 0) break;
        for (let i = 1; i <= len; i++) {
          let c = m[p + i];
          if (c >= 0x41 && c <= 0x5a) c |= 0x20;
          scratch[n++] = c;
          h = Math.imul(h ^ c, 0x01000193);
        }
        p += len + 1;
      }
      o = end < 0 ? p + 1 : end;
      scratch[0] = n - 1;
      h |= 0;
      // Look the name up; add it when new.
      let s = h & mask;
      let idx = -1;
      for (; ; s = (s + 1) & mask) {
        const e = slots[s];
        if (e === 0) break;
        if (hashes[s] !== h) continue;
        // Byte loops, not Buffer.compare/copy: a native call per record costs more than these few octets.
        const at = nameAt[e - 1];
        let k = 0;
        while (k < n && names[at + k] === scratch[k]) k++;
        if (k === n) {
          idx = e - 1;
          break;
        }
      }
      if (idx < 0) {
        if (namesEnd + n > names.length) names = growBuf(names, namesEnd + n);
        for (let k = 0; k < n; k++) names[namesEnd + k] = scratch[k];
        if (nameCount === nameAt.length) {
          nameAt = grow(nameAt, 0);
          head = grow(head, 0);
        }
        nameAt[nameCount] = namesEnd;
        namesEnd += n;
        idx = nameCount++;
        slots[s] = idx + 1;
        hashes[s] = h;
        if (nameCount * 2 > slots.length) {
          const os = slots;
          const oh = hashes;
          slots = new Int32Array(os.length * 2);
          hashes = new Int32Array(os.length * 2);
          mask = slots.length - 1;
          for (let i = 0; i < os.length; i++) {
            if (os[i] === 0) continue;
            let t = oh[i] & mask;
            while (slots[t] !== 0) t = (t + 1) & mask;
            slots[t] = os[i];
            hashes[t] = oh[i];
          }
        }
      }
      const type = m.readUInt16BE(o);
      const ttl = m.readUInt32BE(o + 4);
      const rdlen = m.readUInt16BE(o + 8);
      o += 10;
      if (rdataEnd + rdlen > rdata.length) rdata = growBuf(rdata, rdataEnd + rdlen);
      for (let k = 0; k < rdlen; k++) rdata[rdataEnd + k] = m[o + k];
      if ((count + 1) * 5 > rec.length) rec = grow(rec, 0);
      if (count === prev.length) prev = grow(prev, 0);
      prev[count] = head[idx];
      head[idx] = count + 1;
      const at = count * 5;
      rec[at] = idx;
      rec[at + 1] = type;
      rec[at + 2] = ttl;
      rec[at + 3] = rdataEnd;
      rec[at + 4] = rdlen;
      rdataEnd += rdlen;
      count++;
      o += rdlen;
    }
  }
  return { slots, hashes, mask, names, nameAt, nameCount, head, prev, rdata, rec, count };
}

/**
 * A lookup in the flat index by name key (the tree's key: lower-cased wire name as latin1), as a serving path
 * would do it: hash the key, probe, compare, then walk the name's records for `type` and make the RRset-like
 * object the lookup code reads (a short-lived one per query). Null when the name or type is absent.
 */
function flatGet(f, key, type) {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h |= 0;
  for (let s = h & f.mask; ; s = (s + 1) & f.mask) {
    const e = f.slots[s];
    if (e === 0) return null;
    if (f.hashes[s] !== h) continue;
    // The arena holds each name after its total length (the key is the wire name alone).
    const at = f.nameAt[e - 1];
    if (f.names[at] !== key.length) continue;
    let k = 0;
    while (k < key.length && f.names[at + 1 + k] === key.charCodeAt(k)) k++;
    if (k !== key.length) continue;
    let count = 0;
    let first = -1;
    let ttl = 0;
    for (let r = f.head[e - 1]; r !== 0; r = f.prev[r - 1]) {
      if (f.rec[(r - 1) * 5 + 1] !== type) continue;
      first = r - 1;
      ttl = f.rec[first * 5 + 2];
      count++;
    }
    return count === 0 ? null : { key, type, ttl, first, count, chunk: f.rdata };
  }
}

/** ns per lookup of `keys` (each for A) in the tree's name map and in the flat index; checks they agree. */
function lookups(tree, flat, keys) {
  const A = 1;
  let hits = 0;
  const t0 = performance.now();
  for (const k of keys) if (tree.nodes.get(k)?.rrsets.get(A)) hits++;
  const t1 = performance.now();
  let flatHits = 0;
  for (const k of keys) if (flatGet(flat, k, A)) flatHits++;
  const t2 = performance.now();
  if (hits !== flatHits) throw new Error(`lookups disagree: tree ${hits} hits, flat ${flatHits}`);
  return { tree: ((t1 - t0) * 1e6) / keys.length, flat: ((t2 - t1) * 1e6) / keys.length, hits };
}

/** The AXFR messages of the generated zone (the tree and records they come from are dropped on return). */
function zoneMessages(origin) {
  writeFileSync(`${tmp}/zone`, xfrZoneText({ records: RECORDS }).text);
  const z = loadZoneFile(`${tmp}/zone`, origin);
  const records = [...recordsOfZone(buildZone(z.origin, z.records))];
  const question = Buffer.concat([origin, Buffer.from([0, 252, 0, 1])]);
  return [...xfrMessages(1, question, [...records, records[0]], null)];
}

const retainedMiB = () => {
  globalThis.gc();
  const u = process.memoryUsage();
  return (u.heapUsed + u.arrayBuffers) / 2 ** 20;
};

const tmp = mkdtempSync(join(tmpdir(), "edgens-flat-floor-"));
try {
  const origin = parseNameText("xfr.test.", null);
  const messages = zoneMessages(origin);
  const bytes = messages.reduce((n, m) => n + m.length, 0);
  console.log(`${RECORDS} records; ${messages.length} messages, ${bytes} bytes; dist ${D}`);
  const base = retainedMiB();
  const rows = { tree: [], flat: [] };
  let built = null;
  for (let i = 0; i < RUNS; i++) {
    for (const kind of ["tree", "flat"]) {
      built = null;
      globalThis.gc();
      const t0 = performance.now();
      built = kind === "tree" ? await replayAxfr(origin, messages) : flatIndex(messages);
      const ms = performance.now() - t0;
      const mib = retainedMiB() - base;
      const held = (b) =>
        [b.slots, b.hashes, b.names, b.nameAt, b.head, b.prev, b.rdata, b.rec].reduce(
          (n, a) => n + a.byteLength,
          0,
        ) /
        2 ** 20;
      const what =
        kind === "flat"
          ? `${built.nameCount} names, ${built.count} records; its arrays hold ${held(built).toFixed(0)} MiB`
          : built.data.nodes.image
            ? `zone image, its arrays hold ${(built.data.nodes.image.byteLength / 2 ** 20).toFixed(0)} MiB`
            : "zone tree";
      // (`built` stays reachable through the measurement above; the next run drops it first.)
      rows[kind].push(ms);
      console.log(
        `${kind.padEnd(4)} ${ms.toFixed(0).padStart(6)} ms  retained +${mib.toFixed(0)} MiB  (${what})`,
      );
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  // Lookups: 200 000 names of the zone in a shuffled order (a few absent ones among them), 3 rounds each.
  const treeData = (await replayAxfr(origin, messages)).data;
  const flat = flatIndex(messages);
  const all = [...treeData.nodes.keys()];
  const keys = [];
  let seed = 1;
  const rnd = () => {
    seed = Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5;
    return (seed >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < 200_000; i++)
    keys.push(i % 50 === 0 ? `${all[i]}-absent` : all[Math.floor(rnd() * all.length)]);
  for (let r = 0; r < 3; r++) {
    const l = lookups(treeData, flat, keys);
    console.log(
      `lookup (name, then A): tree ${l.tree.toFixed(0)} ns, flat ${l.flat.toFixed(0)} ns per lookup (${l.hits} of ${keys.length} found)`,
    );
  }
  // The image as a file (src/zone/zone-image-file.ts; builds before it have none): write, then read back.
  const imageFile = await import(`${D}/zone/zone-image-file.js`).catch(() => null);
  if (imageFile) {
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      writeFileSync(`${tmp}/zone.img`, Buffer.concat(imageFile.encodeZoneImage(treeData, 1)));
      const t1 = performance.now();
      const back = imageFile.readZoneImage(`${tmp}/zone.img`, origin);
      const t2 = performance.now();
      if (back.data.nodes.size !== treeData.nodes.size) throw new Error("the image file lost names");
      console.log(
        `image file: written in ${(t1 - t0).toFixed(0)} ms, read back (a zone that serves) in ${(t2 - t1).toFixed(0)} ms`,
      );
    }
  }
  console.log(
    `median: tree ${med(rows.tree).toFixed(0)} ms, flat floor ${med(rows.flat).toFixed(0)} ms (${(med(rows.tree) / med(rows.flat)).toFixed(1)}×); load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
