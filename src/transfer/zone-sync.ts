// Bring a held copy of a zone up to the primary's version: IXFR when we hold one, AXFR when we do not, and AXFR
// again when the IXFR answer is unusable (the primary lacks the history, says NOTIMP, or its deltas do not
// apply to our copy). Authentication, connection and timeout errors are not retried: AXFR would fail alike.

import { RRType } from "../wire/rrtype.js";
import type { ResourceRecord } from "../zone/record.js";
import type { ZoneData } from "../zone/zone.js";
import { recordsAtNames, recordsOfZone } from "../zone/zone-records.js";
import { applyIxfr, deltaOwners } from "./apply-ixfr.js";
import { TsigError, XfrError } from "./errors.js";
import { axfrTo, ixfrTo, type Primary, RecordList, type RecordSink, type XfrOptions } from "./xfr-client.js";

export type HeldZone =
  | {
      serial: number;
      /** All records, the SOA among them. */
      records: readonly ResourceRecord[];
    }
  | {
      serial: number;
      /** The built tree (a secondary keeps no record list): an IXFR is applied at the names it touches only. */
      data: ZoneData;
    };

export type SyncResult =
  /** Nothing to do. `serial` is the primary's: compare it with ours, it may be older (compareSerial). */
  | { kind: "up-to-date"; serial: number }
  | {
      kind: "ixfr" | "axfr";
      serial: number;
      /**
       * The whole new zone, except for an IXFR onto a held tree (`partial`): then only the new records at the
       * `touched` names (every other name is as in the tree).
       */
      records: ResourceRecord[];
      partial?: true;
      /** Why an IXFR was not used, when one was tried. */
      ixfrError?: Error;
      /** IXFR: owner keys of the records the deltas deleted or added (the only names that changed). */
      touched?: Set<string>;
    };

/** `syncZoneTo`'s result for a whole zone: it went to a sink as it arrived (built while it streamed in). */
export interface StreamedSync<S extends RecordSink> {
  kind: "axfr";
  serial: number;
  /** The sink that took every record of this transfer (a failed IXFR attempt's sink is dropped). */
  sink: S;
  /** How many records it took. */
  count: number;
  /** Why an IXFR was not used, when one was tried. */
  ixfrError?: Error;
}

function fatal(e: unknown): boolean {
  if (e instanceof TsigError) return true;
  if (!(e instanceof XfrError)) return true;
  return (
    e.code === "EDGENS_ERR_XFR_CONNECT" ||
    e.code === "EDGENS_ERR_XFR_TIMEOUT" ||
    e.code === "EDGENS_ERR_XFR_TOO_BIG"
  );
}

export async function syncZone(
  primary: Primary,
  origin: Buffer,
  held: HeldZone | undefined,
  opts: XfrOptions = {},
): Promise<SyncResult> {
  const r = await syncZoneTo(primary, origin, held, opts, () => new RecordList());
  if (!("sink" in r)) return r;
  return {
    kind: "axfr",
    serial: r.serial,
    records: r.sink.records,
    ...(r.ixfrError ? { ixfrError: r.ixfrError } : {}),
  };
}

/**
 * `syncZone`, with a whole zone (AXFR, or an IXFR answered AXFR-style) streamed into a sink from `newSink`
 * (one per attempt) as it arrives, not collected. IXFR deltas come back as records, as from `syncZone`.
 */
export async function syncZoneTo<S extends RecordSink>(
  primary: Primary,
  origin: Buffer,
  held: HeldZone | undefined,
  opts: XfrOptions,
  newSink: () => S,
): Promise<SyncResult | StreamedSync<S>> {
  let ixfrError: Error | undefined;
  if (held) {
    try {
      const currentSoa =
        "data" in held
          ? recordsOfZone(held.data)[Symbol.iterator]().next().value
          : held.records.find((r) => r.type === RRType.SOA);
      const sink = newSink();
      const r = await ixfrTo(primary, origin, held.serial, sink, {
        receiveFirst: true,
        ...opts,
        ...(currentSoa ? { currentSoa } : {}),
      });
      if (r.kind === "up-to-date") return r;
      if (r.kind === "axfr") return { kind: "axfr", serial: r.serial, sink, count: r.records };
      const touched = deltaOwners(r.deltas);
      // Deletions and additions only concern the touched names (the apex among them: every delta changes the
      // SOA), so the deltas apply to those names' records alone, with the same errors.
      if ("data" in held) {
        const records = applyIxfr(recordsAtNames(held.data, touched), r.deltas);
        return { kind: "ixfr", serial: r.serial, records, partial: true, touched };
      }
      return { kind: "ixfr", serial: r.serial, records: applyIxfr(held.records, r.deltas), touched };
    } catch (e) {
      if (fatal(e)) throw e;
      ixfrError = e as Error;
    }
  }
  const sink = newSink();
  // The messages are kept and parsed once complete: measured faster than building per message (docs/TRANSFER.md).
  const full = await axfrTo(primary, origin, sink, { receiveFirst: true, ...opts });
  return {
    kind: "axfr",
    serial: full.serial,
    sink,
    count: full.records,
    ...(ixfrError ? { ixfrError } : {}),
  };
}
