// A whole-zone transfer's raw messages → the zone, with no checks: the build a process that did not run the
// transfer would make. Cluster workers did so for their candidates until session 9 (they now read the host's
// zone image, src/server/secondary-table.ts); the benches keep it as the reference build of a transfer
// (bench/xfr/flat-build-floor.mjs, candidate-handoff.mjs).
// The records go into the tree exactly as `axfrTo` hands them to its sink: the opening SOA, every record up to
// the closing SOA, which is not added.
import { parseMessage, RecordBatch } from "../transfer/message.js";
import { soaSerial } from "../transfer/xfr-client.js";
import { TimeSlicer } from "../util/time-slice.js";
import { nameKey } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import type { ZoneData } from "../zone/zone.js";
import { ZoneBuilder } from "../zone/zone-image.js";

export class AxfrReplayError extends Error {
  readonly code = "EDGENS_ERR_AXFR_REPLAY";
}

export interface ReplayOptions {
  /** Slices of this many ms (default SLICE_MS): the process answers queries through a big zone's build. */
  sliceMs?: number;
  /** Asked between slices: true stops the build (it resolves null). */
  cancelled?: () => boolean;
}

/**
 * Build the tree of an AXFR-shaped answer (SOA, records, the same SOA), in slices; rejects with AxfrReplayError
 * on a bad shape, resolves null when cancelled.
 */
export async function replayAxfr(
  origin: Buffer,
  messages: readonly Buffer[],
  opts: ReplayOptions = {},
): Promise<{ serial: number; data: ZoneData; records: number } | null> {
  const originKey = nameKey(origin);
  const builder = new ZoneBuilder(origin);
  const batch = new RecordBatch();
  let serial = -1;
  let records = 0;
  let done = false;
  const slicer = new TimeSlicer(opts.sliceMs);
  // The answer counts of the headers (checked when each message is parsed) size the name table once.
  let answers = 0;
  for (const raw of messages) answers += raw.length >= 12 ? raw.readUInt16BE(6) : 0;
  builder.expectRecords(answers);
  for (let m = 0; m < messages.length; m++) {
    if (slicer.due) {
      await slicer.pause();
      if (opts.cancelled?.()) return null;
    }
    parseMessage(messages[m]!, batch);
    for (let i = 0; i < batch.length; i++) {
      if (done) throw new AxfrReplayError("records after the closing SOA");
      const key = batch.keys[i]!;
      const apexSoa = batch.types[i] === RRType.SOA && key === originKey;
      if (serial < 0) {
        if (!apexSoa) throw new AxfrReplayError("the transfer does not start with the zone's SOA");
        serial = soaSerial(batch.rdata(i));
      } else if (apexSoa) {
        if (soaSerial(batch.rdata(i)) !== serial) throw new AxfrReplayError("closing SOA of another serial");
        done = true;
        continue;
      }
      builder.addRecord(
        key,
        batch.owners[i] ?? null,
        batch.types[i]!,
        batch.classes[i]!,
        batch.ttls[i]!,
        batch.rdataSources[i]!,
        batch.rdataStarts[i]!,
        batch.rdataEnds[i]!,
      );
      records++;
    }
  }
  if (!done) throw new AxfrReplayError("the transfer ends without its closing SOA");
  return { serial, data: builder.finish(), records };
}
