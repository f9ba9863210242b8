// The compact, human form of `edgens status` (the --json form is the interface for scripts).
import type { NodeStatus } from "./node-status.js";

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}

export function formatStatus(s: NodeStatus): string {
  const out: string[] = [`node: ${s.verdict.toUpperCase()}   (${s.time})`, ""];
  const sv = s.server;
  const ready = sv.ready === null ? "unknown" : sv.ready ? "ready" : "NOT READY";
  out.push(
    `server  ${sv.reachable ? ready : "UNREACHABLE"}${sv.readyDetail ? ` (${sv.readyDetail})` : ""}` +
      `${sv.error ? ` — ${sv.error}` : ""}`,
  );
  if (sv.zones.length > 0) {
    out.push(
      ...table([
        ["  zone", "serial", "records", "load failures"],
        ...sv.zones.map((z) => [
          `  ${z.zone}`,
          String(z.serial),
          String(z.records ?? "-"),
          String(z.loadFailures),
        ]),
      ]),
    );
  }
  out.push("");
  const ag = s.agent;
  out.push(`agent   ${ag.reachable ? "reachable" : `UNREACHABLE — ${ag.error ?? ""}`}`);
  if (ag.prefixes.length > 0) {
    out.push(
      ...table([
        ["  prefix", "family", "state", "route", "since"],
        ...ag.prefixes.map((p) => [`  ${p.prefix}`, p.family, p.state, p.route, p.since ?? "-"]),
      ]),
    );
  }
  if (ag.reachable) {
    out.push(`  announced to peers: ipv4 ${ag.announced.ipv4}, ipv6 ${ag.announced.ipv6}`);
    const sessions = ag.sessions.map((x) => `${x.neighbor} ${x.up ? "up" : "DOWN"}`).join(", ");
    out.push(`  BGP sessions: ${sessions || "no neighbor event yet"}`);
  }
  out.push("");
  const ad = s.admin;
  out.push(
    `admin   ${ad.state}${ad.since ? ` since ${ad.since}` : ""}${ad.reason ? ` (${ad.reason})` : ""}` +
      `${ad.error ? ` — ${ad.error}` : ""}   [${ad.file}]`,
  );
  return `${out.join("\n")}\n`;
}
