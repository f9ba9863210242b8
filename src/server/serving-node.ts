// One serving process (a cluster worker, or the whole server with --workers 0/1): zones → compiled snapshot →
// responder → UDP/TCP transports. Reload parses aside and swaps the snapshot with one pointer exchange;
// queries in flight finish on the snapshot they started with, so none is lost.
import { performance } from "node:perf_hooks";
import type { EdgensConfig } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";
import { ZoneProvider } from "../provider/zone-provider.js";
import { createResponder, type ResponderOptions, type SnapshotResponder } from "../responder/responder.js";
import {
  compileSnapshot,
  compileSnapshotAsync,
  type PrecompileStats,
  type ReuseBase,
  reuseBaseFor,
  type Snapshot,
} from "../responder/snapshot.js";
import type { QueryOutcome, RemoteAddress, Responder, Transport } from "../responder/types.js";
import { processNotify } from "../secondary/notify-handler.js";
import { RRType } from "../wire/rrtype.js";
import type { SecondaryChange, SecondaryTable } from "./secondary-table.js";
import { startTransports, type Transports } from "./transports.js";
import { type ZoneFailure, ZoneSet, type ZoneSpec, zoneSpecs } from "./zone-set.js";

/**
 * Precompiled entries per slice of background work (~15-25 µs each, several times that on a busy 2-vCPU host):
 * a query or NOTIFY arriving meanwhile waits at most one slice.
 */
const PRECOMPILE_CHUNK = 100;
/**
 * How long after a secondary change is served its background precompile starts. A change reaches every
 * serving process at once (one IPC broadcast) and its first queries follow: the precompile (tens of ms of CPU
 * per worker) should not take the CPU the other workers, the host and those answers need then. A timer is
 * also after the next poll, which a setImmediate from an I/O callback is not: that runs before the queries
 * that arrived meanwhile are read (docs/BENCHMARKS.md "NOTIFY → served").
 */
const PRECOMPILE_DELAY_MS = 50;

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

function budgetBytes(config: EdgensConfig): number {
  return config.precompile.budgetMiB * 1024 * 1024;
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
  /** Secondary zones here: NOTIFY (opcode 4) goes to them, on UDP and TCP (Knot sends it over TCP). */
  secondary: SecondaryTable | null = null;
  constructor(public target: SnapshotResponder) {}
  respond(query: Buffer, transport: Transport, outcome: QueryOutcome, remote?: RemoteAddress): Buffer | null {
    // QR=0 and opcode 4 in the third octet; the query responder itself stays pure (NOTIMP for opcode 4).
    if (this.secondary && remote && query.length >= 12 && (query[2]! & 0xf8) === 0x20) {
      const r = processNotify(query, remote, this.secondary.notifyLookup);
      if (r) {
        outcome.qtype = RRType.SOA;
        outcome.rcode = r.response[3]! & 0xf;
        return r.response;
      }
    }
    return this.target.respond(query, transport, outcome);
  }
}

/** What a later background precompile may take over from `snapshot` (its zone trees, not the array of them). */
function baseOf(snapshot: Snapshot): ReuseBase {
  return { exactAnswers: snapshot.exactAnswers, zoneByKey: new Map(snapshot.zoneByKey) };
}

export class ServingNode {
  private generation = 1;
  /** Generation whose precompiled answers are being built in the background, 0 when none. */
  private precompiling = 0;
  /** Secondary zones served here (data from the SecondaryHost); null when none are configured. */
  private secondary: SecondaryTable | null = null;
  /** precompile.budgetMiB in bytes, from the config of the last start or reload. */
  private precompileBudgetBytes = 0;
  /**
   * The last snapshot whose precompiled answers were complete (with today's budget), as far as a background
   * precompile can still take answers over from it; null when there is none.
   */
  private reuseBase: ReuseBase | null = null;

  private constructor(
    private readonly zones: ZoneSet,
    private readonly slot: ResponderSlot,
    private options: ResponderOptions,
    readonly transports: Transports,
    private readonly metrics: ServerMetrics,
    private readonly log: Logger,
    /** The primary role: AXFR/IXFR out, journal, NOTIFY (src/provider/). */
    readonly provider: ZoneProvider,
  ) {}

  /** Load every zone (any failure is fatal at startup), then bind every address. */
  static async start(
    config: EdgensConfig,
    metrics: ServerMetrics,
    log: Logger,
    opts: { sendNotify?: boolean; secondary?: SecondaryTable } = {},
  ): Promise<ServingNode> {
    const zones = new ZoneSet();
    const result = zones.load(zoneSpecs(config));
    if (result.failures.length > 0) {
      for (const f of result.failures) metrics.zoneLoadFailed(f.name);
      throw new ZoneStartupError(result.failures);
    }
    for (const z of result.loaded) metrics.zoneLoaded(z.name, z.serial, z.records, z.loadSeconds);
    const options = responderOptions(config);
    // With secondary zones the caller applies them right after (applySecondary), which precompiles in the
    // background: no need to block the start on precompiling (big persisted copies) here.
    const snapshot = compileSnapshot(
      [...result.zones.map((z) => z.data), ...(opts.secondary?.served() ?? [])],
      1,
      {
        unavailable: opts.secondary?.unavailable(),
        precompile: !opts.secondary,
        precompileBudgetBytes: budgetBytes(config),
      },
    );
    const slot = new ResponderSlot(createResponder(snapshot, options));
    slot.secondary = opts.secondary ?? null;
    const provider = new ZoneProvider(log, {
      sendNotify: opts.sendNotify ?? true,
      registry: metrics.registry,
    });
    provider.update(result.zones, config);
    const transports = await startTransports(config, slot, metrics, log, provider);
    const node = new ServingNode(zones, slot, options, transports, metrics, log, provider);
    node.secondary = opts.secondary ?? null;
    node.precompileBudgetBytes = budgetBytes(config);
    if (!opts.secondary) node.reuseBase = baseOf(snapshot);
    return node;
  }

