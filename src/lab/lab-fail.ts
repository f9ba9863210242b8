// `edgens lab fail SITE/NODE --mode M` and `edgens lab restore SITE/NODE`: break (or mend) one node the way
// production breaks, while a client that the node serves sends one query every 10 ms; report when its answers
// settled elsewhere (or came back) and how many queries were lost or wrong in between.
//   kill           SIGKILL edgens serve                      restore: start it again
//   hang           SIGSTOP edgens serve                      restore: SIGCONT
//   wrong-answers  zone rewritten with a wrong A + SIGHUP    restore: right zone + SIGHUP
//   agent-kill     SIGKILL the health agent (ExaBGP respawns it; traffic should not move)
//   exabgp-kill    SIGKILL ExaBGP (the BGP sessions drop)    restore: start ExaBGP again
//   drain          admin-state drained (graceful shutdown)   restore: admin-state active
//   freeze         SIGSTOP every process of the node (a hung host: the hold timer notices, or BFD with --bfd)
//                                                            restore: SIGCONT
import { renameSync, statSync, writeFileSync } from "node:fs";
import { writeAdminState } from "../health/admin-state.js";
import { alive, childPids, cmdline, inNetns, isAgentCmdline, signal, waitForLog } from "./daemon.js";
import { wallNow } from "./dns-probe.js";
import { contiguous, type FailoverSummary, stableTail, summarize } from "./failover.js";
import { type FailMode, type LabState, LabStateError, labHosts, writeLabState } from "./lab-state.js";
import { startExabgp, startServe } from "./lab-up.js";
import { netnsPids } from "./netns.js";
import { CHECK_ANSWER, CHECK_NAME, nodePaths, zoneText } from "./node-files.js";
import { queryInNetns, startProbe } from "./ns-helper.js";
import { ANYCAST_V4, expectedSite } from "./topology.js";

export interface ProbeSettings {
  intervalMs: number;
  maxMs: number;
  /** Consecutive right answers from the target that count as settled (× intervalMs of stability). */
  stableCount: number;
  /** For events that should not move traffic (agent-kill): how long to watch after the event. */
  watchMs: number;
  timeoutMs: number;
}

export const DEFAULT_PROBE: ProbeSettings = {
  intervalMs: 10,
  maxMs: 15_000,
  stableCount: 30,
  watchMs: 3000,
  timeoutMs: 500,
};

