// A whole checked zone as one private binary file: how a cluster host hands a transferred zone to its workers
// without the text copy (formatting 1 M records as text takes seconds, parsing it again in every worker longer).
// Layout: "EDGWIRE1", serial (u32), record count (u32), then each record in the RFC 1035 RR layout, uncompressed
// (owner, type, class, TTL, rdlength, rdata), the apex SOA first; then the SHA-256 of everything before it, so
// a truncated or damaged file is refused instead of served. Written by the host after its checks, read by
// workers that build their tree without checking again (the host's checks passed on exactly these records).
import { createHash, randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { nameKey } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import type { ResourceRecord } from "../zone/record.js";
import { buildZone, type ZoneData } from "../zone/zone.js";
import { countRecords, recordsOfZone } from "../zone/zone-records.js";

const MAGIC = Buffer.from("EDGWIRE1", "latin1");
const HEADER = MAGIC.length + 8;
const HASH = 32;
const CHUNK = 4 << 20;

/** The file's chunks (header, records, hash): one pass over the tree, no text. */
export function encodeZoneWire(data: ZoneData, serial: number): Buffer[] {
  const chunks: Buffer[] = [];
  const hash = createHash("sha256");
  let buf = Buffer.allocUnsafe(CHUNK);
  MAGIC.copy(buf, 0);
  buf.writeUInt32BE(serial >>> 0, MAGIC.length);
  buf.writeUInt32BE(countRecords(data), MAGIC.length + 4);
  let at = HEADER;
  const flush = () => {
    const c = buf.subarray(0, at);
    hash.update(c);
    chunks.push(c);
  };
  for (const r of recordsOfZone(data)) {
    const need = r.owner.length + 10 + r.rdata.length;
    if (at + need > buf.length) {
      flush();
      buf = Buffer.allocUnsafe(Math.max(CHUNK, need));
      at = 0;
    }
    at += r.owner.copy(buf, at);
    buf.writeUInt16BE(r.type, at);
    buf.writeUInt16BE(r.class, at + 2);
    buf.writeUInt32BE(r.ttl >>> 0, at + 4);
    buf.writeUInt16BE(r.rdata.length, at + 8);
    at += 10;
    at += r.rdata.copy(buf, at);
  }
  flush();
  chunks.push(hash.digest());
  return chunks;
}

/**
 * Write it at once (synchronous, before the text copy's writes start: they would interleave with it), beside
 * `path` then renamed over it, so a reader sees the old or the new file. No fsync: the copy is a hand-off, not
 * a restart source (the text copy is); one torn by a crash fails the checksum.
 */
export function writeZoneWire(path: string, data: ZoneData, serial: number): void {
  const chunks = encodeZoneWire(data, serial);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  try {
    const fd = openSync(tmp, "w", 0o600);
    try {
      for (const c of chunks) for (let at = 0; at < c.length; ) at += writeSync(fd, c, at);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export class ZoneWireError extends Error {}

/** The records of a wire file (views into `buf`); throws ZoneWireError naming what is wrong. */
export function decodeZoneWire(buf: Buffer, origin: Buffer): { serial: number; records: ResourceRecord[] } {
  if (buf.length < HEADER + HASH || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ZoneWireError(`not a zone wire file (${buf.length} bytes, bad header)`);
  }
  const end = buf.length - HASH;
  const sum = createHash("sha256").update(buf.subarray(0, end)).digest();
  if (!sum.equals(buf.subarray(end))) throw new ZoneWireError("checksum mismatch (truncated or damaged)");
  const serial = buf.readUInt32BE(MAGIC.length);
  const count = buf.readUInt32BE(MAGIC.length + 4);
  const records: ResourceRecord[] = new Array(count);
  let at = HEADER;
  for (let i = 0; i < count; i++) {
    const start = at;
    for (;;) {
      if (at >= end) throw new ZoneWireError(`record ${i}: owner runs past the end`);
      const len = buf[at]!;
      if (len > 63) throw new ZoneWireError(`record ${i}: bad label length ${len}`);
      at += len + 1;
      if (len === 0) break;
    }
    if (at - start > 255) throw new ZoneWireError(`record ${i}: owner longer than 255 octets`);
    if (at + 10 > end) throw new ZoneWireError(`record ${i}: header runs past the end`);
    const owner = buf.subarray(start, at);
    const rdlen = buf.readUInt16BE(at + 8);
    const rdata = buf.subarray(at + 10, at + 10 + rdlen);
    if (at + 10 + rdlen > end) throw new ZoneWireError(`record ${i}: rdata runs past the end`);
    records[i] = {
      owner,
      type: buf.readUInt16BE(at),
      class: buf.readUInt16BE(at + 2),
      ttl: buf.readUInt32BE(at + 4),
      rdata,
    };
    at += 10 + rdlen;
  }
  if (at !== end) throw new ZoneWireError(`${end - at} bytes after the ${count} records`);
  const soa = records[0];
  if (!soa || soa.type !== RRType.SOA || nameKey(soa.owner) !== nameKey(origin)) {
    throw new ZoneWireError("the first record is not the zone's SOA");
  }
  return { serial, records };
}

/** Read and build (no zone checks: the writer ran them). Throws ZoneWireError or the read's error. */
export function loadZoneWire(
  path: string,
  origin: Buffer,
): { serial: number; data: ZoneData; records: number } {
  const { serial, records } = decodeZoneWire(readFileSync(path), origin);
  return { serial, data: buildZone(origin, records), records: records.length };
}
