// One serving process (a cluster worker, or the whole server with --workers 0/1): zones → compiled snapshot →
// responder → UDP/TCP transports. Reload parses aside and swaps the snapshot with one pointer exchange;
// queries in flight finish on the snapshot they started with, so none is lost.
import type { EdgensConfig } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";
import { createResponder, type ResponderOptions, type SnapshotResponder } from "../responder/responder.js";
import { compileSnapshot, type Snapshot } from "../responder/snapshot.js";
import type { QueryOutcome, Responder, Transport } from "../responder/types.js";
import { startTransports, type Transports } from "./transports.js";
import { type ZoneFailure, ZoneSet, type ZoneSpec, zoneSpecs } from "./zone-set.js";

export class ZoneStartupError extends Error {
  readonly code = "EDGENS_ERR_ZONE_LOAD";
  constructor(readonly failures: ZoneFailure[]) {
    super(
      failures
        .flatMap((f) => [`zone ${f.name} failed to load:`, ...f.reasons.map((r) => `  ${r}`)])
        .join("\n"),
    );
  }
}

export interface ReloadSummary {
  generation: number;
  zones: { name: string; serial: number }[];
  failures: { name: string; reasons: string[] }[];
}

function responderOptions(config: EdgensConfig): ResponderOptions {
  return {
    nsid: config.node.nsid === null ? undefined : Buffer.from(config.node.nsid, "utf8"),
    identity: config.node.identity,
    maxUdpPayload: config.edns.maxUdpPayload,
  };
}

function sameOptions(a: ResponderOptions, b: ResponderOptions): boolean {
  const nsidEq = a.nsid === undefined ? b.nsid === undefined : b.nsid !== undefined && a.nsid.equals(b.nsid);
  return nsidEq && a.identity === b.identity && a.maxUdpPayload === b.maxUdpPayload;
}

/** The transports hold this; a reload that changes responder options (NSID, identity) swaps the target. */
class ResponderSlot implements Responder {
  constructor(public target: SnapshotResponder) {}
  respond(query: Buffer, transport: Transport, outcome: QueryOutcome): Buffer | null {
    return this.target.respond(query, transport, outcome);
  }
}

export class ServingNode {
  private generation = 1;

  private constructor(
    private readonly zones: ZoneSet,
    private readonly slot: ResponderSlot,
    private options: ResponderOptions,
    readonly transports: Transports,
    private readonly metrics: ServerMetrics,
    private readonly log: Logger,
  ) {}

  /** Load every zone (any failure is fatal at startup), then bind every address. */
  static async start(config: EdgensConfig, metrics: ServerMetrics, log: Logger): Promise<ServingNode> {
    const zones = new ZoneSet();
    const result = zones.load(zoneSpecs(config));
    if (result.failures.length > 0) {
      for (const f of result.failures) metrics.zoneLoadFailed(f.name);
      throw new ZoneStartupError(result.failures);
    }
    for (const z of result.loaded) metrics.zoneLoaded(z.name, z.serial, z.records, z.loadSeconds);
    const options = responderOptions(config);
    const snapshot = compileSnapshot(
      result.zones.map((z) => z.data),
      1,
    );
    const slot = new ResponderSlot(createResponder(snapshot, options));
    const transports = await startTransports(config, slot, metrics, log);
    return new ServingNode(zones, slot, options, transports, metrics, log);
  }

  /** The snapshot being served (the XDP fast path fills its answer map from it). */
  get snapshot(): Snapshot {
    return this.slot.target.snapshot;
  }

  get zoneCount(): number {
    return this.zones.served.length;
  }

  /**
   * Re-read every zone and apply NSID/identity/EDNS settings. Zones that fail keep their old data. Listen
   * addresses, workers and TCP limits need a restart (logged when they differ).
   */
  reload(config: EdgensConfig): ReloadSummary {
    const served = () => this.zones.served.map((z) => ({ name: z.name, serial: z.serial }));
    // Anything unexpected (an unreadable zonesDir, a bug in compiling) keeps the current snapshot serving.
    const keepOld = (name: string, e: unknown): ReloadSummary => {
      const reason = (e as Error).message;
      this.metrics.zoneLoadFailed(name);
      this.log.error({ zone: name, reasons: [reason] }, `reload failed, keeping old data: ${reason}`);
      return { generation: this.generation, zones: served(), failures: [{ name, reasons: [reason] }] };
    };
    let specs: ZoneSpec[];
    try {
      specs = zoneSpecs(config);
    } catch (e) {
      return keepOld(config.zonesDir ?? "zones", e);
    }
    const before = new Set(this.zones.served.map((z) => z.name));
    const result = this.zones.load(specs);
    for (const z of result.zones) before.delete(z.name);
    for (const gone of before) this.metrics.zoneRemoved(gone);
    for (const f of result.failures) {
      this.metrics.zoneLoadFailed(f.name);
      this.log.error(
        { zone: f.name, reasons: f.reasons },
        `zone ${f.name} failed to reload, keeping old data: ${f.reasons[0] ?? ""}`,
      );
    }
    for (const z of result.loaded) this.metrics.zoneLoaded(z.name, z.serial, z.records, z.loadSeconds);
    let snapshot: Snapshot;
    try {
      snapshot = compileSnapshot(
        result.zones.map((z) => z.data),
        this.generation + 1,
      );
    } catch (e) {
      return keepOld("snapshot", e);
    }
    const generation = ++this.generation;
    const options = responderOptions(config);
    if (sameOptions(options, this.options)) this.slot.target.swap(snapshot);
    else this.slot.target = createResponder(snapshot, options);
    this.options = options;
    return {
      generation,
      zones: served(),
      failures: result.failures.map((f) => ({ name: f.name, reasons: f.reasons })),
    };
  }

  close(): Promise<void> {
    return this.transports.close();
  }
}
