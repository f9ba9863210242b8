// The metrics of one serving process (a cluster worker, or the whole server in-process). The per-query path
// uses pre-bound label children cached in arrays, so counting a query is a few array lookups and two adds.
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

export type DropReason =
  | "responder_drop" // the responder chose not to answer (QR=1, unparseable header)
  | "responder_error" // the responder threw (a bug; the worker keeps serving)
  | "udp_send_error"
  | "tcp_conn_limit"
  | "tcp_client_limit"
  | "tcp_oversize"
  | "tcp_idle"
  | "tcp_slow_reader";

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly queries: Counter<"transport" | "qtype" | "rcode">;
  private readonly queryChildren: Counter.Internal[][][] = TRANSPORTS.map(() => []);
  private readonly latency: Histogram.Internal<"transport">[];
  private readonly size: Histogram.Internal<"transport">[];
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
    this.queries = new Counter({
      name: "edgens_queries_total",
      help: "Queries answered, by transport, question type and response code",
      labelNames: ["transport", "qtype", "rcode"],
      registers,
    });
    const latency = new Histogram({
      name: "edgens_response_latency_seconds",
      help: "Time from receiving a query to handing its answer to the socket",
      labelNames: ["transport"],
      buckets: [0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25],
      registers,
    });
    const size = new Histogram({
      name: "edgens_response_size_bytes",
      help: "Size of answers in bytes",
      labelNames: ["transport"],
      buckets: [64, 128, 256, 512, 1024, 1232, 1500, 4096, 16384, 65535],
      registers,
    });
    this.latency = TRANSPORTS.map((t) => latency.labels(t));
    this.size = TRANSPORTS.map((t) => size.labels(t));
    this.truncated = new Counter({
      name: "edgens_truncated_total",
      help: "UDP answers sent with TC=1",
      registers,
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

  /** Count one answered (or dropped) query. `latencySeconds` from receipt to send. */
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
    const byType = this.queryChildren[t]!;
    let byRcode = byType[qi];
    if (!byRcode) {
      byRcode = [];
      byType[qi] = byRcode;
    }
    let child = byRcode[ri];
    if (!child) {
      child = this.queries.labels(TRANSPORTS[t]!, QTYPE_LABELS[qi]!, RCODE_LABELS[ri]!);
      byRcode[ri] = child;
    }
    child.inc();
    this.latency[t]!.observe(latencySeconds);
    this.size[t]!.observe(responseBytes);
    if (outcome.truncated) this.truncated.inc();
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
