// One secondary zone: SOA polling on the SOA's refresh/retry/expire timers (clamped), NOTIFY-triggered checks,
// transfer (IXFR, AXFR fallback) from the first primary that answers, validation with the zone-file checks,
// atomic persistence, and the 'update' / 'expired' events the server swaps snapshots on.
//
// Lifecycle: start() loads the persisted copy (emits 'update' at once unless it is past expire), then checks
// the primaries now. A successful check (data current or newly transferred) schedules the next one after
// `refresh`; when every primary fails, after `retry`. When `expire` passes since the last success, 'expired'
// is emitted; the next success emits 'update' again. Bad data (older serial, failed checks) never replaces
// what we hold: it counts as a failure of that primary and the next one is tried.
import { EventEmitter } from "node:events";
import { performance } from "node:perf_hooks";
import type { Registry } from "prom-client";
import type { Logger } from "../log.js";
import { compareSerial } from "../transfer/serial.js";
import type { TsigKey } from "../transfer/tsig.js";
import { fetchSoa, type Primary, type XfrOptions } from "../transfer/xfr-client.js";
import { type SyncResult, syncZone } from "../transfer/zone-sync.js";
import { nameKey, nameToText } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import { formatDiagnostic, hasErrors } from "../zone/diagnostic.js";
import type { ResourceRecord } from "../zone/record.js";
import type { ZoneData } from "../zone/zone.js";
import { type CheckedZone, checkAndBuildZone } from "../zone/zone-check.js";
import { applyDeltaToZone } from "../zone/zone-delta.js";
import { recordsAtNames, recordsOfZone } from "../zone/zone-records.js";
import { type FailureReason, failureReason, SecondaryError } from "./errors.js";
import { SecondaryMetrics } from "./metrics.js";
import { type NotifyTarget, normalizeAddress } from "./notify-handler.js";
import { clampTimers, resolveClamps, type SoaTimers, soaTimers, type TimerClamps } from "./soa-timers.js";
import { ZoneStore } from "./zone-store.js";

export interface SecondaryPrimary {
  address: string;
  port: number;
  /** Sign SOA queries and transfers with this key; NOTIFY from this primary must then be signed with it. */
  tsig?: TsigKey;
}

export interface SecondaryZoneOptions {
  origin: Buffer;
  /** Tried in order on every check. */
  primaries: SecondaryPrimary[];
  /** Directory of the persisted copy (`<zone>.zone`, `<zone>.state.json`). */
  stateDir: string;
  /** Further addresses NOTIFY is accepted from (primaries always are). */
  allowNotify?: string[];
  /** Bounds for the SOA timers, seconds (defaults: DEFAULT_CLAMPS). */
  clamps?: Partial<TimerClamps>;
  /** Fraction of each refresh/retry interval taken off at random, so many zones do not poll in step. 0.1. */
  jitter?: number;
  /** Interval between checks while we hold no data (no SOA to take `retry` from), seconds. Default 10. */
  bootstrapRetrySeconds?: number;
  /** Per-try timeout of the UDP SOA query (two tries), ms. Default 2000. */
  soaTimeoutMs?: number;
  /** Transfer limits (connect/per-message and whole-transfer timeouts, size cap); see XfrOptions. */
  transfer?: Pick<XfrOptions, "messageTimeoutMs" | "totalTimeoutMs" | "maxBytes">;
  /**
   * Emit 'update' as soon as new data is checked and built, and write the persisted copy after it, in the
   * background: the check ends without waiting for the write, so a NOTIFY during a big zone's write starts the
   * next transfer at once. Writes stay in order (zone copy, then state file, so the state never names data the
   * zone file lacks); a queued zone write takes the newest data, so superseded versions are never written.
   * 'persisted' follows each write. Default (false): the write comes first and the check waits for it.
   */
  serveBeforePersist?: boolean;
  registry?: Registry;
  log?: Logger;
}

export type SecondaryState = "loading" | "ok" | "retrying" | "expired";

