// Reading a probe's records (one query every few ms from a client) around an event (a failure or a restore):
// when did answers settle on the target (another node, or the restored site), and how many queries were lost
// or answered wrongly in between. Pure, so the arithmetic is unit-tested without a lab.
import type { ProbeRecord } from "./dns-probe.js";

export interface FailoverSummary {
  /** Queries sent, and the ones sent at or after the event. */
  total: number;
  afterEvent: number;
  /** Who answered just before the event (most common NSID of the last ok answers). */
  before: string | null;
  /** Who answers at the end (NSID of the stable run), when it settled on the target. */
  after: string | null;
  /** Send time of the first query of the final stable run on the target, minus the event time (ms). */
  settledMs: number | null;
  /** Between the event and the stable run: no answer, and wrong answers (bad data, error rcode). */
  lost: number;
  wrong: number;
  /** Answers from non-target nodes between the event and the stable run (e.g. the old node while draining). */
  otherAnswers: number;
}

/** Records sorted by seq, cut at the first unresolved gap (later records may still be pending). */
export function contiguous(records: Iterable<ProbeRecord>): ProbeRecord[] {
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  const out: ProbeRecord[] = [];
  for (const r of sorted) {
    if (r.seq !== out.length) break;
    out.push(r);
  }
  return out;
}

/** Length of the run of ok answers from the target at the end of `rs` (contiguous records). */
export function stableTail(rs: ProbeRecord[], isTarget: (nsid: string | null) => boolean): number {
  let n = 0;
  for (let i = rs.length - 1; i >= 0; i--) {
    const r = rs[i]!;
    if (r.status !== "ok" || !isTarget(r.nsid)) break;
    n++;
  }
  return n;
}

export function summarize(
  records: Iterable<ProbeRecord>,
  eventAt: number,
  isTarget: (nsid: string | null) => boolean,
  stableCount: number,
): FailoverSummary {
  const rs = contiguous(records);
  const tail = stableTail(rs, isTarget);
  const settled = tail >= stableCount ? rs[rs.length - tail]! : null;
  const beforeOk = rs.filter((r) => r.sentAt < eventAt && r.status === "ok").slice(-20);
  const counts = new Map<string, number>();
  for (const r of beforeOk) counts.set(r.nsid ?? "?", (counts.get(r.nsid ?? "?") ?? 0) + 1);
  const before = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  const window = rs.filter((r) => r.sentAt >= eventAt && (settled === null || r.seq < settled.seq));
  return {
    total: rs.length,
    afterEvent: rs.filter((r) => r.sentAt >= eventAt).length,
    before,
    after: settled?.nsid ?? null,
    settledMs: settled ? Math.max(0, settled.sentAt - eventAt) : null,
    lost: window.filter((r) => r.status === "lost").length,
    wrong: window.filter((r) => r.status === "wrong" || r.status === "error").length,
    otherAnswers: window.filter((r) => r.status === "ok" && !isTarget(r.nsid)).length,
  };
}
