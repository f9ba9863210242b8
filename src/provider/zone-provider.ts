// The primary role of one serving process: which zones are provided (a `provide` section in the config), their
// transfer ACLs and TSIG keys, the IXFR journal of each, and NOTIFY to their secondaries when a reload brings a
// new serial. The TCP transport hands it every query first (`start`); it answers transfers and returns null
// for everything else. Setup (update) is separate from handling (start).

import type { Registry } from "prom-client";
import { formatListenAddress, parseListenAddress } from "../config/listen-address.js";
import { tsigKeyId } from "../config/provide-refs.js";
import type { EdgensConfig } from "../config/schema.js";
import type { Logger } from "../log.js";
import { type NotifyPeer, type NotifyPeerResult, sendNotify } from "../secondary/notify-sender.js";
import { compareSerial } from "../transfer/serial.js";
import { parseTsigKey, type TsigKey } from "../transfer/tsig.js";
import type { ZoneData } from "../zone/zone.js";
import { DEFAULT_JOURNAL_LIMITS, diffZones, Journal, type JournalLimits } from "./journal.js";
import { ProviderMetrics } from "./metrics.js";
import { TransferAcl } from "./transfer-acl.js";
import {
  type ProvidedZone,
  startTransfer,
  type TransferOutcome,
  type TransferRemote,
  type TransferStart,
} from "./transfer-out.js";
import { zoneSoa } from "./zone-records.js";

/** What the TCP transport needs: answer a transfer request, or null to let the responder answer. */
export interface TransferHandler {
  start(query: Buffer, remote: TransferRemote): TransferStart | null;
}

/** A zone as the serving node loaded it (`ServedZone` of src/server/zone-set.ts). */
export interface LoadedZone {
  spec: { id: string };
  name: string;
  data: ZoneData;
  serial: number;
}

export interface ZoneProviderOptions {
  /** Send NOTIFY from this process (in a cluster only one worker does). Default true. */
  sendNotify?: boolean;
  journal?: JournalLimits;
  /** sendNotify tries per peer and first timeout (doubling). Defaults 5 and 1000 ms. */
  notifyTries?: number;
  notifyTimeoutMs?: number;
  /** Where the provider's metrics go (the serving process's registry); none when absent. */
  registry?: Registry;
}

interface ZoneState extends ProvidedZone {
  peers: NotifyPeer[];
}

export class ZoneProvider implements TransferHandler {
  private provided = new Map<string, ZoneState>();
  private served = new Set<string>();
  private keys: TsigKey[] = [];
  private readonly pending = new Set<Promise<NotifyPeerResult[]>>();
  /** Requests by outcome since start. */
  readonly counts: Record<TransferOutcome, number> = {
    axfr: 0,
    ixfr: 0,
    "ixfr-axfr": 0,
    "ixfr-current": 0,
    formerr: 0,
    "bad-tsig": 0,
    notauth: 0,
    refused: 0,
  };
  /** NOTIFY results, newest last (bounded), for status and tests. */
  readonly notifyLog: { zone: string; serial: number; results: NotifyPeerResult[] }[] = [];

  private readonly metrics: ProviderMetrics | null;

  constructor(
    private readonly log: Logger,
    private readonly opts: ZoneProviderOptions = {},
  ) {
    this.metrics = opts.registry ? ProviderMetrics.for(opts.registry) : null;
  }

  /** True when some zone has a `provide` section: otherwise the TCP path need not ask us at all. */
  get active(): boolean {
    return this.provided.size > 0;
  }

  zone(originKey: string): ProvidedZone | undefined {
    return this.provided.get(originKey);
  }

