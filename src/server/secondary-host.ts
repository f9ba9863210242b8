// Hosts the SecondaryZone managers of a node in ONE process (cluster worker 0, or the single process):
// configured secondary zones, catalog zones (RFC 9432) and their members. Every state change goes as
// SecondaryChange lists (src/server/secondary-table.ts) to up to two sinks: `local`, the ServingNode in this
// process, gets the built tree itself; `remote` (a cluster), the other workers over IPC, gets what they can
// build their own tree from. Also the source of the secondary metrics and of readiness:
//   a zone pending its first transfer (at startup) or expired → not ready (/readyz 503, the health agent
//   withdraws); a catalog member added later does not gate readiness while its first transfer is pending.
// Catalog members pull from the catalog's primaries (or their group's, `catalogs[].groups`); a removed member
// stops being served (REFUSED) and its persisted copy is deleted; a new unique id for a member is a reset.
import { unlink } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { Gauge, Registry } from "prom-client";
import { type CatalogMember, diffMembers, parseCatalog } from "../catalog/catalog-zone.js";
import type { EdgensConfig } from "../config/schema.js";
import type { CatalogConfig, SecondaryConfig } from "../config/secondary-schema.js";
import type { Logger } from "../log.js";
import { SecondaryZone, type ZoneUpdate } from "../secondary/secondary-zone.js";
import { DEFAULT_CLAMPS, type TimerClamps } from "../secondary/soa-timers.js";
import { ZoneStore } from "../secondary/zone-store.js";
import { nameToText, parseNameText } from "../wire/name.js";
import { encodeZoneImage, imageOfZone } from "../zone/zone-image-file.js";
import { recordsOfZone } from "../zone/zone-records.js";
import { CandidateFiles } from "./candidate-file.js";
import {
  encodeDelta,
  resolveTsigKey,
  type SecondaryChange,
  type SecondaryZoneState,
} from "./secondary-table.js";

/** Ids of the zone images this process handed to the other workers (their candidate ids), unique in it. */
let imageIds = 0;

type Settings = Pick<SecondaryConfig, "primaries" | "allowNotify" | "clamps">;

interface Hosted {
  manager: SecondaryZone;
  state: SecondaryZoneState;
  /** Pending keeps the node unready (zones known at startup, catalogs). */
  gatesReady: boolean;
  /** Catalog members: their entry in the catalog. */
  member?: CatalogMember;
  /**
   * Cluster, while workers serve a transfer they built themselves and its restart copy is still being written:
   * the state before it (its files hold its serial), which a worker that starts meanwhile is given instead.
   */
  readable?: SecondaryZoneState;
  /** Cluster: the files of its transfers for the other workers. */
  candidates: CandidateFiles;
}

interface CatalogState {
  config: CatalogConfig;
  members: Map<string, CatalogMember>;
}

/** Config clamps (each bound optional) over the defaults. */
function clampsFrom(c: Settings["clamps"]): Partial<TimerClamps> {
  const out: Partial<TimerClamps> = {};
  for (const k of ["refresh", "retry", "expire"] as const) {
    const v = c?.[k];
    if (!v) continue;
    out[k] = {
      min: v.min ?? DEFAULT_CLAMPS[k].min,
      max: v.max ?? Math.max(DEFAULT_CLAMPS[k].max, v.min ?? 0),
    };
  }
  return out;
}

/** Returns, when it sends them elsewhere, a promise settled once the changes are written out. */
export type SecondarySink = (changes: SecondaryChange[]) => void | Promise<void>;

export interface SecondarySinks {
  /** The serving node in this process: gets the built data (`data`) the moment it is checked. */
  local?: SecondarySink;
  /**
   * The serving processes elsewhere (cluster, over IPC: nothing in-process): an IXFR applied locally goes out
   * as its delta at once (they apply it to their own tree, before anything is written), and again once the
   * manager appended it to the journal; a whole zone goes out once this process has checked and built it, as
   * its zone image (`candidate`: they read it instead of building the zone again), with the verdict naming it;
   * anything else (a fully rebuilt IXFR, a zone with an NSEC3 chain) once the manager wrote its wire copy
   * (`<zone>.wire`, no text). Processes that need to read load the wire copy with its journal
   * (`<zone>.journal`), or the text copy when the restart copy could not be written (the manager then writes
   * the text copy at once).
   */
  remote?: SecondarySink;
}

