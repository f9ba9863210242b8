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
import { setTimeout as delay } from "node:timers/promises";
import type { Registry } from "prom-client";
import type { Logger } from "../log.js";
import { compareSerial } from "../transfer/serial.js";
import type { TsigKey } from "../transfer/tsig.js";
import { fetchSoa, type Primary, type XfrOptions } from "../transfer/xfr-client.js";
import { type StreamedSync, type SyncResult, syncZoneTo } from "../transfer/zone-sync.js";
import { nameKey, nameToText } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import { formatDiagnostic, hasErrors } from "../zone/diagnostic.js";
import type { ResourceRecord } from "../zone/record.js";
import type { ZoneData } from "../zone/zone.js";
import {
  type BuiltZone,
  type CheckedZone,
  CheckingZoneBuilder,
  checkAndBuildZone,
} from "../zone/zone-check.js";
import { applyDeltaToZone } from "../zone/zone-delta.js";
import { countRecords, recordsAtNames, recordsOfZone } from "../zone/zone-records.js";
import { type FailureReason, failureReason, SecondaryError } from "./errors.js";
import { SecondaryMetrics } from "./metrics.js";
import { type NotifyTarget, normalizeAddress } from "./notify-handler.js";
import { clampTimers, resolveClamps, type SoaTimers, soaTimers, type TimerClamps } from "./soa-timers.js";
import { JOURNAL_HEADER, type JournalEntry } from "./zone-journal.js";
import { type StoredState, ZoneStore } from "./zone-store.js";

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
  /**
   * Directory of the persisted copy: `<zone>.wire` + `<zone>.journal` (the restart source, written after
   * every change), `<zone>.zone` (the text copy, see textCopyDelayMs) and `<zone>.state.json`.
   */
  stateDir: string;
  /**
   * The text copy `<zone>.zone` (for operators, and the fallback when the wire copy is damaged) is written this
   * long after the first change it lacks, with the newest data then (so at most once per this interval), and
   * on stop() when behind. 0 (default): after every change, as the restart copy.
   */
  textCopyDelayMs?: number;
  /** How long stop() waits for a text copy that is behind (default 1000 ms; see stop()). */
  textCopyStopBudgetMs?: number;
  /** Overrides of JOURNAL_LIMITS (when the journal is folded into a new wire copy). */
  journalLimits?: Partial<typeof JOURNAL_LIMITS>;
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
   * next transfer at once. Writes stay in order (restart copy, then state file, so the state never names
   * data the files lack); a queued wire copy takes the newest data, so superseded versions are never written
   * (journal entries are each written: each is the base of the next). 'persisted' follows each write of the
   * restart copy. Default (false): the write comes first and the check waits for it.
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
  /**
   * IXFR/AXFR on the wire, IXFR deltas applied to the records at the names they touch included; a whole zone
   * (AXFR) is built into its tree while it streams in, so that build is counted here too.
   */
  transferMs: number;
  /** Checks and the zone tree (local for an IXFR when possible); after an AXFR, the checks of the built tree. */
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
  /** Serial the restart copy on disk (wire copy + journal) reaches, null when there is none. */
  persistedSerial: number | null;
  /** Serial of the text copy `<zone>.zone` on disk, null when there is none (or it is unknown). */
  textCopySerial: number | null;
}

export interface SecondaryZoneEvents {
  update: [ZoneUpdate];
  expired: [{ zone: string; serial: number | null }];
  /** Only emitted when someone listens (an unhandled 'error' would throw): persistence failures. */
  error: [Error];
  /**
   * The restart copy of transferred data was written (ok) or could not be (logged, 'error'): `copy` "wire" (a
   * whole wire copy, the journal emptied) or "journal" (the IXFR appended to the journal).
   */
  persisted: [{ serial: number; ok: boolean; copy: "wire" | "journal" }];
  /** The text copy `<zone>.zone` was written (ok) or could not be. */
  "text-written": [{ serial: number; ok: boolean }];
}

const MAX_TIMER_MS = 0x7fffffff;
/**
 * How long stop() waits for a check in flight: a SOA query to a dead primary waits for its timeout, a big AXFR
 * for seconds, and either result is dropped once stopped (the restart copy on disk is complete without it).
 */
const STOP_CHECK_GRACE_MS = 250;

