#!/usr/bin/env node
// Zone transfer benchmark (issue 6): Knot 3.2 as hidden primary; edgens (`edgens serve --secondary …`, the
// default worker count unless --workers), Knot and NSD as its secondaries in the same run. For each secondary, started one after the other (so they do
// not share the 2 vCPUs during the first transfer): time from spawn to answering the zone's serial over UDP,
// then the CPU time and the peak RSS of all its processes (summed over the process group). Then CHANGE records of the
// zone are modified on the primary (`knotc zone-reload`, `zonefile-load: difference`: Knot computes an IXFR and
// NOTIFYs all three at once) → time until each secondary answers the new serial (UDP SOA polled every POLL ms).
// `--mode update`: the change is a dynamic update (RFC 2136, over TCP, sent by this script) to the primary
// instead: Knot applies it in milliseconds, bumps the serial and NOTIFYs, so no zone-file diff (1.5–2.8 s for
// 1 M records) sits in front of the secondaries; the clock starts when the UPDATE is written to the socket.
// A NOTIFY probe (this script, listed first among Knot's notify targets) records when Knot's NOTIFY for each
// serial arrives, so each secondary's time is also given from the NOTIFY (Knot 3.2 sends it ~1 s after applying
// an UPDATE, but at once after a reload).
// `--trace`: edgens logs at debug level; its per-step lines (NOTIFY wait, SOA query, transfer, build, delta
// applied and served per worker) are printed at the end, on one clock with this script's own events (the
// change, Knot's NOTIFY at the probe, each secondary's first answer with the new serial). A secondary's time
// is when the poll's answer arrived here: each poll waits for its answer, then POLL ms (`--poll`, default 3).
// `--probe`: while each secondary takes its first transfer, how long queries wait for an answer (p50, p99,
// longest; an A query every 5 ms from 4 source ports, from spawn to idle).
// EDGENS_BENCH_NODE_FLAGS: node flags for the edgens process (NODE_OPTIONS refuses --cpu-prof, --trace-gc).
//
//   node bench/xfr/xfr-bench.mjs [--records 1000000] [--change 100] [--rounds 1] [--only edgens,knot,nsd]
//                                [--mode reload|update] [--workers N] [--trace] [--build DIR] [--timeout 600]
//                                [--text-copy-delay SEC] [--probe]
// Needs root (knotd/nsd as root), knotd, knotc, nsd. Loopback only, random high ports. Every daemon runs in its
// own process group and only those groups are signalled on exit.
import { execFile, execFileSync, spawn } from "node:child_process";
import dgram from "node:dgram";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { changedHosts as changedHostsOf, xfrZoneText } from "./zone-shape.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const { values: args } = parseArgs({
  options: {
    records: { type: "string", default: "1000000" },
    change: { type: "string", default: "100" },
    rounds: { type: "string", default: "1" },
    only: { type: "string", default: "edgens,knot,nsd" },
    build: { type: "string" },
    timeout: { type: "string", default: "600" },
    poll: { type: "string", default: "3" },
    keep: { type: "boolean", default: false },
    mode: { type: "string", default: "reload" },
    workers: { type: "string" },
    trace: { type: "boolean", default: false },
    // edgens' textCopyDelaySec (docs/CONFIG.md); unset: its default. 0 = the text copy after every change.
    "text-copy-delay": { type: "string" },
    probe: { type: "boolean", default: false },
  },
});
if (!["reload", "update"].includes(args.mode)) throw new Error(`--mode: reload or update, not ${args.mode}`);
const RECORDS = Number(args.records);
const CHANGE = Number(args.change);
const ROUNDS = Number(args.rounds);
const ONLY = args.only.split(",");
const TIMEOUT_MS = Number(args.timeout) * 1000;
const POLL_MS = Number(args.poll);
const ZONE = "xfr.test.";
const HOST = "127.0.0.1";

const tmp = mkdtempSync(join(tmpdir(), "edgens-xfrbench-"));
/** Process groups we started: [name, pgid]. */
const groups = [];

function cleanup() {
  for (const [, pgid] of groups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {}
  }
  if (!args.keep) rmSync(tmp, { recursive: true, force: true });
}
process.on("exit", cleanup);
for (const s of ["SIGINT", "SIGTERM"]) process.on(s, () => process.exit(130));

