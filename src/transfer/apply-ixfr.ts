// Apply IXFR deltas to a zone's records, purely. A deletion of a record we do not hold means our copy and the
// primary's history disagree: that is an error, and the caller must fetch the whole zone (AXFR) instead.
import { nameKey, nameToText } from "../wire/name.js";
import { RRType, typeToText } from "../wire/rrtype.js";
import type { ResourceRecord } from "../zone/record.js";
import { ownerKey } from "../zone/zone.js";
import { XfrError } from "./errors.js";
import { canonicalRdata } from "./wire-rdata.js";
import type { IxfrDelta } from "./xfr-client.js";

/** Identity of a record for IXFR: owner, type, class and RDATA, case-insensitive in names, TTL ignored. */
export function recordKey(rr: ResourceRecord): string {
  return `${nameKey(rr.owner)}|${rr.type}|${rr.class}|${canonicalRdata(rr.type, rr.rdata).toString("latin1")}`;
}

/** Owner keys (`nameKey`) of every record the deltas delete or add. */
export function deltaOwners(deltas: readonly IxfrDelta[]): Set<string> {
  const touched = new Set<string>();
  for (const d of deltas) {
    for (const rr of d.deleted) touched.add(nameKey(rr.owner));
    for (const rr of d.added) touched.add(nameKey(rr.owner));
  }
  return touched;
}

/** SOA serial of the record set (the apex SOA), or undefined when there is none. */
function currentSerial(records: Iterable<ResourceRecord>): number | undefined {
  for (const rr of records) if (rr.type === RRType.SOA) return rr.rdata.readUInt32BE(rr.rdata.length - 20);
  return undefined;
}

/**
 * Apply `deltas` in order to `records` and return the new record list (input untouched). Each delta's
 * `deleted` and `added` include the old and new SOA. Throws EDGENS_ERR_XFR_IXFR_APPLY when a delta does not
 * start at the current serial or deletes a record that does not exist.
 */
export function applyIxfr(
  records: readonly ResourceRecord[],
  deltas: readonly IxfrDelta[],
): ResourceRecord[] {
  // Only records at owners a delta names can change: they alone get a full record key. The result is the
  // order a Map of every record would give: unchanged records keep their place, additions go at the end.
  const touched = deltaOwners(deltas);
  /** Touched records by key; `pos` is the index in `records` while the entry was never deleted, else -1. */
  const zone = new Map<string, { rr: ResourceRecord; pos: number }>();
  const keep: (ResourceRecord | null)[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const rr = records[i]!;
    if (!touched.has(ownerKey(rr.owner))) {
      keep[i] = rr;
      continue;
    }
    keep[i] = null;
    const key = recordKey(rr);
    const had = zone.get(key);
    if (had) had.rr = rr;
    else zone.set(key, { rr, pos: i });
  }
  let serial = currentSerial(records);
  for (const d of deltas) {
    if (serial !== d.fromSerial) {
      throw new XfrError(
        "EDGENS_ERR_XFR_IXFR_APPLY",
        `delta ${d.fromSerial}→${d.toSerial} does not apply to serial ${serial}`,
      );
    }
    for (const rr of d.deleted) {
      if (!zone.delete(recordKey(rr))) {
        throw new XfrError(
          "EDGENS_ERR_XFR_IXFR_APPLY",
          `delta ${d.fromSerial}→${d.toSerial} deletes ${nameToText(rr.owner)} ${typeToText(rr.type)} which we do not hold`,
        );
      }
    }
    // Adding a record we already hold replaces it (its TTL may have changed).
    for (const rr of d.added) {
      const key = recordKey(rr);
      const had = zone.get(key);
      if (had) had.rr = rr;
      else zone.set(key, { rr, pos: -1 });
    }
    serial =
      currentSerial(Array.from(zone.values(), (e) => e.rr)) ??
      currentSerial(keep.filter((rr): rr is ResourceRecord => rr !== null));
  }
  const out: ResourceRecord[] = [];
  const at = new Map<number, ResourceRecord>();
  for (const e of zone.values()) if (e.pos >= 0) at.set(e.pos, e.rr);
  for (let i = 0; i < keep.length; i++) {
    const rr = keep[i] ?? at.get(i);
    if (rr) out.push(rr);
  }
  for (const e of zone.values()) if (e.pos < 0) out.push(e.rr);
  // Keep the SOA first, as after an AXFR.
  const soaAt = out.findIndex((rr) => rr.type === RRType.SOA);
  if (soaAt > 0) out.unshift(...out.splice(soaAt, 1));
  return out;
}
