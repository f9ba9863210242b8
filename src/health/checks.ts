// End-to-end checks of the node: real DNS queries to the service addresses over UDP and TCP, zone readiness
// from the server's /readyz, and the fast-path hook. Each check has its own timeout and returns a typed result;
// it never throws, so one broken check cannot stall a round.
import dgram from "node:dgram";
import http from "node:http";
import net from "node:net";
import dnsPacket from "dns-packet";

export type CheckFamily = 4 | 6;

/** Why a check failed. Stable strings: they are metric labels and log fields. */
export type FailureReason =
  | "refused" // nothing listens: the server process is gone (ICMP port unreachable / TCP RST)
  | "unreachable" // the service address is not configured or not routable here
  | "timeout" // no answer in time: the server is hung or overloaded
  | "reset" // TCP connection closed before a full answer
  | "rcode" // unexpected response code (e.g. SERVFAIL)
  | "not-authoritative" // AA bit missing: the zone is not loaded as authoritative
  | "serial" // SOA serial differs from the expected one
  | "answer" // answer data differs from the expected data
  | "malformed" // the response does not parse or does not match the query
  | "not-ready" // /readyz said no (zone not loaded or expired)
  | "error"; // anything else (local socket errors)

/** Failures that prove the server is dead, as opposed to slow or wrong: the machine goes down without `fall`. */
export const fatalReasons: ReadonlySet<FailureReason> = new Set(["refused", "unreachable"]);

export type CheckResult =
  | { ok: true; skipped?: boolean; latencyMs: number }
  | { ok: false; reason: FailureReason; fatal: boolean; detail: string; latencyMs: number };

export interface HealthCheck {
  /** Stable identifier, used as the `check` metric label, e.g. `udp:192.0.2.53:53:example.com`. */
  readonly id: string;
  /** Address family whose prefixes this check speaks for; null for checks of the whole node. */
  readonly family: CheckFamily | null;
  run(): Promise<CheckResult>;
}

export interface DnsExpectation {
  /** Expected response code name, e.g. NOERROR or NXDOMAIN. */
  rcode: string;
  /** Require the AA bit. */
  aa: boolean;
  /** Require this SOA serial (in the answer for SOA queries, else in the authority section). */
  serial?: number;
  /** Require exactly this set of answer data (A/AAAA/CNAME/NS/PTR text, TXT joined), order-insensitive. */
  answer?: string[];
}

export interface DnsCheckSpec {
  transport: "udp" | "tcp";
  address: string;
  port: number;
  name: string;
  qtype: dnsPacket.RecordType;
  expect: DnsExpectation;
  timeoutMs: number;
}

class CheckFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    detail: string,
  ) {
    super(detail);
  }
}

function classifySocketError(e: NodeJS.ErrnoException): CheckFailure {
  switch (e.code) {
    case "ECONNREFUSED":
      return new CheckFailure("refused", e.code);
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EADDRNOTAVAIL":
    case "EHOSTDOWN":
      return new CheckFailure("unreachable", e.code);
    case "ECONNRESET":
    case "EPIPE":
      return new CheckFailure("reset", e.code);
    default:
      return new CheckFailure("error", e.code ?? e.message);
  }
}

function failed(e: unknown, started: number): CheckResult {
  const f =
    e instanceof CheckFailure ? e : new CheckFailure("error", e instanceof Error ? e.message : String(e));
  return {
    ok: false,
    reason: f.reason,
    fatal: fatalReasons.has(f.reason),
    detail: f.message,
    latencyMs: performance.now() - started,
  };
}

export function familyOf(address: string): CheckFamily {
  const v = net.isIP(address);
  if (v === 0) throw new Error(`not an IP address: ${address}`);
  return v as CheckFamily;
}

/**
 * One UDP exchange on a CONNECTED socket: the kernel then reports an ICMP port unreachable as ECONNREFUSED on
 * the socket, so a dead server fails the check in about a millisecond instead of after the timeout.
 */
