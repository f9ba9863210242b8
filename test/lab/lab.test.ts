// The 3-site lab end to end (root, FRR, ExaBGP): real `edgens serve`, ExaBGP and `edgens health-agent` per
// node, FRR routers in a chain of ASes. Asserts nearest-site routing per client (NSID) and the routers' RIBs,
// then failover times measured by a client sending a query every 10 ms (printed; docs/LAB.md quotes them).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labDown } from "../../src/lab/lab-down.js";
import { DEFAULT_PROBE, type FailReport, formatReport, labFail, labRestore } from "../../src/lab/lab-fail.js";
import { type LabState, netnsPrefix, readLabState } from "../../src/lab/lab-state.js";
import { type LabStatus, labStatus } from "../../src/lab/lab-status.js";
import { labUp } from "../../src/lab/lab-up.js";
import { listNetns } from "../../src/lab/netns.js";
import { ANYCAST_V4, ANYCAST_V6, chainTopology, parseTopology } from "../../src/lab/topology.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";

const ok = requirePrereq(
  "edgens lab (3 sites in network namespaces)",
  isRoot,
  hasCommand("ip"),
  hasCommand("vtysh"),
  hasCommand("/usr/lib/frr/zebra"),
  hasCommand("/usr/lib/frr/bgpd"),
  hasCommand("/usr/sbin/exabgp"),
  hasCommand("/usr/bin/python3"),
);

const root = resolve(import.meta.dirname, "../..");

/**
 * Builds the CLI into a private directory laid out like the package (dist/, bgp/templates, package.json,
 * node_modules), as the lab's processes need it. tsc's exit status is ignored when the entries were emitted:
 * another part of the shared tree may have a type error mid-edit.
 */
function buildCli(dir: string): string {
  for (const x of ["node_modules", "bgp", "package.json"]) symlinkSync(join(root, x), join(dir, x));
  try {
    execFileSync(
      process.execPath,
      [
        join(root, "node_modules/typescript/bin/tsc"),
        "-p",
        join(root, "tsconfig.build.json"),
        "--outDir",
        join(dir, "dist"),
      ],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"], timeout: 150_000 },
    );
  } catch (e) {
    if (!existsSync(join(dir, "dist/cli/main.js")) || !existsSync(join(dir, "dist/lab/ns-helper-main.js")))
      throw e;
  }
  return join(dir, "dist/cli/main.js");
}

/** One CLI build for every lab in this file (removed after the last one). */
let sharedBuild: { dir: string; cli: string } | null = null;
function sharedCli(): string {
  if (sharedBuild === null) {
    const dir = mkdtempSync(join(tmpdir(), "edgens-lab-build-"));
    sharedBuild = { dir, cli: buildCli(dir) };
  }
  return sharedBuild.cli;
}
afterAll(() => {
  if (sharedBuild) rmSync(sharedBuild.dir, { recursive: true, force: true });
});

function show(kind: "fail" | "restore", r: FailReport): void {
  console.log(formatReport(kind, r, DEFAULT_PROBE));
}

