// `edgens stats [--json] [--metrics URL]`: a running node's query counters by path (socket, xdp) and the XDP
// program's own counters, read from its /metrics endpoint. The --json shape is a public interface
// (docs/FASTPATH.md, "edgens stats"): add fields, never rename or remove them.
import { get } from "node:http";
import { parseArgs } from "node:util";
import { parseListenAddress } from "../config/listen-address.js";
import { COUNTER_NAMES } from "../fastpath/counters.js";
import { type Io, misuse } from "./usage.js";

export const DEFAULT_METRICS_URL = "http://127.0.0.1:9153/metrics";
const FETCH_TIMEOUT_MS = 5000;

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Samples of a Prometheus text exposition (comments and malformed lines skipped). */
export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** `edgens stats --json`: see docs/FASTPATH.md for the meaning of every field. */
export interface NodeStats {
  source: string;
  queries: { socket: number; xdp: number; total: number };
  socket: { udp: number; tcp: number; truncated: number; dropped: number };
  /** null when the node exports no fast-path metrics (an edgens without the fast path). */
  xdp: {
    attached: boolean;
    interfaces: { iface: string; mode: string }[];
    seen: number;
    answered: number;
    /** Of `answered`: NXDOMAIN answers built in the kernel (zones without DNAME). */
    answeredNxdomain: number;
    /** Of `answered`: NODATA answers (NOERROR, apex SOA) built in the kernel for names that exist. */
    answeredNodata: number;
    dropped: number;
    /** Every pass reason (the counter name without `pass_`), zero or not. */
    passed: Record<string, number>;
    answers: { entries: number; capacity: number; skipped: number };
  } | null;
}

export function statsFromSamples(source: string, samples: Sample[]): NodeStats {
  const sum = (name: string, match: (l: Record<string, string>) => boolean = () => true) =>
    samples.filter((s) => s.name === name && match(s.labels)).reduce((a, s) => a + s.value, 0);
  const has = (name: string) => samples.some((s) => s.name === name);
  const udp = sum("edgens_queries_total", (l) => l.transport === "udp");
  const tcp = sum("edgens_queries_total", (l) => l.transport === "tcp");
  const packets = (result: string) => sum("edgens_xdp_packets_total", (l) => l.result === result);
  let xdp: NodeStats["xdp"] = null;
  if (has("edgens_xdp_attached")) {
    const passed: Record<string, number> = {};
    for (const c of COUNTER_NAMES) if (c.startsWith("pass_")) passed[c.slice(5)] = packets(c);
    xdp = {
      attached: sum("edgens_xdp_attached") > 0,
      interfaces: samples
        .filter((s) => s.name === "edgens_xdp_interface" && s.value > 0)
        .map((s) => ({ iface: s.labels.iface ?? "", mode: s.labels.mode ?? "" })),
      seen: packets("seen"),
      answered: packets("answered"),
      answeredNxdomain: packets("answered_nxdomain"),
      answeredNodata: packets("answered_nodata"),
      dropped: packets("dropped"),
      passed,
      answers: {
        entries: sum("edgens_xdp_answer_entries"),
        capacity: sum("edgens_xdp_answer_capacity"),
        skipped: sum("edgens_xdp_answers_skipped"),
      },
    };
  }
  const xdpAnswered = xdp?.answered ?? 0;
  return {
    source,
    queries: { socket: udp + tcp, xdp: xdpAnswered, total: udp + tcp + xdpAnswered },
    socket: {
      udp,
      tcp,
      truncated: sum("edgens_truncated_total"),
      dropped: sum("edgens_dropped_total"),
    },
    xdp,
  };
}

export function formatStats(s: NodeStats): string {
  const lines = [
    `queries by path: socket ${s.queries.socket} (udp ${s.socket.udp}, tcp ${s.socket.tcp}), ` +
      `xdp ${s.queries.xdp}, total ${s.queries.total}`,
    `socket: truncated ${s.socket.truncated}, dropped ${s.socket.dropped}`,
  ];
  const x = s.xdp;
  if (!x) lines.push("fast path: not exported by this node");
  else {
    const where = x.interfaces.map((i) => `${i.iface} ${i.mode}`).join(", ");
    lines.push(
      `fast path: ${x.attached ? `attached (${where})` : "off"}, ` +
        `${x.answers.entries}/${x.answers.capacity} answers loaded, ${x.answers.skipped} left to the sockets`,
      `xdp packets: seen ${x.seen}, answered ${x.answered}, dropped ${x.dropped}`,
    );
    const passed = Object.entries(x.passed).filter(([, v]) => v > 0);
    lines.push(`xdp passed: ${passed.length ? passed.map(([k, v]) => `${k} ${v}`).join(", ") : "none"}`);
  }
  return `${lines.join("\n")}\n`;
}

/** `--metrics` takes a URL or ADDR:PORT (then /metrics over http). */
export function metricsUrl(arg: string): string | null {
  if (/^https?:\/\//.test(arg)) return arg;
  return parseListenAddress(arg) ? `http://${arg}/metrics` : null;
}

function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: FETCH_TIMEOUT_MS }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
      });
      res.on("end", () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${FETCH_TIMEOUT_MS} ms`)));
    req.on("error", reject);
  });
}

export async function runStats(args: string[], io: Io): Promise<number> {
  let values: { json?: boolean; metrics?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: { json: { type: "boolean" }, metrics: { type: "string" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    return misuse(io, (e as Error).message);
  }
  const url = metricsUrl(values.metrics ?? DEFAULT_METRICS_URL);
  if (!url)
    return misuse(io, `--metrics: expected a URL or ADDR:PORT, got ${JSON.stringify(values.metrics)}`);
  if (url.startsWith("https:"))
    return misuse(io, "--metrics: https is not supported; use the plain endpoint");
  let text: string;
  try {
    text = await fetchText(url);
  } catch (e) {
    io.err.write(`edgens stats: cannot read ${url}: ${(e as Error).message}\n`);
    return 1;
  }
  const stats = statsFromSamples(url, parsePrometheusText(text));
  io.out.write(values.json ? `${JSON.stringify(stats, null, 2)}\n` : formatStats(stats));
  return 0;
}