export function udpExchange(
  address: string,
  port: number,
  query: Buffer,
  timeoutMs: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(familyOf(address) === 6 ? "udp6" : "udp4");
    const id = query.readUInt16BE(0);
    let settled = false;
    const finish = (err: Error | null, msg?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(msg!);
    };
    const timer = setTimeout(
      () => finish(new CheckFailure("timeout", `no UDP answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    sock.on("error", (e) => finish(classifySocketError(e)));
    sock.on("message", (msg) => {
      // A late answer to an earlier query cannot arrive here (fresh socket), but stay strict anyway.
      if (msg.length >= 2 && msg.readUInt16BE(0) === id) finish(null, msg);
    });
    sock.connect(port, address, () => {
      sock.send(query, (e) => {
        if (e) finish(classifySocketError(e));
      });
    });
  });
}

/** One DNS-over-TCP exchange (RFC 1035 §4.2.2 two-byte length prefix). A dead server fails at connect. */
export function tcpExchange(
  address: string,
  port: number,
  query: Buffer,
  timeoutMs: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: address, port });
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (err: Error | null, msg?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(msg!);
    };
    const timer = setTimeout(
      () => finish(new CheckFailure("timeout", `no TCP answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    sock.on("error", (e) => finish(classifySocketError(e)));
    sock.on("close", () => finish(new CheckFailure("reset", "connection closed before a full answer")));
    sock.on("connect", () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (buf.length >= 2 + n) finish(null, buf.subarray(2, 2 + n));
      }
    });
  });
}

export function buildQuery(name: string, qtype: dnsPacket.RecordType): Buffer {
  return dnsPacket.encode({
    type: "query",
    id: Math.floor(Math.random() * 65536),
    flags: 0, // no RD: we ask the authoritative server itself
    questions: [{ type: qtype, name, class: "IN" }],
  });
}

function answerText(a: dnsPacket.Answer): string {
  const d = (a as { data?: unknown }).data;
  if (typeof d === "string") return d.toLowerCase().replace(/\.$/, "");
  if (a.type === "TXT") {
    const parts = Array.isArray(d) ? d : [d];
    return parts.map((p) => (Buffer.isBuffer(p) ? p.toString("utf8") : String(p))).join("");
  }
  return JSON.stringify(d);
}

/** Validates a response against the query and the expectations; throws CheckFailure. */
export function validateResponse(
  resp: Buffer,
  query: Buffer,
  spec: Pick<DnsCheckSpec, "name" | "qtype" | "expect">,
): void {
  let p: dnsPacket.DecodedPacket;
  try {
    p = dnsPacket.decode(resp);
  } catch (e) {
    throw new CheckFailure("malformed", `undecodable response: ${(e as Error).message}`);
  }
  const q = p.questions?.[0];
  if (
    p.id !== query.readUInt16BE(0) ||
    p.type !== "response" ||
    !q ||
    q.type !== spec.qtype ||
    q.name.toLowerCase().replace(/\.$/, "") !== spec.name.toLowerCase().replace(/\.$/, "")
  ) {
    throw new CheckFailure("malformed", "response does not match the query");
  }
  const rcode = (p as { rcode?: string }).rcode ?? "NOERROR";
  if (rcode !== spec.expect.rcode)
    throw new CheckFailure("rcode", `rcode ${rcode}, want ${spec.expect.rcode}`);
  const flags = p.flags ?? 0;
  if (spec.expect.aa && (flags & dnsPacket.AUTHORITATIVE_ANSWER) === 0) {
    throw new CheckFailure("not-authoritative", "AA bit not set");
  }
  if (spec.expect.serial !== undefined) {
    const soa = [...(p.answers ?? []), ...(p.authorities ?? [])].find((a) => a.type === "SOA") as
      | dnsPacket.SoaAnswer
      | undefined;
    if (!soa) throw new CheckFailure("serial", "no SOA in the response");
    if (soa.data.serial !== spec.expect.serial) {
      throw new CheckFailure("serial", `serial ${soa.data.serial}, want ${spec.expect.serial}`);
    }
  }
  if (spec.expect.answer !== undefined) {
    const got = (p.answers ?? [])
      .filter((a) => a.type === spec.qtype)
      .map(answerText)
      .sort();
    const want = spec.expect.answer.map((s) => s.toLowerCase().replace(/\.$/, "")).sort();
    if (got.join("\n") !== want.join("\n")) {
      throw new CheckFailure("answer", `answer [${got.join(", ")}], want [${want.join(", ")}]`);
    }
  }
}