export interface ZoneUpdate {
  origin: Buffer;
  /** Presentation form, the metrics label. */
  zone: string;
  serial: number;
  /**
   * The checked zone's tree (buildZone succeeded: the server can compile it as it is). The only copy kept: its
   * records, checked and normalized, come from `recordsOfZone(data)` on demand.
   */
  data: ZoneData;
  /** How many records the tree holds. */
  recordCount: number;
  /** Where it came from; "refresh": the data we held, served again after a success ended an expiry. */
  source: "disk" | "axfr" | "ixfr" | "refresh";
  /**
   * An IXFR applied locally (only the touched names rebuilt): what another process holding `fromSerial` needs
   * to build the same tree with `applyDeltaToZone` (cluster workers get this over IPC instead of a file).
   */
  delta?: ZoneDelta;
  /** Transfers: where the time went (also logged with "zone transferred"). */
  trace?: UpdateTrace;
}

export interface ZoneDelta {
  /** The serial the delta applies to. */
  fromSerial: number;
  /** Every record the new version has at the names the IXFR touched (each of them keeps some data). */
  records: ResourceRecord[];
}

/** Milliseconds per step of the check that brought new data. */
export interface UpdateTrace {
  /** From the NOTIFY's arrival to the start of the check (null: not started by a NOTIFY). */
  notifyWaitMs: number | null;
  /** The SOA query; null when skipped (a NOTIFY carried a newer serial: straight to IXFR). */
  soaMs: number | null;
  /** IXFR/AXFR on the wire, IXFR deltas applied to the records at the names they touch included. */
  transferMs: number;
  /** Checks and the zone tree (local for an IXFR when possible). */
  buildMs: number;
}

export interface SecondaryStatus {
  zone: string;
  state: SecondaryState;
  /** Serial of the data we hold (served unless expired), null before any. */
  serial: number | null;
  /** End of the last check, successful or not (ms since the epoch). */
  lastRefresh: number | null;
  /** Last successful check (ms since the epoch); expire counts from here. */
  lastSuccess: number | null;
  expiresAt: number | null;
  nextRefreshAt: number | null;
  /** The most recent failure (cleared by a success). */
  lastError: { reason: FailureReason; message: string; primary: string | null } | null;
  /** The SOA timers in use, after clamping. */
  timers: SoaTimers | null;
}

export interface SecondaryZoneEvents {
  update: [ZoneUpdate];
  expired: [{ zone: string; serial: number | null }];
  /** Only emitted when someone listens (an unhandled 'error' would throw): persistence failures. */
  error: [Error];
  /** The persisted copy of transferred data was written (ok) or could not be (logged, 'error'). */
  persisted: [{ serial: number; ok: boolean }];
}

const MAX_TIMER_MS = 0x7fffffff;

export class SecondaryZone extends EventEmitter<SecondaryZoneEvents> implements NotifyTarget {
  readonly origin: Buffer;
  readonly zone: string;
  private readonly opts: SecondaryZoneOptions;
  private readonly clamps: TimerClamps;
  private readonly store: ZoneStore;
  private readonly metrics: SecondaryMetrics | null;
  private readonly log: Logger | undefined;
  private readonly allowed: Set<string>;

  /** The data we hold: the tree only (no record list beside it, see recordsOfZone). */
  private held: { serial: number; data: ZoneData } | null = null;
  private heldTimers: SoaTimers | null = null;
  /** The last valid data, as emitted (or, when loaded expired, as it would have been). */
  private current: ZoneUpdate | null = null;
  private state: SecondaryState = "loading";
  private lastRefresh: number | null = null;
  private lastSuccess: number | null = null;
  private lastError: SecondaryStatus["lastError"] = null;
  private nextRefreshAt: number | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private expireTimer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private pending = false;
  private started = false;
  private stopped = false;
  private untrack: (() => void) | null = null;
  /** Newest serial a NOTIFY announced above ours (RFC 1996 §3.7 hint): the next check skips the SOA query. */
  private hint: number | null = null;
  /** performance.now() of the NOTIFY that asked for the next check. */
  private notifiedAt: number | null = null;
  /** Background disk writes, in order (serveBeforePersist). */
  private disk: Promise<void> = Promise.resolve();
  /** The newest transferred data whose write is queued and not started. */
  private unsaved: { data: ZoneData; serial: number } | null = null;
  /** Serial of the zone copy on disk (loaded or last written), for the state file. */
  private written: number | null = null;

  constructor(opts: SecondaryZoneOptions) {
    super();
    if (opts.primaries.length === 0) throw new RangeError("a secondary zone needs at least one primary");
    this.opts = opts;
    this.origin = Buffer.from(opts.origin);
    this.zone = nameToText(opts.origin);
    this.clamps = resolveClamps(opts.clamps);
    this.store = new ZoneStore(opts.stateDir, opts.origin);
    this.metrics = opts.registry ? SecondaryMetrics.for(opts.registry) : null;
    this.log = opts.log?.child({ zone: this.zone });
    this.allowed = new Set((opts.allowNotify ?? []).map(normalizeAddress));
  }