const f = (x, d = 0) => (x === null || x === undefined ? "—" : x.toFixed(d));
const randomPort = () => 20000 + Math.floor(Math.random() * 40000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 23)}]`, ...a);

// ---- zone ----------------------------------------------------------------------------------------------
// RECORDS records: hosts with A, every 4th host also AAAA, so hosts = RECORDS / 1.25 (+ apex records).
const zoneText = (serial, changed) => xfrZoneText({ origin: ZONE, records: RECORDS, serial, changed });
const changedHosts = (changed) => changedHostsOf({ origin: ZONE, records: RECORDS, changed });

// ---- dynamic update (RFC 2136) ----------------------------------------------------------------------------
function wireName(name) {
  const parts = name.split(".").filter(Boolean);
  return Buffer.concat([
    ...parts.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "latin1")])),
    Buffer.from([0]),
  ]);
}
function aRecord(name, cls, ttl, addr) {
  const fixed = Buffer.alloc(14);
  fixed.writeUInt16BE(1, 0); // A
  fixed.writeUInt16BE(cls, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(4, 8);
  for (const [i, o] of addr.split(".").entries()) fixed[10 + i] = Number(o);
  return Buffer.concat([wireName(name), fixed]);
}
/** UPDATE message: each host's A record `from` deleted (class NONE) and `to` added. */
function updateMessage(id, hosts, from, to) {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(5 << 11, 2); // opcode UPDATE
  header.writeUInt16BE(1, 4); // ZOCOUNT
  header.writeUInt16BE(hosts.length * 2, 8); // UPCOUNT
  const zone = Buffer.concat([wireName(ZONE), Buffer.from([0, 6, 0, 1])]);
  const rrs = hosts.flatMap((h) => [aRecord(h.name, 254, 0, h[from]), aRecord(h.name, 1, 3600, h[to])]);
  return Buffer.concat([header, zone, ...rrs]);
}
/** A TCP connection to the primary (opened before the clock starts). */
function connectTcp(port) {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, HOST, () => resolve(c));
    c.once("error", reject);
  });
}
/** Write an UPDATE on `c`; resolves with the primary's RCODE. */
function sendUpdate(c, msg) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    c.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        c.destroy();
        resolve(buf[2 + 3] & 0xf);
      }
    });
    c.on("error", reject);
    c.setTimeout(30_000, () => {
      c.destroy();
      reject(new Error("UPDATE: no answer from the primary"));
    });
    const len = Buffer.alloc(2);
    len.writeUInt16BE(msg.length);
    c.write(Buffer.concat([len, msg]));
  });
}

// ---- UDP SOA ---------------------------------------------------------------------------------------------
const sock = dgram.createSocket("udp4");
await new Promise((r) => sock.bind(0, HOST, r));
let nextId = 1;
const waiting = new Map();
sock.on("message", (m) => {
  const id = m.readUInt16BE(0);
  waiting.get(id)?.(m);
});
function soaQuery(origin) {
  const labels = origin.split(".").filter(Boolean);
  const q = Buffer.alloc(12 + labels.reduce((n, l) => n + l.length + 1, 1) + 4);
  let o = 12;
  for (const l of labels) {
    q[o++] = l.length;
    o += q.write(l, o, "latin1");
  }
  q[o++] = 0;
  q.writeUInt16BE(6, o);
  q.writeUInt16BE(1, o + 2);
  q.writeUInt16BE(1, 4);
  return q;
}
const SOA_Q = soaQuery(ZONE);
/** The serial `port` answers for the zone over UDP, or null (no answer within `ms`, not NOERROR, no SOA). */
function udpSerial(port, ms = 200) {
  const id = nextId++ & 0xffff || 1;
  const q = Buffer.from(SOA_Q);
  q.writeUInt16BE(id, 0);
  return new Promise((res) => {
    const t = setTimeout(() => {
      waiting.delete(id);
      res(null);
    }, ms);
    waiting.set(id, (m) => {
      clearTimeout(t);
      waiting.delete(id);
      if ((m[3] & 0xf) !== 0 || m.readUInt16BE(6) < 1) return res(null);
      // Answer: question (same length as ours) then the SOA with a compressed owner (2 octets).
      let o = SOA_Q.length;
      o += m[o] >= 0xc0 ? 2 : SOA_Q.length - 16; // owner
      const rdlen = m.readUInt16BE(o + 8);
      const end = o + 10 + rdlen;
      res(m.readUInt32BE(end - 20));
    });
    sock.send(q, port, HOST);
  });
}
/** Poll until `port` answers `serial`; ms since `t0`, or null on timeout. */
async function waitSerial(port, serial, t0, timeoutMs, pollMs = POLL_MS) {
  const deadline = t0 + timeoutMs;
  while (performance.now() < deadline) {
    const s = await udpSerial(port);
    if (s === serial) return performance.now() - t0;
    await sleep(pollMs);
  }
  return null;
}

// ---- NOTIFY probe: answers NOTIFY (UDP and TCP, Knot 3.2 uses TCP) and notes when each serial was announced.
const notifiedAt = new Map();
function notifyAnswer(m) {
  // The serial of the SOA in the answer section (question and owner as Knot writes them: compressed owner).
  try {
    if (m.readUInt16BE(6) >= 1) {
      let o = 12;
      while (m[o] !== 0) o += m[o] + 1;
      o += 5; // root label, QTYPE, QCLASS
      o += m[o] >= 0xc0 ? 2 : 0;
      const rdlen = m.readUInt16BE(o + 8);
      const serial = m.readUInt32BE(o + 10 + rdlen - 20);
      if (!notifiedAt.has(serial)) notifiedAt.set(serial, performance.now());
    }
  } catch {}
  const r = Buffer.from(m.subarray(0, 12));
  r[2] = (m[2] & 0x79) | 0x84; // QR, opcode kept, AA
  r[3] = 0;
  r.writeUInt32BE(0, 6);
  r.writeUInt16BE(0, 10);
  return Buffer.concat([r, m.subarray(12, 12 + (m.length > 12 ? qLength(m) : 0))]);
}
function qLength(m) {
  let o = 12;
  while (o < m.length && m[o] !== 0) o += m[o] + 1;
  return o + 5 - 12;
}
const probe = { port: 0 };
{
  const tcp = net.createServer((c) => {
    let buf = Buffer.alloc(0);
    c.on("error", () => {});
    c.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const m = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + m.length);
        const a = notifyAnswer(m);
        const len = Buffer.alloc(2);
        len.writeUInt16BE(a.length);
        c.write(Buffer.concat([len, a]));
      }
    });
  });
  await new Promise((r) => tcp.listen(0, HOST, r));
  probe.port = tcp.address().port;
  tcp.unref();
  const udp = dgram.createSocket("udp4");
  udp.on("message", (m, rinfo) => udp.send(notifyAnswer(m), rinfo.port, rinfo.address));
  await new Promise((r) => udp.bind(probe.port, HOST, r));
  udp.unref();
}

// ---- processes -------------------------------------------------------------------------------------------
function start(name, cmd, argv, opts = {}) {
  const out = join(tmp, `${name}.log`);
  const fd = openSync(out, "a");
  const child = spawn(cmd, argv, { detached: true, stdio: ["ignore", fd, fd], ...opts });
  groups.push([name, child.pid]);
  return child;
}
/** Sum of VmHWM (peak RSS) over the live processes of process group `pgid`, MiB. */
function peakRssMiB(pgid) {
  let kb = 0;
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "latin1");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, "latin1"));
      if (m) kb += Number(m[1]);
    } catch {}
  }
  return kb / 1024;
}
/** user+system clock ticks (1/100 s) of the live processes of process group `pgid`. */
function cpuTicks(pgid) {
  let ticks = 0;
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "latin1");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return ticks;
}
/**
 * Wait until process group `pgid` is idle (< 5 % of a CPU over 500 ms), so background work after serving
 * (precompilation, persisting) does not slow the next server's measurement. ms since `t0`, or null.
 */
async function settle(pgid, t0, timeoutMs = 180_000) {
  let last = cpuTicks(pgid);
  while (performance.now() - t0 < timeoutMs) {
    await sleep(500);
    const now = cpuTicks(pgid);
    if (now - last <= 2) return performance.now() - t0 - 500;
    last = now;
  }
  return null;
}
/**
 * `--probe`: how long a query waits while a secondary takes its first transfer. From spawn until stopped, an A
 * query for a host of the zone every PROBE_MS from PROBE_SOCKETS source ports in turn (a cluster spreads them
 * over its workers by source port); latencies are counted from the first answer (the server is up) on, so
 * they cover the transfer, the build and the work after serving. Any answer counts (SERVFAIL while pending).
 * Bounded: at most PROBE_MAX queries.
 */
const PROBE_MS = 5;
const PROBE_SOCKETS = 4;
const PROBE_MAX = 200_000;
function startProbe(port) {
  const q = soaQuery(`h1.${ZONE}`);
  q.writeUInt16BE(1, q.length - 4); // type A
  const socks = Array.from({ length: PROBE_SOCKETS }, () => dgram.createSocket("udp4"));
  const sent = new Map();
  const latencies = [];
  /** The longest wait answered and when its query was sent (for --trace). */
  const longest = { ms: 0, at: 0 };
  let up = false;
  let id = 0;
  let n = 0;
  for (const so of socks) {
    so.on("message", (m) => {
      const t0 = sent.get(m.readUInt16BE(0));
      if (t0 === undefined) return;
      sent.delete(m.readUInt16BE(0));
      if (up) {
        const ms = performance.now() - t0;
        latencies.push(ms);
        if (ms > longest.ms) Object.assign(longest, { ms, at: t0 });
      }
      up = true;
    });
  }
  const timer = setInterval(() => {
    if (++n > PROBE_MAX) return;
    id = (id + 1) & 0xffff || 1;
    const b = Buffer.from(q);
    b.writeUInt16BE(id, 0);
    // Before the first answer, unanswered queries are the server starting: forget them.
    if (!up) sent.clear();
    sent.set(id, performance.now());
    socks[n % PROBE_SOCKETS].send(b, port, HOST);
  }, PROBE_MS);
  return () => {
    clearInterval(timer);
    for (const so of socks) so.close();
    // Still unanswered: lost (counted), and as old as they are for the longest wait.
    const now = performance.now();
    const waiting = [...sent.values()].map((t0) => now - t0);
    const all = [...latencies, ...waiting].sort((a, b) => a - b);
    const pct = (p) => (all.length ? all[Math.min(all.length - 1, Math.floor(p * all.length))] : null);
    return {
      answered: latencies.length,
      lost: waiting.length,
      p50: pct(0.5),
      p99: pct(0.99),
      max: all.at(-1) ?? null,
      longest,
    };
  };
}

function stopGroup(name) {
  const i = groups.findIndex(([n]) => n === name);
  if (i < 0) return;
  try {
    process.kill(-groups[i][1], "SIGKILL");
  } catch {}
  groups.splice(i, 1);
}

function textCopyConfig(dir) {
  const file = join(dir, "edgens.yaml");
  writeFileSync(file, `textCopyDelaySec: ${Number(args["text-copy-delay"])}\n`);
  return file;
}

function buildEdgens() {
  if (args.build) return join(resolve(args.build), "dist/cli/main.js");
  const dir = join(tmp, "edgens-build");
  mkdirSync(dir);
  copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  // The native addons (batch UDP, XDP) as a checkout or `--build DIR` of one finds them: without them UDP
  // falls back to node:dgram, another transport than the one compared against.
  if (existsSync(join(ROOT, "build"))) symlinkSync(join(ROOT, "build"), join(dir, "build"));
  try {
    execFileSync(
      join(ROOT, "node_modules/.bin/tsc"),
      ["-p", join(ROOT, "tsconfig.build.json"), "--outDir", join(dir, "dist"), "--sourceMap", "false"],
      { cwd: ROOT, stdio: "pipe" },
    );
  } catch {}
  const main = join(dir, "dist/cli/main.js");
  if (!existsSync(main)) throw new Error("edgens build failed");
  // Bundled as `npm run build` does (start-up time: scripts/bundle.mjs); throws when bundling fails.
  execFileSync(process.execPath, [join(ROOT, "scripts/bundle.mjs"), "--dist", join(dir, "dist")], {
    stdio: "pipe",
  });
  return main;
}

const knotConf = (dir, port, body) => `server:
  rundir: "${dir}"
  pidfile: "${join(dir, "knot.pid")}"
  listen: ${HOST}@${port}
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
control:
  listen: "${join(dir, "knot.sock")}"