/**
 * When the journal is folded into a new wire copy (docs/TRANSFER.md "Persistence"): after this many entries,
 * or once it outgrows this share of the wire copy (and this many bytes: small zones are not rewritten for a
 * few KiB). Replaying an entry costs about as much as applying the IXFR did; a wire copy of 1 M records ~1 s.
 */
export const JOURNAL_LIMITS = { entries: 64, share: 0.25, minBytes: 64 * 1024 };

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
  /** Background writes of the restart copy and the state file, in order. */
  private disk: Promise<void> = Promise.resolve();
  /**
   * The newest transferred data whose restart copy is queued and not started, with the IXFRs that lead to it
   * from the copy on disk (null: a whole wire copy is needed).
   */
  private unsaved: { data: ZoneData; serial: number; deltas: JournalEntry[] | null } | null = null;
  /** Serial the restart copy on disk reaches (wire copy + journal), for the state file. */
  private written: number | null = null;
  /** The wire copy on disk: its serial (null: none usable, the next write is a wire copy) and size. */
  private wireSerial: number | null = null;
  private wireBytes = 0;
  /** Where the journal's next entry goes, and how many entries it holds. */
  private journalEnd = JOURNAL_HEADER;
  private journalEntries = 0;
  /** Serial of the text copy on disk; its writes (slow: seconds at 1 M records) run apart from the rest. */
  private textSerial: number | null = null;
  private textTimer: NodeJS.Timeout | null = null;
  private text: Promise<void> = Promise.resolve();
  private textQueued = false;
  /** Stops the text write in progress, and any queued after it (stop() past its budget). */
  private textAbort: AbortController | null = null;
  private textGiveUp = false;
  /** State file writes, one at a time (the restart copy and the text copy both update it). */
  private stateWrites: Promise<void> = Promise.resolve();

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
      await this.loadPersisted();
    } catch (e) {
      this.log?.warn({ err: (e as Error).message }, "persisted copy unusable; waiting for a transfer");
    }
    if (!this.stopped) this.kick();
  }

  /**
   * The restart copy: the wire copy with its journal replayed, else the text copy (with the journal from its
   * serial on, when it covers it). A state file of an older version (1) means its text copy first: the wire
   * copy was then only a hand-off to cluster workers and may be behind it. Whatever loads is served; a text
   * copy loaded is written again as a wire copy in the background, so the next IXFR can go to the journal.
   */
  private async loadPersisted(): Promise<void> {
    const removed = await this.store.removeStaleTemps();
    if (removed > 0) this.log?.info({ files: removed }, "removed temp files of an interrupted write");
    const state = await this.store.loadState();
    this.textSerial = state?.version === 2 ? (state.textSerial ?? null) : null;
    const order = state?.version === 1 ? (["text", "wire"] as const) : (["wire", "text"] as const);
    for (const from of order) {
      const got = from === "wire" ? await this.loadWireCopy(state) : await this.loadTextCopy();
      if (!got || this.stopped) continue;
      this.adoptStored(got.update, got.lastSuccess);
      if (this.wireSerial === null) this.compact();
      if (this.textSerial !== got.update.serial) this.scheduleText();
      return;
    }
    if (!this.stopped) this.log?.info({ dir: this.store.dir }, "no persisted copy; waiting for a transfer");
  }

  private async loadWireCopy(
    state: StoredState | null,
  ): Promise<{ update: ZoneUpdate; lastSuccess: number } | null> {
    let w: Awaited<ReturnType<ZoneStore["loadWire"]>>;
    try {
      w = await this.store.loadWire();
    } catch (e) {
      this.log?.warn(
        { file: this.store.wirePath, err: (e as Error).message },
        "wire copy unusable; trying the text copy",
      );
      return null;
    }
    if (!w) return null;
    if (w.journalProblem) {
      this.log?.warn(
        {
          file: this.store.journalPath,
          wireSerial: w.wireSerial,
          serial: w.serial,
          entries: w.journalEntries,
          stateSerial: state?.serial ?? null,
          problem: w.journalProblem,
        },
        "journal replay stopped at the last good entry; the next refresh fetches the rest",
      );
    }
    this.wireSerial = w.wireSerial;
    this.wireBytes = w.wireBytes;
    this.journalEnd = w.journalEnd;
    this.journalEntries = w.journalEntries;
    this.written = w.serial;
    const recordCount = w.journalEntries > 0 ? countRecords(w.data) : w.records;
    const update: ZoneUpdate = { ...this.base(w.serial, w.data, recordCount), source: "disk" };
    // The state file is written after the copy: when it names another serial, the process stopped in between
    // and the files' time (written at that success) is the better one.
    const lastSuccess = state?.serial === w.serial ? state.lastSuccess : w.mtime;
    return { update, lastSuccess };
  }

  private async loadTextCopy(): Promise<{ update: ZoneUpdate; lastSuccess: number } | null> {
    let stored: Awaited<ReturnType<ZoneStore["load"]>>;
    try {
      stored = await this.store.load();
    } catch (e) {
      this.log?.warn({ err: (e as Error).message }, "text copy unusable");
      return null;
    }
    if (!stored) return null;
    let update: ZoneUpdate;
    try {
      update = this.prepare(stored.records, stored.serial, "disk", this.store.zonePath);
    } catch (e) {
      this.log?.warn({ err: (e as Error).message }, "text copy fails the checks");
      return null;
    }
    this.textSerial = stored.serial;
    const r = await this.store.replayOnto(update.data, stored.serial);
    if (r.applied > 0) {
      this.log?.info(
        { from: stored.serial, serial: r.serial, entries: r.applied, problem: r.problem },
        "journal replayed onto the text copy",
      );
      update = { ...this.base(r.serial, r.data, countRecords(r.data)), source: "disk" };
    }
    return { update, lastSuccess: stored.lastSuccess };
  }

  private base(serial: number, data: ZoneData, recordCount: number) {
    return { origin: this.origin, zone: this.zone, serial, data, recordCount };
  }

  /**
   * Stop timers; resolves when a check in flight has ended (its result is dropped) and queued writes are done,
   * the text copy included when it is behind (`writeText` false: not, for a zone whose files go away) — for
   * at most `textCopyStopBudgetMs`, then abandoned: a big zone's text copy takes seconds, and the process exits
   * 5 s after SIGTERM (src/server/server-handle.ts); the restart copy is complete by then either way.
   */
  stop(writeText = true): Promise<void> {
    this.stopped = true;
    this.clearRefreshTimer();
    if (this.expireTimer) clearTimeout(this.expireTimer);
    this.expireTimer = null;
    this.untrack?.();
    this.untrack = null;
    // The check in flight ends first when it is about to (it may queue writes), then the queued writes (a restart
    // then serves the newest data we had), then the text copy when it is behind.
    if (this.textTimer) clearTimeout(this.textTimer);
    this.textTimer = null;
    const check = this.running
      ? Promise.race([this.running, delay(STOP_CHECK_GRACE_MS, undefined, { ref: false })])
      : Promise.resolve();
    return check.then(() => this.disk).then(() => this.flushText(writeText));
  }

  private async flushText(write: boolean): Promise<void> {
    const behind = write && this.held !== null && this.held.serial !== this.textSerial;
    const text = behind ? this.queueText() : this.text;
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<"late">((r) => {
      timer = setTimeout(() => r("late"), this.opts.textCopyStopBudgetMs ?? 1000);
    });
    const late = (await Promise.race([text, budget])) === "late";
    clearTimeout(timer);
    if (late) {
      this.log?.warn(
        { serial: this.held?.serial, textSerial: this.textSerial },
        "text copy not finished at stop; abandoned (the restart copy, wire + journal, is complete)",
      );
      this.textGiveUp = true;
      this.textAbort?.abort();
      await text;
      return;
    }
    await this.stateWrites;
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
      persistedSerial: this.written,
      textCopySerial: this.textSerial,
    };
  }

  private hold(serial: number, data: ZoneData): void {
    this.held = { serial, data };
    const soa = data.apex.rrsets.get(RRType.SOA)!;
    this.heldTimers = clampTimers(soaTimers(soa.rdataAt(0)), this.clamps);
  }

  /** The clamped timers of the SOA we hold. */
  private timers(): SoaTimers | null {
    return this.heldTimers;
  }

  private expiresAt(): number | null {
    const t = this.timers();
    return t && this.lastSuccess !== null ? this.lastSuccess + t.expire * 1000 : null;
  }

  private adoptStored(update: ZoneUpdate, lastSuccess: number): void {
    const serial = update.serial;
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
    this.log?.info(
      { serial, records: update.recordCount, wire: this.wireSerial !== null, journal: this.journalEntries },
      "serving the persisted copy",
    );
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
    return this.checked(
      { diagnostics: checked.diagnostics, data: checked.data, recordCount: checked.records.length },
      serial,
      source,
    );
  }

  /** `prepare` for a transfer built while it streamed in: the builder's tree, checked now. */
  private prepareBuilt(
    builder: CheckingZoneBuilder,
    serial: number,
    source: ZoneUpdate["source"],
  ): ZoneUpdate {
    let built: BuiltZone;
    try {
      built = builder.finish();
    } catch (e) {
      throw new SecondaryError(
        "EDGENS_ERR_SECONDARY_INVALID_ZONE",
        `serial ${serial}: ${(e as Error).message}`,
      );
    }
    return this.checked(built, serial, source);
  }

  /** The update for a checked zone; throws EDGENS_ERR_SECONDARY_INVALID_ZONE with the first errors. */
  private checked(built: BuiltZone, serial: number, source: ZoneUpdate["source"]): ZoneUpdate {
    const { data, recordCount } = built;
    if (hasErrors(built.diagnostics) || !data) {
      const errors = built.diagnostics.filter((d) => d.severity === "error");
      const shown = errors.slice(0, 3).map(formatDiagnostic).join("; ");
      throw new SecondaryError(
        "EDGENS_ERR_SECONDARY_INVALID_ZONE",
        `serial ${serial} fails the zone checks (${errors.length} error(s)): ${shown}`,
      );
    }
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
    const where = `${this.zone} from ${p.address}#${p.port}`;
    // A whole zone is built while it streams in (one builder per attempt; a failed one is dropped).
    let r: SyncResult | StreamedSync<CheckingZoneBuilder> | null = await syncZoneTo(
      primary,
      this.origin,
      held ?? undefined,
      {
        ...base,
        onProgress: (_records, bytes) => {
          // syncZone may run IXFR then AXFR: a smaller count starts a new transfer.
          this.metrics?.bytes.labels(this.zone).inc(bytes >= seen ? bytes - seen : bytes);
          seen = bytes;
        },
      },
      () => new CheckingZoneBuilder(this.origin, where),
    );
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
    const update = this.build(r, held, where);
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
      this.queueZoneWrite(update);
      return true;
    }
    // The restart copy first (and the text copy when it follows every change); valid data is served even
    // when they cannot be written (a restart then serves older data).
    this.queueZoneWrite(update);
    await this.disk;
    if ((this.opts.textCopyDelayMs ?? 0) <= 0) await this.text;
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
    r: Exclude<SyncResult | StreamedSync<CheckingZoneBuilder>, { kind: "up-to-date" }>,
    held: { serial: number; data: ZoneData } | null,
    where: string,
  ): ZoneUpdate {
    if ("sink" in r) return this.prepareBuilt(r.sink, r.serial, r.kind);
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
    if (this.opts.serveBeforePersist) {
      // After the queued writes: the state then names what they wrote.
      this.queueDisk(() => this.saveState());
      return;
    }
    try {
      await this.saveState();
    } catch (e) {
      this.persistFailed(e as Error);
    }
  }

  /** The state file as things are when it is written (one write at a time). */
  private saveState(): Promise<void> {
    const run = this.stateWrites.then(() => {
      const serial = this.written ?? this.textSerial ?? this.held?.serial;
      if (serial === undefined) return;
      return this.store.saveState(serial, this.lastSuccess ?? Date.now(), {
        wireSerial: this.wireSerial,
        journalEnd: this.journalEnd,
        journalEntries: this.journalEntries,
        textSerial: this.textSerial,
      });
    });
    this.stateWrites = run.catch(() => {});
    return run;
  }

  /**
   * Queue the restart copy of new data: the IXFR appended to the journal when it applies to what is on disk,
   * else a whole wire copy. A write queued and not started takes the newer data too.
   */
  private queueZoneWrite(update: ZoneUpdate): void {
    const entry: JournalEntry | null = update.delta
      ? { fromSerial: update.delta.fromSerial, toSerial: update.serial, records: update.delta.records }
      : null;
    const u = this.unsaved;
    if (u) {
      u.deltas = u.deltas && entry?.fromSerial === u.serial ? [...u.deltas, entry] : null;
      u.data = update.data;
      u.serial = update.serial;
      return;
    }
    this.unsaved = { data: update.data, serial: update.serial, deltas: entry ? [entry] : null };
    this.queueDisk(() => this.writeRestartCopy());
  }

  private async writeRestartCopy(): Promise<void> {
    const z = this.unsaved;
    if (!z) return;
    this.unsaved = null;
    const copy =
      z.deltas !== null && this.wireSerial !== null && z.deltas[0]!.fromSerial === this.written
        ? "journal"
        : "wire";
    const t0 = performance.now();
    try {
      if (copy === "journal") {
        for (const e of z.deltas!) {
          this.journalEnd = await this.store.appendJournal(this.journalEnd, e);
          this.journalEntries++;
          this.written = e.toSerial;
        }
      } else {
        // A failure half-way leaves the old wire copy, or the new one with a journal it ignores.
        this.wireSerial = null;
        this.wireBytes = await this.store.saveWire(z.data, z.serial);
        this.wireSerial = z.serial;
        this.written = z.serial;
        this.journalEnd = JOURNAL_HEADER;
        this.journalEntries = 0;
      }
    } catch (e) {
      this.emitSafe("persisted", { serial: z.serial, ok: false, copy });
      // The text copy is then the newest a restart (or a cluster worker) can read: written at once.
      void this.queueText();
      throw e;
    }
    this.emitSafe("persisted", { serial: z.serial, ok: true, copy });
    this.log?.debug(
      {
        serial: z.serial,
        copy,
        ms: Math.round((performance.now() - t0) * 10) / 10,
        journalEntries: this.journalEntries,
        journalBytes: this.journalEnd - JOURNAL_HEADER,
      },
      "restart copy written",
    );
    await this.saveState();
    this.scheduleText();
    if (copy === "journal" && this.journalFull()) this.compact();
  }

  private journalFull(): boolean {
    const limits = { ...JOURNAL_LIMITS, ...this.opts.journalLimits };
    const bytes = this.journalEnd - JOURNAL_HEADER;
    return (
      this.journalEntries >= limits.entries ||
      bytes > Math.max(limits.minBytes, limits.share * this.wireBytes)
    );
  }

  /** A new wire copy of the data held (the journal emptied), after the writes queued before. */
  private compact(): void {
    if (this.unsaved) {
      this.unsaved.deltas = null;
      return;
    }
    const h = this.held;
    if (!h) return;
    this.log?.debug(
      { serial: h.serial, journalEntries: this.journalEntries, wire: this.wireSerial },
      "writing a new wire copy",
    );
    this.unsaved = { data: h.data, serial: h.serial, deltas: null };
    this.queueDisk(() => this.writeRestartCopy());
  }

  /** The text copy lags the data held: write it after the delay (at once without one). */
  private scheduleText(): void {
    if (this.stopped || this.textTimer) return;
    const delay = this.opts.textCopyDelayMs ?? 0;
    if (delay <= 0) {
      void this.queueText();
      return;
    }
    this.textTimer = setTimeout(
      () => {
        this.textTimer = null;
        void this.queueText();
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    this.textTimer.unref();
  }

  /** Write the text copy of the newest data held, after a text write in progress (requests coalesce). */
  private queueText(): Promise<void> {
    if (this.textQueued) return this.text;
    this.textQueued = true;
    this.text = this.text.then(async () => {
      this.textQueued = false;
      const h = this.held;
      if (!h || h.serial === this.textSerial || this.textGiveUp) return;
      const t0 = performance.now();
      let ok = true;
      const abort = new AbortController();
      this.textAbort = abort;
      try {
        await this.store.saveZone(recordsOfZone(h.data), h.serial, abort.signal);
        this.textSerial = h.serial;
        this.log?.debug({ serial: h.serial, ms: Math.round(performance.now() - t0) }, "text copy written");
      } catch (e) {
        ok = false;
        if (abort.signal.aborted) this.log?.info({ serial: h.serial }, "text copy abandoned at stop");
        else this.persistFailed(e as Error);
      } finally {
        this.textAbort = null;
      }
      this.emitSafe("text-written", { serial: h.serial, ok });
      if (ok) await this.saveState().catch((e) => this.persistFailed(e as Error));
    });
    return this.text;
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
  private emitSafe<K extends "update" | "expired" | "persisted" | "text-written">(
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