  /**
   * Take the zones now being served (after a start or a reload swap). For each provided zone whose data
   * changed: a newer serial adds a delta to its journal and sends NOTIFY; anything else restarts the journal.
   */
  update(zones: readonly LoadedZone[], config: EdgensConfig): void {
    this.keys = Object.entries(config.tsigKeys).map(([name, k]) =>
      parseTsigKey(`${name}:${k.algorithm}:${k.secret}`),
    );
    const keyById = new Map(this.keys.map((k, i) => [tsigKeyId(Object.keys(config.tsigKeys)[i]!), k]));
    const provideById = new Map(
      config.zones.filter((z) => z.provide && z.file !== undefined).map((z) => [z.file, z.provide!]),
    );
    const next = new Map<string, ZoneState>();
    this.served = new Set(zones.map((z) => z.data.originKey));
    for (const z of zones) {
      const provide = provideById.get(z.spec.id);
      if (!provide) continue;
      const old = this.provided.get(z.data.originKey);
      const journal = old?.journal ?? new Journal(this.opts.journal ?? DEFAULT_JOURNAL_LIMITS);
      const peers: NotifyPeer[] = provide.notify.map((n) => {
        const text = typeof n === "string" ? n : n.address;
        const a = parseListenAddress(text)!;
        const key = typeof n === "string" || !n.tsigKey ? undefined : keyById.get(tsigKeyId(n.tsigKey));
        return { host: a.host, port: a.port, ...(key ? { tsig: key } : {}) };
      });
      const state: ZoneState = {
        name: z.name,
        data: z.data,
        serial: z.serial,
        journal,
        acl: new TransferAcl(provide.allowTransfer),
        peers,
      };
      next.set(z.data.originKey, state);
      if (old && old.data !== z.data) this.changed(old, state);
    }
    for (const gone of this.provided.keys()) {
      if (!next.has(gone)) this.metrics?.journalDeltas.remove({ zone: this.provided.get(gone)!.name });
    }
    this.provided = next;
    for (const z of next.values()) this.metrics?.journalDeltas.set({ zone: z.name }, z.journal.size);
  }

  private changed(old: ZoneState, now: ZoneState): void {
    const order = compareSerial(old.serial, now.serial);
    if (order === "lt") {
      const delta = diffZones(old.data, now.data);
      now.journal.add(delta);
      this.log.info(
        {
          zone: now.name,
          from: old.serial,
          to: now.serial,
          deleted: delta.deleted.length,
          added: delta.added.length,
          journal: now.journal.size,
        },
        `zone ${now.name} serial ${old.serial} → ${now.serial}: journaled`,
      );
      this.notify(now);
      return;
    }
    if (order === "eq") {
      const delta = diffZones(old.data, now.data);
      if (delta.added.length === 0 && delta.deleted.length === 0) return;
      this.log.warn(
        { zone: now.name, serial: now.serial },
        `zone ${now.name} changed without a serial increase: secondaries will not see the change`,
      );
    } else {
      this.log.warn(
        { zone: now.name, from: old.serial, to: now.serial },
        `zone ${now.name} serial went from ${old.serial} to ${now.serial} (not newer): secondaries keep the old data`,
      );
    }
    now.journal.clear(); // its deltas no longer end at the data being served
  }

  private notify(zone: ZoneState): void {
    if (zone.peers.length === 0 || this.opts.sendNotify === false) return;
    const serial = zone.serial;
    const p = sendNotify(zone.data.origin, zone.peers, {
      soa: zoneSoa(zone.data),
      tries: this.opts.notifyTries ?? 5,
      timeoutMs: this.opts.notifyTimeoutMs ?? 1000,
    });
    this.pending.add(p);
    p.then((results) => {
      this.pending.delete(p);
      this.notifyLog.push({ zone: zone.name, serial, results });
      if (this.notifyLog.length > 100) this.notifyLog.shift();
      for (const r of results) {
        const peer = formatListenAddress(r.peer);
        const fields = { zone: zone.name, serial, peer, tries: r.tries, rcode: r.rcode ?? null };
        const result = r.ok
          ? "ok"
          : r.error && "code" in r.error && r.error.code === "EDGENS_ERR_XFR_TIMEOUT"
            ? "timeout"
            : "error";
        this.metrics?.notifies.inc({ zone: zone.name, result });
        if (r.ok) this.log.info(fields, `NOTIFY ${zone.name} serial ${serial} to ${peer}: acknowledged`);
        else
          this.log.warn(
            { ...fields, error: r.error?.message ?? null },
            `NOTIFY ${zone.name} serial ${serial} to ${peer} failed: ${r.error?.message ?? `rcode ${r.rcode}`}`,
          );
      }
    });
  }

  /** Resolves when every NOTIFY sent so far has been answered or given up (tests, shutdown). */
  async notifyIdle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  start(query: Buffer, remote: TransferRemote): TransferStart | null {
    // Without provided zones transfers stay the responder's business (REFUSED, as before).
    if (this.provided.size === 0) return null;
    return startTransfer(query, remote, {
      lookup: (key) => this.provided.get(key) ?? (this.served.has(key) ? "not-provided" : undefined),
      keys: this.keys,
      log: this.log,
      count: (o, originKey) => {
        this.counts[o]++;
        const zone = originKey === undefined ? undefined : this.provided.get(originKey)?.name;
        this.metrics?.transfers.inc({ zone: zone ?? "other", outcome: o });
      },
    });
  }
}