export class SecondaryHost {
  readonly registry: Registry;
  private readonly hosted = new Map<string, Hosted>();
  private readonly catalogs = new Map<string, CatalogState>();
  private readonly starting = new Set<Promise<void>>();
  private sinks: SecondarySinks = {};
  private startupDone = false;
  private stopped = false;
  private readonly membersGauge: Gauge<"catalog">;

  constructor(
    private config: EdgensConfig,
    private readonly log: Logger,
    registry?: Registry,
  ) {
    this.registry = registry ?? new Registry();
    this.membersGauge = new Gauge({
      name: "edgens_catalog_members",
      help: "Member zones listed by each catalog zone (RFC 9432) and served as secondary zones",
      labelNames: ["catalog"],
      registers: [this.registry],
    });
  }

  /**
   * Start every manager: persisted copies are loaded (and reported to the sinks) before this resolves, catalog
   * members included, so serving processes start with them; the first checks run in the background.
   */
  async start(sinks: SecondarySinks): Promise<void> {
    this.sinks = sinks;
    for (const z of this.config.zones) {
      if (z.secondary && z.origin) this.add(z.origin, "zone", z.secondary, true);
    }
    for (const c of this.config.catalogs) {
      this.catalogs.set(c.zone.toLowerCase(), { config: c, members: new Map() });
      this.add(c.zone, "catalog", c, true);
    }
    // Catalogs loaded from disk add members whose starts are awaited too (bounded: members add no catalogs).
    for (let round = 0; round < 3 && this.starting.size > 0; round++) {
      await Promise.all([...this.starting]);
    }
    this.checkStartup();
  }

  /**
   * A reload: configured secondary zones and catalogs that are new start; removed ones stop being served
   * (REFUSED; their persisted copies are kept, so adding them back serves them at once); changed ones (settings
   * or key material) restart with the new settings from their persisted copy. `stateDir` needs a restart.
   */
  reconfigure(next: EdgensConfig): void {
    if (this.stopped) return;
    const prev = this.config;
    if (next.stateDir !== prev.stateDir) this.log.warn("stateDir changes only on restart");
    this.config = { ...next, stateDir: prev.stateDir };
    const print = (settings: Settings | CatalogConfig, keys: EdgensConfig["tsigKeys"]) =>
      JSON.stringify([
        settings,
        settings.primaries.map((p) => (p.tsigKey ? resolveTsigKey(keys, p.tsigKey) : null)),
      ]);
    // Static zones.
    const want = new Map<string, { origin: string; settings: SecondaryConfig }>();
    for (const z of next.zones) {
      if (z.secondary && z.origin)
        want.set(z.origin.toLowerCase(), { origin: z.origin, settings: z.secondary });
    }
    for (const [id, h] of [...this.hosted]) {
      if (h.state.role !== "zone" || h.state.catalog) continue;
      const w = want.get(id);
      const old = prev.zones.find((z) => z.origin?.toLowerCase() === id)?.secondary;
      if (!w) this.drop(id, "removed from the config");
      else if (!old || print(old, prev.tsigKeys) !== print(w.settings, next.tsigKeys)) {
        this.drop(id, "settings changed");
      }
    }
    for (const [id, w] of want) if (!this.hosted.has(id)) this.add(w.origin, "zone", w.settings, false);
    // Catalogs: a changed one restarts with its members (their copies kept); a removed one takes them along.
    const wantCat = new Map(next.catalogs.map((c) => [c.zone.toLowerCase(), c] as const));
    for (const [id, cat] of [...this.catalogs]) {
      const w = wantCat.get(id);
      if (w && print(w, next.tsigKeys) === print(cat.config, prev.tsigKeys)) continue;
      for (const m of cat.members.keys()) {
        if (w) this.drop(m, "catalog settings changed");
        else void this.removeMember(m, "its catalog was removed from the config");
      }
      this.catalogs.delete(id);
      this.drop(id, w ? "settings changed" : "removed from the config");
    }
    for (const [id, c] of wantCat) {
      if (this.catalogs.has(id)) continue;
      this.catalogs.set(id, { config: c, members: new Map() });
      this.add(c.zone, "catalog", c, false);
    }
  }