describe.skipIf(!ok)("edgens lab: 3 sites, chain of core ASes, BFD to the nodes", () => {
  const name = `t${process.pid}`;
  let stateRoot = "";
  let state: LabState;

  beforeAll(async () => {
    stateRoot = mkdtempSync(join(tmpdir(), "edgens-lab-state-"));
    mkdirSync(stateRoot, { recursive: true });
    const cli = sharedCli();
    const t0 = performance.now();
    await labUp({
      name,
      topology: chainTopology(3, 1),
      bfd: true,
      stateRoot,
      nodeBin: process.execPath,
      cli,
      convergeTimeoutMs: 60_000,
      log: (l) => console.log(`lab up: ${l}`),
    });
    console.log(`lab up took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    state = readLabState(stateRoot, name);
  }, 240_000);

  afterAll(async () => {
    if (stateRoot) await labDown(stateRoot, name);
    // Only this lab's prefix: another person's `edgens lab up` may be running on the machine.
    expect(await listNetns(netnsPrefix(name))).toEqual([]);
    if (stateRoot) rmSync(stateRoot, { recursive: true, force: true });
  }, 60_000);

  const route = (st: LabStatus, router: string, prefix: string) =>
    st.routes.find((r) => r.router === router && r.prefix === prefix)?.best;

  it("answers every client from its nearest site, over IPv4 and IPv6; RIBs show the AS paths", async () => {
    const st = await labStatus(state);
    for (const [i, c] of st.clients.entries()) {
      expect(c.answers.map((a) => [a.status, a.nsid])).toEqual([
        ["ok", `s${i + 1}/n1`],
        ["ok", `s${i + 1}/n1`],
      ]);
      expect(c.atNearest).toBe(true);
    }
    for (const i of [1, 2, 3]) {
      for (const p of ["192.0.2.53/32", "2001:db8::53/128"]) {
        expect(route(st, `s${i}`, p)?.aspath).toBe("64953");
        expect(route(st, `c${i}`, p)?.aspath).toBe(`${65100 + i} 64953`);
      }
    }
    for (const n of st.nodes) {
      expect(n.sessions.map((x) => x.state)).toEqual(["Established", "Established"]);
      expect(n.bfd).toEqual(["up", "up"]);
      expect(Object.values(n.health)).toEqual(["UP", "UP"]);
    }
    const roles = st.namespaces.map((n) => n.role).sort();
    expect(roles.filter((r) => r === "node")).toHaveLength(3);
    expect(st.namespaces.every((n) => n.netns.startsWith(netnsPrefix(name)))).toBe(true);
  }, 60_000);

  it("kill: s1's client moves to s2 (next in the chain) within 3 s, and back after restore", async () => {
    const r = await labFail(state, "s1/n1", "kill");
    show("fail", r);
    expect(r.client).toBe("cl1");
    expect(r.settled).toBe(true);
    expect(r.summary?.after).toBe("s2/n1");
    expect(r.summary?.settledMs).toBeLessThan(3000);
    expect(r.summary?.wrong).toBe(0);
    const st = await labStatus(state);
    expect(route(st, "c1", "192.0.2.53/32")?.aspath).toBe("65002 65102 64953");
    expect(route(st, "s1", "192.0.2.53/32")?.aspath).toBe("65001 65002 65102 64953");

    const back = await labRestore(state, "s1/n1");
    show("restore", back);
    expect(back.settled).toBe(true);
    expect(back.summary?.after).toBe("s1/n1");
    expect(back.summary?.lost).toBe(0);
    expect(back.summary?.settledMs).toBeLessThan(10_000);
  }, 60_000);

  it("hang: s2's client moves to s1 (equal AS paths, lower router ID wins) within 3 s", async () => {
    const r = await labFail(state, "s2/n1", "hang");
    show("fail", r);
    expect(r.client).toBe("cl2");
    expect(r.settled).toBe(true);
    expect(r.summary?.after).toBe("s1/n1");
    expect(r.summary?.settledMs).toBeLessThan(3000);
    const back = await labRestore(state, "s2/n1");
    show("restore", back);
    expect(back.settled).toBe(true);
    expect(back.summary?.after).toBe("s2/n1");
  }, 60_000);

  it("drain: graceful shutdown moves s3's client to s2 with zero lost or wrong queries", async () => {
    const r = await labFail(state, "s3/n1", "drain");
    show("fail", r);
    expect(r.client).toBe("cl3");
    expect(r.settled).toBe(true);
    expect(r.summary?.after).toBe("s2/n1");
    expect(r.summary?.lost).toBe(0);
    expect(r.summary?.wrong).toBe(0);
    const back = await labRestore(state, "s3/n1");
    show("restore", back);
    expect(back.settled).toBe(true);
    expect(back.summary?.after).toBe("s3/n1");
    expect(back.summary?.lost).toBe(0);
  }, 60_000);

  it("freeze (hung host): BFD moves s1's client to s2 within 2 s, not the 9 s hold time", async () => {
    const r = await labFail(state, "s1/n1", "freeze");
    show("fail", r);
    expect(r.client).toBe("cl1");
    expect(r.settled).toBe(true);
    expect(r.summary?.after).toBe("s2/n1");
    expect(r.summary?.settledMs).toBeLessThan(2000);
    const back = await labRestore(state, "s1/n1");
    show("restore", back);
    expect(back.settled).toBe(true);
    expect(back.summary?.after).toBe("s1/n1");
  }, 60_000);
});

describe.skipIf(!ok)("edgens lab: ECMP, two nodes in one site", () => {
  const name = `e${process.pid}`;
  let stateRoot = "";
  let state: LabState;

  beforeAll(async () => {
    stateRoot = mkdtempSync(join(tmpdir(), "edgens-lab-state-"));
    const t0 = performance.now();
    await labUp({
      name,
      // s1 has two nodes behind its router; s2 (one node) is where s1's clients would go if the site failed.
      topology: parseTopology({
        cores: ["c1", "c2"],
        coreLinks: [["c1", "c2"]],
        sites: [
          { name: "s1", core: "c1", nodes: 2 },
          { name: "s2", core: "c2", nodes: 1 },
        ],
        clients: [
          { name: "cl1", router: "s1" },
          { name: "cl2", router: "s2" },
        ],
      }),
      stateRoot,
      nodeBin: process.execPath,
      cli: sharedCli(),
      convergeTimeoutMs: 60_000,
      log: (l) => console.log(`ecmp lab up: ${l}`),
    });
    console.log(`ecmp lab up took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    state = readLabState(stateRoot, name);
  }, 240_000);

  afterAll(async () => {
    if (stateRoot) await labDown(stateRoot, name);
    expect(await listNetns(netnsPrefix(name))).toEqual([]);
    if (stateRoot) rmSync(stateRoot, { recursive: true, force: true });
  }, 60_000);

  const s1Routes = (st: LabStatus) =>
    st.routes.filter((r) => r.router === "s1").map((r) => [r.prefix, r.paths, r.best?.multipath]);

  it("both nodes announce: s1's router holds 2 paths (multipath); killing one keeps the site", async () => {
    let st = await labStatus(state);
    expect(s1Routes(st)).toEqual([
      ["192.0.2.53/32", 2, 2],
      ["2001:db8::53/128", 2, 2],
    ]);
    for (const n of st.nodes) expect(n.sessions.map((x) => x.state)).toEqual(["Established", "Established"]);
    const cl1 = st.clients.find((c) => c.client === "cl1")!;
    // The kernel hashes per flow (L3: client and anycast address), so cl1's IPv4 answers come from one node.
    const served = cl1.answers[0]!.nsid!;
    expect(served).toMatch(/^s1\/n[12]$/);
    const other = served === "s1/n1" ? "s1/n2" : "s1/n1";

    const r = await labFail(state, served, "kill");
    show("fail", r);
    expect(r.client).toBe("cl1");
    expect(r.settled).toBe(true);
    expect(r.summary?.after).toBe(other);
    expect(r.summary?.settledMs).toBeLessThan(3000);
    expect(r.summary?.wrong).toBe(0);

    st = await labStatus(state);
    // One path left at s1, still the site's own (AS path 64953): nothing moved to s2.
    expect(s1Routes(st)).toEqual([
      ["192.0.2.53/32", 1, 1],
      ["2001:db8::53/128", 1, 1],
    ]);
    for (const p of ["192.0.2.53/32", "2001:db8::53/128"])
      expect(st.routes.find((x) => x.router === "s1" && x.prefix === p)?.best?.aspath).toBe("64953");
    const answers = st.clients.flatMap((c) => c.answers.map((a) => [c.client, a.server, a.status, a.nsid]));
    expect(answers).toEqual([
      ["cl1", ANYCAST_V4, "ok", other],
      ["cl1", ANYCAST_V6, "ok", other],
      ["cl2", ANYCAST_V4, "ok", "s2/n1"],
      ["cl2", ANYCAST_V6, "ok", "s2/n1"],
    ]);

    const back = await labRestore(state, served);
    show("restore", back);
    expect(back.settled).toBe(true);
    expect(back.summary?.after?.startsWith("s1/")).toBe(true);
    expect(back.summary?.lost).toBe(0);
    // Both paths again once the restarted node's agent has risen.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      st = await labStatus(state);
      if (s1Routes(st).every(([, paths]) => paths === 2)) break;
      await new Promise((res) => setTimeout(res, 300));
    }
    expect(s1Routes(st)).toEqual([
      ["192.0.2.53/32", 2, 2],
      ["2001:db8::53/128", 2, 2],
    ]);
  }, 90_000);
});
