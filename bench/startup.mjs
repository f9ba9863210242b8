#!/usr/bin/env node
// Start-up time of `edgens serve` (issue 6: "start → first serve includes Node's start"): spawn → the first UDP
// answer, polled every POLL ms with a SOA query. Cases (any subset, `--cases a,b`):
//   node        `node -e 0`, spawn → exit: Node's own start, the floor for every edgens case
//   serve1      `edgens serve --zone ORIGIN=FILE --listen A:P --workers 1` (a 6-record zone)
//   serve       the same with the default worker count (node:cluster, availableParallelism() workers)
//   secondary1  `edgens serve --secondary ORIGIN=PRIMARY --workers 1`, empty state dir: spawn → the primary's
//               serial answered (includes the first AXFR of a --records zone from a Knot primary)
//   secondary   the same with the default worker count
//   restart1    `--secondary … --workers 1` again on the state dir a previous run filled (an operator restart:
//               the persisted copy is served before any transfer)
//   knot        knotd as a secondary of the same primary (the reference the xfr bench compares against)
// For each case and build: the median (min–max) of RUNS runs in ms, and the CPU seconds (user+system, all the
// case's processes) used up to that first answer. Rounds interleave cases and builds, so outside load spreads
// evenly; the load average is printed at the start and the end.
//
//   node bench/startup.mjs [--runs 9] [--cases node,serve1,serve,secondary1,secondary,restart1,knot]
//                          [--records 2000] [--build DIR]... [--poll 2] [--timeout 30]
// --build DIR: a tree with dist/ built as `npm run build` does (tsc, then scripts/bundle.mjs); repeat to compare
//   trees in one run; default: this checkout. A tree of commit REV:
//   git -C /work/main archive REV | tar -x -C DIR && (cd DIR && ln -s /work/main/node_modules && \
//     ln -s /work/main/build && npx tsc -p tsconfig.build.json && { [ ! -f scripts/bundle.mjs ] || node scripts/bundle.mjs; })
//   (commits before the start-up change have no scripts/bundle.mjs: tsc only.)
// Loopback only, random ports. Every process runs in its own process group and only those groups are signalled.
// The secondary cases and knot need knotd (root: knotd drops privileges and must write its run directory).
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";

const ROOT = resolve(import.meta.dirname, "..");
const ALL = ["node", "serve1", "serve", "secondary1", "secondary", "restart1", "knot"];
const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "9" },
    cases: { type: "string", default: ALL.join(",") },
    records: { type: "string", default: "2000" },
    build: { type: "string", multiple: true },
    poll: { type: "string", default: "2" },
    timeout: { type: "string", default: "30" },
  },
});
const RUNS = Number(args.runs);
const CASES = args.cases.split(",").filter(Boolean);
for (const c of CASES)
  if (!ALL.includes(c)) throw new Error(`--cases: unknown case ${c} (known: ${ALL.join(", ")})`);
const RECORDS = Number(args.records);
const POLL_MS = Number(args.poll);
const TIMEOUT_MS = Number(args.timeout) * 1000;
const BUILDS = (args.build ?? [ROOT]).map((b) => resolve(b));
for (const b of BUILDS)
  if (!existsSync(join(b, "dist/cli/main.js")))
    throw new Error(`${b}/dist/cli/main.js missing: build it first`);
const HOST = "127.0.0.1";
const TINY = "startup.test.";
const XFR = "xfr.test.";
const KNOTD = "/usr/sbin/knotd";

