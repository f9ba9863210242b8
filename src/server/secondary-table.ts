// The secondary zones one serving process holds (a cluster worker, or the single process): their state as the
// SecondaryHost (src/server/secondary-host.ts) reports it, the zone data loaded from the persisted copy, and the
// NOTIFY targets the transports route opcode 4 to.
//
// State → what queries get:   ok → the data;   pending (no data yet) / expired → SERVFAIL;   removed → REFUSED.
// Data travels four ways. In-process, the host hands the built ZoneData over and nothing is re-read. Over IPC
// (cluster workers), an IXFR the host could apply locally comes as its delta (the records at the touched names,
// a few KiB), applied to the worker's own tree with the same `applyDeltaToZone`: served before the host has
// written anything to disk. A whole zone (an AXFR, or an IXFR answered with the whole zone) comes, once the
// host has checked, built and swapped it in, as its zone image (`candidate`: a file the host wrote,
// src/server/candidate-file.ts, src/zone/zone-image-file.ts, so it does not cross the primary), named at once
// by the host's verdict (a state naming that candidate): the worker reads it instead of building the zone
// again (one build per cluster) and serves it. Anything else (a worker that missed the image or started later,
// a zone with an NSEC3 chain, an IXFR that needed the full build, an image that could not be written, a worker
// that could not use a delta) reads the host's restart copy: the wire copy (`wire`: the checked records
// in RR wire form, src/secondary/zone-wire-file.ts), built here without re-running the checks, with its IXFR
// journal (`journal`, src/secondary/zone-journal.ts) replayed onto it. Both are checksummed and replaced
// atomically, so a read never takes a half-written file. When the restart copy could not be written, the
// path of the text copy (`file`, src/secondary/zone-store.ts) comes instead, loaded like a zone file.
import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { tsigKeyId } from "../config/provide-refs.js";
import type { EdgensConfig } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";
import { type NotifyLookup, type NotifyTarget, normalizeAddress } from "../secondary/notify-handler.js";
import { readJournalSync, replayJournal } from "../secondary/zone-journal.js";
import { loadZoneWire } from "../secondary/zone-wire-file.js";
import { compareSerial } from "../transfer/serial.js";
import { parseTsigKey, type TsigKey } from "../transfer/tsig.js";
import { nameKey, parseNameText } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import { loadZoneFile } from "../zone/load-zone-file.js";
import type { ResourceRecord } from "../zone/record.js";
import type { ZoneData } from "../zone/zone.js";
import { applyDeltaToZone } from "../zone/zone-delta.js";
import { buildZone } from "../zone/zone-image.js";
import { countImageRecords, decodeZoneImage } from "../zone/zone-image-file.js";
import { countRecords } from "../zone/zone-records.js";
import { soaSerial } from "./zone-set.js";

export interface SecondaryPrimaryRef {
  address: string;
  port: number;
  /** A `tsigKeys` name. */
  tsigKey?: string;
}

/** One secondary zone as the host reports it (plain data: it crosses the cluster channel). */
export interface SecondaryZoneState {
  /** Origin, presentation form. */
  zone: string;
  /** "catalog": a catalog zone, never served, only a NOTIFY target. */
  role: "zone" | "catalog";
  state: "pending" | "ok" | "expired";
  serial: number | null;
  /** The persisted copy holding `serial` (state ok). */
  file: string | null;
  /** Cluster: the host's wire copy, to read before `file` (null/absent: none). */
  wire?: string | null;
  /** Cluster: the journal of IXFRs after the wire copy, replayed onto it to reach `serial`. */
  journal?: string | null;
  primaries: SecondaryPrimaryRef[];
  allowNotify: string[];
  /** The catalog this zone is a member of, and its group property (informational). */
  catalog?: string;
  group?: string | null;
}

/** An IXFR as it crosses the cluster channel (JSON): the new records at the names it touched, base64. */
export interface WireDelta {
  fromSerial: number;
  /** [owner, type, class, ttl, rdata] with owner and rdata as base64 wire bytes. */
  records: [string, number, number, number, string][];
}

