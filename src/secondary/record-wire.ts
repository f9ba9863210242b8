// Records in the RFC 1035 RR layout, uncompressed (owner, type, class, TTL, rdlength, rdata): the body of the
// wire copy (zone-wire-file.ts) and of each journal entry (zone-journal.ts).
import type { ResourceRecord } from "../zone/record.js";

/** Bytes `r` takes in the layout. */
export function recordWireLength(r: ResourceRecord): number {
  return r.owner.length + 10 + r.rdata.length;
}

/** Write `r` at `at` (the caller made room: recordWireLength); returns the offset after it. */
export function writeRecordWire(buf: Buffer, at: number, r: ResourceRecord): number {
  at += r.owner.copy(buf, at);
  buf.writeUInt16BE(r.type, at);
  buf.writeUInt16BE(r.class, at + 2);
  buf.writeUInt32BE(r.ttl >>> 0, at + 4);
  buf.writeUInt16BE(r.rdata.length, at + 8);
  at += 10;
  return at + r.rdata.copy(buf, at);
}

/**
 * `count` records from `buf[at..end)`, exactly filling it (owners and rdata are views into `buf`), or why not:
 * "record N: …" for the first record that runs past `end` or has a bad owner.
 */
export function readRecordsWire(
  buf: Buffer,
  at: number,
  end: number,
  count: number,
): ResourceRecord[] | string {
  const records: ResourceRecord[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const start = at;
    for (;;) {
      if (at >= end) return `record ${i}: owner runs past the end`;
      const len = buf[at]!;
      if (len > 63) return `record ${i}: bad label length ${len}`;
      at += len + 1;
      if (len === 0) break;
    }
    if (at - start > 255) return `record ${i}: owner longer than 255 octets`;
    if (at + 10 > end) return `record ${i}: header runs past the end`;
    const rdlen = buf.readUInt16BE(at + 8);
    if (at + 10 + rdlen > end) return `record ${i}: rdata runs past the end`;
    records[i] = {
      owner: buf.subarray(start, at),
      type: buf.readUInt16BE(at),
      class: buf.readUInt16BE(at + 2),
      ttl: buf.readUInt32BE(at + 4),
      rdata: buf.subarray(at + 10, at + 10 + rdlen),
    };
    at += 10 + rdlen;
  }
  if (at !== end) return `${end - at} bytes after the ${count} records`;
  return records;
}