  /** Stop a zone's manager and stop serving it (persisted copy kept). */
  private drop(id: string, why: string): void {
    const h = this.hosted.get(id);
    if (!h) return;
    this.hosted.delete(id);
    this.log.info({ zone: h.state.zone }, `secondary zone ${why}`);
    this.emit([{ op: "remove", zone: h.state.zone }]);
    h.candidates.dropAll();
    void h.manager.stop();
  }

  /** The current state of every zone (a worker that starts or restarts gets this). */
  states(): SecondaryZoneState[] {
    return [...this.hosted.values()].map((h) => h.readable ?? h.state);
  }

  /** A NOTIFY a serving process accepted (ACL and TSIG already checked there). */
  notify(zone: string, serial?: number): void {
    this.hosted.get(zone.toLowerCase())?.manager.notify(serial);
  }

  readiness(): { ready: boolean; detail: string } {
    const pending: string[] = [];
    const expired: string[] = [];
    let ok = 0;
    for (const h of this.hosted.values()) {
      if (h.state.state === "ok") ok++;
      else if (h.state.state === "expired" && h.state.role === "zone") expired.push(h.state.zone);
      else if (h.state.state === "pending" && h.gatesReady) pending.push(h.state.zone);
    }
    const parts = [`${ok}/${this.hosted.size} secondary zone(s) ok`];
    if (pending.length > 0) parts.push(`waiting for the first transfer of ${pending.slice(0, 5).join(", ")}`);
    if (expired.length > 0) parts.push(`expired: ${expired.slice(0, 5).join(", ")}`);
    return { ready: pending.length === 0 && expired.length === 0, detail: parts.join("; ") };
  }

