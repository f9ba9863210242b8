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
 * What `forEachRecordWire` hands over per record: where its owner and its RDATA lie in the buffer read (no
 * view per record: a wire copy of a million records is built straight from the file).
 */
export type RecordWireVisitor = (
  ownerStart: number,
  ownerEnd: number,
  type: number,
  cls: number,
  ttl: number,
  rdataStart: number,
  rdataEnd: number,
) => void;

/**
 * Visit `count` records of `buf[at..end)`, which they must exactly fill; returns why not ("record N: …" for the
 * first record that runs past `end` or has a bad owner), else null. No object per record: a big zone is built
 * straight from the file.
 */
export function forEachRecordWire(
  buf: Buffer,
  at: number,
  end: number,
  count: number,
  visit: RecordWireVisitor,
): string | null {
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
    visit(
      start,
      at,
      buf.readUInt16BE(at),
      buf.readUInt16BE(at + 2),
      buf.readUInt32BE(at + 4),
      at + 10,
      at + 10 + rdlen,
    );
    at += 10 + rdlen;
  }
  return at === end ? null : `${end - at} bytes after the ${count} records`;
}

/** `count` records from `buf[at..end)` as a list (see forEachRecordWire), or why not. */
export function readRecordsWire(
  buf: Buffer,
  at: number,
  end: number,
  count: number,
): ResourceRecord[] | string {
  const records: ResourceRecord[] = [];
  const problem = forEachRecordWire(buf, at, end, count, (o, oEnd, type, cls, ttl, r, rEnd) => {
    records.push({ owner: buf.subarray(o, oEnd), type, class: cls, ttl, rdata: buf.subarray(r, rEnd) });
  });
  return problem ?? records;
}
