// Every record a zone holds, in transfer order: the apex SOA first, then each node's RRsets and RRSIGs (glue
// and occluded data included, exactly as the zone tree keeps them), then the NSEC3 chain. An AXFR adds the
// closing SOA itself. The tree is read lazily so a large zone is never copied into one array.
import type { ResourceRecord } from "../zone/record.js";
import type { ZoneData } from "../zone/zone.js";
import { countRecords, zoneBody, zoneSoa } from "../zone/zone-records.js";

// The tree → records view lives with the tree (src/zone/zone-records.ts); the secondary side uses it too.
export { zoneBody, zoneSoa };

/** The records of an AXFR answer: SOA, the body, SOA. */
export function* axfrRecords(data: ZoneData): Generator<ResourceRecord> {
  const soa = zoneSoa(data);
  yield soa;
  yield* zoneBody(data);
  yield soa;
}

/** Number of records in the zone (SOA counted once). */
export function zoneRecordCount(data: ZoneData): number {
  return countRecords(data);
}