  status() {
    return [...this.hosted.values()].map((h) => ({
      ...h.manager.status(),
      role: h.state.role,
      catalog: h.state.catalog ?? null,
      group: h.state.group ?? null,
    }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const h of this.hosted.values()) h.candidates.dropAll();
    await Promise.all([...this.hosted.values()].map((h) => h.manager.stop()));
  }

  private settingsFor(catalog: CatalogConfig, group: string | null): Settings {
    const g = group === null ? undefined : catalog.groups[group];
    return {
      primaries: g?.primaries ?? catalog.primaries,
      allowNotify: g?.allowNotify ?? catalog.allowNotify,
      clamps: g?.clamps ?? catalog.clamps,
    };
  }

  private add(
    zone: string,
    role: SecondaryZoneState["role"],
    settings: Settings,
    gatesReady: boolean,
    member?: CatalogMember,
    catalog?: string,
  ): void {
    const id = zone.toLowerCase();
    const origin = parseNameText(zone, null);
    const name = nameToText(origin);
    const manager = new SecondaryZone({
      origin,
      primaries: settings.primaries.map((p) => ({
        address: p.address,
        port: p.port,
        ...(p.tsigKey !== undefined ? { tsig: resolveTsigKey(this.config.tsigKeys, p.tsigKey) } : {}),
      })),
      stateDir: this.config.stateDir,
      textCopyDelayMs: this.config.textCopyDelaySec * 1000,
      allowNotify: settings.allowNotify,
      clamps: clampsFrom(settings.clamps),
      // 'update' before the write, 'persisted' after it: the host picks what each sink can use.
      serveBeforePersist: true,
      registry: this.registry,
      log: this.log,
    });
    const state: SecondaryZoneState = {
      zone: name,
      role,
      state: "pending",
      serial: null,
      file: null,
      primaries: settings.primaries,
      allowNotify: settings.allowNotify,
      ...(catalog ? { catalog, group: member?.group ?? null } : {}),
    };
    const store = new ZoneStore(this.config.stateDir, origin);
    const candidates = new CandidateFiles(
      (n) => store.candidatePath(n),
      (path, e) =>
        this.log.warn({ zone: name, file: path, err: e.message }, "cannot write the transfer candidate"),
    );
    const h: Hosted = { manager, state, gatesReady, candidates, ...(member ? { member } : {}) };
    this.hosted.set(id, h);
    const file = store.zonePath;
    /** What a worker reads when it needs the data: the restart copy once one is on disk. */
    const onDisk = () =>
      manager.status().persistedSerial !== null
        ? { wire: store.wirePath, journal: store.journalPath }
        : { wire: null, journal: null };
    const ok = () => (h.state.state === "expired" ? "expired" : "ok");
    let newest: number | null = null;
    manager.on("update", (u) => {
      if (this.hosted.get(id) !== h) return;
      newest = u.serial;
      if (role === "catalog") this.catalogUpdated(id, u);
      const served: SecondaryZoneState = { ...h.state, state: "ok", serial: u.serial, file, wire: null };
      this.emit([{ op: "set", state: served, data: u.data }], "local");
      if (!this.sinks.remote) {
        h.state = served;
        return;
      }
      // A whole zone goes to the other workers as this process built it: its image as a file, which they read
      // instead of building their own (one build per cluster), named by the verdict that follows it.
      const whole = (u.source === "axfr" || u.source === "ixfr") && !u.delta;
      if (whole && role === "zone" && imageOfZone(u.data)) {
        const t0 = performance.now();
        const cid = ++imageIds;
        const written = h.candidates.writeSync(cid, u.serial, encodeZoneImage(u.data, u.serial));
        if (written) {
          h.readable ??= h.state;
          h.state = { ...served, journal: null };
          this.emit(
            [
              { op: "candidate", zone: name, id: cid, file: written.path },
              { op: "set", state: h.state, candidate: cid },
            ],
            "remote",
          );
          const ms = Math.round(performance.now() - t0);
          this.log.debug({ zone: name, candidate: cid, bytes: written.bytes, ms }, "zone image sent");
          return;
        }
      }
      // Over IPC, a transfer without a delta goes out once its wire copy is written ('persisted' below).
      if (whole) return;
      delete h.readable;
      h.state = { ...h.state, state: "ok", serial: u.serial, file, ...onDisk() };
      const delta = u.delta ? encodeDelta(u.delta.fromSerial, u.delta.records) : null;
      this.emit([{ op: "set", state: h.state, ...(delta ? { delta } : {}) }], "remote");
    });
    manager.on("persisted", ({ serial, ok: written }) => {
      if (written) h.candidates.persisted(serial);
      // A write that finished after newer data was announced: that data's own 'persisted' follows. A failed
      // one: the manager writes the text copy at once ('text-written').
      if (this.hosted.get(id) !== h || !this.sinks.remote || serial !== newest || !written) return;
      // Processes that hold `serial` (from the delta or their build) ignore this; the others load wire copy + journal.
      delete h.readable;
      h.state = { ...h.state, state: ok(), serial, file, wire: store.wirePath, journal: store.journalPath };
      this.emit([{ op: "set", state: h.state }], "remote");
    });
    manager.on("text-written", ({ serial, ok: written }) => {
      if (written) h.candidates.persisted(serial);
      if (this.hosted.get(id) !== h || !this.sinks.remote || serial !== newest || !written) return;
      // Only news when the restart copy lacks this serial (its write failed): then the text copy is the file.
      if (manager.status().persistedSerial === serial) return;
      delete h.readable;
      h.state = { ...h.state, state: ok(), serial, file, wire: null, journal: null };
      this.emit([{ op: "set", state: h.state }], "remote");
    });
    manager.on("expired", () => {
      if (this.hosted.get(id) !== h) return;
      // A catalog that expires keeps its members (RFC 9432 §5.x leaves it to the consumer; dropping every
      // zone because the catalog's primary is down would be worse than serving them until they expire).
      delete h.readable;
      h.state = { ...h.state, state: "expired" };
      this.emit([{ op: "set", state: h.state }]);
    });
    manager.on("error", () => {}); // persistence failures: logged and counted by the manager
    this.emit([{ op: "set", state }]);
    const p = manager
      .start()
      .catch((e) =>
        this.log.error({ zone: name, err: (e as Error).message }, "secondary zone failed to start"),
      )
      .finally(() => this.starting.delete(p));
    this.starting.add(p);
  }

  /** To both sinks unless `only`; the remote sink's promise (settled once the changes are written out). */
  private emit(changes: SecondaryChange[], only?: keyof SecondarySinks): Promise<void> | undefined {
    this.checkStartup();
    let sent: Promise<void> | undefined;
    for (const to of ["local", "remote"] as const) {
      const sink = this.sinks[to];
      if (!sink || (only && only !== to)) continue;
      try {
        sent = sink(changes) ?? sent;
      } catch (e) {
        this.log.error({ err: (e as Error).message, to }, "applying a secondary zone change failed");
      }
    }
    return sent;
  }

  private checkStartup(): void {
    if (this.startupDone) return;
    if ([...this.hosted.values()].every((h) => h.state.state !== "pending" || !h.gatesReady)) {
      this.startupDone = true;
    }
  }

  /** A catalog got new data: add, remove and reset members. Bad catalogs change nothing. */
  private catalogUpdated(id: string, u: ZoneUpdate): void {
    const cat = this.catalogs.get(id);
    if (!cat || this.stopped) return;
    let parsed: ReturnType<typeof parseCatalog>;
    try {
      parsed = parseCatalog(u.origin, [...recordsOfZone(u.data)]);
    } catch (e) {
      this.log.error({ catalog: u.zone, serial: u.serial, err: (e as Error).message }, "catalog ignored");
      return;
    }
    for (const p of parsed.problems) this.log.warn({ catalog: u.zone, serial: u.serial }, `catalog: ${p}`);
    // Members that are also configured zones or members of another catalog stay with their first owner.
    for (const [zone] of parsed.members) {
      const other = this.hosted.get(zone);
      if (other && other.state.catalog?.toLowerCase() !== u.zone.toLowerCase()) {
        this.log.warn({ catalog: u.zone, zone }, "catalog member is already configured elsewhere; ignored");
        parsed.members.delete(zone);
      }
    }
    const d = diffMembers(cat.members, parsed.members);
    cat.members = parsed.members;
    this.membersGauge.labels(u.zone).set(parsed.members.size);
    const gates = !this.startupDone;
    for (const m of d.removed) void this.removeMember(m.zone, "removed from the catalog");
    for (const m of d.reset) {
      void this.removeMember(m.zone, `reset (new unique id ${m.id})`).then(() => {
        if (!this.stopped && cat.members.get(m.zone) === m) {
          this.add(m.zone, "zone", this.settingsFor(cat.config, m.group), false, m, u.zone);
        }
      });
    }
    for (const m of d.regrouped) {
      // New settings apply from a fresh manager; the data stays on disk and is served again at once.
      const h = this.hosted.get(m.zone);
      if (!h) continue;
      this.log.info({ catalog: u.zone, zone: m.zone, group: m.group }, "catalog member changed group");
      this.hosted.delete(m.zone);
      void h.manager.stop().then(() => {
        if (!this.stopped && cat.members.get(m.zone) === m) {
          this.add(m.zone, "zone", this.settingsFor(cat.config, m.group), false, m, u.zone);
        }
      });
    }
    for (const m of d.added) {
      this.log.info({ catalog: u.zone, zone: m.zone, id: m.id, group: m.group }, "catalog member added");
      this.add(m.zone, "zone", this.settingsFor(cat.config, m.group), gates, m, u.zone);
    }
  }

  /** Stop serving a member (REFUSED from now on) and delete its persisted copy. */
  private async removeMember(zone: string, why: string): Promise<void> {
    const h = this.hosted.get(zone);
    if (!h) return;
    this.hosted.delete(zone);
    this.log.info({ zone, catalog: h.state.catalog }, `catalog member ${why}: no longer served`);
    this.emit([{ op: "remove", zone: h.state.zone }]);
    h.candidates.dropAll();
    await h.manager.stop(false);
    const store = new ZoneStore(this.config.stateDir, h.manager.origin);
    for (const f of [store.zonePath, store.statePath, store.wirePath, store.journalPath]) {
      await unlink(f).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "ENOENT")
          this.log.warn({ zone, file: f, err: e.message }, "cannot delete the persisted copy");
      });
    }
  }
}