  /** Load the persisted copy (emitting 'update' when it is still valid), then check the primaries now. */
  async start(): Promise<void> {
    if (this.started) throw new Error(`secondary zone ${this.zone} already started`);
    this.started = true;
    this.untrack = this.metrics?.track(this.zone, () => this.expiresAt()) ?? null;
    try {
      const stored = await this.store.load();
      if (stored) this.written = stored.serial;
      if (stored && !this.stopped) this.adoptStored(stored.serial, stored.records, stored.lastSuccess);
    } catch (e) {
      this.log?.warn({ err: (e as Error).message }, "persisted copy unusable; waiting for a transfer");
    }
    if (!this.stopped) this.kick();
  }

  /** Stop timers; resolves when a check in flight has ended (its result is dropped) and queued writes are done. */
  stop(): Promise<void> {
    this.stopped = true;
    this.clearRefreshTimer();
    if (this.expireTimer) clearTimeout(this.expireTimer);
    this.expireTimer = null;
    this.untrack?.();
    this.untrack = null;
    // The check in flight ends first (it may queue writes), then the queued writes (a restart then serves the
    // newest data we had).
    return (this.running ?? Promise.resolve()).then(() => this.disk);
  }

  /** A NOTIFY arrived: check the SOA now (coalesced with a check in flight). */
  notify(serialHint?: number): void {
    if (!this.started || this.stopped) return;
    // RFC 1996 §3.11: the serial is a hint. One equal to ours while all is well needs no check (Knot does the
    // same), even while a check runs: the primary reached that serial before we held it, so the running check
    // already answers whether it moved on. Anything else, or no hint, is checked against the primaries.
    if (serialHint !== undefined && this.held?.serial === serialHint && this.state === "ok") {
      this.log?.debug({ serial: serialHint }, "NOTIFY for the serial we hold: no check");
      return;
    }
    // A newer serial than ours: go straight to IXFR, whose first SOA is the primary's truth (an equal one
    // there means up to date, an older one is refused as a serial going backwards, as after a SOA query).
    const held = this.held?.serial;
    if (serialHint !== undefined && held !== undefined && compareSerial(serialHint, held) === "gt") {
      if (this.hint === null || compareSerial(serialHint, this.hint) === "gt") this.hint = serialHint;
    }
    this.notifiedAt ??= performance.now();
    this.log?.debug({ serial: serialHint, ixfrAtOnce: this.hint !== null }, "NOTIFY: checking now");
    this.clearRefreshTimer();
    this.kick();
  }

  /** The keys a signed NOTIFY for this zone may use: those of the primaries. */
  get notifyKeys(): TsigKey[] {
    return this.opts.primaries.flatMap((p) => (p.tsig ? [p.tsig] : []));
  }

  /** NOTIFY ACL: a primary's address (with its key when it has one) or an `allowNotify` address. */
  notifyAllowed(address: string, key: TsigKey | null): boolean {
    const a = normalizeAddress(address);
    for (const p of this.opts.primaries) {
      if (normalizeAddress(p.address) !== a) continue;
      if (!p.tsig || (key && nameKey(key.name) === nameKey(p.tsig.name))) return true;
    }
    return this.allowed.has(a);
  }

  status(): SecondaryStatus {
    return {
      zone: this.zone,
      state: this.state,
      serial: this.held?.serial ?? null,
      lastRefresh: this.lastRefresh,
      lastSuccess: this.lastSuccess,
      expiresAt: this.expiresAt(),
      nextRefreshAt: this.nextRefreshAt,
      lastError: this.lastError,
      timers: this.timers(),
    };
  }

  private hold(serial: number, data: ZoneData): void {
    this.held = { serial, data };
    const soa = data.apex.rrsets.get(RRType.SOA)!;
    this.heldTimers = clampTimers(soaTimers(soa.rdatas[0]!), this.clamps);
  }

  /** The clamped timers of the SOA we hold. */
  private timers(): SoaTimers | null {
    return this.heldTimers;
  }

  private expiresAt(): number | null {
    const t = this.timers();
    return t && this.lastSuccess !== null ? this.lastSuccess + t.expire * 1000 : null;
  }