database:
  storage: "${dir}"
log:
  - target: stderr
    any: info
${body}`;

// ---- run -------------------------------------------------------------------------------------------------
const ports = { primary: randomPort(), edgens: randomPort(), knot: randomPort(), nsd: randomPort() };
const load0 = loadavg()
  .map((x) => x.toFixed(2))
  .join(" / ");
log(`tmp ${tmp}; ports ${JSON.stringify(ports)}; load ${load0}`);
const edgensMain = ONLY.includes("edgens") ? buildEdgens() : null;

const pdir = join(tmp, "primary");
mkdirSync(pdir);
let serial = 1;
let z = zoneText(serial, 0);
writeFileSync(join(pdir, "zone"), z.text);
log(`zone ${ZONE}: ${z.records} records, ${(z.text.length / 1048576).toFixed(1)} MiB`);
const secondaries = ONLY.filter((s) => s in ports && s !== "primary");
writeFileSync(
  join(pdir, "knot.conf"),
  knotConf(
    pdir,
    ports.primary,
    `remote:
  - id: probe
    address: ${HOST}@${probe.port}
${secondaries.map((s) => `  - id: ${s}\n    address: ${HOST}@${ports[s]}\n`).join("")}acl:
  - id: xfr
    address: 127.0.0.0/8
    action: transfer
  - id: update
    address: 127.0.0.0/8
    action: update