const tmp = mkdtempSync(join(tmpdir(), "edgens-h5-startup-"));
chmodSync(tmp, 0o755);
/** Process groups we started (pgid = the child's pid: spawned detached). */
const groups = new Set();
const killGroup = (pgid) => {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {}
  groups.delete(pgid);
};
process.on("exit", () => {
  for (const g of [...groups]) killGroup(g);
  rmSync(tmp, { recursive: true, force: true });
});
for (const s of ["SIGINT", "SIGTERM"]) process.on(s, () => process.exit(130));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" / ");
const randomPort = () => 20000 + Math.floor(Math.random() * 12000);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---- zones -----------------------------------------------------------------------------------------------
const tinyZone = join(tmp, "tiny.zone");
writeFileSync(
  tinyZone,
  `$ORIGIN ${TINY}\n$TTL 300\n@ SOA ns1 hostmaster 7 3600 600 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.2\nwww AAAA 2001:db8::2\nmail MX 10 www\n`,
);
function xfrZone() {
  const hosts = Math.max(1, Math.floor(RECORDS / 1.25));
  const out = [
    `$ORIGIN ${XFR}`,
    "$TTL 3600",
    "@ SOA ns1 hostmaster 1 3600 600 1209600 300",
    "@ NS ns1",
    "ns1 A 192.0.2.1",
  ];
  for (let i = 0; i < hosts; i++) {
    out.push(`h${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    if (i % 4 === 0) out.push(`h${i} AAAA 2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`);
  }
  return `${out.join("\n")}\n`;
}

// ---- UDP SOA probe -----------------------------------------------------------------------------------------
const sock = dgram.createSocket("udp4");
await new Promise((r) => sock.bind(0, HOST, r));
let nextId = 1;
const waiting = new Map();
sock.on("message", (m) => waiting.get(m.readUInt16BE(0))?.(m));
function soaQuery(origin, id) {
  const labels = origin.split(".").filter(Boolean);
  const q = Buffer.alloc(12 + labels.reduce((n, l) => n + l.length + 1, 1) + 4);
  q.writeUInt16BE(id, 0);
  q.writeUInt16BE(1, 4);
  let o = 12;
  for (const l of labels) {
    q[o++] = l.length;
    o += q.write(l, o, "latin1");
  }
  q[o++] = 0;
  q.writeUInt16BE(6, o);
  q.writeUInt16BE(1, o + 2);
  return q;
}
/** The SOA serial `port` answers for `origin` within `ms`, else null (no answer, not NOERROR, no answer RR). */
function serialOf(port, origin, ms) {
  nextId = (nextId % 0xffff) + 1;
  const id = nextId;
  const q = soaQuery(origin, id);
  return new Promise((res) => {
    const t = setTimeout(() => {
      waiting.delete(id);
      res(null);
    }, ms);
    waiting.set(id, (m) => {
      clearTimeout(t);
      waiting.delete(id);
      if ((m[3] & 0xf) !== 0 || m.readUInt16BE(6) < 1) return res(null);
      // The SOA's RDATA ends with serial, refresh, retry, expire, minimum: the serial is 20 octets from its end.
      let o = q.length;
      o += m[o] >= 0xc0 ? 2 : q.length - 16;
      res(m.readUInt32BE(o + 10 + m.readUInt16BE(o + 8) - 20));
    });
    sock.send(q, port, HOST);
  });
}

// ---- processes ---------------------------------------------------------------------------------------------
function start(name, cmd, argv) {
  const log = join(tmp, `${name}.log`);
  const out = [];
  const child = spawn(cmd, argv, { detached: true, stdio: ["ignore", "pipe", "pipe"], cwd: tmp });
  groups.add(child.pid);
  for (const s of [child.stdout, child.stderr]) s.on("data", (d) => out.push(d));
  child.on("exit", () => writeFileSync(log, Buffer.concat(out)));
  child.output = () => Buffer.concat(out).toString();
  return child;
}
/** user+system seconds of the live processes of process group `pgid` (clock ticks of 1/100 s). */
function cpuSeconds(pgid) {
  let ticks = 0;
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "latin1");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return ticks / 100;
}
async function stop(child) {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    killGroup(child.pid);
    await Promise.race([exited, sleep(5000)]);
  } else killGroup(child.pid);
  // Cluster workers may outlive the primary by a moment: the group is gone when no process is left in it.
  for (let i = 0; i < 100 && cpuSecondsAlive(child.pid); i++) await sleep(20);
}
function cpuSecondsAlive(pgid) {
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "latin1");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) === pgid) return true;
    } catch {}
  }
  return false;
}
/** Poll until `port` answers `serial` for `origin`: { ms since t0, cpu s of the group then } or a failure. */
async function firstAnswer(child, port, origin, serial, t0) {
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  while (performance.now() - t0 < TIMEOUT_MS && !exited) {
    const s = await serialOf(port, origin, POLL_MS);
    if (s === serial) {
      const ms = performance.now() - t0;
      return { ms, cpu: cpuSeconds(child.pid) };
    }
    if (s !== null) await sleep(POLL_MS);
  }
  // The end of its output says why (a daemon may log a line per bad record first).
  throw new Error(
    `${exited ? "exited" : `no serial ${serial} after ${TIMEOUT_MS} ms`}:\n${child.output().slice(-3000)}`,
  );
}
async function exitTime(child, t0) {
  await new Promise((r) => child.once("exit", r));
  return { ms: performance.now() - t0, cpu: null };
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
    any: warning
${body}`;
function knotDir(name) {
  const dir = join(tmp, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  chmodSync(dir, 0o777); // knotd drops privileges and must still write its pid, socket and db here
  return dir;
}

// ---- the primary for the secondary cases -------------------------------------------------------------------
const needsPrimary = CASES.some((c) => c.startsWith("secondary") || c === "restart1" || c === "knot");
let primaryPort = 0;
if (needsPrimary) {
  if (!existsSync(KNOTD)) throw new Error(`${KNOTD} not found: the secondary cases need Knot as primary`);
  const dir = knotDir("primary");
  writeFileSync(join(dir, "zone"), xfrZone());
  chmodSync(join(dir, "zone"), 0o644);
  for (let attempt = 0; attempt < 5 && !primaryPort; attempt++) {
    const port = randomPort();
    writeFileSync(
      join(dir, "knot.conf"),
      knotConf(
        dir,
        port,
        `acl:\n  - id: xfr\n    address: 127.0.0.0/8\n    action: transfer\ntemplate:\n  - id: default\n    storage: "${dir}"\n    zonefile-sync: -1\nzone:\n  - domain: "${XFR}"\n    file: "${join(dir, "zone")}"\n    acl: [xfr]\n`,
      ),
    );
    const p = start("primary", KNOTD, ["-c", join(dir, "knot.conf")]);
    try {
      await firstAnswer(p, port, XFR, 1, performance.now());
      primaryPort = port;
    } catch (e) {
      await stop(p);
      if (attempt === 4) throw e;
    }
  }
}

// ---- cases ---------------------------------------------------------------------------------------------
let seq = 0;
const CASE = {
  node: () => {
    const t0 = performance.now();
    return exitTime(start("node", process.execPath, ["-e", "0"]), t0);
  },
  serve1: (main, port) => serve(main, port, ["--zone", `${TINY}=${tinyZone}`, "--workers", "1"], TINY, 7),
  serve: (main, port) => serve(main, port, ["--zone", `${TINY}=${tinyZone}`], TINY, 7),
  secondary1: (main, port) =>
    serve(main, port, [...secondaryFlags(join(tmp, `state-${++seq}`)), "--workers", "1"], XFR, 1),
  secondary: (main, port) => serve(main, port, secondaryFlags(join(tmp, `state-${++seq}`)), XFR, 1),
  restart1: async (main, port, build) => {
    // The state dir a first (untimed) run of this build filled; each timed run starts from a copy of it.
    const warm = join(tmp, `warm-${BUILDS.indexOf(build)}`);
    if (!existsSync(warm)) {
      const c = start("fill", process.execPath, [
        main,
        "serve",
        "--listen",
        `${HOST}:${port}`,
        "--workers",
        "1",
        ...secondaryFlags(warm),
      ]);
      await firstAnswer(c, port, XFR, 1, performance.now());
      // The persisted copy is written after the zone is served: wait for it (state file and zone copy).
      for (let i = 0; i < 500 && readdirSync(warm).length < 2; i++) await sleep(10);
      await sleep(500);
      await stop(c);
    }
    const dir = join(tmp, `state-${++seq}`);
    cpSync(warm, dir, { recursive: true });
    return serve(main, port, [...secondaryFlags(dir), "--workers", "1"], XFR, 1);
  },
  knot: async (_main, port) => {
    const dir = knotDir(`knot-${++seq}`);
    writeFileSync(
      join(dir, "knot.conf"),
      knotConf(
        dir,
        port,
        `remote:\n  - id: primary\n    address: ${HOST}@${primaryPort}\ntemplate:\n  - id: default\n    storage: "${dir}"\nzone:\n  - domain: "${XFR}"\n    file: "${join(dir, "zone")}"\n    master: primary\n`,
      ),
    );
    const t0 = performance.now();
    const c = start("knot", KNOTD, ["-c", join(dir, "knot.conf")]);
    try {
      return await firstAnswer(c, port, XFR, 1, t0);
    } finally {
      await stop(c);
    }
  },
};
const secondaryFlags = (stateDir) => [
  "--secondary",
  `${XFR}=${HOST}:${primaryPort}`,
  "--state-dir",
  stateDir,
];
async function serve(main, port, extra, origin, serial) {
  const t0 = performance.now();
  const c = start("edgens", process.execPath, [main, "serve", "--listen", `${HOST}:${port}`, ...extra]);
  try {
    return await firstAnswer(c, port, origin, serial, t0);
  } finally {
    await stop(c);
  }
}

// ---- run -------------------------------------------------------------------------------------------------
const load0 = load();
console.log(
  `startup bench: ${new Date().toISOString()}, node ${process.version}, ${availableParallelism()} CPUs, runs ${RUNS}, ` +
    `cases ${CASES.join(",")}, secondary zone ${RECORDS} records; load ${load0}`,
);
const results = new Map(); // `${case}\t${build}` → [{ms, cpu}]
for (let r = 0; r < RUNS; r++) {
  for (const c of CASES) {
    const builds = c === "node" || c === "knot" ? [BUILDS[0]] : BUILDS;
    // Alternate the order of the builds per round: neither always runs first after another case.
    for (const b of r % 2 ? [...builds].reverse() : builds) {
      const main = join(b, "dist/cli/main.js");
      let res;
      for (let attempt = 0; ; attempt++) {
        try {
          res = await CASE[c](main, randomPort(), b);
          break;
        } catch (e) {
          // A random port another process holds makes the server exit at once: retry on another port.
          if (attempt < 2 && /EADDRINUSE/.test(e.message)) continue;
          throw e;
        }
      }
      const key = `${c}\t${c === "node" || c === "knot" ? "-" : b}`;
      if (!results.has(key)) results.set(key, []);
      results.get(key).push(res);
    }
  }
  process.stderr.write(`round ${r + 1}/${RUNS} done, load ${load()}\n`);
}
console.log(`load at end ${load()}`);
console.log("case\tbuild\tms median\tms min–max\tCPU s median (to first answer)");
for (const [key, rs] of results) {
  const [c, b] = key.split("\t");
  const ms = rs.map((x) => x.ms);
  const cpu = rs.map((x) => x.cpu).filter((x) => x !== null);
  console.log(
    `${c}\t${b === "-" ? "-" : basename(b)}\t${median(ms).toFixed(0)}\t${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)}\t${cpu.length ? median(cpu).toFixed(2) : "—"}`,
  );
}
sock.close();
process.exit(0);
