// DNS queries from inside a lab namespace (run there by `edgens lab _query` / `_probe`): one query with NSID
// (which node answered) and the answer data (was it right), or a steady stream of them — one every
// `intervalMs` on one UDP socket, each matched by ID and reported as a JSON line when answered or timed out.
import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import dnsPacket from "dns-packet";

export type ProbeStatus = "ok" | "wrong" | "lost" | "error";

export interface QueryOutcome {
  status: ProbeStatus;
  /** Send time, ms since the epoch (sub-ms; comparable across processes on one host). */
  sentAt: number;
  rttMs: number | null;
  rcode: string | null;
  nsid: string | null;
  answers: string[];
  detail?: string;
}

export interface QueryOptions {
  server: string;
  port?: number;
  name: string;
  type?: string;
  qclass?: string;
  /** When set, an answer whose data differs is `wrong`. */
  expect?: string;
  timeoutMs?: number;
}

export const wallNow = (): number => performance.timeOrigin + performance.now();

function encodeQuery(id: number, o: QueryOptions): Buffer {
  return dnsPacket.encode({
    type: "query",
    id,
    flags: 0,
    questions: [
      {
        name: o.name,
        type: (o.type ?? "A") as dnsPacket.RecordType,
        class: (o.qclass ?? "IN") as dnsPacket.RecordClass,
      },
    ],
    additionals: [
      {
        type: "OPT",
        name: ".",
        udpPayloadSize: 1232,
        flags: 0,
        // NSID request (RFC 5001): the option with empty data.
        options: [{ code: 3, data: Buffer.alloc(0) }],
      } as unknown as dnsPacket.Answer,
    ],
  });
}

function answerText(a: dnsPacket.Answer): string {
  const d = (a as { data?: unknown }).data;
  if (Array.isArray(d)) return d.map((x) => Buffer.from(x as Buffer).toString("utf8")).join("");
  if (Buffer.isBuffer(d)) return d.toString("utf8");
  return typeof d === "string" ? d : JSON.stringify(d);
}

function outcome(bytes: Buffer, o: QueryOptions, sentAt: number): QueryOutcome {
  const rttMs = wallNow() - sentAt;
  let p: dnsPacket.Packet;
  try {
    p = dnsPacket.decode(bytes);
  } catch (e) {
    return {
      status: "error",
      sentAt,
      rttMs,
      rcode: null,
      nsid: null,
      answers: [],
      detail: (e as Error).message,
    };
  }
  const opt = (p.additionals ?? []).find((a) => a.type === "OPT") as
    | { options?: { code: number; data?: Buffer }[] }
    | undefined;
  const nsidData = opt?.options?.find((x) => x.code === 3)?.data;
  const answers = (p.answers ?? []).map(answerText);
  const rcode = (p as { rcode?: string }).rcode ?? null;
  let status: ProbeStatus = "ok";
  if (rcode !== "NOERROR") status = "wrong";
  else if (o.expect !== undefined && (answers.length !== 1 || answers[0] !== o.expect)) status = "wrong";
  return { status, sentAt, rttMs, rcode, nsid: nsidData ? nsidData.toString("utf8") : null, answers };
}

function udpSocket(server: string): Socket {
  return createSocket(isIPv6(server) ? "udp6" : "udp4");
}

export function queryOnce(o: QueryOptions): Promise<QueryOutcome> {
  return new Promise((resolve) => {
    const sock = udpSocket(o.server);
    const id = Math.floor(Math.random() * 0x10000);
    // Encoded before the clock starts: the first encode of a fresh helper is slow on a busy host, and the
    // timeout is for the server and the network.
    const query = encodeQuery(id, o);
    const sentAt = wallNow();
    const done = (r: QueryOutcome) => {
      clearTimeout(timer);
      sock.close();
      resolve(r);
    };
    const timer = setTimeout(
      () => done({ status: "lost", sentAt, rttMs: null, rcode: null, nsid: null, answers: [] }),
      o.timeoutMs ?? 1000,
    );
    sock.on("message", (msg) => {
      if (msg.length >= 2 && msg.readUInt16BE(0) === id) done(outcome(msg, o, sentAt));
    });
    sock.on("error", (e) =>
      done({ status: "error", sentAt, rttMs: null, rcode: null, nsid: null, answers: [], detail: e.message }),
    );
    sock.send(query, o.port ?? 53, o.server);
  });
}

export interface ProbeOptions extends QueryOptions {
  intervalMs: number;
  maxMs: number;
}

export interface ProbeRecord extends QueryOutcome {
  seq: number;
}

/**
 * Sends a query every `intervalMs` for `maxMs` (or until stopped), calling `emit` with each outcome in the order
 * they resolve. Resolves once every query has been answered or timed out.
 */
export function runProbe(
  o: ProbeOptions,
  emit: (r: ProbeRecord) => void,
): { done: Promise<void>; stop(): void } {
  const sock = udpSocket(o.server);
  const pending = new Map<number, { seq: number; sentAt: number; timer: NodeJS.Timeout }>();
  let seq = 0;
  let stopped = false;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const finishIfIdle = () => {
    if (stopped && pending.size === 0) {
      sock.close();
      resolveDone();
    }
  };
  sock.on("message", (msg) => {
    if (msg.length < 2) return;
    const p = pending.get(msg.readUInt16BE(0));
    if (!p) return;
    clearTimeout(p.timer);
    pending.delete(msg.readUInt16BE(0));
    emit({ seq: p.seq, ...outcome(msg, o, p.sentAt) });
    finishIfIdle();
  });
  sock.on("error", () => {
    // ICMP errors on an unconnected socket are not reported per query; timeouts count them as lost.
  });
  const t0 = wallNow();
  const tick = setInterval(() => {
    if (stopped) return;
    if (wallNow() - t0 > o.maxMs) {
      stop();
      return;
    }
    let id = Math.floor(Math.random() * 0x10000);
    while (pending.has(id)) id = (id + 1) & 0xffff;
    const mySeq = seq++;
    const sentAt = wallNow();
    const timer = setTimeout(() => {
      pending.delete(id);
      emit({ seq: mySeq, status: "lost", sentAt, rttMs: null, rcode: null, nsid: null, answers: [] });
      finishIfIdle();
    }, o.timeoutMs ?? 1000);
    pending.set(id, { seq: mySeq, sentAt, timer });
    sock.send(encodeQuery(id, o), o.port ?? 53, o.server);
  }, o.intervalMs);
  function stop(): void {
    if (stopped) return;
    stopped = true;
    clearInterval(tick);
    finishIfIdle();
  }
  return { done, stop };
}