export function dnsCheck(spec: DnsCheckSpec): HealthCheck {
  const family = familyOf(spec.address);
  const host = family === 6 ? `[${spec.address}]` : spec.address;
  return {
    id: `${spec.transport}:${host}:${spec.port}:${spec.name}/${spec.qtype}`,
    family,
    async run(): Promise<CheckResult> {
      const started = performance.now();
      try {
        const query = buildQuery(spec.name, spec.qtype);
        const exchange = spec.transport === "udp" ? udpExchange : tcpExchange;
        const resp = await exchange(spec.address, spec.port, query, spec.timeoutMs);
        validateResponse(resp, query, spec);
        return { ok: true, latencyMs: performance.now() - started };
      } catch (e) {
        return failed(e, started);
      }
    },
  };
}

/**
 * Zone freshness as the server itself sees it: its `/readyz` answers 200 while every zone is loaded and not
 * expired, 503 otherwise. Connection refused means the server (or its metrics listener) is gone.
 */
export function readyzCheck(url: string, timeoutMs: number): HealthCheck {
  return {
    id: `readyz:${url}`,
    family: null,
    run(): Promise<CheckResult> {
      const started = performance.now();
      return new Promise<void>((resolve, reject) => {
        const req = http.get(url, (res) => {
          res.resume();
          if (res.statusCode === 200) resolve();
          else reject(new CheckFailure("not-ready", `HTTP ${res.statusCode}`));
        });
        req.setTimeout(timeoutMs, () => {
          req.destroy(new CheckFailure("timeout", `no HTTP answer in ${timeoutMs} ms`));
        });
        req.on("error", (e) => reject(e instanceof CheckFailure ? e : classifySocketError(e)));
      }).then(
        (): CheckResult => ({ ok: true, latencyMs: performance.now() - started }),
        (e) => failed(e, started),
      );
    },
  };
}

/** Whether the XDP fast path is attached: "skip" when the node does not use it. */
export type FastPathProbe = () => Promise<"ok" | "skip" | { fail: string }>;

const METRICS_BODY_MAX = 4 * 1024 * 1024;

/**
 * Reads `edgens_xdp_attached` from the server's /metrics (`edgens serve` exports it when the fast path is
 * configured). A scrape aggregates every worker, so a result is reused for `cacheMs` instead of scraping every
 * round: a detached program is still noticed within a second.
 */
export function xdpAttachedProbe(metricsUrl: string, timeoutMs: number, cacheMs = 1000): FastPathProbe {
  let last: { at: number; result: "ok" | { fail: string } } | null = null;
  return async () => {
    const now = performance.now();
    if (last && now - last.at < cacheMs) return last.result;
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.get(metricsUrl, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new CheckFailure("error", `${metricsUrl}: HTTP ${res.statusCode}`));
          return;
        }
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
          if (text.length > METRICS_BODY_MAX)
            req.destroy(new CheckFailure("error", "metrics body too large"));
        });
        res.on("end", () => resolve(text));
      });
      req.setTimeout(timeoutMs, () =>
        req.destroy(new CheckFailure("timeout", `no /metrics in ${timeoutMs} ms`)),
      );
      req.on("error", (e) => reject(e instanceof CheckFailure ? e : classifySocketError(e)));
    });
    const m = /^edgens_xdp_attached(?:\{[^}]*\})? ([0-9.e+-]+)$/m.exec(body);
    const result: "ok" | { fail: string } = !m
      ? { fail: "the server exports no fast-path metrics (XDP not configured or not started)" }
      : Number(m[1]) > 0
        ? "ok"
        : { fail: "the XDP program is not attached" };
    last = { at: now, result };
    return result;
  };
}

export function fastPathCheck(probe: FastPathProbe = async () => "skip"): HealthCheck {
  return {
    id: "fast-path",
    family: null,
    async run(): Promise<CheckResult> {
      const started = performance.now();
      try {
        const r = await probe();
        if (r === "ok") return { ok: true, latencyMs: performance.now() - started };
        if (r === "skip") return { ok: true, skipped: true, latencyMs: performance.now() - started };
        return failed(new CheckFailure("error", r.fail), started);
      } catch (e) {
        return failed(e, started);
      }
    },
  };
}
