// The secondary zones one serving process holds (a cluster worker, or the single process): their state as the
// SecondaryHost (src/server/secondary-host.ts) reports it, the zone data loaded from the persisted copy, and the
// NOTIFY targets the transports route opcode 4 to.
//
// State → what queries get:   ok → the data;   pending (no data yet) / expired → SERVFAIL;   removed → REFUSED.
// Data travels as a path, not as records: the host's manager has already written the zone atomically
// (src/secondary/zone-store.ts), so a worker loads it with the normal zone loader, exactly like a zone file.
// In-process, the host hands the built ZoneData over directly and nothing is re-read.
import { performance } from "node:perf_hooks";
import { tsigKeyId } from "../config/provide-schema.js";
import type { EdgensConfig } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";
import { type NotifyLookup, type NotifyTarget, normalizeAddress } from "../secondary/notify-handler.js";
import { parseTsigKey, type TsigKey } from "../transfer/tsig.js";
import { nameKey, parseNameText } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import { loadZoneFile } from "../zone/load-zone-file.js";
import { buildZone, type ZoneData } from "../zone/zone.js";
import { soaSerial } from "./zone-set.js";

export interface SecondaryPrimaryRef {
  address: string;
  port: number;
  /** A `tsigKeys` name. */
  tsigKey?: string;
}

/** One secondary zone as the host reports it (JSON: it crosses the cluster channel). */
export interface SecondaryZoneState {
  /** Origin, presentation form. */
  zone: string;
  /** "catalog": a catalog zone, never served, only a NOTIFY target. */
  role: "zone" | "catalog";
  state: "pending" | "ok" | "expired";
  serial: number | null;
  /** The persisted copy holding `serial` (state ok). */
  file: string | null;
  primaries: SecondaryPrimaryRef[];
  allowNotify: string[];
  /** The catalog this zone is a member of, and its group property (informational). */
  catalog?: string;
  group?: string | null;
}

export type SecondaryChange =
  /** `data`: only in-process (never serialised): the zone already built by the manager. */
  { op: "set"; state: SecondaryZoneState; data?: ZoneData } | { op: "remove"; zone: string };

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
}

export class SecondaryTable {
  private readonly entries = new Map<string, Entry>();
  /** The same entries by origin key (`nameKey`), for NOTIFY. */
  private readonly byKey = new Map<string, Entry>();
  private tsigKeys: EdgensConfig["tsigKeys"];
  /** Set by whoever forwards accepted NOTIFYs to the host (IPC in a worker, a call in-process). */
  onNotify: NotifyForward = () => {};

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
      }
    }
    for (const c of changes) {
      changed = (c.op === "set" ? this.set(c.state, c.data) : this.remove(c.zone)) || changed;
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

  private set(state: SecondaryZoneState, data: ZoneData | undefined): boolean {
    const id = state.zone.toLowerCase();
    const old = this.entries.get(id);
    const origin = parseNameText(state.zone, null);
    const entry: Entry = old ?? { state, key: nameKey(origin), data: null, serial: null, target: null! };
    const before = { state: entry.state.state, data: entry.data };
    entry.state = state;
    entry.target = this.target(state);
    this.entries.set(id, entry);
    this.byKey.set(entry.key, entry);
    if (state.role === "zone" && state.state === "ok") {
      if (data) this.adopt(entry, data, state.serial, 0);
      else if (!entry.data || entry.serial !== state.serial) this.load(entry, origin);
    }
    return before.state !== state.state || before.data !== entry.data || !old;
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

  /** Read the persisted copy; on failure the zone keeps what it had (or stays unavailable). */
  private load(entry: Entry, origin: Buffer): void {
    const file = entry.state.file;
    if (!file) return;
    const t0 = performance.now();
    try {
      const loaded = loadZoneFile(file, origin);
      const data = buildZone(loaded.origin, loaded.records);
      const serial = soaSerial(data.apex.rrsets.get(RRType.SOA)!.rdatas[0]!);
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