export interface FailReport {
  node: string;
  action: string;
  client: string | null;
  summary: FailoverSummary | null;
  /** Whether the probe saw the expected outcome before its bound. */
  settled: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function nodeRecord(s: LabState, nodeId: string) {
  const rec = s.nodes[nodeId];
  if (!rec) throw new LabStateError(`no node '${nodeId}' (nodes: ${Object.keys(s.nodes).join(", ")})`);
  return rec;
}

/** A recorded pid, only if it is still that process (alive and inside the node's namespace). */
function ownPid(s: LabState, nodeId: string, pid: number | null): number | null {
  const { netns } = labHosts(s);
  return pid !== null && alive(pid) && inNetns(pid, netns(nodeId)) ? pid : null;
}

function agentPid(s: LabState, nodeId: string): number | null {
  const exa = ownPid(s, nodeId, s.nodes[nodeId]?.exabgp ?? null);
  if (exa === null) return null;
  return childPids(exa).find((p) => isAgentCmdline(cmdline(p))) ?? null;
}

function rewriteZone(s: LabState, nodeId: string, wrong: boolean): void {
  const rec = nodeRecord(s, nodeId);
  rec.serial += 1;
  const p = nodePaths(s.dir, nodeId);
  // Write aside and rename: a reload must never read a half-written zone.
  writeFileSync(`${p.zone}.tmp`, zoneText(nodeId, wrong, rec.serial));
  renameSync(`${p.zone}.tmp`, p.zone);
  const serve = ownPid(s, nodeId, rec.serve);
  if (serve === null) throw new LabStateError(`${nodeId}: edgens serve is not running`);
  signal(serve, "SIGHUP");
}

async function applyFailure(s: LabState, nodeId: string, mode: FailMode): Promise<string> {
  const rec = nodeRecord(s, nodeId);
  const p = nodePaths(s.dir, nodeId);
  switch (mode) {
    case "kill": {
      const pid = ownPid(s, nodeId, rec.serve);
      if (pid === null) throw new LabStateError(`${nodeId}: edgens serve is not running`);
      signal(pid, "SIGKILL");
      return `SIGKILL edgens serve (pid ${pid})`;
    }
    case "hang": {
      const pid = ownPid(s, nodeId, rec.serve);
      if (pid === null) throw new LabStateError(`${nodeId}: edgens serve is not running`);
      signal(pid, "SIGSTOP");
      return `SIGSTOP edgens serve (pid ${pid})`;
    }
    case "wrong-answers":
      rewriteZone(s, nodeId, true);
      return `zone rewritten with check A wrong + SIGHUP (serial ${rec.serial})`;
    case "agent-kill": {
      const pid = agentPid(s, nodeId);
      if (pid === null) throw new LabStateError(`${nodeId}: no health agent running under ExaBGP`);
      signal(pid, "SIGKILL");
      return `SIGKILL health agent (pid ${pid})`;
    }
    case "exabgp-kill": {
      const pid = ownPid(s, nodeId, rec.exabgp);
      if (pid === null) throw new LabStateError(`${nodeId}: ExaBGP is not running`);
      signal(pid, "SIGKILL");
      return `SIGKILL ExaBGP (pid ${pid})`;
    }
    case "drain":
      await writeAdminState(p.adminState, {
        state: "drained",
        since: new Date().toISOString(),
        reason: "lab fail",
      });
      return `admin state drained (${p.adminState})`;
    case "freeze": {
      const pids = await netnsPids(labHosts(s).netns(nodeId));
      for (const pid of pids) signal(pid, "SIGSTOP");
      return `SIGSTOP every process of the node (${pids.length}: serve, ExaBGP, agent, bfdd…)`;
    }
  }
}

/** Undoes the recorded failure, and restarts a dead server or ExaBGP whatever happened. */
async function applyRestore(s: LabState, nodeId: string): Promise<string> {
  const rec = nodeRecord(s, nodeId);
  const p = nodePaths(s.dir, nodeId);
  const done: string[] = [];
  if (rec.failure === "freeze") {
    const pids = await netnsPids(labHosts(s).netns(nodeId));
    for (const pid of pids) signal(pid, "SIGCONT");
    done.push(`SIGCONT ${pids.length} processes`);
  }
  const serve = ownPid(s, nodeId, rec.serve);
  if (rec.failure === "hang" && serve !== null) {
    signal(serve, "SIGCONT");
    done.push(`SIGCONT edgens serve (pid ${serve})`);
  }
  if (rec.failure === "wrong-answers" && serve !== null) {
    rewriteZone(s, nodeId, false);
    done.push(`zone rewritten right + SIGHUP (serial ${rec.serial})`);
  }
  if (rec.failure === "drain") {
    await writeAdminState(p.adminState, {
      state: "active",
      since: new Date().toISOString(),
      reason: "lab restore",
    });
    done.push("admin state active");
  }
  if (serve === null) {
    // A wrong zone left behind by a killed wrong-answers node must not come back with the restart.
    if (rec.failure === "wrong-answers") writeFileSync(p.zone, zoneText(nodeId, false, ++rec.serial));
    const from = statSync(p.serveLog).size;
    const pid = startServe(s, nodeId);
    await waitForLog(p.serveLog, "edgens ready:", {
      from,
      timeoutMs: 30_000,
      pid,
      what: `edgens serve ${nodeId}`,
    });
    done.push(`started edgens serve (pid ${pid})`);
  }
  if (ownPid(s, nodeId, rec.exabgp) === null) {
    const pid = startExabgp(s, nodeId);
    done.push(`started ExaBGP (pid ${pid})`);
  }
  s.nodes[nodeId]!.failure = null;
  return done.length > 0 ? done.join("; ") : "nothing to do";
}

/** The client a node currently answers (by NSID), else one whose nearest site is the node's. */
async function pickClient(s: LabState, nodeId: string, answeredOnly: boolean): Promise<string | null> {
  const { netns } = labHosts(s);
  const answered = await Promise.all(
    s.topology.clients.map(async (c) => {
      const r = await queryInNetns(s, netns(c.name), [ANYCAST_V4], {
        name: CHECK_NAME,
        timeoutMs: 500,
      }).catch(() => null);
      return r?.[0]?.nsid === nodeId ? c.name : null;
    }),
  );
  const hit = answered.find((c) => c !== null);
  if (hit || answeredOnly) return hit ?? null;
  const site = nodeId.split("/")[0];
  return s.topology.clients.find((c) => expectedSite(s.topology, c.name).site === site)?.name ?? null;
}

/**
 * Runs `event` while probing from `client`; `isTarget` says which answers mean "done". `expectMove` false:
 * watch for `watchMs` after the event (traffic should stay).
 */
async function probeAround(
  s: LabState,
  client: string,
  baseline: (nsid: string | null) => boolean,
  isTarget: (nsid: string | null) => boolean,
  event: () => Promise<string>,
  ps: ProbeSettings,
  expectMove: boolean,
): Promise<{ action: string; summary: FailoverSummary; settled: boolean }> {
  const { netns } = labHosts(s);
  const probe = startProbe(s, netns(client), ANYCAST_V4, {
    name: CHECK_NAME,
    expect: CHECK_ANSWER,
    intervalMs: ps.intervalMs,
    maxMs: ps.maxMs,
    timeoutMs: ps.timeoutMs,
  });
  let eventAt = Number.POSITIVE_INFINITY;
  let settled = false;
  const settle = new Promise<void>((resolve) => {
    probe.onRecord(() => {
      if (eventAt === Number.POSITIVE_INFINITY) return;
      const rs = contiguous(probe.records.values());
      const last = rs.at(-1);
      if (!last || last.sentAt < eventAt) return;
      if (expectMove ? stableTail(rs, isTarget) >= ps.stableCount : last.sentAt - eventAt >= ps.watchMs) {
        settled = true;
        resolve();
      }
    });
    void probe.exited.then(() => resolve());
  });
  try {
    // Baseline: a run of right answers from the node before the event (bounded).
    const t0 = Date.now();
    while (stableTail(contiguous(probe.records.values()), baseline) < 10) {
      if (Date.now() - t0 > 5000 || probe.child.exitCode !== null) break;
      await sleep(20);
    }
    eventAt = wallNow();
    const action = await event();
    await settle;
    probe.stop();
    await probe.exited;
    return { action, summary: summarize(probe.records.values(), eventAt, isTarget, ps.stableCount), settled };
  } finally {
    probe.stop();
  }
}

export async function labFail(
  s: LabState,
  nodeId: string,
  mode: FailMode,
  ps: ProbeSettings = DEFAULT_PROBE,
): Promise<FailReport> {
  const rec = nodeRecord(s, nodeId);
  if (rec.failure !== null)
    throw new LabStateError(`${nodeId} is already failed (${rec.failure}): restore it first`);
  const client = await pickClient(s, nodeId, true);
  const record = (action: string) => {
    rec.failure = mode;
    writeLabState(s);
    return action;
  };
  if (client === null) {
    const action = record(await applyFailure(s, nodeId, mode));
    return { node: nodeId, action, client: null, summary: null, settled: false };
  }
  const moves = mode !== "agent-kill";
  const r = await probeAround(
    s,
    client,
    (nsid) => nsid === nodeId,
    (nsid) => (moves ? nsid !== null && nsid !== nodeId : nsid === nodeId),
    async () => record(await applyFailure(s, nodeId, mode)),
    ps,
    moves,
  );
  return { node: nodeId, client, ...r };
}

export async function labRestore(
  s: LabState,
  nodeId: string,
  ps: ProbeSettings = DEFAULT_PROBE,
): Promise<FailReport> {
  nodeRecord(s, nodeId);
  const site = nodeId.split("/")[0]!;
  const client = await pickClient(s, nodeId, false);
  const restore = async () => {
    const action = await applyRestore(s, nodeId);
    writeLabState(s);
    return action;
  };
  if (client === null)
    return { node: nodeId, action: await restore(), client: null, summary: null, settled: false };
  const r = await probeAround(
    s,
    client,
    () => true,
    (nsid) => nsid?.startsWith(`${site}/`) === true,
    restore,
    ps,
    true,
  );
  return { node: nodeId, client, ...r };
}

export function formatReport(
  kind: "fail" | "restore",
  r: FailReport,
  ps: ProbeSettings = DEFAULT_PROBE,
): string {
  const lines = [`${kind} ${r.node}: ${r.action}`];
  if (!r.client || !r.summary) {
    lines.push("  no client is answered by this node: nothing probed");
    return `${lines.join("\n")}\n`;
  }
  const m = r.summary;
  lines.push(
    `  probe from ${r.client}: 1 query / ${ps.intervalMs} ms, ${m.total} sent (${m.afterEvent} after the event)`,
    `  before: ${m.before ?? "?"}   after: ${m.after ?? "?"}   ${
      m.settledMs !== null
        ? `settled ${m.settledMs.toFixed(0)} ms after the event`
        : `NOT settled within ${ps.maxMs} ms`
    }`,
    `  lost ${m.lost}, wrong ${m.wrong}, answered by others meanwhile ${m.otherAnswers}`,
  );
  return `${lines.join("\n")}\n`;
}
