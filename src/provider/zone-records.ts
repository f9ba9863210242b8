// Every record a zone holds, in transfer order: the apex SOA first, then each node's RRsets and RRSIGs (glue
// and occluded data included, exactly as the zone tree keeps them), then the NSEC3 chain. An AXFR adds the
// closing SOA itself. The tree is read lazily so a large zone is never copied into one array.
import { RRType } from "../wire/rrtype.js";
import type { ResourceRecord } from "../zone/record.js";
import type { RRset, ZoneData } from "../zone/zone.js";

/** The apex SOA as one record. */
export function zoneSoa(data: ZoneData): ResourceRecord {
  const soa = data.apex.rrsets.get(RRType.SOA)!;
  return { owner: soa.owner, type: soa.type, class: soa.class, ttl: soa.ttl, rdata: soa.rdatas[0]! };
}

function* rrsetRecords(rrset: RRset): Generator<ResourceRecord> {
  for (const rdata of rrset.rdatas) {
    yield { owner: rrset.owner, type: rrset.type, class: rrset.class, ttl: rrset.ttl, rdata };
  }
}

/** Every record except the apex SOA. */
export function* zoneBody(data: ZoneData): Generator<ResourceRecord> {
  for (const node of data.nodes.values()) {
    for (const rrset of node.rrsets.values()) {
      if (node === data.apex && rrset.type === RRType.SOA) continue;
      yield* rrsetRecords(rrset);
    }
    for (const sigs of node.sigs.values()) yield* rrsetRecords(sigs);
  }
  for (const e of data.nsec3?.entries ?? []) {
    yield* rrsetRecords(e.nsec3);
    if (e.sig) yield* rrsetRecords(e.sig);
  }
}

/** The records of an AXFR answer: SOA, the body, SOA. */
export function* axfrRecords(data: ZoneData): Generator<ResourceRecord> {
  const soa = zoneSoa(data);
  yield soa;
  yield* zoneBody(data);
  yield soa;
}

/** Number of records in the zone (SOA counted once). */
export function zoneRecordCount(data: ZoneData): number {
  let n = 1;
  for (const _ of zoneBody(data)) n++;
  return n;
}
