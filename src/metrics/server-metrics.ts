// The metrics of one serving process (a cluster worker, or the whole server in-process). The per-query path
// only adds to plain typed arrays (a profile showed prom-client's observe()/inc() at ~40 % of respond()'s own
// cost); the prom-client metrics are brought up to date from those arrays when they are collected (scrape).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { QueryOutcome, Transport } from "../responder/types.js";
import { Rcode, RRType } from "../wire/rrtype.js";

/** Bounded qtype label values: known mnemonics, "other" for the rest, "none" when no question parsed. */
const QTYPE_LABELS: string[] = [...Object.keys(RRType), "other", "none"];
const QTYPE_INDEX = new Map<number, number>(Object.values(RRType).map((v, i) => [v, i]));
const QTYPE_OTHER = QTYPE_LABELS.length - 2;
const QTYPE_NONE = QTYPE_LABELS.length - 1;

const RCODE_LABELS: string[] = [...Object.keys(Rcode), "other"];
const RCODE_INDEX = new Map<number, number>(Object.values(Rcode).map((v, i) => [v, i]));
const RCODE_OTHER = RCODE_LABELS.length - 1;

const TRANSPORTS: Transport[] = ["udp", "tcp"];
const LATENCY_BOUNDS = [0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25];
const SIZE_BOUNDS = [64, 128, 256, 512, 1024, 1232, 1500, 4096, 16384, 65535];
const CELLS_PER_TRANSPORT = QTYPE_LABELS.length * RCODE_LABELS.length;

/** A histogram of one transport kept in plain numbers: bucket i counts values <= bounds[i] (last: above all). */
class Tally {
  readonly buckets: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.buckets = new Float64Array(bounds.length + 1);
  }
  add(value: number, n: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    this.buckets[i]! += n;
    this.sum += value * n;
    this.count += n;
  }
}