template:
  - id: default
    storage: "${pdir}"
    zonefile-sync: -1
    zonefile-load: difference
    journal-content: changes
    journal-max-usage: 2G
zone:
  - domain: "${ZONE}"
    file: "${join(pdir, "zone")}"
    acl: [xfr, update]
    notify: [probe, ${secondaries.join(", ")}]
`,
  ),
);
let t = performance.now();
start("primary", "/usr/sbin/knotd", ["-c", join(pdir, "knot.conf")]);
const primaryLoad = await waitSerial(ports.primary, serial, t, TIMEOUT_MS, 20);
if (primaryLoad === null) throw new Error("Knot primary did not serve the zone");
log(`Knot primary serves serial ${serial} after ${primaryLoad.toFixed(0)} ms`);

const results = {};
const spawnSecondary = {
  edgens() {
    const dir = join(tmp, "edgens");
    mkdirSync(dir);
    return start("edgens", process.execPath, [
      // EDGENS_BENCH_NODE_FLAGS: node flags for edgens only (e.g. --cpu-prof, which NODE_OPTIONS refuses).
      ...(process.env.EDGENS_BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? []),
      edgensMain,
      "serve",
      "--listen",
      `${HOST}:${ports.edgens}`,
      "--secondary",
      `${ZONE}=${HOST}:${ports.primary}`,
      ...(args.workers !== undefined ? ["--workers", args.workers] : []),
      ...(args.trace ? ["--log-level", "debug"] : []),
      ...(args["text-copy-delay"] !== undefined ? ["--config", textCopyConfig(dir)] : []),
      "--state-dir",
      join(dir, "state"),
    ]);
  },
  knot() {
    const dir = join(tmp, "knot");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "knot.conf"),
      knotConf(
        dir,
        ports.knot,
        `remote:
  - id: primary
    address: ${HOST}@${ports.primary}