export function encodeDelta(fromSerial: number, records: readonly ResourceRecord[]): WireDelta {
  return {
    fromSerial,
    records: records.map((r) => [
      r.owner.toString("base64"),
      r.type,
      r.class,
      r.ttl,
      r.rdata.toString("base64"),
    ]),
  };
}

function decodeRecords(d: WireDelta): ResourceRecord[] {
  return d.records.map(([owner, type, cls, ttl, rdata]) => ({
    owner: Buffer.from(owner, "base64"),
    type,
    class: cls,
    ttl,
    rdata: Buffer.from(rdata, "base64"),
  }));
}

export type SecondaryChange =
  /**
   * `data`: only in-process (never serialised): the zone already built by the manager. `delta`: the IXFR
   * that built it from `delta.fromSerial` (for processes that hold that serial; `state.file` may still hold
   * the older copy until the host sends the state again without a delta).
   */
  | {
      op: "set";
      state: SecondaryZoneState;
      data?: ZoneData;
      delta?: WireDelta;
      /** The host accepted the zone whose image came as `candidate` `id`: serve it. */
      candidate?: number;
    }
  | { op: "remove"; zone: string }
  /**
   * A whole zone's image, in the file the host wrote it to (candidate-file.ts, zone-image-file.ts): read it
   * aside. The file may be gone by the time it is read (a newer one accepted meanwhile): nothing is held then.
   */
  | { op: "candidate"; zone: string; id: number; file: string };

/** Changes as they cross the cluster channel: the in-process tree (`data`) stays behind. */
export function forIpc(changes: readonly SecondaryChange[]): SecondaryChange[] {
  return changes.map((c) => {
    if (c.op !== "set" || !c.data) return c;
    const { data: _, ...rest } = c;
    return rest;
  });
}

/** Called with (zone, serial hint) when a NOTIFY for a zone is accepted. */
export type NotifyForward = (zone: string, serial: number | undefined) => void;

/** A `tsigKeys` entry as a TsigKey; throws when the name is unknown. */
export function resolveTsigKey(tsigKeys: EdgensConfig["tsigKeys"], name: string): TsigKey {
  const id = tsigKeyId(name);
  const found = Object.entries(tsigKeys).find(([n]) => tsigKeyId(n) === id);
  if (!found) throw new Error(`unknown TSIG key ${JSON.stringify(name)} (not in tsigKeys)`);
  return parseTsigKey(`${found[0]}:${found[1].algorithm}:${found[1].secret}`);
}

interface Entry {
  state: SecondaryZoneState;
  key: string;
  /** The last data loaded (kept while expired, so a recovery with the same serial needs no re-read). */
  data: ZoneData | null;
  serial: number | null;
  target: NotifyTarget;
  /** A whole zone built from transfer messages, not served until the host accepts it (by `id`). */
  candidate: { id: number; serial: number; data: ZoneData; records: number; ms: number } | null;
  /**
   * The candidate being built (in slices: the process keeps answering meanwhile). `acceptedSerial`: the
   * host's verdict named it, for that serial, before the build was done, so it is served as soon as it is;
   * `deltas`: IXFRs the host applied on top of it meanwhile (with the serial each brings), applied after it.
   */
  building: {
    id: number;
    cancelled: boolean;
    acceptedSerial: number | null;
    deltas: { delta: WireDelta; serial: number }[];
  } | null;
}

export class SecondaryTable {
  private readonly entries = new Map<string, Entry>();
  /** The same entries by origin key (`nameKey`), for NOTIFY. */
  private readonly byKey = new Map<string, Entry>();
  private tsigKeys: EdgensConfig["tsigKeys"];
  /** Set by whoever forwards accepted NOTIFYs to the host (IPC in a worker, a call in-process). */
  onNotify: NotifyForward = () => {};
  /** Called when served data changed outside `apply`: an accepted candidate whose build finished later. */
  onLateChange: () => void = () => {};
  /** Candidate builds under way (`settled` waits for them: tests). */
  private readonly builds = new Set<Promise<void>>();