/** The per-label entry prom-client 15 keeps for a histogram (lib/histogram.js); there is no bulk observe. */
interface HistogramEntry {
  labels: Record<string, string>;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

/** Make `h` report the tallies (absolute values), one label set per transport that has seen a value. */
function foldHistogram(h: Histogram<"transport">, tallies: Tally[]): void {
  for (let t = 0; t < tallies.length; t++) {
    const tally = tallies[t]!;
    if (tally.count === 0) continue;
    h.zero({ transport: TRANSPORTS[t]! });
    const map = (h as unknown as { hashMap: Record<string, HistogramEntry> }).hashMap;
    const entry = Object.values(map).find((e) => e.labels.transport === TRANSPORTS[t]);
    if (!entry) continue;
    tally.bounds.forEach((bound, i) => {
      entry.bucketValues[bound] = tally.buckets[i]!;
    });
    entry.sum = tally.sum;
    entry.count = tally.count;
  }
}

export type DropReason =
  | "responder_drop" // the responder chose not to answer (QR=1, unparseable header)
  | "responder_error" // the responder threw (a bug; the worker keeps serving)
  | "udp_send_error"
  | "udp_oversize" // a datagram larger than the native transport's receive slot (not a DNS query we answer)
  | "tcp_conn_limit"
  | "tcp_client_limit"
  | "tcp_oversize"
  | "tcp_idle"
  | "tcp_slow_reader";

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly queries: Counter<"transport" | "qtype" | "rcode">;
  private readonly queryChildren: (Counter.Internal | undefined)[] = [];
  /** Answered queries per (transport, qtype, rcode) cell, and how much of each the counter has been given. */
  private readonly queryCounts = new Float64Array(TRANSPORTS.length * CELLS_PER_TRANSPORT);
  private readonly queryFolded = new Float64Array(TRANSPORTS.length * CELLS_PER_TRANSPORT);
  private readonly latency = TRANSPORTS.map(() => new Tally(LATENCY_BOUNDS));
  private readonly size = TRANSPORTS.map(() => new Tally(SIZE_BOUNDS));
  private truncatedCount = 0;
  private truncatedFolded = 0;
  private readonly truncated: Counter;
  private readonly dropped: Counter<"reason">;
  private readonly droppedChildren = new Map<DropReason, Counter.Internal>();
  readonly tcpOpen: Gauge;
  readonly tcpAccepted: Counter;
  private readonly zoneSerial: Gauge<"zone">;
  private readonly zoneRecords: Gauge<"zone">;
  private readonly zoneLoadSeconds: Gauge<"zone">;
  private readonly zoneLoadFailures: Counter<"zone">;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: "edgens_" });
    // Arrow functions: collect() is called with `this` bound to the metric, not to ServerMetrics.
    const foldQueries = () => this.foldQueries();
    this.queries = new Counter({
      name: "edgens_queries_total",
      help: "Queries answered, by transport, question type and response code",
      labelNames: ["transport", "qtype", "rcode"],
      registers,
      collect: foldQueries,
    });
    const latencyTallies = this.latency;
    const sizeTallies = this.size;
    new Histogram({
      name: "edgens_response_latency_seconds",
      help: "Time from receiving a query to handing its answer to the socket",
      labelNames: ["transport"],
      buckets: LATENCY_BOUNDS,
      registers,
      collect() {
        foldHistogram(this, latencyTallies);
      },
    });
    new Histogram({
      name: "edgens_response_size_bytes",
      help: "Size of answers in bytes",
      labelNames: ["transport"],
      buckets: SIZE_BOUNDS,
      registers,
      collect() {
        foldHistogram(this, sizeTallies);
      },
    });
    this.truncated = new Counter({
      name: "edgens_truncated_total",
      help: "UDP answers sent with TC=1",
      registers,
      collect: () => {
        this.truncated.inc(this.truncatedCount - this.truncatedFolded);
        this.truncatedFolded = this.truncatedCount;
      },
    });
    this.dropped = new Counter({
      name: "edgens_dropped_total",
      help: "Queries or connections dropped without an answer, by reason",
      labelNames: ["reason"],
      registers,
    });
    this.tcpOpen = new Gauge({ name: "edgens_tcp_connections", help: "Open TCP connections", registers });
    this.tcpAccepted = new Counter({
      name: "edgens_tcp_connections_total",
      help: "TCP connections accepted",
      registers,
    });
    // Every worker loads the same zones: aggregate zone state with max, not sum, across cluster workers.
    this.zoneSerial = new Gauge({
      name: "edgens_zone_serial",
      help: "SOA serial of the zone data being served",
      labelNames: ["zone"],
      aggregator: "max",
      registers,
    });
    this.zoneRecords = new Gauge({
      name: "edgens_zone_records",
      help: "Records in the zone data being served",
      labelNames: ["zone"],
      aggregator: "max",
      registers,
    });
    this.zoneLoadSeconds = new Gauge({
      name: "edgens_zone_load_seconds",
      help: "Time the last successful load of the zone took",
      labelNames: ["zone"],
      aggregator: "max",
      registers,
    });
    this.zoneLoadFailures = new Counter({
      name: "edgens_zone_load_failures_total",
      help: "Zone (or config) loads that failed; the previous data kept serving",
      labelNames: ["zone"],
      aggregator: "max",
      registers,
    });
  }

  /**
   * Count one answered (or dropped) query. `latencySeconds` from receipt to send; NaN when the transport
   * measures latency per batch instead (see observeLatency).
   */
  countQuery(
    transport: Transport,
    outcome: QueryOutcome,
    responseBytes: number,
    latencySeconds: number,
  ): void {
    const t = transport === "udp" ? 0 : 1;
    if (outcome.rcode < 0) {
      this.drop("responder_drop");
      return;
    }
    const qi = outcome.qtype < 0 ? QTYPE_NONE : (QTYPE_INDEX.get(outcome.qtype) ?? QTYPE_OTHER);
    const ri = RCODE_INDEX.get(outcome.rcode) ?? RCODE_OTHER;
    this.queryCounts[t * CELLS_PER_TRANSPORT + qi * RCODE_LABELS.length + ri]! += 1;
    if (!Number.isNaN(latencySeconds)) this.latency[t]!.add(latencySeconds, 1);
    this.size[t]!.add(responseBytes, 1);
    if (outcome.truncated) this.truncatedCount++;
  }

  /** Record `count` answers that all took `latencySeconds` (a batch handed to the socket at once). */
  observeLatency(transport: Transport, latencySeconds: number, count: number): void {
    if (count > 0) this.latency[transport === "udp" ? 0 : 1]!.add(latencySeconds, count);
  }

  /** Give the prom-client counter what was counted since the last scrape. */
  private foldQueries(): void {
    const counts = this.queryCounts;
    const folded = this.queryFolded;
    for (let i = 0; i < counts.length; i++) {
      const delta = counts[i]! - folded[i]!;
      if (delta === 0) continue;
      let child = this.queryChildren[i];
      if (!child) {
        const t = Math.floor(i / CELLS_PER_TRANSPORT);
        const cell = i % CELLS_PER_TRANSPORT;
        const qi = Math.floor(cell / RCODE_LABELS.length);
        const ri = cell % RCODE_LABELS.length;
        child = this.queries.labels(TRANSPORTS[t]!, QTYPE_LABELS[qi]!, RCODE_LABELS[ri]!);
        this.queryChildren[i] = child;
      }
      child.inc(delta);
      folded[i] = counts[i]!;
    }
  }

  drop(reason: DropReason): void {
    let child = this.droppedChildren.get(reason);
    if (!child) {
      child = this.dropped.labels(reason);
      this.droppedChildren.set(reason, child);
    }
    child.inc();
  }

  zoneLoaded(zone: string, serial: number, records: number, seconds: number): void {
    this.zoneSerial.labels(zone).set(serial);
    this.zoneRecords.labels(zone).set(records);
    this.zoneLoadSeconds.labels(zone).set(seconds);
    // Make the failure series exist (at 0) as soon as the zone is known, so rate() works from the start.
    this.zoneLoadFailures.labels(zone).inc(0);
  }

  zoneLoadFailed(zone: string): void {
    this.zoneLoadFailures.labels(zone).inc();
  }

  zoneRemoved(zone: string): void {
    this.zoneSerial.remove(zone);
    this.zoneRecords.remove(zone);
    this.zoneLoadSeconds.remove(zone);
  }
}