acl:
  - id: notify
    address: 127.0.0.0/8
    action: notify
template:
  - id: default
    storage: "${dir}"
zone:
  - domain: "${ZONE}"
    file: "${join(dir, "zone")}"
    master: primary
    acl: [notify]
`,
      ),
    );
    return start("knot", "/usr/sbin/knotd", ["-c", join(dir, "knot.conf")]);
  },
  nsd() {
    const dir = join(tmp, "nsd");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "nsd.conf"),
      `server:
  ip-address: ${HOST}@${ports.nsd}
  port: ${ports.nsd}
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  database: ""
  pidfile: "${join(dir, "nsd.pid")}"
  xfrdfile: "${join(dir, "xfrd.state")}"
  xfrdir: "${dir}"
  zonelistfile: "${join(dir, "zone.list")}"
  verbosity: 1
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "${ZONE}"
  zonefile: "${join(dir, "zone")}"
  request-xfr: ${HOST}@${ports.primary} NOKEY
  allow-notify: 127.0.0.1 NOKEY
`,
    );
    return start("nsd", "/usr/sbin/nsd", ["-d", "-c", join(dir, "nsd.conf")]);
  },
};

for (const s of secondaries) {
  t = performance.now();
  const child = spawnSecondary[s]();
  const stopProbe = args.probe ? startProbe(ports[s]) : null;
  const ms = await waitSerial(ports[s], serial, t, TIMEOUT_MS, 10);
  const rss = peakRssMiB(child.pid);
  // CPU of all its processes until then: steadier than the wall time on a shared machine.
  const cpu = cpuTicks(child.pid) * 10;
  const idle = ms === null ? null : await settle(child.pid, t);
  const probe = stopProbe?.() ?? null;
  results[s] = { first: ms, firstRss: rss, cpu, idle, probe, changes: [], fromNotify: [], changeIdle: [] };
  log(
    `${s}: serial ${serial} served after ${ms === null ? "TIMEOUT" : `${ms.toFixed(0)} ms`} (CPU ${cpu} ms), peak RSS ${rss.toFixed(0)} MiB; idle after ${f(idle)} ms`,
  );
  if (ms === null) stopGroup(s);
}
const live = secondaries.filter((s) => results[s].first !== null);

const primaryChange = [];
/** Per round: the serial and performance.now() of the change (the trace's clock). */
const roundStart = [];
/** Per round: ms from the change to the NOTIFY reaching the probe. */
const notifyDelay = [];
for (let round = 0; round < ROUNDS; round++) {
  await sleep(1000);
  serial++;
  // Alternate between the moved and the original addresses so each round is a CHANGE-record change.
  let updated = null;
  let reloaded = null;
  if (args.mode === "update") {
    // Knot's serial policy (increment) makes the new serial ours + 1, as in reload mode.
    const hosts = changedHosts(CHANGE);
    const [from, to] = round % 2 === 0 ? ["base", "moved"] : ["moved", "base"];
    const msg = updateMessage((round + 1) & 0xffff, hosts, from, to);
    const conn = await connectTcp(ports.primary);
    t = performance.now();
    updated = sendUpdate(conn, msg);
  } else {
    z = zoneText(serial, round % 2 === 0 ? CHANGE : 0);
    writeFileSync(join(pdir, "zone"), z.text);
    t = performance.now();
    // Not execFileSync: the NOTIFY probe must run while knotc waits for the reload.
    reloaded = new Promise((res, rej) =>
      execFile("/usr/sbin/knotc", ["-s", join(pdir, "knot.sock"), "zone-reload", ZONE], (e) =>
        e ? rej(e) : res(),
      ),
    );
  }
  roundStart.push({ serial, t });
  const waits = live.map(async (s) => {
    const ms = await waitSerial(ports[s], serial, t, 120_000);
    results[s].changes.push(ms);
    log(
      `round ${round + 1}: ${s} serves serial ${serial} after ${ms === null ? "TIMEOUT" : `${ms.toFixed(1)} ms`}`,
    );
  });
  const pms = await waitSerial(ports.primary, serial, t, 120_000, 1);
  primaryChange.push(pms);
  log(`round ${round + 1}: Knot primary serves serial ${serial} after ${pms?.toFixed(1)} ms`);
  if (updated) {
    const rcode = await updated;
    if (rcode !== 0) throw new Error(`the primary answered the UPDATE with RCODE ${rcode}`);
  }
  await reloaded;
  await Promise.all(waits);
  const n = notifiedAt.get(serial);
  notifyDelay.push(n === undefined ? null : n - t);
  for (const s of live) {
    const ms = results[s].changes.at(-1);
    results[s].fromNotify.push(ms === null || n === undefined ? null : ms - (n - t));
  }
  const idle = await Promise.all(live.map((s) => settle(groups.find(([n]) => n === s)[1], t)));
  for (const [i, s] of live.entries()) results[s].changeIdle.push(idle[i]);
}
for (const s of live) results[s].rss = peakRssMiB(groups.find(([n]) => n === s)[1]);

// ---- report ----------------------------------------------------------------------------------------------
const med = (xs) => {
  const v = xs.filter((x) => x !== null).sort((a, b) => a - b);
  return v.length ? v[Math.floor((v.length - 1) / 2)] : null;
};
console.log(
  `\nZone ${ZONE}: ${z.records} records; change: ${CHANGE} A records modified by ${args.mode === "update" ? "dynamic update" : "zone-reload"}; edgens workers: ${args.workers ?? "default"}; ${ROUNDS} round(s); load at start ${load0}, at end ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" / ")}`,
);
console.log(
  `Knot primary: zone loaded and served ${f(primaryLoad)} ms; ${args.mode === "update" ? "UPDATE sent" : "knotc zone-reload"} → primary serves new serial: ${primaryChange.map((x) => f(x, 1)).join(" / ")} ms`,
);
console.log(`change → Knot's NOTIFY at the probe: ${notifyDelay.map((x) => f(x, 1)).join(" / ")} ms`);
console.log(
  "\n| secondary | start → serial served (ms) | → idle (ms) | peak RSS after first transfer (MiB) | peak RSS at end (MiB) | change → new serial (ms), per round | median | NOTIFY → new serial (ms), per round | median | → idle (ms), per round |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const s of secondaries) {
  const r = results[s];
  console.log(
    `| ${s} | ${f(r.first)} | ${f(r.idle)} | ${f(r.firstRss)} | ${f(r.rss)} | ${r.changes.map((x) => f(x, 1)).join(" / ")} | ${f(med(r.changes), 1)} | ${r.fromNotify.map((x) => f(x, 1)).join(" / ")} | ${f(med(r.fromNotify), 1)} | ${r.changeIdle.map((x) => f(x)).join(" / ")} |`,
  );
}
if (args.probe) {
  console.log(
    `\nQueries during the first transfer (every ${PROBE_MS} ms from ${PROBE_SOCKETS} ports, spawn → idle; latency from the first answer on):`,
  );
  console.log(
    "\n| secondary | answered | lost | p50 (ms) | p99 (ms) | longest wait (ms) |\n|---|---|---|---|---|---|",
  );
  for (const s of secondaries) {
    const p = results[s].probe;
    if (p)
      console.log(`| ${s} | ${p.answered} | ${p.lost} | ${f(p.p50, 1)} | ${f(p.p99, 1)} | ${f(p.max, 1)} |`);
  }
}
if (results.edgens && results.knot) {
  console.log(
    `\nedgens/knot: first transfer ${f(results.edgens.first / results.knot.first, 2)}× (CPU ${f(results.edgens.cpu / results.knot.cpu, 2)}×), peak RSS ${f(results.edgens.rss / results.knot.rss, 2)}×, change ${f(med(results.edgens.changes) / med(results.knot.changes), 2)}×`,
  );
}
if (results.edgens && results.nsd) {
  console.log(
    `edgens/nsd: first transfer ${f(results.edgens.first / results.nsd.first, 2)}× (CPU ${f(results.edgens.cpu / results.nsd.cpu, 2)}×), peak RSS ${f(results.edgens.rss / results.nsd.rss, 2)}×, change ${f(med(results.edgens.changes) / med(results.nsd.changes), 2)}×`,
  );
}
if (args.trace && results.edgens) {
  // edgens' own account of each change: the manager's steps, then each worker's apply and swap; with this
  // script's events ("bench:") on the same clock (ms since the epoch; edgens' log has whole ms).
  const wanted =
    /NOTIFY|zone transferred|IXFR delta|secondary change served|persisted copy|background precompile started|precompiled answers swapped|wire copy loaded|transfer candidate/;
  const at = (perf) => performance.timeOrigin + perf;
  const events = [];
  for (const [i, { serial: sn, t: t0 }] of roundStart.entries()) {
    events.push([
      at(t0),
      `bench: ${args.mode === "update" ? "UPDATE sent" : "knotc zone-reload"} (serial ${sn})`,
    ]);
    if (notifiedAt.has(sn))
      events.push([at(notifiedAt.get(sn)), `bench: Knot's NOTIFY of serial ${sn} at the probe`]);
    for (const s of live) {
      const ms = results[s].changes[i];
      if (ms !== null && ms !== undefined) events.push([at(t0 + ms), `bench: ${s} answers serial ${sn}`]);
    }
  }
  const longest = results.edgens.probe?.longest;
  if (longest?.ms)
    events.push([at(longest.at), `bench: the longest-waiting probe query sent (${f(longest.ms)} ms)`]);
  for (const line of readFileSync(join(tmp, "edgens.log"), "utf8").split("\n")) {
    let j;
    try {
      j = JSON.parse(line);
    } catch {
      continue;
    }
    if (!wanted.test(j.msg ?? "")) continue;
    const { time, msg, level, pid, hostname, ...rest } = j;
    events.push([time, `${msg} ${JSON.stringify(rest)}`]);
  }
  events.sort((a, b) => a[0] - b[0]);
  console.log("\nedgens trace (time, message, fields; bench: this script's events):");
  for (const [time, text] of events) {
    const tenth = Number.isInteger(time) ? "  " : `.${Math.floor((time % 1) * 10)}`;
    console.log(`  ${new Date(Math.floor(time)).toISOString().slice(11, 23)}${tenth} ${text}`);
  }
}
sock.close();
process.exit(0);