  /**
   * Secondary zone changes from the host: apply, then swap in a snapshot with the new data (or SERVFAIL).
   * No changes: recompile anyway (changes applied to the table while the node was starting).
   *
   * The new data is served at once through the lookup path (a snapshot without precompiled answers gives the
   * same bytes, a little slower); the precompiled answers are built in the background in chunks
   * (`compileSnapshotAsync`), starting PRECOMPILE_DELAY_MS later, and swapped in when done, unless a newer
   * change came first. `onPrecompiled` runs after that second swap (the XDP answer map follows it; it never
   * holds answers the sockets do not give).
   * The background precompile takes over the answers of the last complete one that nothing changed can have
   * altered (an IXFR applied locally recomputes only what read its names: src/responder/zone-change.ts).
   */
  applySecondary(changes: SecondaryChange[], full = false): void {
    if (!this.secondary) return;
    if (!this.secondary.apply(changes, full) && changes.length > 0) return;
    const zones = [...this.zones.served.map((z) => z.data), ...this.secondary.served()];
    const unavailable = this.secondary.unavailable();
    // Forget what cannot be taken over (zones rebuilt, another set of zones): their old trees can go now.
    this.reuseBase = this.reuseBase && reuseBaseFor(this.reuseBase, zones);
    let generation: number;
    try {
      const t0 = performance.now();
      const snapshot = compileSnapshot(zones, this.generation + 1, { unavailable, precompile: false });
      generation = ++this.generation;
      this.slot.target.swap(snapshot);
      this.log.debug(
        { generation, ms: Math.round((performance.now() - t0) * 10) / 10 },
        "secondary change served",
      );
    } catch (e) {
      this.log.error({ err: (e as Error).message }, "cannot compile the snapshot with the secondary zones");
      return;
    }
    this.precompiling = generation;
    let stats: PrecompileStats | null = null;
    const t0 = performance.now();
    // Not at once: the queries already waiting, and the other serving processes, get the change first.
    void new Promise<void>((r) => setTimeout(r, PRECOMPILE_DELAY_MS))
      .then(() => {
        if (this.precompiling !== generation) return null;
        this.log.debug({ generation, delayMs: PRECOMPILE_DELAY_MS }, "background precompile started");
        return compileSnapshotAsync(zones, generation, {
          unavailable,
          chunk: PRECOMPILE_CHUNK,
          precompileBudgetBytes: this.precompileBudgetBytes,
          cancelled: () => this.precompiling !== generation,
          ...(this.reuseBase ? { reuse: this.reuseBase } : {}),
          onStats: (s) => {
            stats = s;
          },
        });
      })
      .then((snapshot) => {
        // A newer change (or a reload) swapped meanwhile: its own compilation follows.
        if (this.precompiling !== generation || this.generation !== generation || !snapshot) return;
        this.precompiling = 0;
        this.slot.target.swap(snapshot);
        this.reuseBase = baseOf(snapshot);
        this.log.debug(
          {
            generation,
            ms: Math.round(performance.now() - t0),
            entries: snapshot.exactAnswers.size,
            ...stats,
          },
          "precompiled answers swapped in",
        );
        this.onPrecompiled?.(snapshot);
      })
      .catch((e) => this.log.error({ err: (e as Error).message }, "background precompilation failed"));
  }

  /** Called after a background precompilation swapped its snapshot in (see applySecondary). */
  onPrecompiled: ((snapshot: Snapshot) => void) | null = null;

  /** The snapshot being served (the XDP fast path fills its answer map from it). */
  get snapshot(): Snapshot {
    return this.slot.target.snapshot;
  }

  get zoneCount(): number {
    return this.zones.served.length + (this.secondary?.served().length ?? 0);
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
      this.secondary?.setConfig(config);
      snapshot = compileSnapshot(
        [...result.zones.map((z) => z.data), ...(this.secondary?.served() ?? [])],
        this.generation + 1,
        { unavailable: this.secondary?.unavailable(), precompileBudgetBytes: budgetBytes(config) },
      );
    } catch (e) {
      return keepOld("snapshot", e);
    }
    const generation = ++this.generation;
    this.precompiling = 0;
    this.precompileBudgetBytes = budgetBytes(config);
    this.reuseBase = baseOf(snapshot);
    const options = responderOptions(config);
    if (sameOptions(options, this.options)) this.slot.target.swap(snapshot);
    else this.slot.target = createResponder(snapshot, options);
    this.options = options;
    // After the swap: transfers serve the data queries see; a new serial is journaled and NOTIFY sent.
    this.provider.update(result.zones, config);
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