  constructor(
    config: EdgensConfig,
    private readonly log: Logger,
    private readonly metrics: ServerMetrics | null,
  ) {
    this.tsigKeys = config.tsigKeys;
    // Until the host says more, configured zones are pending (SERVFAIL), not unknown (REFUSED).
    for (const z of config.zones) {
      if (!z.secondary || !z.origin) continue;
      this.apply([
        {
          op: "set",
          state: {
            zone: z.origin,
            role: "zone",
            state: "pending",
            serial: null,
            file: null,
            primaries: z.secondary.primaries,
            allowNotify: z.secondary.allowNotify,
          },
        },
      ]);
    }
  }

  /** Keys may change on reload; NOTIFY verification uses the new ones from then on. */
  setConfig(config: EdgensConfig): void {
    this.tsigKeys = config.tsigKeys;
    for (const e of this.entries.values()) e.target = this.target(e.state);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Apply changes; `full`: the list is the whole set (zones not in it are removed). True when served data changed. */
  apply(changes: SecondaryChange[], full = false): boolean {
    let changed = false;
    if (full) {
      const keep = new Set(changes.flatMap((c) => (c.op === "set" ? [c.state.zone.toLowerCase()] : [])));
      for (const [k, e] of this.entries) {
        if (!keep.has(k)) changed = this.remove(e.state.zone) || changed;
        else {
          // A whole set comes from a host that (re)started: builds announced before are not its to accept.
          // (At most one of the two is set: a new build clears the built candidate.)
          const id = e.building?.id ?? e.candidate?.id;
          if (id !== undefined) this.dropCandidate(e.state.zone, id, "the host restarted");
        }
      }
    }
    for (const c of changes) {
      if (c.op === "candidate") this.buildCandidate(c.zone, c.id, c.file);
      else if (c.op === "set") changed = this.set(c.state, c.data, c.delta, c.candidate) || changed;
      else changed = this.remove(c.zone) || changed;
    }
    return changed;
  }

  /** Zones with data to serve. */
  served(): ZoneData[] {
    const out: ZoneData[] = [];
    for (const e of this.entries.values()) {
      if (e.state.role === "zone" && e.state.state === "ok" && e.data) out.push(e.data);
    }
    return out;
  }

  /** Origin keys of configured zones with nothing to serve (SERVFAIL). */
  unavailable(): string[] {
    const out: string[] = [];
    for (const e of this.entries.values()) {
      if (e.state.role === "zone" && (e.state.state !== "ok" || !e.data)) out.push(e.key);
    }
    return out;
  }

  readonly notifyLookup: NotifyLookup = (zoneKey) => this.byKey.get(zoneKey)?.target;

  private set(
    state: SecondaryZoneState,
    data: ZoneData | undefined,
    delta?: WireDelta,
    candidate?: number,
  ): boolean {
    const id = state.zone.toLowerCase();
    const old = this.entries.get(id);
    const origin = parseNameText(state.zone, null);
    const entry: Entry = old ?? {
      state,
      key: nameKey(origin),
      data: null,
      serial: null,
      target: null!,
      candidate: null,
      building: null,
    };
    const before = { state: entry.state.state, data: entry.data };
    entry.state = state;
    entry.target = this.target(state);
    this.entries.set(id, entry);
    this.byKey.set(entry.key, entry);
    if (candidate !== undefined) {
      // The host's verdict: its restart copy is still being written, so nothing else here can be read yet.
      if (state.role !== "zone" || state.state !== "ok")
        this.dropCandidate(state.zone, candidate, "superseded");
      else if (entry.building?.id === candidate) entry.building.acceptedSerial = state.serial;
      else this.takeCandidate(entry, candidate);
    } else if (state.role === "zone" && state.state === "ok") {
      const building = entry.building?.acceptedSerial != null ? entry.building : null;
      if (data) this.adopt(entry, data, state.serial, 0);
      else if (delta && building && entry.serial !== delta.fromSerial)
        building.deltas.push({ delta, serial: state.serial! });
      else if (delta) this.applyDelta(entry, delta, state.serial!);
      else if (entry.data && entry.serial === state.serial) {
        // Already held (from the delta or the wire copy): the text copy's path needs no read.
      } else if (
        building &&
        (building.acceptedSerial === state.serial || building.deltas.some((d) => d.serial === state.serial))
      ) {
        // The accepted build (and the deltas after it) reach this serial; should they fail, the restart copy
        // is read then.
      } else this.loadCopy(entry, origin);
    }
    return before.state !== state.state || before.data !== entry.data || !old;
  }

  /** Read the host's restart copy (the wire copy, else the text copy) of the state's serial. */
  private loadCopy(entry: Entry, origin: Buffer): void {
    const { wire, journal } = entry.state;
    if (wire) {
      if (!this.loadWire(entry, wire, journal ?? null, origin) && !entry.data) this.load(entry, origin);
    } else this.load(entry, origin);
  }

  /** Resolves once every candidate build under way has ended (built, failed or cancelled). */
  async settled(): Promise<void> {
    while (this.builds.size > 0) await Promise.all([...this.builds]);
  }

  /**
   * Read the host's zone image in `file` (a whole zone it checked and built), aside, replacing any older
   * candidate of the zone: the verdict naming it follows at once, and serves it once read.
   */
  private buildCandidate(zone: string, id: number, file: string): void {
    const key = zone.toLowerCase();
    const entry = this.entries.get(key);
    if (!entry) return;
    if (entry.building) entry.building.cancelled = true;
    entry.candidate = null;
    const job: NonNullable<Entry["building"]> = { id, cancelled: false, acceptedSerial: null, deltas: [] };
    entry.building = job;
    let bytes = 0;
    const t0 = performance.now();
    const current = () => !job.cancelled && this.entries.get(key) === entry;
    const origin = parseNameText(entry.state.zone, null);
    const build = readFile(file)
      .then((buf) => {
        bytes = buf.length;
        if (!current()) return null;
        const { serial, data } = decodeZoneImage(buf, origin);
        return { serial, data, records: countImageRecords(data) };
      })
      .then(
        (r) => {
          if (entry.building === job) entry.building = null;
          if (r === null || !current()) return;
          const ms = performance.now() - t0;
          entry.candidate = { id, serial: r.serial, data: r.data, records: r.records, ms };
          const { serial, records } = r;
          const zone = entry.state.zone;
          const fields = { zone, candidate: id, serial, records, bytes, ms: Math.round(ms) };
          this.log.info(fields, "transfer candidate built");
          if (job.acceptedSerial !== null) {
            const before = entry.data;
            this.takeCandidate(entry, id, job.acceptedSerial);
            for (const d of job.deltas) this.applyDelta(entry, d.delta, d.serial);
            this.catchUp(entry);
            if (entry.data !== before) this.onLateChange();
          }
        },
        (e: unknown) => {
          if (entry.building === job) entry.building = null;
          if (!current()) return;
          this.log.warn(
            { zone: entry.state.zone, candidate: id, err: (e as Error).message },
            "cannot read the zone image; the host's restart copy will be read",
          );
          if (job.acceptedSerial !== null) {
            const before = entry.data;
            this.catchUp(entry);
            if (entry.data !== before) this.onLateChange();
          }
        },
      )
      .finally(() => this.builds.delete(build));
    this.builds.add(build);
  }

  /**
   * After an accepted build ended: when the state has moved past what we serve (the build failed, or a newer
   * change came while it ran), read the restart copy the state names, if any yet (else its state brings it).
   */
  private catchUp(entry: Entry): void {
    if (entry.state.state === "ok" && entry.serial !== entry.state.serial)
      this.loadCopy(entry, parseNameText(entry.state.zone, null));
  }

  private dropCandidate(zone: string, id: number, why: string): void {
    const entry = this.entries.get(zone.toLowerCase());
    if (!entry) return;
    if (entry.building?.id === id) {
      entry.building.cancelled = true;
      entry.building = null;
      this.log.info({ zone: entry.state.zone, candidate: id }, `transfer candidate dropped: ${why}`);
      return;
    }
    if (entry.candidate?.id !== id) return;
    this.log.info(
      { zone: entry.state.zone, candidate: id, serial: entry.candidate.serial },
      `transfer candidate dropped: ${why}`,
    );
    entry.candidate = null;
  }

  /**
   * Serve the candidate the host accepted for `serial` (the state's, unless newer states came while it was
   * built); without it (missed, failed), wait for the restart copy's state.
   */
  private takeCandidate(entry: Entry, id: number, serial = entry.state.serial): void {
    const c = entry.candidate;
    entry.candidate = null;
    // Held already, or something newer (the restart copy of a later state, read meanwhile).
    if (entry.data && (entry.serial === serial || entry.serial === entry.state.serial)) return;
    if (!c || c.id !== id || c.serial !== serial) {
      this.log.info(
        { zone: entry.state.zone, serial, candidate: id, held: c?.id ?? null },
        "no transfer candidate for the accepted serial; waiting for the wire copy",
      );
      return;
    }
    this.adopt(entry, c.data, c.serial, c.ms / 1000, c.records);
    this.log.info(
      {
        zone: entry.state.zone,
        serial: c.serial,
        records: c.records,
        candidate: id,
        buildMs: Math.round(c.ms),
      },
      "transfer candidate served",
    );
  }

  private remove(zone: string): boolean {
    const id = zone.toLowerCase();
    const e = this.entries.get(id);
    if (!e) return false;
    this.entries.delete(id);
    this.byKey.delete(e.key);
    this.metrics?.zoneRemoved(e.state.zone);
    return true;
  }

  /**
   * Build version `serial` (the state's serial when the delta came) from the one we hold and the IXFR's
   * records. When we do not hold its base serial (or the local apply does not apply here), keep what we have:
   * the host sends the persisted copy's path next.
   */
  private applyDelta(entry: Entry, delta: WireDelta, serial: number): void {
    if (entry.serial === serial || entry.serial === entry.state.serial) return;
    const t0 = performance.now();
    const base = entry.data && entry.serial === delta.fromSerial ? entry.data : null;
    const records = decodeRecords(delta);
    const touched = new Set(records.map((r) => nameKey(r.owner)));
    const data = base ? applyDeltaToZone(base, records, touched) : null;
    if (!data) {
      this.log.info(
        { zone: entry.state.zone, serial, held: entry.serial, from: delta.fromSerial },
        "IXFR delta not applicable here; waiting for the persisted copy",
      );
      return;
    }
    const ms = performance.now() - t0;
    this.adopt(entry, data, serial, ms / 1000);
    this.log.debug(
      {
        zone: entry.state.zone,
        serial,
        records: records.length,
        ms: Math.round(ms * 10) / 10,
      },
      "IXFR delta applied",
    );
  }

  /**
   * Read the host's wire copy and replay its journal up to the announced serial (true when done). The host may
   * write a new wire copy between the two reads (the journal then names it, not ours): read again. On failure
   * the zone keeps what it had, or anything newer than that which was read.
   */
  private loadWire(entry: Entry, file: string, journal: string | null, origin: Buffer): boolean {
    const want = entry.state.serial!;
    const t0 = performance.now();
    let best: { data: ZoneData; serial: number; records: number; entries: number } | null = null;
    let why = "";
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const w = loadZoneWire(file, origin);
        let got = { data: w.data, serial: w.serial, records: w.records, entries: 0 };
        const j = journal ? readJournalSync(journal) : null;
        if (j && j.base === w.serial) {
          const r = replayJournal(w.data, w.serial, j);
          const records = r.applied > 0 ? countRecords(r.data) : w.records;
          got = { data: r.data, serial: r.serial, records, entries: r.applied };
          if (r.problem && r.serial !== want) why = `journal: ${r.problem}`;
        }
        if (!best || compareSerial(got.serial, best.serial) === "gt") best = got;
        if (got.serial === want || compareSerial(got.serial, want) === "gt") break;
        why ||= `it reaches serial ${got.serial}, expected ${want}`;
      } catch (e) {
        why = (e as Error).message;
      }
    }
    const newer = best && (entry.serial === null || compareSerial(best.serial, entry.serial) === "gt");
    if (best && newer) {
      const ms = performance.now() - t0;
      this.adopt(entry, best.data, best.serial, ms / 1000, best.records);
      this.log.info(
        {
          zone: entry.state.zone,
          serial: best.serial,
          records: best.records,
          journalEntries: best.entries,
          ms: Math.round(ms),
        },
        "wire copy loaded",
      );
    }
    if (best?.serial === want || (best && compareSerial(best.serial, want) === "gt")) return true;
    this.metrics?.zoneLoadFailed(entry.state.zone);
    this.log.error(
      { zone: entry.state.zone, file, serial: want, held: entry.serial, err: why },
      "cannot load the wire copy at the announced serial; keeping the newest data read",
    );
    return false;
  }

  /** Read the persisted copy; on failure the zone keeps what it had (or stays unavailable). */
  private load(entry: Entry, origin: Buffer): void {
    const file = entry.state.file;
    if (!file) return;
    const t0 = performance.now();
    try {
      const loaded = loadZoneFile(file, origin);
      const data = buildZone(loaded.origin, loaded.records);
      const serial = soaSerial(data.apex.rrsets.get(RRType.SOA)!.rdataAt(0));
      if (serial !== entry.state.serial) {
        // The manager rewrote the file meanwhile (a newer change follows) or could not write it: still the
        // best data we can read; the next change brings the rest.
        this.log.warn(
          { zone: entry.state.zone, expected: entry.state.serial, serial },
          "persisted copy has another serial",
        );
      }
      this.adopt(entry, data, serial, (performance.now() - t0) / 1000, loaded.records.length);
    } catch (e) {
      this.metrics?.zoneLoadFailed(entry.state.zone);
      this.log.error(
        { zone: entry.state.zone, file, err: (e as Error).message },
        entry.data
          ? "cannot load the transferred zone; keeping old data"
          : "cannot load the transferred zone",
      );
    }
  }

  private adopt(
    entry: Entry,
    data: ZoneData,
    serial: number | null,
    seconds: number,
    records?: number,
  ): void {
    entry.data = data;
    entry.serial = serial;
    if (serial !== null)
      this.metrics?.zoneLoaded(entry.state.zone, serial, records ?? data.nodes.size, seconds);
  }

  private target(state: SecondaryZoneState): NotifyTarget {
    const primaries = state.primaries.map((p) => {
      let key: TsigKey | null = null;
      if (p.tsigKey !== undefined) {
        try {
          key = resolveTsigKey(this.tsigKeys, p.tsigKey);
        } catch (e) {
          this.log.error({ zone: state.zone, err: (e as Error).message }, "NOTIFY key unusable");
        }
      }
      return { address: normalizeAddress(p.address), key, keyed: p.tsigKey !== undefined };
    });
    const allowed = new Set(state.allowNotify.map(normalizeAddress));
    const forward = (hint: number | undefined) => this.onNotify(state.zone, hint);
    return {
      origin: parseNameText(state.zone, null),
      notifyKeys: primaries.flatMap((p) => (p.key ? [p.key] : [])),
      // As SecondaryZone.notifyAllowed: a primary's address (with its key when it has one), or allowNotify.
      notifyAllowed(address: string, key: TsigKey | null): boolean {
        const a = normalizeAddress(address);
        for (const p of primaries) {
          if (p.address !== a) continue;
          if (!p.keyed || (key && p.key && nameKey(key.name) === nameKey(p.key.name))) return true;
        }
        return allowed.has(a);
      },
      notify: forward,
    };
  }
}