  private adoptStored(serial: number, records: ResourceRecord[], lastSuccess: number): void {
    let update: ZoneUpdate;
    try {
      update = this.prepare(records, serial, "disk", this.store.zonePath);
    } catch (e) {
      this.log?.warn(
        { err: (e as Error).message },
        "persisted copy fails the checks; waiting for a transfer",
      );
      return;
    }
    this.hold(serial, update.data);
    this.current = update;
    this.lastSuccess = lastSuccess;
    this.metrics?.lastRefresh.labels(this.zone).set(lastSuccess / 1000);
    const expiresAt = this.expiresAt()!;
    if (Date.now() >= expiresAt) {
      // Past expire: not served, but still the base for an IXFR.
      this.log?.warn({ serial, expiredAt: new Date(expiresAt).toISOString() }, "persisted copy has expired");
      this.setExpired();
      return;
    }
    this.state = "ok";
    this.log?.info({ serial, records: update.recordCount }, "serving the persisted copy");
    this.armExpire();
    this.emitSafe("update", update);
  }

  /** Check, normalize and build; throws EDGENS_ERR_SECONDARY_INVALID_ZONE with the first errors. */
  private prepare(
    records: readonly ResourceRecord[],
    serial: number,
    source: ZoneUpdate["source"],
    where: string,
  ): ZoneUpdate {
    // One pass for a clean zone (the common case); checkZone's diagnostics otherwise.
    let checked: CheckedZone;
    try {
      checked = checkAndBuildZone(this.origin, records, where);
    } catch (e) {
      throw new SecondaryError(
        "EDGENS_ERR_SECONDARY_INVALID_ZONE",
        `serial ${serial}: ${(e as Error).message}`,
      );
    }
    if (hasErrors(checked.diagnostics) || !checked.data) {
      const errors = checked.diagnostics.filter((d) => d.severity === "error");
      const shown = errors.slice(0, 3).map(formatDiagnostic).join("; ");
      throw new SecondaryError(
        "EDGENS_ERR_SECONDARY_INVALID_ZONE",
        `serial ${serial} fails the zone checks (${errors.length} error(s)): ${shown}`,
      );
    }
    const { data } = checked;
    const recordCount = checked.records.length;
    return { origin: this.origin, zone: this.zone, serial, data, recordCount, source };
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.pending = true;
      return;
    }
    this.running = this.refresh()
      .catch((e) => this.log?.error({ err: (e as Error).message }, "refresh crashed"))
      .finally(() => {
        this.running = null;
        if (this.pending && !this.stopped) {
          this.pending = false;
          this.clearRefreshTimer();
          this.kick();
        }
      });
  }

  /** One check: the primaries in order until one gives current or newer valid data. */
  private async refresh(): Promise<void> {
    const started = performance.now();
    const notifyWaitMs = this.notifiedAt === null ? null : started - this.notifiedAt;
    this.notifiedAt = null;
    let hint = this.hint;
    this.hint = null;
    for (const p of this.opts.primaries) {
      const name = `${p.address}#${p.port}`;
      try {
        // The hint is used with the first primary only; the next ones get a SOA query as usual.
        const updated = await this.refreshFrom(p, hint, notifyWaitMs);
        hint = null;
        if (this.stopped) return;
        await this.succeeded(name, updated);
        return;
      } catch (e) {
        hint = null;
        if (this.stopped) return;
        const reason = failureReason(e);
        this.metrics?.failed(this.zone, reason);
        this.lastError = { reason, message: (e as Error).message, primary: name };
        this.log?.warn({ primary: name, reason, err: (e as Error).message }, "refresh from primary failed");
      }
    }
    this.failed();
  }

  /** True when new data was emitted. */
  private async refreshFrom(
    p: SecondaryPrimary,
    hint: number | null,
    notifyWaitMs: number | null,
  ): Promise<boolean> {
    const primary: Primary = { host: p.address, port: p.port };
    const base: XfrOptions = { ...this.opts.transfer, ...(p.tsig ? { tsig: p.tsig } : {}) };
    const held = this.held;
    let soaMs: number | null = null;
    // A NOTIFY announced a newer serial than the one we hold (and still hold: no transfer since).
    const skipSoa = hint !== null && held !== null && compareSerial(hint, held.serial) === "gt";
    if (skipSoa)
      this.log?.debug({ hint, held: held.serial }, "NOTIFY announced a newer serial: IXFR at once");
    else {
      const ts = performance.now();
      const soa = await fetchSoa(primary, this.origin, {
        ...base,
        messageTimeoutMs: this.opts.soaTimeoutMs ?? 2000,
      });
      soaMs = performance.now() - ts;
      if (this.stopped) return false;
      if (held) {
        const order = compareSerial(soa.serial, held.serial);
        if (order === "eq") return false;
        if (order !== "gt") throw this.backwards(soa.serial, held.serial, p);
      }
    }
    let seen = 0;
    const t0 = performance.now();
    let r: SyncResult | null = await syncZone(primary, this.origin, held ?? undefined, {
      ...base,
      onProgress: (_records, bytes) => {
        // syncZone may run IXFR then AXFR: a smaller count starts a new transfer.
        this.metrics?.bytes.labels(this.zone).inc(bytes >= seen ? bytes - seen : bytes);
        seen = bytes;
      },
    });
    if (this.stopped) return false;
    if (r.kind === "up-to-date") {
      if (held && compareSerial(r.serial, held.serial) === "lt")
        throw this.backwards(r.serial, held.serial, p);
      return false;
    }
    const t1 = performance.now();
    const seconds = (t1 - t0) / 1000;
    this.metrics?.transferSeconds.labels(this.zone, r.kind).observe(seconds);
    if (r.ixfrError) this.log?.info({ err: r.ixfrError.message }, "IXFR unusable, fell back to AXFR");
    if (held && compareSerial(r.serial, held.serial) !== "gt") throw this.backwards(r.serial, held.serial, p);
    const { serial, kind } = r;
    const update = this.build(r, held, `${this.zone} from ${p.address}#${p.port}`);
    // The transferred records are not kept: the tree is the only copy from here on (let GC take them).
    r = null;
    const round = (x: number) => Math.round(x * 10) / 10;
    update.trace = {
      notifyWaitMs: notifyWaitMs === null ? null : round(notifyWaitMs),
      soaMs: soaMs === null ? null : round(soaMs),
      transferMs: round(t1 - t0),
      buildMs: round(performance.now() - t1),
    };
    this.hold(serial, update.data);
    this.current = update;
    this.log?.info(
      {
        serial,
        kind,
        records: update.recordCount,
        ms: Math.round(seconds * 1000),
        local: update.delta !== undefined,
        ...update.trace,
      },
      "zone transferred",
    );
    if (this.opts.serveBeforePersist) {
      this.emitSafe("update", update);
      this.queueZoneWrite(update.data, serial);
      return true;
    }
    let persisted = true;
    try {
      await this.store.saveZone(recordsOfZone(update.data), serial);
    } catch (e) {
      // Valid data is served even when the disk copy cannot be written; a restart then serves older data.
      persisted = false;
      this.persistFailed(e as Error);
    }
    this.emitSafe("persisted", { serial, ok: persisted });
    if (this.stopped) return false;
    this.emitSafe("update", update);
    return true;
  }

  /**
   * The checked tree of a transfer's result. An IXFR onto the tree we hold rebuilds only the names it touched
   * when that is enough (applyDeltaToZone); otherwise the whole new zone is checked and built: for an IXFR, our
   * tree's records at the untouched names plus the new ones at the touched names, made for this build only.
   */
  private build(
    r: Exclude<SyncResult, { kind: "up-to-date" }>,
    held: { serial: number; data: ZoneData } | null,
    where: string,
  ): ZoneUpdate {
    if (!r.partial) return this.prepare(r.records, r.serial, r.kind, where);
    const touched = r.touched!;
    const base = held!;
    const data = applyDeltaToZone(base.data, r.records, touched);
    if (!data) {
      const records = [...recordsOfZone(base.data, touched), ...r.records];
      return this.prepare(records, r.serial, "ixfr", where);
    }
    const records = recordsAtNames(data, touched);
    const before = recordsAtNames(base.data, touched).length;
    const recordCount = (this.current?.recordCount ?? 0) - before + records.length;
    return {
      origin: this.origin,
      zone: this.zone,
      serial: r.serial,
      data,
      recordCount,
      source: "ixfr",
      delta: { fromSerial: base.serial, records },
    };
  }

  private backwards(got: number, ours: number, p: SecondaryPrimary): SecondaryError {
    return new SecondaryError(
      "EDGENS_ERR_SECONDARY_SERIAL_BACKWARDS",
      `primary ${p.address}#${p.port} serves serial ${got}, not newer than ours (${ours}); keeping ours`,
    );
  }

  private persistFailed(e: Error): void {
    this.metrics?.failed(this.zone, "persist");
    this.log?.error({ err: e.message }, "cannot persist the zone");
    if (this.listenerCount("error") > 0) this.emit("error", e);
  }

  private async succeeded(primary: string, updated: boolean): Promise<void> {
    const now = Date.now();
    const wasExpired = this.state === "expired";
    this.lastRefresh = now;
    this.lastSuccess = now;
    this.lastError = null;
    this.state = "ok";
    this.metrics?.lastRefresh.labels(this.zone).set(now / 1000);
    this.armExpire();
    this.schedule(this.timers()!.refresh);
    if (wasExpired && !updated && this.current) {
      // Recovered with the data we already held (serial unchanged): serve it again.
      this.log?.info({ primary, serial: this.current.serial }, "zone refreshed after expiry; serving again");
      this.emitSafe("update", { ...this.current, source: "refresh" });
    }
    const serial = this.held!.serial;
    if (this.opts.serveBeforePersist) {
      // The serial of the copy on disk: a queued write may have taken newer data than this check's.
      this.queueDisk(() => this.store.saveState(this.written ?? serial, now));
      return;
    }
    try {
      await this.store.saveState(serial, now);
    } catch (e) {
      this.persistFailed(e as Error);
    }
  }

  /** Write the zone copy after the writes queued before (the newest data when several are queued). */
  private queueZoneWrite(data: ZoneData, serial: number): void {
    this.unsaved = { data, serial };
    this.queueDisk(async () => {
      const z = this.unsaved;
      if (!z) return; // a write queued earlier took this data (it was the newest then)
      this.unsaved = null;
      let ok = true;
      try {
        await this.store.saveZone(recordsOfZone(z.data), z.serial);
        this.written = z.serial;
      } catch (e) {
        // Valid data is served even when the disk copy cannot be written; a restart then serves older data.
        ok = false;
        throw e;
      } finally {
        this.emitSafe("persisted", { serial: z.serial, ok });
      }
    });
  }

  private queueDisk(write: () => Promise<void>): void {
    this.disk = this.disk.then(write).catch((e) => this.persistFailed(e as Error));
  }

  private failed(): void {
    this.lastRefresh = Date.now();
    if (this.state === "ok") this.state = "retrying";
    const t = this.timers();
    this.schedule(t ? t.retry : (this.opts.bootstrapRetrySeconds ?? 10));
  }

  private schedule(seconds: number): void {
    this.clearRefreshTimer();
    if (this.stopped) return;
    const jitter = this.opts.jitter ?? 0.1;
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, seconds * 1000 * (1 - jitter * Math.random())));
    this.nextRefreshAt = Date.now() + ms;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.nextRefreshAt = null;
      this.kick();
    }, ms);
    this.refreshTimer.unref();
  }

  private clearRefreshTimer(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    this.nextRefreshAt = null;
  }

  /** (Re)arm the expire timer from the last success; long delays are re-armed in steps. */
  private armExpire(): void {
    if (this.expireTimer) clearTimeout(this.expireTimer);
    this.expireTimer = null;
    const at = this.expiresAt();
    if (at === null || this.stopped) return;
    const ms = at - Date.now();
    if (ms <= 0) {
      this.setExpired();
      return;
    }
    this.expireTimer = setTimeout(() => this.armExpire(), Math.min(ms, MAX_TIMER_MS));
    this.expireTimer.unref();
  }

  /** A throwing listener (the server's swap) must not count as a failed refresh or kill a timer callback. */
  private emitSafe<K extends "update" | "expired" | "persisted">(
    event: K,
    ...args: SecondaryZoneEvents[K]
  ): void {
    try {
      (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
    } catch (e) {
      this.log?.error({ err: (e as Error).message, event }, "zone event listener threw");
    }
  }

  private setExpired(): void {
    if (this.state === "expired") return;
    this.state = "expired";
    this.log?.error(
      { serial: this.held?.serial, lastSuccess: this.lastSuccess },
      "zone expired: no successful refresh within the SOA expire time; no longer served",
    );
    this.emitSafe("expired", { zone: this.zone, serial: this.held?.serial ?? null });
  }
}
